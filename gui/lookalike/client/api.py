"""A requests-based client for Aspose.Imaging Cloud's image search API and Lookalike's own service.

It sends what the official SDK (aspose-imaging-cloud 25.4) sends: the same methods, paths, query
names and multipart fields, so one client talks to either server. What it adds over the SDK:
timeouts on every call, retries with backoff for idempotent calls, a token fetched again once after
a 401, typed results, and errors that carry the server's own message.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import requests
import urllib3.exceptions

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

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.aspose.cloud"
TOKEN_PATH = "/connect/token"
SEARCH = "/imaging/ai/imageSearch"
STORAGE = "/imaging/storage"

# A retried request never re-sends a POST that may have reached the server: it may have acted on
# it already. POSTs that only read (findByTags, compare) say so with ``idempotent=True``.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF = 10.0
MAX_RETRY_AFTER = 30.0
# A token is renewed this long before the expiry the server announced, so no call races it.
TOKEN_EXPIRY_MARGIN = 60.0

Files = dict[str, tuple[str | None, bytes | str] | tuple[str | None, bytes | str, str]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a server is and how to log in to it; the secret never shows in a repr."""

    base_url: str
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


# Called with the endpoint whose server could not be reached; returns where to try again (a
# restarted server) or None when there is nowhere else to go. LocalService provides one.
Reconnect = Callable[[Endpoint], "Endpoint | None"]


def segment(value: str) -> str:
    """Quote a path parameter the way the SDK does: every reserved character, '/' included."""
    return quote(str(value), safe="")


def image_part(data: bytes, filename: str = "image") -> Files:
    """The multipart ``imageData`` field that every image-taking operation uses."""
    return {"imageData": (filename, data, "application/octet-stream")}


