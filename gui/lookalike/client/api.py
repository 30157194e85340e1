"""A requests-based client for Aspose.Imaging Cloud's image search API and Lookalike's own service.

It sends what the official SDK (aspose-imaging-cloud 25.4) sends: the same methods, paths, query
names and multipart fields, so one client talks to either server. What it adds over the SDK:
timeouts on every call, retries with backoff for idempotent calls, a token fetched again once after
a 401, typed results, and errors that carry the server's own message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import requests

from lookalike.client import models
from lookalike.client.errors import (
    ApiError,
    AuthenticationError,
    ConnectionFailedError,
    ProtocolError,
    RequestTimeoutError,
    UnsupportedError,
    WaitTimeoutError,
)
from lookalike.client.models import (
    ContextStatus,
    DuplicateGroup,
    ImageFeatures,
    SearchResult,
    StorageFile,
    TagInfo,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.aspose.cloud"
TOKEN_PATH = "/connect/token"
SEARCH = "/imaging/ai/imageSearch"
STORAGE = "/imaging/storage"

# A retried request never re-sends a POST: the server may have acted on it already.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF = 10.0
MAX_RETRY_AFTER = 30.0

Files = dict[str, tuple[str | None, bytes | str] | tuple[str | None, bytes | str, str]]


def segment(value: str) -> str:
    """Quote a path parameter the way the SDK does: every reserved character, '/' included."""
    return quote(str(value), safe="")


def image_part(data: bytes, filename: str = "image") -> Files:
    """The multipart ``imageData`` field that every image-taking operation uses."""
    return {"imageData": (filename, data, "application/octet-stream")}


class ImagingClient:
    """One server's image search and storage API; safe to share between threads.

    ``client_id``/``client_secret`` enable the client-credentials token flow; without them no
    token is requested (the SDK's "on-premise" mode).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_version: str = "v3.0",
        connect_timeout: float = 5,
        read_timeout: float = 120,
        retries: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        version = api_version.strip("/")
        self._api_root = f"{self.base_url}/{version}" if version else self.base_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = (connect_timeout, read_timeout)
        self._retries = max(0, retries)
        self._backoff = backoff
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._token: str | None = None
        self._token_lock = threading.Lock()

    def __repr__(self) -> str:  # never shows the secret
        return f"ImagingClient({self.base_url!r}, client_id={self._client_id!r})"

    def __enter__(self) -> ImagingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self._session.close()

    # --- search contexts ---------------------------------------------------------------------

    def create_search_context(self) -> ContextStatus:
        response = self._call("POST", f"{SEARCH}/create")
        return models.parse_context_status(self._json(response))

    def get_search_context_status(self, context_id: str) -> ContextStatus:
        response = self._call("GET", f"{SEARCH}/{segment(context_id)}/status")
        return models.parse_context_status(self._json(response))

    def delete_search_context(self, context_id: str) -> None:
        self._call("DELETE", f"{SEARCH}/{segment(context_id)}")

    def wait_idle(self, context_id: str, *, timeout: float, poll: float = 0.5) -> ContextStatus:
        """Poll the context's status until it is idle; raise WaitTimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.get_search_context_status(context_id)
            if status.is_idle:
                return status
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"Search context {context_id!r} still busy after {timeout:g} s"
                )
            time.sleep(min(poll, remaining))

    # --- images in a context -----------------------------------------------------------------

    def create_search_image(
        self, context_id: str, image_id: str, data: bytes | None = None
    ) -> None:
        """Add an image: uploaded ``data``, or without data the file ``image_id`` in storage."""
        self._call(
            "POST", self._image_path(context_id), params={"imageId": image_id},
            files=image_part(data) if data is not None else None,
        )

    def update_search_image(
        self, context_id: str, image_id: str, data: bytes | None = None
    ) -> None:
        self._call(
            "PUT", self._image_path(context_id), params={"imageId": image_id},
            files=image_part(data) if data is not None else None,
        )

    def get_search_image(self, context_id: str, image_id: str) -> bytes:
        """The image's bytes as the server keeps them."""
        response = self._call("GET", self._image_path(context_id), params={"imageId": image_id})
        return response.content

    def delete_search_image(self, context_id: str, image_id: str) -> None:
        self._call("DELETE", self._image_path(context_id), params={"imageId": image_id})

    # --- features ----------------------------------------------------------------------------

    def create_image_features(
        self,
        context_id: str,
        *,
        image_id: str | None = None,
        images_folder: str | None = None,
        data: bytes | None = None,
    ) -> None:
        """Extract features of one image, or of every image in ``images_folder`` (in background)."""
        self._call(
            "POST", self._features_path(context_id),
            params={"imageId": image_id, "imagesFolder": images_folder},
            files=image_part(data) if data is not None else None,
        )

    def get_image_features(self, context_id: str, image_id: str) -> ImageFeatures:
        response = self._call(
            "GET", self._features_path(context_id), params={"imageId": image_id}
        )
        return models.parse_image_features(self._json(response))

    def update_image_features(
        self, context_id: str, image_id: str, data: bytes | None = None
    ) -> None:
        self._call(
            "PUT", self._features_path(context_id), params={"imageId": image_id},
            files=image_part(data) if data is not None else None,
        )

    def delete_image_features(self, context_id: str, image_id: str) -> None:
        self._call("DELETE", self._features_path(context_id), params={"imageId": image_id})

    def extract_image_features(
        self, context_id: str, data: bytes | None = None, *, image_id: str | None = None
    ) -> ImageFeatures:
        """Features of an image without storing them (Aspose's image2features).

        The SDK always sends ``imageId`` (a storage path when no data is sent). Note the SDK
        drops the image data of this GET request; this client sends it as multipart.
        """
        if data is None and image_id is None:
            raise ValueError("extract_image_features needs data or an image_id")
        response = self._call(
            "GET", f"{SEARCH}/{segment(context_id)}/image2features",
            params={"imageId": image_id},
            files=image_part(data) if data is not None else None,
        )
        return models.parse_image_features(self._json(response))

    # --- searches ----------------------------------------------------------------------------

    def add_tag(self, context_id: str, tag_name: str, data: bytes) -> None:
        """Make ``data`` a reference image of ``tag_name``."""
        self._call(
            "POST", f"{SEARCH}/{segment(context_id)}/addTag",
            params={"tagName": tag_name}, files=image_part(data),
        )

    def find_by_tags(
        self,
        context_id: str,
        tags: Sequence[str],
        *,
        threshold: float,
        max_count: int,
        match_all: bool = False,
    ) -> list[SearchResult]:
        """Images like the tags' reference images; ``tags`` travel as a JSON array string.

        ``match_all`` is Lookalike's extension (query ``matchAll=True``); it is only sent when
        true, so Aspose Cloud sees exactly what the SDK sends.
        """
        if isinstance(tags, str):
            raise TypeError("tags must be a sequence of tag names, not one string")
        params: dict[str, Any] = {"similarityThreshold": threshold, "maxCount": max_count}
        if match_all:
            params["matchAll"] = True  # sent as "True", like the SDK's booleans
        response = self._call(
            "POST", f"{SEARCH}/{segment(context_id)}/findByTags", params=params,
            files={"tags": (None, json.dumps(list(tags)))},
        )
        return models.parse_results(self._json(response))

    def find_similar(
        self,
        context_id: str,
        *,
        image_id: str | None = None,
        data: bytes | None = None,
        threshold: float,
        max_count: int,
    ) -> list[SearchResult]:
        """Images like ``image_id`` (in the context or storage) or like the uploaded ``data``."""
        if (image_id is None) == (data is None):
            raise ValueError("find_similar needs exactly one of image_id and data")
        response = self._call(
            "GET", f"{SEARCH}/{segment(context_id)}/findSimilar",
            params={"similarityThreshold": threshold, "maxCount": max_count, "imageId": image_id},
            files=image_part(data) if data is not None else None,
        )
        return models.parse_results(self._json(response))

    def find_duplicates(self, context_id: str, *, threshold: float) -> list[DuplicateGroup]:
        response = self._call(
            "GET", f"{SEARCH}/{segment(context_id)}/findDuplicates",
            params={"similarityThreshold": threshold},
        )
        return models.parse_duplicates(self._json(response))

    def compare(
        self,
        context_id: str,
        image_id1: str,
        *,
        image_id2: str | None = None,
        data: bytes | None = None,
    ) -> float:
        """Similarity (0-100) of ``image_id1`` with ``image_id2`` or with the uploaded ``data``."""
        if (image_id2 is None) == (data is None):
            raise ValueError("compare needs exactly one of image_id2 and data")
        response = self._call(
            "POST", f"{SEARCH}/{segment(context_id)}/compare",
            params={"imageId1": image_id1, "imageId2": image_id2},
            files=image_part(data) if data is not None else None,
        )
        results = models.parse_results(self._json(response))
        if not results:
            raise ProtocolError(f"The server compared {image_id1!r} but returned no similarity")
        return results[0].similarity

    def list_tags(self, context_id: str) -> list[TagInfo]:
        """The context's tags: Lookalike's extension, UnsupportedError on Aspose Cloud."""
        try:
            response = self._call("GET", f"{SEARCH}/{segment(context_id)}/tags")
        except ApiError as exc:
            if exc.status not in (404, 405):
                raise
            # A 404 may also mean "no such context": ask the status to tell the two apart.
            self.get_search_context_status(context_id)
            raise UnsupportedError(
                f"The server at {self.base_url} can't list tags (only Lookalike's service can)"
            ) from exc
        return models.parse_tags(self._json(response))

    # --- storage -----------------------------------------------------------------------------

    def upload_file(self, path: str, data: bytes) -> None:
        name = PurePosixPath(path).name or "file"
        response = self._call(
            "PUT", f"{STORAGE}/file/{segment(path)}",
            files={"file": (name, data, "application/octet-stream")},
        )
        body = self._json(response) if response.content else {}
        errors = models.field(body, "errors", None) if isinstance(body, Mapping) else None
        if errors:
            first = errors[0] if isinstance(errors[0], Mapping) else {}
            raise ApiError(
                response.status_code,
                models.field(first, "code", None),
                str(models.field(first, "message", f"Upload of {path} failed")),
            )

    def download_file(self, path: str) -> bytes:
        return self._call("GET", f"{STORAGE}/file/{segment(path)}").content

    def delete_file(self, path: str) -> None:
        self._call("DELETE", f"{STORAGE}/file/{segment(path)}")

    def object_exists(self, path: str) -> bool:
        response = self._call("GET", f"{STORAGE}/exist/{segment(path)}")
        return bool(models.field(self._json(response), "exists", what="existence check"))

    def create_folder(self, path: str) -> None:
        self._call("PUT", f"{STORAGE}/folder/{segment(path)}")

    def delete_folder(self, path: str, *, recursive: bool = False) -> None:
        self._call(
            "DELETE", f"{STORAGE}/folder/{segment(path)}",
            params={"recursive": recursive},
        )

    def list_folder(self, path: str) -> list[StorageFile]:
        response = self._call("GET", f"{STORAGE}/folder/{segment(path)}")
        return models.parse_files_list(self._json(response))

    # --- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _image_path(context_id: str) -> str:
        return f"{SEARCH}/{segment(context_id)}/image"

    @staticmethod
    def _features_path(context_id: str) -> str:
        return f"{SEARCH}/{segment(context_id)}/features"

    @property
    def _uses_auth(self) -> bool:
        return bool(self._client_id or self._client_secret)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        files: Files | None = None,
    ) -> requests.Response:
        """Send one API call with auth, retries and error mapping; return a 2xx response."""
        url = self._api_root + path
        query = {k: v for k, v in (params or {}).items() if v is not None}
        may_retry = method in IDEMPOTENT_METHODS
        attempt = 0
        renewed_token = False
        while True:
            token = self._current_token()
            headers = {"Accept": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                response = self._send(method, url, path, params=query, files=files,
                                      headers=headers)
            except ConnectionFailedError:
                if not may_retry or attempt >= self._retries:
                    raise
                self._sleep_before_retry(attempt, None)
                attempt += 1
                continue
            status = response.status_code
            if status == 401 and token and not renewed_token:
                logger.debug("%s %s: token refused, fetching a new one", method, path)
                self._drop_token(token)
                renewed_token = True
                continue
            if status in RETRY_STATUSES and may_retry and attempt < self._retries:
                self._sleep_before_retry(attempt, response.headers.get("Retry-After"))
                attempt += 1
                continue
            if status >= 400:
                raise error_from_response(response, AuthenticationError if status == 401
                                          else ApiError)
            return response

    def _send(
        self,
        method: str,
        url: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        files: Files | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str],
    ) -> requests.Response:
        """One HTTP exchange; transport failures become ConnectionFailedError."""
        started = time.perf_counter()
        try:
            response = self._session.request(
                method, url, params=params, files=files, data=data, headers=dict(headers),
                timeout=self._timeout, allow_redirects=False,
            )
        except requests.exceptions.ReadTimeout as exc:
            logger.debug("%s %s -> read timeout", method, path)
            raise RequestTimeoutError(
                f"{self.base_url} did not answer {method} {path} "
                f"within {self._timeout[1]:g} s"
            ) from exc
        except requests.RequestException as exc:
            logger.debug("%s %s -> %s", method, path, type(exc).__name__)
            raise ConnectionFailedError(
                f"Can't reach {self.base_url}: {self._describe_failure(exc)}"
            ) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug("%s %s -> %d (%.0f ms)", method, path, response.status_code, elapsed_ms)
        return response

    def _describe_failure(self, exc: BaseException) -> str:
        """A few words for why the connection failed, from the innermost cause."""
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return f"no answer within {self._timeout[0]:g} s"
        cause: BaseException | None = exc
        seen = 0
        while cause is not None and seen < 10:
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused (is the service running?)"
            if isinstance(cause, ConnectionResetError):
                return "connection reset by the server"
            if isinstance(cause, socket.gaierror):
                return "unknown host name"
            cause = cause.__cause__ or cause.__context__ or _first_arg_exception(cause)
            seen += 1
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return text[:200]

    def _sleep_before_retry(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self._backoff * (2**attempt), MAX_BACKOFF)
        if retry_after:
            with contextlib.suppress(ValueError):  # an HTTP date: keep our own backoff
                delay = min(max(delay, float(retry_after)), MAX_RETRY_AFTER)
        logger.debug("retrying in %.2f s (attempt %d of %d)", delay, attempt + 2,
                     self._retries + 1)
        time.sleep(delay)

    # --- token ---------------------------------------------------------------------------------

    def _current_token(self) -> str | None:
        if not self._uses_auth:
            return None
        with self._token_lock:
            if self._token is None:
                self._token = self._fetch_token()
            return self._token

    def _drop_token(self, refused: str) -> None:
        with self._token_lock:
            if self._token == refused:
                self._token = None

    def _fetch_token(self) -> str:
        """Client-credentials grant at /connect/token, as the SDK does it (not under /v3.0)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id or "",
            "client_secret": self._client_secret or "",
        }
        response = self._send(
            "POST", self.base_url + TOKEN_PATH, TOKEN_PATH, data=form,
            headers={"Accept": "application/json"},
        )
        if response.status_code >= 400:
            raise error_from_response(response, AuthenticationError)
        token = models.field(self._json(response), "access_token", what="token response")
        if not isinstance(token, str) or not token:
            raise ProtocolError("The server's token response has no access_token")
        return token

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            path = requests.utils.urlparse(response.url).path
            raise ProtocolError(f"The server's answer to {path} is not JSON") from exc


def _first_arg_exception(exc: BaseException) -> BaseException | None:
    """urllib3 wraps its cause in ``args`` rather than ``__cause__``; follow that link too."""
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, BaseException):
            return arg
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, BaseException) else None


def error_from_response(
    response: requests.Response, error_type: type[ApiError] = ApiError
) -> ApiError:
    """Build an ApiError from Aspose's body {"error": {"code", "message"}}, else the text."""
    code, message = parse_error_body(response)
    if not message:
        text = response.text.strip().splitlines()[0] if response.text.strip() else ""
        message = text[:200] or response.reason or "request failed"
    return error_type(response.status_code, code, message)


def parse_error_body(response: requests.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, Mapping):
        return None, None
    error = models.field(body, "error", None)
    if isinstance(error, Mapping):  # Aspose: {"error": {"code", "message", "description"}}
        code = models.field(error, "code", None)
        message = models.field(error, "message", None) or models.field(error, "description", None)
        return _text(code), _text(message)
    if isinstance(error, str):  # OAuth: {"error": "invalid_client", "error_description": ...}
        return error, _text(body.get("error_description")) or error
    detail = body.get("detail")  # FastAPI's own errors
    if isinstance(detail, str):
        return None, detail
    if isinstance(detail, list) and detail:
        parts = []
        for item in detail[:3]:
            if isinstance(item, Mapping):
                where = ".".join(str(p) for p in item.get("loc", ()))
                parts.append(f"{where}: {item.get('msg', '')}".strip(": "))
        return None, "; ".join(parts) or None
    return _text(models.field(body, "code", None)), _text(models.field(body, "message", None))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
