"""Request bodies: a size limit on every one, and image data or tags in the forms clients send.

Aspose's SDK sends image data as a multipart file ``imageData`` and tags as a multipart field
holding a JSON array string; Aspose's curl tutorials send the image as the raw body (``curl -T``)
and the tags as a JSON array body. Both forms are accepted everywhere. The bodies are read by
hand, not by FastAPI's ``File()``/``Form()`` parameters, so that an over-long body ends in 413
rather than in FastAPI's generic "error parsing the body".
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

import anyio
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lookalike.service.errors import (
    INTERNAL_ERROR_MESSAGE,
    ApiError,
    error_body,
    send_json,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD_MB = 200
DEFAULT_MAX_BODY_BYTES = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
# Longest pause allowed between two chunks of a request body.
# TODO: a body trickling in (a byte every minute) has no overall deadline or minimum rate.
DEFAULT_BODY_IDLE_TIMEOUT_S = 60.0
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"


class BodyTooLargeError(Exception):
    """Raised from ``receive`` once a streamed body passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Request body is larger than the service's limit of {limit / 2**20:g} MB ({limit} "
            "bytes): send a smaller image, or start the service with a larger --max-upload-mb"
        )
        self.limit = limit


class BodyStalledError(Exception):
    """Raised from ``receive`` when a body stops arriving: a client that declared more than it
    sends would otherwise hold its connection (and a worker) for ever."""

    def __init__(self, timeout_s: float, received: int, declared: int | None) -> None:
        of = f" of the {declared} declared" if declared is not None else ""
        super().__init__(f"Request body stalled: no data for {timeout_s:g} s after {received} "
                         f"bytes{of}")