class ImagingClient:
    """One server's image search and storage API; safe to share between threads.

    ``client_id``/``client_secret`` enable the client-credentials token flow; without them no
    token is requested (the SDK's "on-premise" mode). ``reconnect`` lets a caller that can
    restart the server (LocalService) point the client at the new one when the old one is gone.
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
        reconnect: Reconnect | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``sleep`` waits between retries: tests record it, a UI may make it cancellable."""
        self._api_version = api_version.strip("/")
        self._endpoint = Endpoint(base_url.rstrip("/"), client_id, client_secret)
        self._timeout = (connect_timeout, read_timeout)
        self._retries = max(0, retries)
        self._backoff = backoff
        self._reconnect = reconnect
        self._sleep = sleep
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._token: str | None = None
        self._token_expires = float("inf")
        self._token_lock = threading.Lock()

    def __repr__(self) -> str:  # never shows the secret
        return f"ImagingClient({self.base_url!r}, client_id={self._endpoint.client_id!r})"

    def __enter__(self) -> ImagingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return self._endpoint.base_url

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

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
            self._sleep(min(poll, remaining))

    # --- images in a context -----------------------------------------------------------------

    def create_search_image(
        self, context_id: str, image_id: str, data: bytes | None = None
    ) -> None:
        """Add an image: uploaded ``data``, or without data the file ``image_id`` in storage."""
        self._call(
            "POST", self._image_path(context_id), params={"imageId": image_id},
            files=image_part(data) if data is not None else None,
            idempotent=True,  # adding the same id again replaces it
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
            idempotent=images_folder is None,  # one image's features are simply replaced
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
            files={"tags": (None, json.dumps(list(tags)))}, idempotent=True,
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
            files=image_part(data) if data is not None else None, idempotent=True,
        )
        results = models.parse_results(self._json(response))
        if not results:
            raise ProtocolError(f"The server compared {image_id1!r} but returned no similarity")
        return results[0].similarity

    def list_tags(self, context_id: str) -> list[TagInfo]:
        """The context's tags: Lookalike's extension, UnsupportedError on Aspose Cloud."""
        response = self._call_extension(context_id, "tags", "list tags")
        return models.parse_tags(self._json(response))

    def list_images(self, context_id: str) -> list[str]:
        """Ids of the context's images: Lookalike's extension, UnsupportedError elsewhere."""
        response = self._call_extension(context_id, "images", "list a context's images")
        return models.parse_image_ids(self._json(response))

    def cancel_extraction(self, context_id: str) -> None:
        """Stop a running folder extraction: Lookalike's extension, UnsupportedError elsewhere.

        Files already indexed stay indexed; the context reports ``cancelled`` in its progress.
        """
        self._call_extension(
            context_id, "features/cancel", "cancel a feature extraction", method="POST"
        )

    def _call_extension(
        self, context_id: str, name: str, what: str, *, method: str = "GET"
    ) -> requests.Response:
        """Call one of Lookalike's additions to the context's API, telling "unsupported" apart."""
        try:
            return self._call(
                method, f"{SEARCH}/{segment(context_id)}/{name}", idempotent=True
            )
        except ApiError as exc:
            if exc.status not in (404, 405):
                raise
            # A 404 may also mean "no such context": ask the status to tell the two apart.
            self.get_search_context_status(context_id)
            raise UnsupportedError(
                f"The server at {self.base_url} can't {what} (only Lookalike's service can)"
            ) from exc

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
            params={"recursive": True if recursive else None},  # the SDK omits the default
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

    def _api_url(self, endpoint: Endpoint, path: str) -> str:
        if not self._api_version:
            return endpoint.base_url + path
        return f"{endpoint.base_url}/{self._api_version}{path}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        files: Files | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send one API call with auth, retries and error mapping; return a 2xx response.

        A request that never reached the server (connection refused) is retried whatever its
        method; one that may have reached it only when it is idempotent.
        """
        query = {k: v for k, v in (params or {}).items() if v is not None}
        may_repeat = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempt = 0
        renewed_token = False
        reconnected = False
        while True:
            endpoint = self._endpoint
            fetching_token = True  # while True, the call itself has not been sent
            try:
                token = self._current_token(endpoint)
                fetching_token = False
                headers = {"Accept": "application/json"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                response = self._send(method, self._api_url(endpoint, path), path, params=query,
                                      files=files, headers=headers)
            except ConnectionFailedError as exc:
                if not reconnected and self._moved_after_failure(endpoint):
                    # The server was restarted elsewhere; a request it dropped as it died is
                    # sent once more to the new one (at worst a POST is applied twice).
                    reconnected = True
                    continue
                unsent = fetching_token or not exc.request_sent
                if not (may_repeat or unsent) or attempt >= self._retries:
                    raise
                self._sleep_before_retry(attempt, None)
                attempt += 1
                continue
            except ApiError as exc:  # the token endpoint failed (an overloaded server, say)
                if exc.status not in RETRY_STATUSES or attempt >= self._retries:
                    raise
                self._sleep_before_retry(attempt, None)
                attempt += 1
                continue
            status = response.status_code
            if status == 401 and token and not renewed_token:
                log.debug("%s %s: token refused, fetching a new one", method, path)
                self._drop_token(token)
                renewed_token = True
                continue
            if status in RETRY_STATUSES and may_repeat and attempt < self._retries:
                self._sleep_before_retry(attempt, response.headers.get("Retry-After"))
                attempt += 1
                continue
            if status >= 400:
                raise error_from_response(response, AuthenticationError if status == 401
                                          else ApiError)
            return response

    def _moved_after_failure(self, failed: Endpoint) -> bool:
        """Ask ``reconnect`` where the server went; True if the client now points elsewhere."""
        if self._reconnect is None:
            return False
        moved_to = self._reconnect(failed)
        if moved_to is None or moved_to == failed:
            return False
        with self._token_lock:
            if self._endpoint == failed:
                log.info("Server moved from %s to %s", failed.base_url, moved_to.base_url)
                self._endpoint = moved_to
                self._token = None
        return True

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
        base_url = self.base_url
        try:
            response = self._session.request(
                method, url, params=params, files=files, data=data, headers=dict(headers),
                timeout=self._timeout, allow_redirects=False,
            )
        except requests.exceptions.ReadTimeout as exc:
            log.debug("%s %s -> read timeout", method, path)
            raise RequestTimeoutError(
                f"{base_url} did not answer {method} {path} within {self._timeout[1]:g} s",
                request_sent=True,
            ) from exc
        except requests.RequestException as exc:
            log.debug("%s %s -> %s", method, path, type(exc).__name__)
            raise ConnectionFailedError(
                f"Can't reach {base_url}: {self._describe_failure(exc)}",
                request_sent=not _never_connected(exc),
            ) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug("%s %s -> %d (%.0f ms)", method, path, response.status_code, elapsed_ms)
        return response

    def _describe_failure(self, exc: BaseException) -> str:
        """A few words for why the connection failed, from the innermost cause."""
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return f"no answer within {self._timeout[0]:g} s"
        for cause in _causes(exc):
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused (is the service running?)"
            if isinstance(cause, ConnectionResetError):
                return "connection reset by the server"
            if isinstance(cause, socket.gaierror):
                return "unknown host name"
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return text[:200]

    def _sleep_before_retry(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self._backoff * (2**attempt), MAX_BACKOFF)
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            delay = min(max(delay, asked), MAX_RETRY_AFTER)
        log.debug("retrying in %.2f s (attempt %d of %d)", delay, attempt + 2, self._retries + 1)
        self._sleep(delay)

    # --- token -------------------------------------------------------------------------------

    def _current_token(self, endpoint: Endpoint) -> str | None:
        """The bearer token for ``endpoint``, fetched on first use and before it expires."""
        if not (endpoint.client_id or endpoint.client_secret):
            return None
        with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_expires:
                self._token, lifetime = self._fetch_token(endpoint)
                self._token_expires = time.monotonic() + max(0.0, lifetime - TOKEN_EXPIRY_MARGIN)
            return self._token

    def _drop_token(self, refused: str) -> None:
        with self._token_lock:
            if self._token == refused:
                self._token = None

    def _fetch_token(self, endpoint: Endpoint) -> tuple[str, float]:
        """Client-credentials grant at /connect/token, as the SDK does it (not under /v3.0).

        Returns the token and its lifetime in seconds (infinite when the server gives none).
        """
        form = {
            "grant_type": "client_credentials",
            "client_id": endpoint.client_id or "",
            "client_secret": endpoint.client_secret or "",
        }
        response = self._send(
            "POST", endpoint.base_url + TOKEN_PATH, TOKEN_PATH, data=form,
            headers={"Accept": "application/json"},
        )
        if response.status_code >= 400:
            refused = response.status_code in (400, 401, 403)
            raise error_from_response(response, AuthenticationError if refused else ApiError)
        body = self._json(response)
        token = models.field(body, "access_token", what="token response")
        if not isinstance(token, str) or not token:
            raise ProtocolError("The server's token response has no access_token")
        try:
            lifetime = float(models.field(body, "expires_in", float("inf")))
        except (TypeError, ValueError):
            lifetime = float("inf")
        return token, lifetime

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            path = requests.utils.urlparse(response.url).path
            raise ProtocolError(f"The server's answer to {path} is not JSON") from exc


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for: a number or an HTTP date; None if unreadable."""
    if not value:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it, innermost last (urllib3 keeps causes in ``args``/``reason``)."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10 and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__ or _first_arg_exception(cause)
    return chain


def _never_connected(exc: BaseException) -> bool:
    """True when the request cannot have reached the server (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return any(
        isinstance(cause, urllib3.exceptions.NewConnectionError | ConnectionRefusedError
                   | socket.gaierror)
        for cause in _causes(exc)
    )


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
