"""The centre grid: a QListView in icon mode over :class:`ThumbnailModel`, with its context menu.

Cells share out the view's width (no empty strip on the right); an empty grid paints a centred
text that says why it is empty; folders dropped on it are added to the library.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QStyle, QWidget

from lookalike.ui.dropped_files import accept_as_copy, dropped_folders
from lookalike.ui.thumbnail_delegate import PADDING, ThumbnailDelegate
from lookalike.ui.thumbnail_model import Role, ThumbnailModel


class ThumbnailGrid(QListView):
    find_similar_requested = Signal(str)  # path
    add_to_tag_requested = Signal(str, list)  # tag name ("" = new tag), paths
    preview_requested = Signal(str)  # path
    status = Signal(str)  # what Copy path and Show in folder did, for the status bar
    folders_dropped = Signal(list)  # folder paths: add them to the library

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
        # Folders only (see dragEnterEvent); DragOnly turned drops off.
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
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
        self.copy_action = QAction("&Copy path", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_selected_paths)
        self.addAction(self.copy_action)
        self._placeholder = ""
        self.set_thumb_size(160)

    def set_thumb_size(self, size: int) -> None:
        self._delegate.thumb_size = size
        self._fit_cells()
        self.scheduleDelayedItemsLayout()
        self.viewport().update()

    def _fit_cells(self) -> None:
        """As many cells per row as fit, each widened to share the row's spare width."""
        cell = self._delegate.cell_size(self.font()) + QSize(PADDING, PADDING)
        width = self._row_width()
        columns = max(1, width // cell.width())
        cell.setWidth(max(cell.width(), width // columns))
        if cell != self.gridSize():
            self.setGridSize(cell)

    def _row_width(self) -> int:
        """The width QListView lets a row fill: it keeps room for a vertical scroll bar that is
        not shown yet, and wraps a row that would touch the viewport's edge."""
        width = self.viewport().width() - 1
        if not self.verticalScrollBar().isVisible():
            width -= self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return width

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_cells()

    def columns(self) -> int:
        """Cells per row at the current size."""
        return max(1, self._row_width() // self.gridSize().width())

    # The empty grid's text
    def set_placeholder(self, text: str) -> None:
        """What to paint while the grid is empty: why, and what to try."""
        self._placeholder = text
        self.viewport().update()

    def placeholder(self) -> str:
        """The text the grid shows now ("" when it has images)."""
        model = self.model()
        return self._placeholder if model is not None and model.rowCount() == 0 else ""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        text = self.placeholder()
        if not text:
            return
        painter = QPainter(self.viewport())
        colour = self.palette().color(QPalette.ColorRole.Text)
        colour.setAlpha(170)  # quieter than the names, still easy to read
        painter.setPen(colour)
        font = painter.font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        area = self.viewport().rect().adjusted(24, 24, -24, -24)
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        painter.end()

    # Folders dropped on the grid
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_folders(event.mimeData()):
            accept_as_copy(event)
        else:
            event.ignore()  # images dragged out of the grid have nowhere to go in it

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_folders(event.mimeData()):
            accept_as_copy(event)
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        folders = dropped_folders(event.mimeData())
        if not folders:
            event.ignore()
            return
        accept_as_copy(event)
        self.folders_dropped.emit(folders)

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
        menu.addAction(self.copy_action)
        menu.popup(self.viewport().mapToGlobal(position))