class RequestGuardMiddleware:
    """Outermost guard: body size limit (Content-Length and streamed), stalled bodies (408),
    last-resort 500.

    A pure ASGI middleware, so it sees the body as it streams in and catches any exception the
    routes let through before Starlette's own error page could show a trace.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int,
                 body_idle_timeout_s: float = DEFAULT_BODY_IDLE_TIMEOUT_S) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_idle_timeout_s = body_idle_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await send_json(send, 413, error_body(413, str(BodyTooLargeError(limit))),
                            close=True)
            return

        received = 0
        body_complete = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, body_complete
            if body_complete:  # waiting for a disconnect, e.g. during a long download
                return await receive()
            try:
                with anyio.fail_after(self.body_idle_timeout_s):
                    message = await receive()
            except TimeoutError:
                raise BodyStalledError(self.body_idle_timeout_s, received, declared) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
                body_complete = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError as exc:
            if not response_started:
                await send_json(send, 413, error_body(413, str(exc)), close=True)
        except BodyStalledError as exc:
            log.warning("%s %s: %s", scope.get("method"), scope.get("path"), exc)
            if not response_started:
                await send_json(send, 408, error_body(408, str(exc)), close=True)
        except ClientDisconnect:
            log.debug("Client went away during %s %s", scope.get("method"), scope.get("path"))
        except Exception:
            request_id = uuid.uuid4().hex
            log.exception("Request %s failed: %s %s", request_id, scope.get("method"),
                          scope.get("path"))
            if not response_started:
                body = error_body(500, INTERNAL_ERROR_MESSAGE, request_id=request_id)
                await send_json(send, 500, body)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# Reading image data and tags -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    """Image bytes from a request, with the file name the client gave, if any."""

    data: bytes
    filename: str | None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _boundary(request: Request) -> bytes | None:
    """The multipart boundary the Content-Type declares, if any."""
    for parameter in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "boundary" and value.strip().strip('"'):
            return value.strip().strip('"').encode("latin-1", errors="replace")
    return None


class MultipartCutShortError(Exception):
    """The body ended before the closing boundary of its multipart form."""


class _StreamingMultipartReader(MultiPartParser):
    """Starlette's multipart parser fed as the body streams in, never from the whole body.

    Starlette's parser moves file parts to temporary files past 1 MB, so a large upload is held
    in memory once (by whoever reads the part) instead of as the body plus the parsed part. It
    lets a body that stops before its closing boundary pass as a shorter form; this one raises
    MultipartCutShortError instead, from inside the stream, so the parser closes its files.
    """

    def __init__(self, request: Request) -> None:
        self.received = 0
        self.complete = False
        super().__init__(request.headers, self._watched(request.stream()))

    def on_end(self) -> None:
        self.complete = True

    async def _watched(self, stream: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
        async for chunk in stream:
            self.received += len(chunk)
            yield chunk
        if self.received and not self.complete:
            raise MultipartCutShortError


def _cut_short_message(request: Request) -> str:
    boundary = (_boundary(request) or b"").decode("latin-1")
    return ("Malformed multipart body: it ends before its closing boundary "
            f"'--{boundary}--' (the upload was cut short?)")


def _check_multipart_complete(request: Request, body: bytes) -> None:
    """A multipart body without its closing boundary was cut short: say so, not "missing".

    Checked before parsing: Starlette leaves the temporary file of an unfinished part open.
    """
    boundary = _boundary(request)
    if boundary is not None and b"--" + boundary + b"--" not in body:
        raise ApiError(400, _cut_short_message(request))


async def read_upload(request: Request, field: str = "imageData") -> Upload | None:
    """The image sent as multipart ``field`` (or the first file part), or as the raw body.

    None when the request carries no image at all; ApiError 400 for an empty file part. The SDK
    sends its GET requests as "multipart/form-data" without a boundary and with no body at all.
    """
    if _media_type(request) == MULTIPART and _boundary(request) is not None:
        return await _read_multipart_upload(request, field)
    body = await _read_raw_body(request)
    if not body:
        return None
    if _media_type(request) == MULTIPART:
        # Aspose's tutorials send `curl -T file -H "Content-Type: multipart/form-data"`: curl
        # then sends the raw file under a multipart label without a boundary.
        log.debug("multipart/form-data without a boundary: reading the body as the raw image")
    return Upload(body, None)


async def _read_raw_body(request: Request) -> bytes:
    """The whole body, copied once as it streams in.

    Starlette's ``request.body()`` keeps every chunk until it joins them, which holds the body
    twice at the end; BytesIO grows one buffer and hands it over without a copy.
    """
    buffer = io.BytesIO()
    async for chunk in request.stream():
        buffer.write(chunk)
    return buffer.getvalue()


async def _read_multipart_upload(request: Request, field: str) -> Upload | None:
    """The file part ``field`` (or the first file part) of a multipart body, read as it streams."""
    reader = _StreamingMultipartReader(request)
    try:
        form = await reader.parse()
    except MultipartCutShortError:
        raise ApiError(400, _cut_short_message(request)) from None
    except MultiPartException as exc:
        raise ApiError(400, f"Malformed multipart body: {exc.message}") from None
    try:
        item = form.get(field)
        if not isinstance(item, UploadFile):
            item = next((v for _, v in form.multi_items() if isinstance(v, UploadFile)), None)
        if item is None:
            return None
        data = await item.read()
        if not data:
            named = f" {item.filename!r}" if item.filename else ""
            raise ApiError(400, f"Can't read {field}{named}: the uploaded file is empty")
        return Upload(data, item.filename)
    finally:
        await form.close()


async def read_tags(request: Request) -> list[str]:
    """Tag names from a multipart/urlencoded ``tags`` field or a JSON array body.

    ``curl -d '["a"]'`` labels a JSON body as a urlencoded form: a form without a ``tags``
    field is read as the JSON body it really is.
    """
    body = await request.body()
    raw: str | None = None
    media_type = _media_type(request)
    if media_type == MULTIPART and _boundary(request) is None:
        media_type = "application/json"  # a multipart label on a plain body, as curl sends it
    if body and media_type in (MULTIPART, URLENCODED):
        if media_type == MULTIPART:
            _check_multipart_complete(request, body)
        async with request.form() as form:
            item = form.get("tags")
            if isinstance(item, UploadFile):
                raw = (await item.read()).decode("utf-8", errors="replace")
            else:
                raw = item
    if raw is None and body and media_type != MULTIPART:
        raw = body.decode("utf-8", errors="replace")
    if raw is None or not raw.strip():
        raise ApiError(400, "Missing tags: send a JSON array of tag names")
    try:
        tags = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Invalid tags: not a JSON array of tag names") from None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ApiError(400, "Invalid tags: must be a JSON array of strings")
    if not tags:
        raise ApiError(400, "Invalid tags: the array names no tag")
    return tags
