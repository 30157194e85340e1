"""``lookalike serve`` as a real child process, as the desktop app starts it."""

from __future__ import annotations

import contextlib
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


# Refusals at start-up, clean stops, one service per data folder ------------------------------


def start_ready(tmp_path: Path, *extra: str, secret: str | None = SECRET
                ) -> tuple[subprocess.Popen[str], str]:
    """A child service on a free port, once it is listening, and its URL."""
    child = serve(tmp_path, "--port", "0", "--ready-line", *extra, secret=secret)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    match = re.fullmatch(r"LOOKALIKE_READY (http://127\.0\.0\.1:\d+)", line)
    if not match:
        child.kill()
        _, stderr = child.communicate(timeout=30)
        raise AssertionError(f"no ready line ({line!r}): {stderr}")
    return child, match.group(1)


def finish(child: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    """Wait for the child to end; its exit status and its stderr.

    Waits before communicate(): closing the child's stdin would itself stop a --ready-line child.
    """
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=timeout)
        _, stderr = child.communicate(timeout=timeout)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    return child.returncode, stderr


@pytest.mark.parametrize(("extra", "secret", "words"), [
    (("--client-id", "team"), "", "$LOOKALIKE_CLIENT_SECRET) is empty"),
    (("--client-id", "team", "--client-secret", "  "), None, "--client-secret"),
    (("--client-id", "", "--client-secret", "s3cret"), None, "--client-id is empty"),
])
def test_serve_refuses_blank_credentials(tmp_path: Path, extra: tuple[str, ...],
                                         secret: str | None, words: str) -> None:
    child = serve(tmp_path, "--port", "0", *extra, secret=secret)

    status, stderr = finish(child)

    assert status == 2
    assert words in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(("extra", "words"), [
    (("--port", "99999"), "argument --port: 99999 is not a port"),
    (("--port", "-1"), "argument --port: -1 is not a port"),
    (("--workers", "0"), "argument --workers: 0 is too few"),
    (("--workers", "-3"), "argument --workers: -3 is too few"),
])
def test_serve_arguments_out_of_range_are_one_line_errors(
        extra: tuple[str, ...], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    from lookalike.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--storage", str(EXAMPLES), *extra])

    assert stopped.value.code == 2
    errors = capsys.readouterr().err
    assert words in errors
    assert "Traceback" not in errors


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_service_cleanly(tmp_path: Path, signal_name: str) -> None:
    import signal

    child, url = start_ready(tmp_path, "--client-id", "desk")
    token = requests.post(url + "/connect/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": "desk", "client_secret": SECRET})
    assert token.status_code == 200

    child.send_signal(getattr(signal, signal_name))
    status, stderr = finish(child)

    assert status == 0, stderr
    assert f"Got {signal_name}: stopping" in stderr
    assert "Lookalike service stopped" in stderr
    assert "Traceback" not in stderr
    assert "leaked" not in stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_one_service_per_data_folder_and_tokens_survive_a_restart(tmp_path: Path) -> None:
    import signal

    first, url = start_ready(tmp_path, "--client-id", "desk")
    token = requests.post(url + "/connect/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": "desk",
        "client_secret": SECRET}).json()["access_token"]
    second = serve(tmp_path, "--port", "0", "--client-id", "desk")
    second_status, second_stderr = finish(second)
    first.send_signal(signal.SIGTERM)
    first_status, _ = finish(first)
    third, third_url = start_ready(tmp_path, "--client-id", "desk")
    try:
        created = requests.post(third_url + f"{SEARCH}/create", timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
    finally:
        third.send_signal(signal.SIGTERM)
        third_status, _ = finish(third)

    assert second_status == 1
    assert f"is in use by process {first.pid}" in second_stderr
    assert "another --data folder" in second_stderr
    assert first_status == 0 and third_status == 0
    assert created.status_code == 200, created.text


def test_a_killed_services_lock_does_not_block_the_next(tmp_path: Path) -> None:
    from lookalike.service.datalock import DataFolderInUseError, DataFolderLock

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, pathlib\n"
         "from lookalike.service.datalock import DataFolderLock\n"
         "lock = DataFolderLock(pathlib.Path(sys.argv[1])); lock.acquire()\n"
         "print('locked', flush=True); sys.stdin.read()", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(DataFolderInUseError, match=f"in use by process {holder.pid}"):
            DataFolderLock(tmp_path).acquire()
    finally:
        holder.kill()  # no clean-up runs: the OS must drop the lock
        holder.communicate()

    with DataFolderLock(tmp_path) as lock:
        assert (tmp_path / "service.lock").read_text() == str(os.getpid())
        with pytest.raises(DataFolderInUseError):
            DataFolderLock(tmp_path).acquire()
    assert lock.path.read_text() == ""
    with DataFolderLock(tmp_path):  # released on exit
        pass


ORPHAN_CHILD = """
import logging, os, sys, threading, time
from lookalike.service import server

logging.basicConfig(level=logging.INFO)
server.GRACEFUL_SHUTDOWN_S = 0
server.ORPHAN_EXIT_MARGIN_S = 0.3

class Uvicorn:
    should_exit = False

def busy_request():  # an engine call nobody can interrupt
    while True:
        time.sleep(0.05)

threading.Thread(target=busy_request).start()  # not a daemon: it would keep the process alive
server._stop_at_end_of_stdin(Uvicorn())
"""


def test_a_service_whose_app_is_gone_exits_even_while_a_request_runs() -> None:
    """The app was killed during a long request: its service must not run on as an orphan."""
    child = subprocess.Popen([sys.executable, "-c", ORPHAN_CHILD], stdin=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdin is not None
    child.stdin.close()  # what the app's death looks like to its service

    try:
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
        assert child.stderr is not None
        log_text = child.stderr.read()
        child.stderr.close()
    assert "the app that started the service is gone" in log_text
    assert "exiting now" in log_text
