"""OAuth 2 client credentials, as Aspose's SDK uses them: a token from /connect/token, then Bearer.

Tokens are signed, not stored: ``<expiry ms>.<nonce>.<HMAC-SHA256>``, so nothing grows with the
number issued. ``lookalike serve`` keeps the signing key in a file of its data folder, so tokens
stay valid across restarts of the same service (Aspose's SDK fetches a token only when it has
none, and never again after a 401); without a key (tests, the desktop app) each process makes its
own. A token is good for its lifetime only. With no client id and secret configured, auth is off:
the token endpoint still answers (the SDK always asks for a token) and requests need none.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lookalike.service.errors import ApiError
from lookalike.service.models import ErrorResponse, TokenResponse

log = logging.getLogger(__name__)

DEFAULT_TOKEN_LIFETIME_S = 3600.0
TOKEN_PATHS = ("/connect/token", "/oauth2/token")
SIGNING_KEY_FILE = "token-signing.key"
SIGNING_KEY_BYTES = 32
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def check_credentials(client_id: str | None, client_secret: str | None) -> None:
    """Refuse half-given or blank credentials: an empty secret would let anyone in.

    Raises:
        ValueError: with a message naming what is missing or blank.
    """
    if (client_id is None) != (client_secret is None):
        raise ValueError("Give both a client id and a client secret, or neither")
    if client_id is not None and not client_id.strip():
        raise ValueError("The client id is empty: give a non-blank client id")
    if client_secret is not None and not client_secret.strip():
        raise ValueError("The client secret is empty: give a non-blank client secret")


def load_signing_key(data_dir: Path) -> bytes:
    """The token signing key kept in ``data_dir`` (made on first use, readable by us only).

    Keeping it lets tokens outlive a restart of the service. A file of the wrong size (cut short
    by a crash) is replaced with a new key, which only invalidates the tokens issued so far.
    """
    path = data_dir / SIGNING_KEY_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = b""
    if len(key) == SIGNING_KEY_BYTES:
        return key
    if key:
        log.warning("Token signing key %s is damaged; making a new one", path)
        path.unlink(missing_ok=True)
    key = secrets.token_bytes(SIGNING_KEY_BYTES)
    temp = path.with_name(f".{SIGNING_KEY_FILE}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    os.replace(temp, path)
    log.info("Made a new token signing key in %s", path)
    return key


class TokenIssuer:
    """Checks client credentials, issues bearer tokens and verifies them."""

    def __init__(
        self,
        client_id: str | None,
        client_secret: str | None,
        *,
        lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S,
        clock: Callable[[], float] = time.time,
        signing_key: bytes | None = None,
    ) -> None:
        check_credentials(client_id, client_secret)
        self._client_id = client_id
        self._client_secret = client_secret
        self.lifetime_s = lifetime_s
        self._clock = clock
        self._key = signing_key or secrets.token_bytes(SIGNING_KEY_BYTES)

    @property
    def enabled(self) -> bool:
        return self._client_secret is not None

    def credentials_match(self, client_id: str, client_secret: str) -> bool:
        """Constant-time check of both values (both are always compared)."""
        if self._client_id is None or self._client_secret is None:
            return True
        id_ok = hmac.compare_digest(client_id.encode(), self._client_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self._client_secret.encode())
        return id_ok and secret_ok

    def issue(self) -> str:
        expiry_ms = int((self._clock() + self.lifetime_s) * 1000)
        payload = f"{expiry_ms}.{secrets.token_urlsafe(12)}"
        return f"{payload}.{self._sign(payload)}"

    def problem_with(self, token: str) -> str | None:
        """None for a valid token, else why it is refused (one short line)."""
        payload, _, signature = token.rpartition(".")
        expiry_text = payload.split(".", 1)[0]
        if not payload or not hmac.compare_digest(signature.encode(),
                                                  self._sign(payload).encode()):
            return "Access token is not valid: get a new one from /connect/token"
        if not expiry_text.isdigit() or int(expiry_text) <= int(self._clock() * 1000):
            return "Access token has expired: get a new one from /connect/token"
        return None

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()


_bearer = HTTPBearer(auto_error=False, description="A token from POST /connect/token")


def token_dependency(issuer: TokenIssuer) -> Callable[..., None]:
    """A FastAPI dependency that refuses a request without a valid bearer token (401)."""

    def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if not issuer.enabled:
            return
        if credentials is None:
            raise ApiError(
                401, "Missing bearer token: send 'Authorization: Bearer <token from "
                "/connect/token>'", headers=_CHALLENGE,
            )
        problem = issuer.problem_with(credentials.credentials)
        if problem is not None:
            raise ApiError(401, problem, headers=_CHALLENGE)

    return require_token


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(client id, secret) from an HTTP Basic header: RFC 6749's ``client_secret_basic``.

    None when the header is not Basic. The two halves are form-urlencoded before the base64, as
    the RFC says (section 2.3.1); a malformed header is a 401 that says so.
    """
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, "Malformed HTTP Basic credentials: send base64 of "
                       "'<client id>:<client secret>'", code="invalid_client") from None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise ApiError(401, "Malformed HTTP Basic credentials: no ':' between client id and "
                       "client secret", code="invalid_client")
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(client_secret)


def token_router(issuer: TokenIssuer) -> APIRouter:
    """POST /connect/token (and /oauth2/token): the client-credentials grant."""
    router = APIRouter(tags=["auth"])

    def issue_token(
        request: Request,
        grant_type: Annotated[str, Form(description="must be client_credentials")],
        client_id: Annotated[str, Form()] = "",
        client_secret: Annotated[str, Form()] = "",
    ) -> TokenResponse:
        if grant_type != "client_credentials":
            raise ApiError(400, f"Unsupported grant_type {grant_type!r}: use client_credentials",
                           code="unsupported_grant_type")
        basic = basic_credentials(request.headers.get("authorization", ""))
        if basic is not None and not client_id and not client_secret:
            client_id, client_secret = basic
        if not issuer.credentials_match(client_id, client_secret):
            log.warning("Refused a token to client id %r: wrong credentials", client_id[:64])
            raise ApiError(401, "Client id or client secret is wrong", code="invalid_client",
                           headers=_CHALLENGE)
        return TokenResponse(access_token=issuer.issue(), expires_in=int(issuer.lifetime_s))

    responses: dict[int | str, dict[str, object]] = {
        400: {"model": ErrorResponse}, 401: {"model": ErrorResponse},
    }
    for path in TOKEN_PATHS:
        router.add_api_route(
            path, issue_token, methods=["POST"], response_model=TokenResponse,
            responses=responses, summary="Get a bearer token (client credentials)",
            operation_id="issue_token" if path == TOKEN_PATHS[0] else None,
            include_in_schema=path == TOKEN_PATHS[0],
        )
    return router
