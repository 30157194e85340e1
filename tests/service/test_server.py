"""``lookalike serve`` as a real child process, as the desktop app starts it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from lookalike.client import LocalService
from tests.service.conftest import EXAMPLES, SEARCH

SECRET = "child-secret"


def serve(tmp_path: Path, *extra: str, secret: str | None = SECRET
          ) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("LOOKALIKE_CLIENT_SECRET", None)
    if secret is not None:
        env["LOOKALIKE_CLIENT_SECRET"] = secret
    command = [sys.executable, "-m", "lookalike", "serve", "--storage", str(EXAMPLES),
               "--data", str(tmp_path / "data"), "--workers", "1", *extra]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_serve_announces_readiness_and_stops_when_stdin_closes(tmp_path: Path) -> None:
    child = serve(tmp_path, "--port", "0", "--ready-line", "--client-id", "desk")
    try:
        assert child.stdout is not None and child.stdin is not None
        line = child.stdout.readline().strip()
        match = re.fullmatch(r"LOOKALIKE_READY (http://127\.0\.0\.1:(\d+))", line)
        assert match, line
        url = match.group(1)
        token = requests.post(url + "/connect/token", timeout=10, data={
            "grant_type": "client_credentials", "client_id": "desk", "client_secret": SECRET})
        created = requests.post(url + f"{SEARCH}/create", timeout=10,
                                headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        refused = requests.post(url + f"{SEARCH}/create", timeout=10)

        assert created.status_code == 200
        assert refused.status_code == 401
        child.stdin.close()
        assert child.wait(timeout=30) == 0
        assert child.stdout.read() == ""  # exactly one line on stdout
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stderr is not None
        stderr = child.stderr.read()
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert f"listening on {url}" in stderr


def test_serve_refuses_an_open_network_address_without_credentials(tmp_path: Path) -> None:
    child = serve(tmp_path, "--host", "0.0.0.0", "--port", "0", secret=None)

    _, stderr = child.communicate(timeout=30)

    assert child.returncode == 2
    assert "Refusing to serve on 0.0.0.0 without a client id and secret" in stderr


def test_serve_wants_both_id_and_secret(tmp_path: Path) -> None:
    child = serve(tmp_path, "--port", "0")  # a secret in the environment, no id

    _, stderr = child.communicate(timeout=30)

    assert child.returncode == 2
    assert "--client-id" in stderr


@pytest.mark.timeout(120)
def test_the_desktop_apps_local_service_runs_us(tmp_path: Path) -> None:
    with LocalService(storage_root=EXAMPLES, data_dir=tmp_path / "data", workers=1) as local:
        assert local.base_url.startswith("http://127.0.0.1:")
        with local.make_client() as client:
            status = client.create_search_context()
            client.create_search_image(status.context_id, "FindSimilar/2.jpg")
            results = client.find_similar(status.context_id, image_id="ComparableImage.jpg",
                                          threshold=50, max_count=3)

    assert results[0].image_id == "FindSimilar/2.jpg"
    assert not local.is_running()


def test_the_listening_socket_lets_asyncio_disable_nagle() -> None:
    """Without proto=IPPROTO_TCP asyncio leaves Nagle on: each answer then waits ~40 ms."""
    import socket

    from lookalike.service.server import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[0] == "127.0.0.1"
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()
