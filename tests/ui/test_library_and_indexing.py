"""The library: welcome panel, adding folders, background indexing, cancel, the Problems panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.ui.conftest import Harness
from tests.ui.helpers import drop, file_mime, image_id, make_photos


def add_folder(h: Harness, qtbot: Any, folder: Path) -> None:
    h.prompts.folders.append(str(folder))
    h.window.ask_add_folder()
    qtbot.waitUntil(lambda: h.window.model.rowCount() > 0, timeout=5000)


def test_first_run_shows_the_welcome_panel_until_a_folder_is_added(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    h = make_harness()
    assert h.window.current_widget() is h.window.welcome

    add_folder(h, qtbot, folder)

    assert h.window.current_widget() is h.window.grid
    assert h.window.library.folders() == [str(folder)]
    shown = [h.window.model.item(row).path for row in range(h.window.model.rowCount())]
    assert shown == [str(folder / "a.jpg"), str(folder / "b.jpg")]


def test_a_folder_dropped_on_the_welcome_panel_is_added(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "dropped", ["x.jpg"])
    h = make_harness()

    accepted = drop(h.window.welcome, h.window.welcome.rect().center(), file_mime([folder]))

    assert accepted
    qtbot.waitUntil(lambda: h.window.model.rowCount() == 1)
    assert h.window.library.folders() == [str(folder)]


def test_indexing_runs_in_background_with_progress_and_lists_failures_as_problems(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg", "broken-1.jpg", "c.jpg"])
    h = make_harness(step=1)
    progress: list[tuple[str, int, int]] = []
    h.window.indexing.progress.connect(lambda f, done, total: progress.append((f, done, total)))

    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000) as finished:
        add_folder(h, qtbot, folder)

    assert finished.args == [False]
    requests = h.client.calls_to("create_image_features")
    assert [call["images_folder"] for call in requests] == [image_id(folder)]
    assert (str(folder), 1, 4) in progress and (str(folder), 4, 4) in progress
    assert h.window.problems.rows() == [
        (str(folder / "broken-1.jpg"), "cannot identify image file")
    ]
    assert h.window.problems_button.text() == "⚠ 1 problems"
    assert h.window.model.rowCount() == 4  # the failure leaves the rest of the library alone
    assert not h.window.indexing_status.isVisible()


def test_problems_survive_a_restart_and_clear_empties_them(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "broken-2.jpg"])
    h = make_harness()
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        add_folder(h, qtbot, folder)
    assert len(h.window.library.problems()) == 1

    from lookalike.ui.library import Library

    assert [p.path for p in Library(h.paths.data_dir).problems()] == [str(folder / "broken-2.jpg")]
    h.window.problems.clear_button.click()
    assert h.window.problems.rows() == []
    assert Library(h.paths.data_dir).problems() == []


def test_cancel_stops_the_services_extraction(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    h = make_harness(step=0)  # the fake never gets anywhere: indexing runs until cancelled
    add_folder(h, qtbot, folder)
    qtbot.waitUntil(lambda: h.window.indexing_status.isVisible(), timeout=5000)

    with qtbot.waitSignal(h.window.indexing.finished, timeout=5000) as finished:
        qtbot.mouseClick(h.window.indexing_status.cancel_button, Qt.MouseButton.LeftButton)

    assert finished.args == [True]
    qtbot.waitUntil(lambda: len(h.client.calls_to("cancel_extraction")) == 1, timeout=5000)
    assert not h.window.indexing.is_busy()
    assert not h.window.indexing_status.isVisible()
    assert h.window.message.text() == (
        "Indexing cancelled: 0 of 2 photos in photos indexed. Press F5 to finish."
    )


def test_cancel_restarts_a_local_service_that_cannot_cancel(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg"])
    h = make_harness(step=0, can_cancel=False)
    add_folder(h, qtbot, folder)
    qtbot.waitUntil(lambda: h.window.indexing_status.isVisible(), timeout=5000)

    h.window.indexing.cancel()

    qtbot.waitUntil(lambda: h.backend.restarts == 1, timeout=5000)
    assert not h.window.indexing.is_busy()


def test_cloud_mode_uploads_the_files_in_batches(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    names = [f"p{n:02}.jpg" for n in range(10)]
    folder = make_photos(tmp_path / "photos", names)
    h = make_harness(kind="cloud")
    progress: list[tuple[int, int]] = []
    h.window.indexing.progress.connect(lambda _f, done, total: progress.append((done, total)))

    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        add_folder(h, qtbot, folder)

    uploads = h.client.calls_to("upload_file")
    assert [call["path"] for call in uploads] == [image_id(folder / n) for n in names]
    assert progress[-2:] == [(8, 10), (10, 10)]


def test_removing_a_folder_forgets_its_images_and_only_those(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    first = make_photos(tmp_path / "first", ["a.jpg", "b.jpg"])
    second = make_photos(tmp_path / "second", ["c.jpg"])
    h = make_harness()
    add_folder(h, qtbot, first)
    h.prompts.folders.append(str(second))
    h.window.ask_add_folder()
    qtbot.waitUntil(lambda: str(second) in h.window.library.folders(), timeout=5000)
    qtbot.waitUntil(lambda: not h.window.indexing.is_busy(), timeout=10_000)

    h.window.remove_folder(str(first))

    qtbot.waitUntil(lambda: len(h.client.calls_to("delete_image_features")) == 2, timeout=5000)
    forgotten = sorted(call["image_id"] for call in h.client.calls_to("delete_image_features"))
    assert forgotten == sorted([image_id(first / "a.jpg"), image_id(first / "b.jpg")])
    assert h.window.library.folders() == [str(second)]
    assert h.window.statusBar().currentMessage().startswith(f"Removed {first} from the library")

