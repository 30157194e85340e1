"""Without auth, answer only requests that really come from this machine's own programs.

A service with no client secret relies on listening on a loopback address; that alone does not
keep browsers out. A web page whose DNS name is re-pointed to 127.0.0.1 ("DNS rebinding") is
same-origin with the service and could read and delete the storage, and any page can send
"simple" cross-site POSTs without a preflight. So, when auth is off, the Host header must name a
loopback address or "localhost" (else 421), and a request that carries an Origin header must come
from a loopback origin (else 403). Programs (the SDKs, curl, our client) send a loopback Host and
no Origin, so they are not affected. With auth on, neither header is restricted: a browser has no
token to send.
"""

from __future__ import annotations

import ipaddress
import logging
import urllib.parse

from starlette.types import ASGIApp, Receive, Scope, Send

from lookalike.service.errors import error_body, send_json

log = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"localhost", "localhost."})
_SHOWN_HEADER_CHARS = 100


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or address, IPv6 possibly in brackets) is this machine."""
    name = host.strip().lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def host_of_authority(authority: str) -> str:
    """"127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "[::1]", "localhost" -> "localhost"."""
    authority = authority.strip()
    if authority.startswith("["):
        return authority[: authority.find("]") + 1] if "]" in authority else authority
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def is_loopback_origin(origin: str) -> bool:
    """Whether an Origin header names a page served from this machine ("null" is not)."""
    parsed = urllib.parse.urlsplit(origin.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return False
    return is_loopback_host(host_of_authority(parsed.netloc))


class LoopbackOnlyMiddleware:
    """Refuses requests whose Host or Origin is not this machine (used when auth is off)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1")
                   for name, value in scope.get("headers", ())}
        host = headers.get("host")
        origin = headers.get("origin")
        # HTTP/1.0 clients may send no Host; browsers always send one.
        if host is not None and not is_loopback_host(host_of_authority(host)):
            log.warning("Refused %s %s for Host %r: no auth, loopback names only",
                        scope.get("method"), scope.get("path"), host[:_SHOWN_HEADER_CHARS])
            message = (f"Host {host[:_SHOWN_HEADER_CHARS]!r} is not served: without a client "
                       "secret this service answers only to 127.0.0.1, [::1] or localhost")
            await send_json(send, 421, error_body(421, message), close=True)
            return
        if origin is not None and not is_loopback_origin(origin):
            log.warning("Refused %s %s from Origin %r: no auth, no cross-site requests",
                        scope.get("method"), scope.get("path"), origin[:_SHOWN_HEADER_CHARS])
            message = (f"Cross-site request from Origin {origin[:_SHOWN_HEADER_CHARS]!r} "
                       "refused: without a client secret this service answers only to programs "
                       "on this machine, not to web pages")
            await send_json(send, 403, error_body(403, message), close=True)
            return
        await self.app(scope, receive, send)
