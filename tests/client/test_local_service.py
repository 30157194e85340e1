"""LocalService: start, readiness, failures, stop, and recovery after the child is killed.

Start-up failures use small stand-in children (a ``python -c`` script) so each failure mode is
exact; recovery uses the real ``lookalike serve``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookalike.client import (
    ConnectionFailedError,
    ImagingClient,
    LocalService,
    LocalServiceError,
)
from lookalike.client.local_service import SECRET_ENV
from tests.client.conftest import copy_examples

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")


class StandIn(LocalService):
    """A LocalService whose child runs ``script`` instead of the real service."""

    def __init__(self, script: str, tmp_path: Path, **kwargs: object) -> None:
        super().__init__(storage_root=tmp_path, data_dir=tmp_path / "data", **kwargs)  # type: ignore[arg-type]
        self.script = script

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.script]


@contextlib.contextmanager
def stand_in(script: str, tmp_path: Path, **kwargs: object) -> Iterator[StandIn]:
    service = StandIn(script, tmp_path, **kwargs)
    try:
        yield service
    finally:
        service.stop(timeout=2)


READY_AND_WAIT = """
import os, sys, time
from pathlib import Path
Path({secret_file!r}).write_text(os.environ[{env!r}])
print("starting up")
print("LOOKALIKE_READY http://127.0.0.1:4321", flush=True)
time.sleep(60)
"""


# --- the command line ----------------------------------------------------------------------------


def test_the_child_is_this_program_serving_on_loopback(tmp_path: Path) -> None:
    service = LocalService(storage_root=tmp_path / "root", data_dir=tmp_path / "data", workers=2)

    command = service.command()

    assert command[:4] == [sys.executable, "-m", "lookalike", "serve"]
    options = {flag: value for flag, value in itertools.pairwise(command)
               if flag.startswith("--")}
    assert options["--host"] == "127.0.0.1"
    assert options["--port"] == "0"
    assert options["--storage"] == str(tmp_path / "root")
    assert options["--data"] == str(tmp_path / "data")
    assert options["--client-id"] == service.client_id
    assert options["--workers"] == "2"
    assert "--ready-line" in command
    assert "--client-secret" not in command


def test_a_frozen_app_starts_itself_with_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/Lookalike/lookalike")

    command = LocalService(storage_root=tmp_path, data_dir=tmp_path).command()

    assert command[:2] == ["/opt/Lookalike/lookalike", "serve"]
    assert "-m" not in command


# --- start-up with stand-in children -------------------------------------------------------------


def test_the_secret_travels_in_the_environment_and_changes_each_start(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    script = READY_AND_WAIT.format(secret_file=str(secret_file), env=SECRET_ENV)
    with stand_in(script, tmp_path) as service:
        service.start()
        first_secret = service.client_secret
        assert service.base_url == "http://127.0.0.1:4321"
        assert service.is_running()
        assert secret_file.read_text() == first_secret
        assert len(first_secret) >= 32

        service.restart()

        assert secret_file.read_text() == service.client_secret != first_secret
        assert service.endpoint().client_secret == service.client_secret
        assert first_secret not in repr(service.endpoint())


def test_a_child_that_exits_early_gives_its_last_error_line(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "print('2026-12-04 INFO starting', file=sys.stderr)\n"
        "print('ERROR Storage folder /nowhere does not exist', file=sys.stderr)\n"
        "sys.exit(2)\n"
    )
    with stand_in(script, tmp_path) as service:
        with pytest.raises(LocalServiceError) as failed:
            service.start()

        assert str(failed.value) == (
            "The local service exited (code 2) before it was ready: "
            "ERROR Storage folder /nowhere does not exist"
        )
        assert not service.is_running()


def test_a_child_that_never_gets_ready_times_out(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "print('waiting for a lock on the database', file=sys.stderr, flush=True)\n"
        "time.sleep(60)\n"
    )
    with stand_in(script, tmp_path, start_timeout=1.0) as service:
        started = time.monotonic()
        with pytest.raises(LocalServiceError) as failed:
            service.start()

        assert time.monotonic() - started < 10
        assert str(failed.value) == (
            "The local service did not start within 1 s: waiting for a lock on the database"
        )
        assert not service.is_running()
        assert service.pid is None


def test_a_ready_line_with_a_foreign_address_is_refused(tmp_path: Path) -> None:
    script = (
        "import time\n"
        "print('LOOKALIKE_READY http://0.0.0.0:80', flush=True)\n"
        "time.sleep(60)\n"
    )
    with stand_in(script, tmp_path) as service:
        with pytest.raises(LocalServiceError, match=r"unexpected URL 'http://0\.0\.0\.0:80'"):
            service.start()
        assert not service.is_running()


@posix_only
def test_stop_kills_a_child_that_ignores_sigterm(tmp_path: Path) -> None:
    script = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('LOOKALIKE_READY http://127.0.0.1:4321', flush=True)\n"
        "time.sleep(60)\n"
    )
    with stand_in(script, tmp_path) as service:
        service.start()
        pid = service.pid
        assert pid is not None

        started = time.monotonic()
        service.stop(timeout=0.5)

        assert time.monotonic() - started < 5
        assert not service.is_running()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        service.stop()  # idempotent


# --- the real service ----------------------------------------------------------------------------


@pytest.fixture
def real_service(tmp_path: Path) -> Iterator[tuple[LocalService, list[str]]]:
    restarts: list[str] = []
    service = LocalService(storage_root=copy_examples(tmp_path), data_dir=tmp_path / "data",
                           workers=1, on_restart=restarts.append)
    with service:
        yield service, restarts


def kill(service: LocalService) -> int:
    pid = service.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    return pid


def test_the_real_service_refuses_a_missing_storage_folder(tmp_path: Path) -> None:
    service = LocalService(storage_root=tmp_path / "missing", data_dir=tmp_path / "data")

    with pytest.raises(LocalServiceError) as failed:
        service.start()

    assert "exited (code 2)" in str(failed.value)
    assert str(tmp_path / "missing") in str(failed.value)
    assert "does not exist" in str(failed.value)


@posix_only
def test_after_a_kill_ensure_running_brings_back_the_same_data(
    real_service: tuple[LocalService, list[str]]
) -> None:
    service, restarts = real_service
    with service.make_client() as client:
        context = client.create_search_context().context_id
        client.create_search_image(context, "ComparableImage.jpg")
    stale = service.make_client(retries=0)
    old_pid = kill(service)

    with pytest.raises(ConnectionFailedError):
        stale.list_images(context)
    stale.close()
    assert service.ensure_running(grace=10) is True  # the grace lets a loaded machine reap it
    assert service.ensure_running() is False

    assert service.pid != old_pid
    (reason,) = restarts
    assert reason.startswith(f"exit code {-signal.SIGKILL}")
    with service.make_client() as client:
        assert client.list_images(context) == ["ComparableImage.jpg"]


@posix_only
def test_a_recovering_client_loses_no_request_when_the_child_dies(
    real_service: tuple[LocalService, list[str]]
) -> None:
    service, restarts = real_service
    client = service.make_client(recover=True)
    context = client.create_search_context().context_id
    old_url = client.base_url
    kill(service)

    client.create_search_image(context, "ComparingImageSimilar75.jpg")  # a POST, sent once

    assert len(restarts) == 1
    assert client.base_url != old_url
    assert client.list_images(context) == ["ComparingImageSimilar75.jpg"]
    client.close()


@posix_only
def test_threads_sharing_a_recovering_client_restart_the_child_once(
    real_service: tuple[LocalService, list[str]]
) -> None:
    service, restarts = real_service
    client: ImagingClient = service.make_client(recover=True)
    context = client.create_search_context().context_id
    kill(service)
    errors: list[BaseException] = []
    added: list[str] = []

    def add(n: int) -> None:
        try:
            client.create_search_image(context, f"FindSimilar/{n}.jpg")
            added.append(f"FindSimilar/{n}.jpg")
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(restarts) == 1
    assert sorted(client.list_images(context)) == sorted(added)
    assert len(added) == 6
    client.close()


@posix_only
def test_a_service_stopped_on_purpose_is_not_brought_back(
    real_service: tuple[LocalService, list[str]]
) -> None:
    service, restarts = real_service
    client = service.make_client(recover=True, retries=0)
    client.create_search_context()

    service.stop()
    with pytest.raises(ConnectionFailedError):
        client.create_search_context()

    assert not service.is_running()
    assert restarts == []
    with pytest.raises(LocalServiceError, match="not running"):
        service.make_client()
    client.close()
