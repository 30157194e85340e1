"""Small builders for the window tests: photo folders and synthetic drops."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from lookalike.client import path_to_image_id
from lookalike.ui.backend_jobs import COUNT_LIMIT

ANCHOR = Path(Path.home().anchor)


def image_id(path: Path) -> str:
    return path_to_image_id(path, ANCHOR)


def make_photos(folder: Path, names: Sequence[str], size: tuple[int, int] = (64, 48)) -> Path:
    """JPEGs of distinct colours; names starting with "broken" get text instead of pixels."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(names):
        path = folder / name
        if name.startswith("broken"):
            path.write_text("not an image")
            continue
        colour = ((number * 70) % 256, (number * 130) % 256, (number * 30 + 90) % 256)
        Image.new("RGB", size, colour).save(path, quality=90)
    return folder


def file_mime(paths: Sequence[Path]) -> QMimeData:
    """What a file manager's drag carries: file URLs."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return mime


def drop(target: QWidget, position: QPoint, mime: QMimeData) -> bool:
    """Enter, move and drop ``mime`` at ``position``; True if the drop was accepted."""
    return drop_event(target, position, mime).isAccepted()


def drop_event(
    target: QWidget, position: QPoint, mime: QMimeData,
    actions: Qt.DropAction = Qt.DropAction.CopyAction,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> QDropEvent:
    """Enter, move and drop ``mime`` at ``position`` offering ``actions``; the drop event, to
    read whether it was accepted and as which action. Sent through QApplication, so a widget
    that takes no drops passes them to its parent, as in a real drag."""
    point = QPointF(position)
    buttons = Qt.MouseButton.LeftButton
    try:  # Qt 6.12 takes a QPointF (the QPoint form is deprecated there); 6.11 only a QPoint
        enter = QDragEnterEvent(point, actions, mime, buttons, modifiers)
        move = QDragMoveEvent(point, actions, mime, buttons, modifiers)
    except TypeError:
        enter = QDragEnterEvent(position, actions, mime, buttons, modifiers)
        move = QDragMoveEvent(position, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    QApplication.sendEvent(target, move)
    event = QDropEvent(point, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, event)
    return event


SCORED_NAMES = ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]


def indexed_with_scores(make_harness: Any, qtbot: Any, folder: Path) -> Any:
    """A window whose library (five photos in ``folder``) is indexed, with the fake client's
    scores for the tags "temple" and "sky"; ``h.folder`` is the folder."""
    make_photos(folder, SCORED_NAMES)
    h = make_harness()
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        h.window.add_folder(str(folder))
    ids = [image_id(folder / name) for name in SCORED_NAMES]
    for image, temple, sky in zip(ids, [95, 80, 62, 40, 10], [20, 75, 90, 55, 5], strict=True):
        h.client.scores[("temple", image)] = temple
        h.client.scores[("sky", image)] = sky
    h.folder = folder
    return h


def searches(h: Any) -> list[dict[str, Any]]:
    """The searches the grid asked for (the sidebar's counting calls left out)."""
    return [c for c in h.client.calls_to("find_by_tags") if c["max_count"] != COUNT_LIMIT]


def tag_center(h: Any, name: str) -> QPoint:
    item = h.window.sidebar.item_for(name)
    assert item is not None
    return h.window.sidebar.visualItemRect(item).center()


def make_tag(h: Any, qtbot: Any, name: str, reference: Path) -> None:
    """Create tag ``name`` and drop ``reference`` on it; returns once the client has it."""
    h.window.tag_store.create(name)
    h.window.tags.show_tags()
    drop(h.window.sidebar.viewport(), tag_center(h, name), file_mime([reference]))
    qtbot.waitUntil(lambda: name in h.client.tags, timeout=5000)
