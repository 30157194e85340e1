"""Indexing that does not finish the normal way (findings T2, T8, T9): the service dies and comes
back, the user cancels, or the server can't be reached. The user is told how far it got, the rest
is resumed when it can be, and connection errors stay out of the Problems panel."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from lookalike.ui import backend_worker
from tests.ui.conftest import Harness
from tests.ui.helpers import image_id, make_photos

NAMES = [f"p{n}.jpg" for n in range(5)]


def kill_service_at(h: Harness, done_at: int) -> list[int]:
    """Kill the fake service once indexing reports ``done_at`` files: its extraction dies."""
    killed: list[int] = []

    def on_progress(_folder: str, done: int, _total: int) -> None:
        if done >= done_at and not killed:
            killed.append(done)
            with h.client.lock:
                h.client._extraction = None  # the running extraction dies with the process
            h.backend.alive = False
            h.client.down = True

    h.window.indexing.progress.connect(on_progress)
    return killed


def test_indexing_resumes_after_the_service_restarts(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "big", NAMES)
    h = make_harness(step=1)
    killed = kill_service_at(h, 2)
    progress: list[tuple[int, int]] = []
    h.window.indexing.progress.connect(lambda _f, done, total: progress.append((done, total)))

    with qtbot.waitSignal(h.window.indexing.finished, timeout=15_000) as finished:
        h.window.add_folder(str(folder))

    assert killed == [2]
    assert finished.args == [False]
    assert h.backend.restarts == 1
    asked = [call["images_folder"] for call in h.client.calls_to("create_image_features")]
    assert asked == [image_id(folder), image_id(folder)]  # the folder was asked for again
    assert set(h.client.indexed) == {image_id(folder / name) for name in NAMES}
    assert progress[-1] == (5, 5)
    assert h.window.message.text() == "Library indexed: 5 images in the library"
    assert h.window.problems.rows() == []


def test_indexing_that_cannot_resume_says_so_in_the_status_bar(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "big", NAMES)
    h = make_harness(step=1)
    h.backend.can_restart = False
    kill_service_at(h, 2)

    with qtbot.waitSignal(h.window.indexing.finished, timeout=15_000) as finished:
        h.window.add_folder(str(folder))

    assert finished.args == [False]
    assert h.window.message.text() == (
        "Indexing of big was interrupted; press F5 to finish. "
        "(Can't start the fake service: it exits at once)"
    )
    assert h.window.problems.rows() == []  # no file is to blame
    assert not h.window.indexing_status.isVisible()


def cancel_at(h: Harness, done_at: int) -> None:
    def on_progress(_folder: str, done: int, _total: int) -> None:
        if done == done_at:
            QTimer.singleShot(0, h.window.indexing_status.cancel_button.click)

    h.window.indexing.progress.connect(on_progress)


def test_cancel_says_how_far_indexing_got(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "backgrounds", NAMES)
    h = make_harness(step=1)
    cancel_at(h, 2)

    with qtbot.waitSignal(h.window.indexing.finished, timeout=15_000) as finished:
        h.window.add_folder(str(folder))

    assert finished.args == [True]
    assert h.window.message.text() == (
        "Indexing cancelled: 2 of 5 photos in backgrounds indexed. Press F5 to finish."
    )


def test_a_restart_that_stops_the_extraction_does_not_replace_the_cancel_message(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "backgrounds", NAMES)
    h = make_harness(step=1, can_cancel=False)  # cancelling means restarting the service
    cancel_at(h, 2)
    with qtbot.waitSignal(h.window.indexing.finished, timeout=15_000):
        h.window.add_folder(str(folder))

    qtbot.waitUntil(lambda: h.backend.restarts == 1, timeout=5000)
    h.window.bridge.status_message.emit("The search service was restarted")  # a late note

    assert h.window.message.text() == (
        "Indexing cancelled: 2 of 5 photos in backgrounds indexed. Press F5 to finish."
    )


def test_connection_errors_go_to_the_status_bar_and_a_good_reindex_clears_old_rows(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg", "c.jpg"])
    h = make_harness(kind="cloud")
    library = h.window.library
    # Rows an older release left: the folder's own row, a file's connection error, a real one.
    library.record_problems([
        (str(folder), f"Uploading {folder} failed: Can't reach https://example.invalid"),
        (str(folder / "b.jpg"), "Can't reach https://example.invalid: unknown host name"),
        (str(folder / "c.jpg"), "file is truncated"),
    ])
    h.client.down = True

    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        h.window.add_folder(str(folder))

    assert h.window.message.text() == (
        "Indexing of photos was interrupted; press F5 to finish. "
        "(Can't reach the fake service: connection refused)"
    )
    assert len(h.window.problems.rows()) == 3  # the new connection error is not a row

    h.client.down = False
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000) as finished:
        h.window.rescan()

    assert finished.args == [False]
    assert h.window.problems.rows() == [(str(folder / "c.jpg"), "file is truncated")]
    assert h.window.message.text() == (
        "Library indexed: 2 images in the library (1 could not be read)"
    )


def test_a_new_backend_drops_the_old_counts_and_results(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    h = make_harness()
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        h.window.add_folder(str(folder))
    h.client.scores[("fish", image_id(folder / "a.jpg"))] = 90
    h.client.tags["fish"] = [b"reference"]
    h.window.tag_store.create("fish")
    h.window.tag_store.add_references("fish", [folder / "a.jpg"])
    h.window.tags.refresh_counts()
    qtbot.waitUntil(lambda: h.window.sidebar.count_of("fish") == 1, timeout=5000)
    h.window.search_tag("fish")
    qtbot.waitUntil(lambda: h.window.model.rowCount() == 1, timeout=5000)
    h.client.down = True  # the new backend can't be reached

    h.window.reconnect()

    assert h.window.sidebar.count_of("fish") is None  # "not counted yet", not a stale 1
    qtbot.waitUntil(lambda: h.window.message.text().startswith("Search for fish failed"),
                    timeout=5000)
    assert h.window.model.rowCount() == 0  # no old results under "Not connected"


def test_quitting_does_not_wait_for_a_long_request(make_harness: Any, qtbot: Any,
                                                   monkeypatch: Any) -> None:
    """Quit during a request that runs for minutes (duplicates of a big library): the backend
    is stopped under it, and the window closes within the grace period."""
    monkeypatch.setattr(backend_worker, "CLOSE_GRACE_MS", 300)
    h = make_harness()
    started = threading.Event()

    def long_request(session: Any) -> None:
        started.set()
        while not h.backend.closed:  # a real service dies when the backend closes
            time.sleep(0.01)
        raise ConnectionError("the service was stopped")

    h.window.bridge.submit("Looking for duplicates", long_request)
    assert started.wait(5)

    began = time.monotonic()
    h.window.shutdown()
    assert time.monotonic() - began < 2.0
    assert h.backend.closed
