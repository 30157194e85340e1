"""OAuth 2 client credentials, as Aspose's SDK uses them: a token from /connect/token, then Bearer.

Tokens are signed, not stored: ``<expiry ms>.<nonce>.<HMAC-SHA256>`` under a key made afresh for
each service process, so a restart invalidates them and nothing grows with the number issued.
With no client id and secret configured, auth is off: the token endpoint still answers (the SDK
always asks for a token) and requests need none.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lookalike.service.errors import ApiError
from lookalike.service.models import ErrorResponse, TokenResponse

log = logging.getLogger(__name__)

DEFAULT_TOKEN_LIFETIME_S = 3600.0
TOKEN_PATHS = ("/connect/token", "/oauth2/token")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class TokenIssuer:
    """Checks client credentials, issues bearer tokens and verifies them."""

    def __init__(
        self,
        client_id: str | None,
        client_secret: str | None,
        *,
        lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (client_id is None) != (client_secret is None):
            raise ValueError("Give both a client id and a client secret, or neither")
        self._client_id = client_id
        self._client_secret = client_secret
        self.lifetime_s = lifetime_s
        self._clock = clock
        self._key = secrets.token_bytes(32)

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


def token_router(issuer: TokenIssuer) -> APIRouter:
    """POST /connect/token (and /oauth2/token): the client-credentials grant."""
    router = APIRouter(tags=["auth"])

    def issue_token(
        grant_type: Annotated[str, Form(description="must be client_credentials")],
        client_id: Annotated[str, Form()] = "",
        client_secret: Annotated[str, Form()] = "",
    ) -> TokenResponse:
        if grant_type != "client_credentials":
            raise ApiError(400, f"Unsupported grant_type {grant_type!r}: use client_credentials",
                           code="unsupported_grant_type")
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
