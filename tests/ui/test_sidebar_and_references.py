"""Issue 4: F17 long tag names in the sidebar, F8 the reference images dialog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSize

from lookalike.ui.references_dialog import EMPTY_HINT, ReferenceDelegate
from tests.ui.conftest import Harness
from tests.ui.helpers import drop, file_mime, make_photos

LONG_NAME = "Summer holiday in Provence with the whole family 2026 — beach photos"


@pytest.fixture
def library(make_harness: Any, qtbot: Any, tmp_path: Path) -> Harness:
    folder = make_photos(tmp_path / "photos", ["calla.jpg", "calla_dup.jpg", "fish.jpg"])
    h = make_harness()
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        h.window.add_folder(str(folder))
    h.folder = folder  # type: ignore[attr-defined]
    return h


def add_reference(h: Harness, qtbot: Any, name: str, path: Path) -> None:
    if h.window.tag_store.resolve(name) is None:
        h.window.tag_store.create(name)
        h.window.tags.show_tags()
    before = len(h.client.calls_to("add_tag"))
    h.window.tags.add_files(name, [str(path)])
    qtbot.waitUntil(lambda: len(h.client.calls_to("add_tag")) > before, timeout=5000)
    qtbot.waitUntil(lambda: isinstance(h.window.sidebar.count_of(name), int), timeout=5000)


# F17
def test_a_long_tag_name_is_elided_and_every_count_stays_visible(
    library: Harness, qtbot: Any
) -> None:
    h = library
    add_reference(h, qtbot, LONG_NAME, h.folder / "calla.jpg")  # type: ignore[attr-defined]
    add_reference(h, qtbot, "fish", h.folder / "fish.jpg")  # type: ignore[attr-defined]
    sidebar = h.window.sidebar
    h.window.splitter.setSizes([200, 800])
    qtbot.waitUntil(lambda: sidebar.width() <= 210, timeout=2000)
    sidebar.doItemsLayout()

    width = sidebar.viewport().width()
    for name in (LONG_NAME, "fish"):
        item = sidebar.item_for(name)
        assert item is not None
        rect = sidebar.visualItemRect(item)
        assert rect.left() >= 0 and rect.right() < width, name  # the count is drawn in view
    assert sidebar.horizontalScrollBar().maximum() == 0
    assert not sidebar.horizontalScrollBar().isVisible()
    assert sidebar.item_for(LONG_NAME).toolTip().startswith(LONG_NAME)  # type: ignore[union-attr]


# F8
def test_the_references_dialog_has_a_heading_and_paints_each_name_once(
    library: Harness, qtbot: Any
) -> None:
    h = library
    add_reference(h, qtbot, "calla", h.folder / "calla_dup.jpg")  # type: ignore[attr-defined]

    dialog = h.window.show_references("calla")
    qtbot.addWidget(dialog)

    assert dialog.heading.text() == "Reference images of calla"
    assert dialog.heading.isVisibleTo(dialog)
    assert dialog.list.placeholder() == ""
    assert [dialog.list.item(row).text() for row in range(dialog.list.count())] == [
        "calla_dup.jpg"
    ]
    # One name, under the picture's square; nothing else below it.
    cell = QRect(0, 0, 140, 160)
    picture = ReferenceDelegate.picture_rect(cell)
    name = ReferenceDelegate.name_rect(cell)
    assert picture.size() == QSize(128, 128)
    assert name.top() > picture.bottom()
    assert name.bottom() <= cell.bottom()
    assert isinstance(dialog.list.itemDelegate(), ReferenceDelegate)


def test_removing_the_last_reference_confirms_it_and_shows_the_drop_hint(
    library: Harness, qtbot: Any
) -> None:
    h = library
    add_reference(h, qtbot, "calla", h.folder / "calla_dup.jpg")  # type: ignore[attr-defined]
    h.window.search_tag("calla")  # the search that follows the removal rewrites the status
    dialog = h.window.show_references("calla")
    qtbot.addWidget(dialog)

    dialog.list.setCurrentRow(0)
    dialog.remove_button.click()

    assert dialog.list.count() == 0
    assert dialog.list.placeholder() == EMPTY_HINT
    assert "Drop images here to add references" in EMPTY_HINT
    assert dialog.status.text() == (
        "Removed calla_dup.jpg: it is no longer a reference of calla."
    )
    removed = "Removed calla_dup.jpg from the reference images of calla"
    qtbot.waitUntil(lambda: h.window.statusBar().currentMessage() == removed, timeout=5000)
    qtbot.waitUntil(lambda: h.window.message.text().startswith("0 images for calla"),
                    timeout=5000)
    assert h.window.statusBar().currentMessage() == removed  # still readable
    assert h.window.tag_store.get("calla").references == ()


def test_images_dropped_on_the_references_dialog_are_added(
    library: Harness, qtbot: Any
) -> None:
    h = library
    folder = h.folder  # type: ignore[attr-defined]
    add_reference(h, qtbot, "calla", folder / "calla.jpg")
    dialog = h.window.show_references("calla")
    qtbot.addWidget(dialog)

    accepted = drop(dialog.list.viewport(), dialog.list.viewport().rect().center(),
                    file_mime([folder / "calla_dup.jpg"]))

    assert accepted
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=5000)
    assert [dialog.list.item(row).text() for row in range(2)] == ["calla.jpg", "calla_dup.jpg"]
    assert len(h.client.tags["calla"]) == 2
