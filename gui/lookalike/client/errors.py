"""Errors the client raises, so callers can tell "the server said no" from "no server"."""

from __future__ import annotations


class ClientError(Exception):
    """Base class of every error the client raises on purpose."""


class ApiError(ClientError):
    """The server answered with an error status; ``message`` is the server's own words.

    ``code`` is the server's error code when it sent one (Aspose sends e.g. "NotFound").
    """

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(f"{message} (HTTP {status})")
        self.status = status
        self.code = code
        self.message = message


class AuthenticationError(ApiError):
    """The server refused the client id or secret, or a freshly fetched token."""


class UnsupportedError(ClientError):
    """The server lacks an operation that only Lookalike's own service offers."""


class ConnectionFailedError(ClientError):
    """The server could not be reached (refused, reset, DNS) or stopped answering.

    ``request_sent`` is False only when the request surely never reached the server (the
    connection was refused), so even a non-idempotent call may be sent again.
    """

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class RequestTimeoutError(ConnectionFailedError):
    """The server accepted the connection but did not answer within the read timeout."""


class ProtocolError(ClientError):
    """The server answered 2xx with a body this client cannot understand."""


class WaitTimeoutError(ClientError):
    """A search context was still busy when ``wait_idle`` gave up."""
