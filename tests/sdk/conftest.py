"""The official Python SDK (aspose-imaging-cloud 25.4) against our real service.

The service runs in a uvicorn thread on 127.0.0.1 with client-credentials auth; the SDK fetches
its token from /connect/token as it does from Aspose Cloud.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lookalike.engine import Engine
from lookalike.service.app import create_app
from lookalike.service.server import ServerThread

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "aspose-examples"
CLIENT_ID = "sdk-tests"
CLIENT_SECRET = "sdk-secret-value"


@dataclass
class Setup:
    api: Any
    url: str
    storage: Path
    downloads: Path
    engine: Engine


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with Engine(tmp_path_factory.mktemp("sdk-contexts"), workers=2, task_timeout=30) as shared:
        yield shared


def make_api(url: str, client_id: str, client_secret: str, downloads: Path) -> Any:
    import asposeimagingcloud

    api = asposeimagingcloud.ImagingApi(client_secret, client_id, base_url=url)
    api.api_client.configuration.temp_folder_path = str(downloads)
    return api


def close_api(api: Any) -> None:
    api.api_client.pool.close()
    api.api_client.pool.join()
    api.api_client.rest_client.pool_manager.clear()


@pytest.fixture(autouse=True)
def restore_sdk_loggers() -> Iterator[None]:
    """Each SDK client adds handlers to these loggers and sets their level: undo it."""
    watched = [logging.getLogger("asposeimagingcloud"), logging.getLogger("urllib3")]
    saved = [(logger, list(logger.handlers), logger.level) for logger in watched]
    yield
    for logger, handlers, level in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)


@pytest.fixture
def sdk(engine: Engine, tmp_path: Path) -> Iterator[Setup]:
    storage = tmp_path / "storage"
    shutil.copytree(EXAMPLES, storage)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    app = create_app(engine, storage, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with ServerThread(app) as server:
        api = make_api(server.url, CLIENT_ID, CLIENT_SECRET, downloads)
        yield Setup(api, server.url, storage, downloads, engine)
        close_api(api)
