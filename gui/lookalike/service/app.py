"""The FastAPI application: Aspose's v3.0 image-search and storage API over one engine.

Every operation answers under ``/v3.0`` (the SDKs) and ``/v3`` (Aspose's curl tutorials); only
the first is described in the OpenAPI document, so each operation appears there once. The token
endpoints sit outside both prefixes, where the SDKs ask for them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import Depends, FastAPI

from lookalike import __version__
from lookalike.engine import Engine
from lookalike.service.auth import (
    DEFAULT_TOKEN_LIFETIME_S,
    TokenIssuer,
    token_dependency,
    token_router,
)
from lookalike.service.bodies import (
    DEFAULT_BODY_IDLE_TIMEOUT_S,
    DEFAULT_MAX_BODY_BYTES,
    RequestGuardMiddleware,
)
from lookalike.service.errors import install_error_handlers
from lookalike.service.loopback import LoopbackOnlyMiddleware
from lookalike.service.search_routes import search_router
from lookalike.service.storage import StorageRoot
from lookalike.service.storage_routes import storage_router

log = logging.getLogger(__name__)

API_PREFIXES = ("/v3.0", "/v3")

DESCRIPTION = """\
Lookalike's image search service. It speaks Aspose.Imaging Cloud's v3.0 `imaging/ai/imageSearch`
and `imaging/storage` API, so the official SDKs and Aspose's tutorials work against it offline.
Image ids and folders are paths relative to the service's storage root. Every operation also
answers under `/v3`. Errors come as `{"error": {"code", "message", "description",
"innerError": {"requestId", "date"}}}`.
"""


def create_app(
    engine: Engine,
    storage_root: Path,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    token_lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S,
    signing_key: bytes | None = None,
    body_idle_timeout_s: float = DEFAULT_BODY_IDLE_TIMEOUT_S,
) -> FastAPI:
    """The application over ``engine``; with a client id and secret, calls need a token.

    Without them, only loopback Host names and no cross-site Origin are answered (see
    :mod:`lookalike.service.loopback`). ``signing_key`` signs tokens (a random one if None).

    Raises:
        ValueError: only one of ``client_id`` and ``client_secret`` was given, or one is blank.
        FileNotFoundError, NotADirectoryError: ``storage_root`` is not an existing folder.
    """
    storage = StorageRoot(Path(storage_root))
    issuer = TokenIssuer(client_id, client_secret, lifetime_s=token_lifetime_s,
                         signing_key=signing_key)
    app = FastAPI(
        title="Lookalike image search",
        version=__version__,
        description=DESCRIPTION,
        # FastAPI's /docs and /redoc pages load their scripts from a CDN; the service is meant to
        # work offline, so only the document itself is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine  # the error handlers ask it whether a context still exists
    install_error_handlers(app)
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=max_body_bytes,
                       body_idle_timeout_s=body_idle_timeout_s)
    if not issuer.enabled:
        app.add_middleware(LoopbackOnlyMiddleware)  # added last: runs first
    app.include_router(token_router(issuer))

    needs_token = [Depends(token_dependency(issuer))]
    routers = (search_router(engine, storage), storage_router(storage))
    for prefix in API_PREFIXES:
        for router in routers:
            app.include_router(
                router, prefix=prefix, dependencies=needs_token,
                include_in_schema=prefix == API_PREFIXES[0],
            )
    log.debug("service app over %s, auth %s, body limit %d bytes", storage.root,
              "on" if issuer.enabled else "off", max_body_bytes)
    return app
