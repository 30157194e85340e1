"""The centre grid: a QListView in icon mode over :class:`ThumbnailModel`, with its context menu."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QWidget

from lookalike.ui.thumbnail_delegate import PADDING, ThumbnailDelegate
from lookalike.ui.thumbnail_model import Role, ThumbnailModel


class ThumbnailGrid(QListView):
    find_similar_requested = Signal(str)  # path
    add_to_tag_requested = Signal(str, list)  # tag name ("" = new tag), paths
    preview_requested = Signal(str)  # path
    status = Signal(str)  # what Copy path and Show in folder did, for the status bar

    def __init__(self, model: ThumbnailModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thumbnailGrid")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSpacing(2)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)
        self.doubleClicked.connect(
            lambda index: self.preview_requested.emit(index.data(Role.PATH))
        )
        self._delegate = ThumbnailDelegate(parent=self)
        self.setItemDelegate(self._delegate)
        self.setModel(model)
        self.tag_names: list[str] = []
        # Opens a URL in the desktop's handler; False when there is none (tests replace it).
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self._copy = QAction("Copy path", self)
        self._copy.setShortcut(QKeySequence.StandardKey.Copy)
        self._copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self._copy.triggered.connect(self.copy_selected_paths)
        self.addAction(self._copy)
        self.set_thumb_size(160)

    def set_thumb_size(self, size: int) -> None:
        self._delegate.thumb_size = size
        self.setGridSize(self._delegate.cell_size(self.font()) + QSize(PADDING, PADDING))
        self.scheduleDelayedItemsLayout()
        self.viewport().update()

    def thumb_size(self) -> int:
        return self._delegate.thumb_size

    def selected_paths(self) -> list[str]:
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        model = self.model()
        return [model.index(row, 0).data(Role.PATH) for row in rows]

    def copy_selected_paths(self) -> None:
        paths = self.selected_paths()
        if paths:
            QGuiApplication.clipboard().setText("\n".join(paths))
            self.status.emit(f"Copied {len(paths)} path" + ("" if len(paths) == 1 else "s"))
        else:
            self.status.emit("Select an image first, then copy its path")

    def show_in_folder(self, path: str) -> None:
        """Open the file's folder in the file manager; when there is none, say so, and put the
        folder on the clipboard so the user can go there another way."""
        folder = str(Path(path).parent)
        if self.open_url(QUrl.fromLocalFile(folder)):
            self.status.emit(f"Opened {folder}")
            return
        QGuiApplication.clipboard().setText(folder)
        self.status.emit(f"Couldn't open a file manager; the folder is {folder} (path copied)")

    def _show_menu(self, position: QPoint) -> None:
        index = self.indexAt(position)
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        paths = self.selected_paths() or [index.data(Role.PATH)]
        menu = QMenu(self)
        menu.addAction("Find similar", lambda: self.find_similar_requested.emit(paths[0]))
        tags = menu.addMenu("Add to tag")
        for name in self.tag_names:
            tags.addAction(name, functools.partial(self.add_to_tag_requested.emit, name, paths))
        if self.tag_names:
            tags.addSeparator()
        tags.addAction("New tag…", lambda: self.add_to_tag_requested.emit("", paths))
        menu.addSeparator()
        menu.addAction("Show in folder", lambda: self.show_in_folder(paths[0]))
        menu.addAction(self._copy)
        menu.popup(self.viewport().mapToGlobal(position))

