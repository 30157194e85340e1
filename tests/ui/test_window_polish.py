"""Issue 4, the window around the grid: F12 status bar and Settings' context id, F13 the library
count, F14 zoom, F15 the Problems panel, F18 folder drops, F22 Edit > Copy path's shortcut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QPoint, QRect, QStandardPaths, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from lookalike.ui.credentials import CredentialStore
from lookalike.ui.library import Problem
from lookalike.ui.main_window import SEPARATOR_EXTENT, ZOOM_MIN
from lookalike.ui.prompts import photos_folder
from lookalike.ui.settings import CLOUD, LOCAL, BackendChoice
from lookalike.ui.settings_dialog import SettingsDialog
from lookalike.ui.thumbnail_delegate import badge_geometry, score_text
from tests.ui.conftest import Harness
from tests.ui.helpers import drop, drop_event, file_mime, make_photos


def indexed(make_harness: Any, qtbot: Any, folder: Path) -> Harness:
    h = make_harness()
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        h.window.add_folder(str(folder))
    return h


# F12, F13
def test_the_status_bar_counts_readable_photos_and_keeps_the_count(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg", "c.jpg", "broken.jpg"])

    h = indexed(make_harness, qtbot, folder)

    assert h.window.problems.rows() == [(str(folder / "broken.jpg"),
                                         "cannot identify image file")]
    assert h.window.message.text() == (
        "Library indexed: 3 images in the library (1 could not be read)"
    )
    assert h.window.backend_label.text() == "Local engine · 3 photos"
    assert "context" not in h.window.backend_label.text()

    h.window.show_library()
    assert h.window.message.text() == "3 images in the library (1 could not be read)"


def test_the_context_id_is_read_only_under_advanced(qtbot: Any, tmp_path: Path) -> None:
    dialog = SettingsDialog(BackendChoice(kind=LOCAL), CredentialStore(tmp_path / "c.json"),
                            {LOCAL: "ctx-local", CLOUD: "ctx-cloud"})
    qtbot.addWidget(dialog)

    assert dialog.advanced_box.title() == "Advanced"
    assert dialog.advanced_box.isAncestorOf(dialog.context_edit)
    assert dialog.context_edit.isReadOnly()
    assert not dialog.change_context_button.isEnabled()  # the local engine keeps its own

    dialog.cloud_radio.setChecked(True)
    assert dialog.context_edit.text() == "ctx-cloud"
    assert dialog.context_edit.isReadOnly()  # not by accident...
    assert dialog.change_context_button.isEnabled()

    dialog.change_context_button.click()  # ...but on purpose
    assert not dialog.context_edit.isReadOnly()
    dialog.context_edit.setText("ctx-made-elsewhere")
    assert dialog.result_settings().choice.context_id == "ctx-made-elsewhere"

    dialog.local_radio.setChecked(True)
    assert dialog.context_edit.text() == "ctx-local"
    assert dialog.context_edit.isReadOnly()


# F14
def test_the_zoom_slider_is_labelled_and_the_smallest_zoom_stays_readable(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    h = make_harness()
    assert h.window.zoom_label.text() == "Size"
    assert h.window.zoom_label.buddy() is h.window.zoom
    assert h.window.zoom.toolTip().startswith("Thumbnail size")

    h.window.zoom.setValue(0)
    assert h.window.grid.thumb_size() == ZOOM_MIN >= 96
    for picture in (QRect(0, 0, ZOOM_MIN, ZOOM_MIN), QRect(0, 0, ZOOM_MIN, ZOOM_MIN * 2 // 3)):
        _font, badge = badge_geometry(QFont(), picture, score_text(100))
        assert badge.width() <= picture.width() * 0.5
        assert badge.height() < picture.height() / 3
        assert picture.contains(badge.toRect())
    _font, large = badge_geometry(QFont(), QRect(0, 0, 256, 256), score_text(100))
    assert large.width() > badge.width()  # larger thumbnails keep the normal badge


def test_cells_share_out_the_grid_width(make_harness: Any, qtbot: Any, tmp_path: Path) -> None:
    folder = make_photos(tmp_path / "photos", [f"p{n}.jpg" for n in range(12)])
    h = indexed(make_harness, qtbot, folder)
    grid = h.window.grid

    def top_of(row: int) -> int:
        return grid.visualRect(h.window.model.index(row)).top()

    for width in (700, 913, 1001):
        grid.resize(width, 500)
        h.window.zoom.setValue(160)
        viewport = grid.viewport().width()
        columns = grid.columns()
        spare = viewport - columns * grid.gridSize().width()
        # At most the room QListView keeps for a scroll bar, plus rounding.
        scroll_bar = grid.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, grid)
        assert 0 <= spare <= scroll_bar + columns, (width, spare)
        # One full row (laid out after the resize), the next cell on the next row.
        qtbot.waitUntil(lambda columns=columns: top_of(columns - 1) == top_of(0), timeout=2000)
        assert top_of(columns) > top_of(0)


def test_a_full_row_stays_full_when_the_scroll_bar_goes_away(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    """Many results (a scroll bar), then a few (none): the first row still has every column.

    The window's screenshot once showed five cells and an empty strip where six fit: the cells
    were widened for the wider viewport, and QListView wrapped the row before its last cell.
    """
    folder = make_photos(tmp_path / "photos", [f"p{n}.jpg" for n in range(60)])
    h = indexed(make_harness, qtbot, folder)
    grid, model = h.window.grid, h.window.model
    h.window.resize(1360, 700)
    qtbot.waitUntil(grid.verticalScrollBar().isVisible, timeout=5000)
    model.set_items(model.items()[:10])
    qtbot.waitUntil(lambda: not grid.verticalScrollBar().isVisible(), timeout=2000)

    columns = grid.columns()
    tops = [grid.visualRect(model.index(row)).top() for row in range(columns + 1)]
    assert tops[:columns] == [tops[0]] * columns
    assert tops[columns] > tops[0]
    assert grid.viewport().width() - columns * grid.gridSize().width() < grid.gridSize().width()


# F15
def test_the_problems_panel_opens_tall_with_a_visible_handle_and_wrapped_reasons(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    h = make_harness()
    long_reason = "unsupported JPEG (12-bit samples); " * 6
    h.window.library.record_problems([("/photos/a.jpg", "file is empty"),
                                      ("/photos/b.jpg", long_reason)])
    h.window._show_problems()

    h.window.toggle_problems()

    qtbot.waitUntil(lambda: h.window.problems_dock.height() >= 200, timeout=2000)
    separator = h.window.style().pixelMetric(
        QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, h.window)
    assert separator == SEPARATOR_EXTENT > QApplication.style().pixelMetric(
        QStyle.PixelMetric.PM_DockWidgetSeparatorExtent)
    # The handle between the grid and the panel is painted, not plain window background.
    top = h.window.centralWidget().geometry().bottom() + 1
    bottom = h.window.problems_dock.geometry().top() - 1
    assert bottom - top + 1 >= SEPARATOR_EXTENT
    image = h.window.grab().toImage()
    background = h.window.palette().color(QPalette.ColorRole.Window).lightness()
    band = {QColor(image.pixel(x, y)).lightness() for y in range(top, bottom + 1)
            for x in range(0, image.width(), 7)}
    assert min(band) < background - 20  # a darker bar with a grip, not a faint gradient
    table = h.window.problems.table
    assert table.wordWrap()
    assert table.rowHeight(1) > table.rowHeight(0)  # the long reason takes several lines
    assert table.item(1, 1).toolTip() == long_reason  # type: ignore[union-attr]
    assert h.window.problems.summary.text() == (
        "2 files could not be read; the rest of the library is fine"
    )

    table.selectionModel().select(table.model().index(1, 0),
                                  QItemSelectionModel.SelectionFlag.ClearAndSelect
                                  | QItemSelectionModel.SelectionFlag.Rows)
    h.window.problems.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == f"/photos/b.jpg\t{long_reason}"


def test_one_problem_is_worded_in_the_singular(make_harness: Any) -> None:
    h = make_harness()
    h.window.problems.set_problems([Problem("/x/a.jpg", "file is empty")])
    assert h.window.problems.summary.text() == (
        "1 file could not be read; the rest of the library is fine"
    )


# F18
def test_folders_dropped_on_the_grid_or_the_window_join_the_library(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    first = make_photos(tmp_path / "first", ["a.jpg"])
    second = make_photos(tmp_path / "second", ["b.jpg"])
    third = make_photos(tmp_path / "third", ["c.jpg"])
    h = indexed(make_harness, qtbot, first)
    assert h.window.current_widget() is h.window.grid

    grid = h.window.grid.viewport()
    assert drop(grid, grid.rect().center(), file_mime([second]))
    assert not drop(grid, grid.rect().center(), file_mime([second / "b.jpg"]))  # not a folder
    status_bar = h.window.statusBar()
    assert drop(status_bar, QPoint(10, 5), file_mime([third]))

    assert h.window.library.folders() == [str(first), str(second), str(third)]
    qtbot.waitUntil(lambda: h.window.model.rowCount() == 3, timeout=5000)


# F22
def test_edit_copy_path_shows_the_same_shortcut_as_the_context_menu(make_harness: Any) -> None:
    h = make_harness()
    edit_menu = next(a.menu() for a in h.window.menuBar().actions() if a.text() == "&Edit")
    copy = next(a for a in edit_menu.actions() if a.text().replace("&", "") == "Copy path")

    assert copy.shortcut() == QKeySequence(QKeySequence.StandardKey.Copy)
    assert copy is h.window.grid.copy_action  # one action: no second Ctrl+C to compete
    assert copy.shortcutContext() == Qt.ShortcutContext.WidgetShortcut


def test_a_library_without_images_says_so_in_the_grid(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a photo")

    h = indexed(make_harness, qtbot, empty)
    h.window.show_library()

    assert h.window.model.rowCount() == 0
    assert h.window.grid.placeholder() == (
        "No images in the library's folders yet.\n"
        "Add a folder with File > Add folder…, or drop one here."
    )
    assert h.window.message.text() == "0 images in the library"


# Second tester's round: R4, R5
def test_an_image_dropped_on_the_search_text_searches_and_types_nothing(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["query.jpg"])
    h = make_harness()
    bar = h.window.search_bar
    mime = file_mime([folder / "query.jpg"])
    mime.setText(mime.urls()[0].toString())  # file managers send the URL as text too
    with qtbot.waitSignal(bar.image_dropped, timeout=2000) as dropped:
        event = drop_event(bar.tags_edit, bar.tags_edit.rect().center(), mime)
    assert event.isAccepted()
    assert dropped.args == [str(folder / "query.jpg")]
    assert "file:" not in bar.tags_edit.text()


def test_every_drop_target_takes_a_copy_never_a_move(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    """A file manager offering Copy or Move deletes the original when told Move."""
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    h = indexed(make_harness, qtbot, folder)
    h.prompts.texts = ["dropped"]
    window = h.window
    offered = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    image = file_mime([folder / "a.jpg"])
    targets = {
        "search bar": (window.search_bar, window.search_bar.rect().center(), image),
        "new tag": (window.sidebar.viewport(),
                    window.sidebar.visualItemRect(window.sidebar.item(0)).center(), image),
        "grid (a folder)": (window.grid.viewport(), window.grid.viewport().rect().center(),
                            file_mime([tmp_path / "photos"])),
    }
    shift = Qt.KeyboardModifier.ShiftModifier  # Shift makes Move the proposed action
    for name, (widget, point, mime) in targets.items():
        event = drop_event(widget, point, mime, offered, shift)
        assert event.proposedAction() == Qt.DropAction.MoveAction
        assert event.isAccepted(), name
        assert event.dropAction() == Qt.DropAction.CopyAction, name
    assert (folder / "a.jpg").exists()


def test_add_folder_starts_in_the_users_pictures_or_home(monkeypatch: Any) -> None:
    monkeypatch.chdir(Path(__file__).parent)  # the app's working folder must not be offered
    start = Path(photos_folder())
    assert start.is_dir()
    assert start in (Path.home(), Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.PicturesLocation)))


def test_the_window_cannot_shrink_below_a_usable_size(make_harness: Any) -> None:
    window = make_harness().window
    window.resize(300, 200)
    assert window.width() >= 720 and window.height() >= 440


def test_the_indexing_count_is_never_clipped(make_harness: Any) -> None:
    window = make_harness().window
    window.resize(720, 440)  # the smallest window: the status bar at its most cramped
    status = window.indexing_status
    status.show_progress("/photos/holidays", 123_456, 234_567)
    window.statusBar().layout().activate()
    text = status.bar.format()
    assert text == "123456 / 234567"
    assert status.bar.width() >= status.bar.fontMetrics().horizontalAdvance(text) + 16
