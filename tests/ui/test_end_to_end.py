"""The window on the real local service (a child process running the engine)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lookalike.client import LocalService
from lookalike.ui.app import make_backend_factory
from lookalike.ui.main_window import AppPaths, MainWindow
from lookalike.ui.settings import AppSettings
from tests.ui.conftest import AnsweringPrompts
from tests.ui.helpers import drop, file_mime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT.parent / "shared" / "data" / "aspose-examples"


@pytest.fixture
def real_window(
    qtbot: Any, app_paths: AppPaths, app_settings: AppSettings
) -> Iterator[tuple[MainWindow, AnsweringPrompts]]:
    prompts = AnsweringPrompts()
    window = MainWindow(app_settings, app_paths, make_backend_factory(app_paths), prompts=prompts,
                        health_interval_ms=500)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.start()
    yield window, prompts
    window.shutdown()


def service_of(window: MainWindow) -> LocalService:
    backend = window.bridge.worker.backend
    assert backend is not None
    service = backend.service  # type: ignore[attr-defined]
    assert isinstance(service, LocalService)
    return service


def test_temple_tag_search_shows_exactly_what_the_engine_ranks(
    real_window: tuple[MainWindow, AnsweringPrompts], qtbot: Any
) -> None:
    window, prompts = real_window
    with qtbot.waitSignal(window.indexing.finished, timeout=120_000) as finished:
        window.add_folder(str(EXAMPLES))
    assert finished.args == [False]
    assert window.library.problems() == []

    prompts.texts = ["temple"]
    new_tag = window.sidebar.visualItemRect(window.sidebar.item(0)).center()
    drop(window.sidebar.viewport(), new_tag, file_mime([EXAMPLES / "ComparingImageSimilar75.jpg"]))
    qtbot.waitUntil(lambda: isinstance(window.sidebar.count_of("temple"), int)
                    and window.sidebar.count_of("temple") > 0, timeout=60_000)

    window.search_bar.tags_edit.setText("temple")
    window.search_bar.search_button.click()
    qtbot.waitUntil(lambda: window.message.text().startswith(
        tuple(f"{n} image" for n in range(1, 1000))), timeout=60_000)

    query = window.search_bar.query()
    with service_of(window).make_client() as client:
        expected = client.find_by_tags(window.bridge.context_id, ["temple"],
                                       threshold=query.threshold, max_count=query.max_count)
    model = window.model
    shown = [(model.item(row).image_id, model.item(row).score) for row in range(model.rowCount())]
    assert expected, "the engine found nothing like the temple"
    assert shown == [(result.image_id, result.similarity) for result in expected]
    anchor = Path(Path.home().anchor)
    assert [model.item(row).path for row in range(model.rowCount())] == [
        str(anchor / result.image_id) for result in expected
    ]
    assert window.sidebar.count_of("temple") == len(expected)


def test_the_service_comes_back_after_its_process_is_killed(
    real_window: tuple[MainWindow, AnsweringPrompts], qtbot: Any
) -> None:
    window, _prompts = real_window
    service = service_of(window)
    first_pid = service.pid
    assert first_pid is not None
    context_id = window.bridge.context_id

    os.kill(first_pid, signal.SIGKILL)

    qtbot.waitUntil(lambda: service.pid not in (None, first_pid) and service.is_running(),
                    timeout=60_000)
    qtbot.waitUntil(lambda: window.message.text() == "The search service was restarted",
                    timeout=30_000)
    assert window.bridge.context_id == context_id  # the same library, on disk
    window.tag_store.create("nothing-tagged-yet")  # a tag, so the search reaches the service
    window.search_bar.tags_edit.setText("nothing-tagged-yet")
    window.search_bar.search_button.click()
    qtbot.waitUntil(lambda: window.message.text().startswith("0 images for nothing-tagged-yet"),
                    timeout=30_000)


def test_smoke_test_starts_the_service_and_quits_cleanly(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    done = subprocess.run(
        [sys.executable, "-m", "lookalike", "--smoke-test"], env=env, capture_output=True,
        text=True, timeout=120, check=False, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == ""
    assert "Smoke test: the service answered" in done.stderr
    assert not (tmp_path / "data").exists()  # a throw-away folder, not the user's library


def test_sigterm_quits_cleanly_and_stops_the_service(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    app = subprocess.Popen([sys.executable, "-m", "lookalike"], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        log_file = tmp_path / "state" / "Lookalike" / "log" / "lookalike.log"
        deadline = time.monotonic() + 60
        while "Local service ready" not in (log_file.read_text() if log_file.exists() else ""):
            assert time.monotonic() < deadline, "the service did not start"
            assert app.poll() is None, app.stderr.read() if app.stderr else ""
            time.sleep(0.1)
        service_pid = int(log_file.read_text().split("(pid ")[1].split(")")[0])

        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=30) == 0
    finally:
        if app.poll() is None:
            app.kill()
        app.communicate()
    with pytest.raises(ProcessLookupError):
        os.kill(service_pid, 0)
    assert (tmp_path / "config" / "Lookalike" / "Lookalike.ini").exists()  # state was saved
