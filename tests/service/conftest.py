"""Fixtures for the service tests: one engine per session, a real uvicorn per test.

Each test gets its own storage root (a copy of Aspose's sample images) and its own server on
127.0.0.1 with a free port; search contexts are cheap, so the engine and its worker processes
are shared by the whole session.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from lookalike.engine import Engine
from lookalike.service.app import create_app
from lookalike.service.server import ServerThread

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "aspose-examples"
BAD_IMAGES = EXAMPLES.parent / "bad-images"
CLIENT_ID = "service-tests"
CLIENT_SECRET = "correct horse battery staple"
SEARCH = "/v3.0/imaging/ai/imageSearch"
STORAGE = "/v3.0/imaging/storage"
TIMEOUT = 60


@dataclass
class Service:
    """A running service and a requests session that carries its token."""

    url: str
    storage: Path
    engine: Engine
    session: requests.Session

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.url + path, **kwargs)

    def create_context(self) -> str:
        response = self.call("POST", f"{SEARCH}/create")
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def index_folder(self, context_id: str, folder: str) -> dict[str, Any]:
        response = self.call("POST", f"{SEARCH}/{context_id}/features",
                             params={"imagesFolder": folder})
        assert response.status_code == 200, response.text
        self.engine.wait_idle(context_id, timeout=TIMEOUT)
        status = self.call("GET", f"{SEARCH}/{context_id}/status").json()
        assert status["searchStatus"] == "Idle"
        return dict(status)


def fetch_token(url: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET,
                path: str = "/connect/token") -> requests.Response:
    return requests.post(url + path, timeout=TIMEOUT, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
    })


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with Engine(tmp_path_factory.mktemp("contexts"), workers=2, task_timeout=30) as shared:
        yield shared


@pytest.fixture
def storage_root(tmp_path: Path) -> Path:
    root = tmp_path / "storage"
    shutil.copytree(EXAMPLES, root)
    return root


@pytest.fixture
def make_service(engine: Engine, storage_root: Path
                 ) -> Iterator[Callable[..., Service]]:
    """Starts a service with create_app's keyword arguments; auth on unless told otherwise."""
    running: list[tuple[ServerThread, requests.Session]] = []

    def make(**kwargs: Any) -> Service:
        kwargs.setdefault("client_id", CLIENT_ID)
        kwargs.setdefault("client_secret", CLIENT_SECRET)
        server = ServerThread(create_app(engine, storage_root, **kwargs)).__enter__()
        session = requests.Session()
        running.append((server, session))
        if kwargs["client_secret"] is not None:
            token = fetch_token(server.url, kwargs["client_id"], kwargs["client_secret"])
            assert token.status_code == 200, token.text
            session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        return Service(server.url, storage_root, engine, session)

    yield make
    for server, session in running:
        session.close()
        server.stop()


@pytest.fixture
def service(make_service: Callable[..., Service]) -> Service:
    return make_service()


def assert_error(response: requests.Response, status: int, *words: str) -> str:
    """The answer is Aspose's error body with ``status``; its message holds every word."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "description", "innerError"}
    assert set(error["innerError"]) == {"requestId", "date"}
    message = str(error["message"])
    for word in words:
        assert word in message, message
    assert "Traceback" not in response.text
    return message
