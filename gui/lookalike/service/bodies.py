"""Request bodies: a size limit on every one, and image data or tags in the forms clients send.

Aspose's SDK sends image data as a multipart file ``imageData`` and tags as a multipart field
holding a JSON array string; Aspose's curl tutorials send the image as the raw body (``curl -T``)
and the tags as a JSON array body. Both forms are accepted everywhere. The bodies are read by
hand, not by FastAPI's ``File()``/``Form()`` parameters, so that an over-long body ends in 413
rather than in FastAPI's generic "error parsing the body".
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lookalike.service.errors import INTERNAL_ERROR_MESSAGE, ApiError, error_body

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 200 * 1024 * 1024
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"


class BodyTooLargeError(Exception):
    """Raised from ``receive`` once a streamed body passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is larger than the limit of {limit} bytes")
        self.limit = limit


class RequestGuardMiddleware:
    """Outermost guard: body size limit (Content-Length and streamed), last-resort 500.

    A pure ASGI middleware, so it sees the body as it streams in and catches any exception the
    routes let through before Starlette's own error page could show a trace.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_json(send, 413, error_body(413, str(BodyTooLargeError(limit))),
                             close=True)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
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
                await _send_json(send, 413, error_body(413, str(exc)), close=True)
        except ClientDisconnect:
            log.debug("Client went away during %s %s", scope.get("method"), scope.get("path"))
        except Exception:
            request_id = uuid.uuid4().hex
            log.exception("Request %s failed: %s %s", request_id, scope.get("method"),
                          scope.get("path"))
            if not response_started:
                body = error_body(500, INTERNAL_ERROR_MESSAGE, request_id=request_id)
                await _send_json(send, 500, body)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_json(send: Send, status: int, body: dict[str, Any], *, close: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(payload)).encode())]
    if close:  # the unread rest of the body must not be taken for the next request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


# Reading image data and tags -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    """Image bytes from a request, with the file name the client gave, if any."""

    data: bytes
    filename: str | None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_upload(request: Request, field: str = "imageData") -> Upload | None:
    """The image sent as multipart ``field`` (or the first file part), or as the raw body.

    None when the request carries no image at all; ApiError 400 for an empty file part. The SDK
    sends its GET requests as "multipart/form-data" without a boundary and with no body at all.
    """
    body = await request.body()  # kept by Starlette: the form parser reads it from there
    if not body:
        return None
    if _media_type(request) == MULTIPART:
        async with request.form() as form:
            item = form.get(field)
            if not isinstance(item, UploadFile):
                item = next(
                    (v for _, v in form.multi_items() if isinstance(v, UploadFile)), None
                )
            if item is None:
                return None
            data = await item.read()
            if not data:
                named = f" {item.filename!r}" if item.filename else ""
                raise ApiError(400, f"Can't read {field}{named}: the uploaded file is empty")
            return Upload(data, item.filename)
    return Upload(body, None)


async def read_tags(request: Request) -> list[str]:
    """Tag names from a multipart/urlencoded ``tags`` field or a JSON array body.

    ``curl -d '["a"]'`` labels a JSON body as a urlencoded form: a form without a ``tags``
    field is read as the JSON body it really is.
    """
    body = await request.body()
    raw: str | None = None
    if body and _media_type(request) in (MULTIPART, URLENCODED):
        async with request.form() as form:
            item = form.get("tags")
            if isinstance(item, UploadFile):
                raw = (await item.read()).decode("utf-8", errors="replace")
            else:
                raw = item
    if raw is None and body and _media_type(request) != MULTIPART:
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
