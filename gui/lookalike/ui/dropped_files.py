"""What a drag carries: image files from the grid or from the system file manager."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

from lookalike.imagefiles import is_image_file
from lookalike.ui.thumbnail_model import PATHS_MIME


def has_droppable_files(mime: QMimeData) -> bool:
    return mime.hasFormat(PATHS_MIME) or any(url.isLocalFile() for url in mime.urls())


def dropped_paths(mime: QMimeData) -> list[str]:
    """Every local file or folder the drag carries, in order, without repeats."""
    if mime.hasFormat(PATHS_MIME):
        raw = bytes(mime.data(PATHS_MIME).data()).decode("utf-8")
        paths = [line for line in raw.splitlines() if line]
    else:
        paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return list(dict.fromkeys(paths))


def dropped_folders(mime: QMimeData) -> list[str]:
    return [p for p in dropped_paths(mime) if Path(p).is_dir()]


def dropped_image_paths(mime: QMimeData) -> list[str]:
    """The dropped files that look like images (folders and other files are left out)."""
    return [p for p in dropped_paths(mime) if Path(p).is_file() and is_image_file(Path(p))]


def accept_as_copy(event: QDropEvent | QDragMoveEvent | QDragEnterEvent) -> None:
    """Accept a drag as a copy, whatever the source proposed.

    A file manager offers Move too, and proposes it for some drags; accepting Move tells it to
    delete the user's original once we have it. Lookalike never takes files away.
    """
    if event.possibleActions() & Qt.DropAction.CopyAction:
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
    else:
        event.ignore()
