"""Fixtures for the client tests: a recording server, the official SDK, our client."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lookalike.client import ImagingClient
from tests.client.recorder import RecordingServer

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
