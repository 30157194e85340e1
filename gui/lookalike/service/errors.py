"""Every failure leaves the service as Aspose's error body, with a status that says whose fault.

Aspose's SDK builds its ApiException from ``{"error": {"code", "message", "description",
"innerError": {"requestId", "date"}}}``. Messages are one line naming the thing concerned; a
stack trace never reaches a response (500s say only that something failed, the log keeps the
trace under the same request id).
"""

from __future__ import annotations

import errno
import json
import logging
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from lookalike.engine.errors import (
    BusyError,
    EngineError,
    ImageDecodeError,
    InvalidArgumentError,
    NotFoundError,
)
from lookalike.service.storage import (
    StorageConflictError,
    StorageError,
    StorageNotFoundError,
    UnsafePathError,
)

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    409: "Conflict",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    421: "MisdirectedRequest",
    500: "InternalError",
    501: "NotImplemented",
    503: "ServiceUnavailable",
}


class ApiError(Exception):
    """An error the service answers on purpose, with its HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        description: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or STATUS_CODES.get(status, "Error")
        self.description = description
        self.headers = dict(headers or {})


def error_body(
    status: int,
    message: str,
    *,
    code: str | None = None,
    description: str = "",
    request_id: str | None = None,
) -> dict[str, Any]:
    """Aspose's error body; ``requestId`` ties the answer to the service's log."""
    return {
        "error": {
            "code": code or STATUS_CODES.get(status, "Error"),
            "message": message,
            "description": description,
            "innerError": {
                "requestId": request_id or uuid.uuid4().hex,
                "date": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            },
        }
    }


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    description: str = "",
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(status, message, code=code, description=description),
        status_code=status,
        headers=dict(headers or {}),
    )


async def send_json(send: Send, status: int, body: dict[str, Any], *,
                    close: bool = False) -> None:
    """Answer from a pure ASGI middleware, before any route has run."""
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(payload)).encode())]
    if close:  # the unread rest of the body must not be taken for the next request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


INTERNAL_ERROR_MESSAGE = "The service failed to handle the request; see its log"


def _location(loc: Sequence[Any]) -> str:
    """("query", "maxCount") -> "query parameter 'maxCount'"."""
    where = {"query": "query parameter", "path": "path parameter", "header": "header",
             "body": "form field", "cookie": "cookie"}
    if not loc:
        return "request"
    kind = where.get(str(loc[0]), str(loc[0]))
    name = ".".join(str(part) for part in loc[1:])
    return f"{kind} {name!r}" if name else kind


def validation_message(exc: RequestValidationError) -> str:
    """One line naming each bad field and why, instead of FastAPI's 422 list."""
    parts = []
    for error in exc.errors():
        location = _location(error.get("loc", ()))
        if error.get("type") == "missing":
            parts.append(f"Missing {location}")
        else:
            parts.append(f"Invalid {location}: {error.get('msg', 'bad value')}")
    return "; ".join(parts) or "Invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Map each kind of failure to its status and Aspose's error body."""

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(
            exc.status, exc.message, code=exc.code, description=exc.description,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"No such operation: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, message, headers=exc.headers)

    @app.exception_handler(EngineError)
    async def on_engine_error(request: Request, exc: EngineError) -> JSONResponse:
        return error_response(engine_error_status(exc), str(exc))

    @app.exception_handler(StorageError)
    async def on_storage_error(request: Request, exc: StorageError) -> JSONResponse:
        return error_response(storage_error_status(exc), str(exc))

    @app.exception_handler(OSError)
    async def on_os_error(request: Request, exc: OSError) -> JSONResponse:
        # The OS message holds the absolute path: keep it in the log only.
        log.warning("Storage operation failed on %s %s: %s", request.method, request.url.path,
                    exc)
        if isinstance(exc, PermissionError):
            return error_response(403, "Permission denied by the server's file system")
        reason = exc.strerror or type(exc).__name__
        status = OS_ERROR_STATUS.get(exc.errno or 0, 500)
        if status != 500:
            # The client's fault (a bad name or place): name what it asked for.
            return error_response(status, f"Can't do {request.method} {shown_path(request)}: "
                                  f"{reason}")
        return error_response(500, f"Storage operation failed: {reason}")

    @app.exception_handler(sqlite3.Error)
    async def on_database_error(request: Request, exc: sqlite3.Error) -> JSONResponse:
        return database_error_response(request, exc)


def shown_path(request: Request, limit: int = 200) -> str:
    path = request.url.path
    return path if len(path) <= limit else f"{path[:limit]}... ({len(path)} characters)"


def database_error_response(request: Request, exc: sqlite3.Error) -> JSONResponse:
    """A context's database failed: usually closed or unlinked by a concurrent delete.

    A request that races ``DELETE /{searchContextId}`` finds the database closed
    (ProgrammingError) or the file gone (OperationalError); the context is gone for it, as it
    would be a moment later. Anything else is the server's trouble, and worth a retry.
    """
    context_id = request.path_params.get("searchContextId")
    log.warning("Database error on %s %s: %s: %s", request.method, request.url.path,
                type(exc).__name__, exc)
    if context_id is not None and not context_exists(request, str(context_id)):
        return error_response(404, f"Search context {str(context_id)[:100]!r} not found "
                              "(it was deleted while the request ran)")
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.OperationalError):
        return error_response(503, "The search context's database was busy or closed while "
                              "the request ran; try again", headers={"Retry-After": "1"})
    return error_response(500, "The search context's database failed; see the service's log")


def context_exists(request: Request, context_id: str) -> bool:
    """Whether the engine still knows ``context_id`` (the app keeps its engine in its state)."""
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        return True
    try:
        return context_id in engine.context_ids()
    except Exception:  # the answer is an error either way; keep it a 404/503
        log.debug("Could not list contexts", exc_info=True)
        return True


# OS errors that mean the client named something the file system can't take or place.
OS_ERROR_STATUS = {
    errno.ENAMETOOLONG: 400,
    errno.ELOOP: 400,
    errno.EINVAL: 400,
    errno.EEXIST: 409,
    errno.ENOTDIR: 409,
    errno.EISDIR: 409,
    errno.ENOTEMPTY: 409,
    errno.ENOENT: 404,
}


def engine_error_status(exc: EngineError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, BusyError):
        return 409
    if isinstance(exc, ImageDecodeError | InvalidArgumentError):
        return 400
    return 400


def storage_error_status(exc: StorageError) -> int:
    if isinstance(exc, UnsafePathError):
        return 400
    if isinstance(exc, StorageNotFoundError):
        return 404
    if isinstance(exc, StorageConflictError):
        return 409
    return 400
