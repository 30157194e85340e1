"""Fixtures for the client tests: a recording server, the official SDK, our client, and a real
``lookalike serve`` child on copies of Aspose's sample images."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lookalike.client import ImagingClient, LocalService
from tests.client.recorder import RecordingServer

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "aspose-examples"
BAD_IMAGES = EXAMPLES.parent / "bad-images"

CLIENT_ID = "test-client"
CLIENT_SECRET = "s3cret-value-never-logged"


@pytest.fixture
def recorder() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


@pytest.fixture
def make_client() -> Iterator[Callable[..., ImagingClient]]:
    """Builds clients with test credentials and no retry delay; closes them afterwards."""
    clients: list[ImagingClient] = []

    def make(base_url: str, **kwargs: Any) -> ImagingClient:
        kwargs.setdefault("client_id", CLIENT_ID)
        kwargs.setdefault("client_secret", CLIENT_SECRET)
        kwargs.setdefault("backoff", 0)
        kwargs.setdefault("read_timeout", 30)
        client = ImagingClient(base_url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sdk_api(recorder: RecordingServer, tmp_path: Path) -> Iterator[Any]:
    """The official SDK pointed at the recorder; undoes its thread pool and logging changes."""
    import asposeimagingcloud

    watched = [logging.getLogger("asposeimagingcloud"), logging.getLogger("urllib3")]
    saved = [(logger, list(logger.handlers), logger.level) for logger in watched]
    api = asposeimagingcloud.ImagingApi(CLIENT_SECRET, CLIENT_ID, base_url=recorder.url)
    api.api_client.configuration.temp_folder_path = str(tmp_path)  # downloads land here
    yield api
    api.api_client.pool.close()
    api.api_client.pool.join()
    api.api_client.rest_client.pool_manager.clear()
    for logger, handlers, level in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)


def copy_examples(root: Path) -> Path:
    """A storage root holding a writable copy of Aspose's sample images."""
    storage = root / "storage"
    shutil.copytree(EXAMPLES, storage)
    return storage


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_examples(tmp_path_factory.mktemp("service"))


@pytest.fixture(scope="module")
def service(storage: Path) -> Iterator[LocalService]:
    """One real service child for a whole test module (it takes about half a second to start)."""
    with LocalService(storage_root=storage, data_dir=storage.parent / "data", workers=1) as child:
        yield child


@pytest.fixture
def client(service: LocalService) -> Iterator[ImagingClient]:
    with service.make_client(read_timeout=60) as made:
        yield made
