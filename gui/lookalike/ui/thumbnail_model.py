"""The grid's model: a list of images (path, id, score) with a thumbnail role.

It keeps only small records; pixmaps live in a bounded LRU cache and are asked of the
:class:`ThumbnailLoader` the first time a view wants them, so a 100 000-image grid costs what is on
screen, not what is in the list.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Slot,
)
from PySide6.QtGui import QImage, QPixmap

from lookalike.ui.thumbnail_loader import ThumbnailLoader

log = logging.getLogger(__name__)

PATHS_MIME = "application/x-lookalike-paths"
_CACHE_BYTES = 160 * 1024 * 1024

ModelIndex = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    PATH = Qt.ItemDataRole.UserRole + 1
    IMAGE_ID = Qt.ItemDataRole.UserRole + 2
    SCORE = Qt.ItemDataRole.UserRole + 3
    THUMBNAIL = Qt.ItemDataRole.UserRole + 4
    STATE = Qt.ItemDataRole.UserRole + 5
    CELL = Qt.ItemDataRole.UserRole + 6  # (pixmap or None, state, score, file name): one call


class ThumbState(IntEnum):
    LOADING = 0
    READY = 1
    FAILED = 2


_CELL = int(Role.CELL)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)


def file_name(path: str) -> str:
    return path.rsplit(os.sep, 1)[-1] if os.sep in path else path


@dataclass(frozen=True, slots=True)
class GridItem:
    path: str
    image_id: str
    score: float | None = None


class PixmapCache:
    """Least-recently-used pixmaps, bounded by their size in bytes."""

    def __init__(self, max_bytes: int = _CACHE_BYTES) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict[str, QPixmap] = OrderedDict()

    def get(self, key: str) -> QPixmap | None:
        pixmap = self._items.get(key)
        if pixmap is not None:
            self._items.move_to_end(key)
        return pixmap

    def put(self, key: str, pixmap: QPixmap) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= _cost(old)
        self._items[key] = pixmap
        self._bytes += _cost(pixmap)
        while self._bytes > self._max_bytes and len(self._items) > 1:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= _cost(dropped)

    def __len__(self) -> int:
        return len(self._items)


def _cost(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4


class ThumbnailModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, device_pixel_ratio: float = 1.0) -> None:
        super().__init__()
        self._loader = loader
        self._items: list[GridItem] = []
        self._rows_by_path: dict[str, int] = {}
        self._pixmaps = PixmapCache()
        self._failed: dict[str, str] = {}
        self._requested: set[str] = set()
        self.device_pixel_ratio = device_pixel_ratio
        loader.loaded.connect(self._on_loaded)
        loader.failed.connect(self._on_failed)

    # Contents
    def set_items(self, items: Sequence[GridItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        # One row per path (a grid never lists a file twice); a comprehension keeps a
        # 100 000-item reset within a few milliseconds of the GUI thread.
        self._rows_by_path = {item.path: row for row, item in enumerate(self._items)}
        self._requested.clear()
        self._loader.cancel_pending()
        self.endResetModel()

    def items(self) -> list[GridItem]:
        return list(self._items)

    def item(self, row: int) -> GridItem:
        return self._items[row]

    def clear_thumbnails(self) -> None:
        """Drop every pixmap (the thumbnail size changed): visible cells ask again."""
        self._pixmaps = PixmapCache()
        self._requested.clear()
        self._loader.cancel_pending()
        if self._items:
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1),
                                  [Role.THUMBNAIL, Role.STATE])

    def forget_thumbnail(self, path: str) -> None:
        """Drop a failure mark so the file is tried again (after it was fixed, say)."""
        self._failed.pop(path, None)
        self._requested.discard(path)

    # QAbstractListModel
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == _CELL:  # the delegate's one call per painted cell: keep it first and cheap
            pixmap = self._thumbnail(item.path)
            if pixmap is not None:
                state = ThumbState.READY
            else:
                state = ThumbState.FAILED if item.path in self._failed else ThumbState.LOADING
            return (pixmap, state, item.score, file_name(item.path))
        if role == _DISPLAY:
            return file_name(item.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item)
        if role == Role.PATH:
            return item.path
        if role == Role.IMAGE_ID:
            return item.image_id
        if role == Role.SCORE:
            return item.score
        if role == Role.THUMBNAIL:
            return self._thumbnail(item.path)
        if role == Role.STATE:
            return self._state(item.path)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", PATHS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        paths = [self._items[i.row()].path for i in indexes if i.isValid()]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
        mime.setData(PATHS_MIME, "\n".join(paths).encode("utf-8"))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    # Thumbnails
    def _thumbnail(self, path: str) -> QPixmap | None:
        pixmap = self._pixmaps.get(path)
        if pixmap is not None:
            return pixmap
        if path not in self._failed:
            # Asked again (it scrolled back into view, or was evicted): move it to the front.
            self._requested.add(path)
            self._loader.request(path)
        return None

    def _state(self, path: str) -> ThumbState:
        if path in self._failed:
            return ThumbState.FAILED
        if self._pixmaps.get(path) is not None:
            return ThumbState.READY
        return ThumbState.LOADING

    def _tooltip(self, item: GridItem) -> str:
        lines = [item.path]
        if item.score is not None:
            lines.append(f"Similarity: {item.score:.1f}")
        if item.path in self._failed:
            lines.append(self._failed[item.path])
        return "\n".join(lines)

    @Slot(str, QImage)
    def _on_loaded(self, path: str, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(self.device_pixel_ratio)
        self._pixmaps.put(path, pixmap)
        self._changed(path)

    @Slot(str, str)
    def _on_failed(self, path: str, reason: str) -> None:
        log.info("No thumbnail for %s: %s", path, reason)
        self._failed[path] = reason
        self._changed(path)

    def failure(self, path: str) -> str | None:
        return self._failed.get(path)

    def _changed(self, path: str) -> None:
        row = self._rows_by_path.get(path)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Role.THUMBNAIL, Role.STATE, Role.CELL])
