"""A tag's reference images: see them, remove one, or drop more in.

Each cell is painted here (picture in a fixed square, the file name once below it): the stock
icon-mode painting drew the name twice and a stray bar when the picture was not square. The dialog
says whose references these are in its own heading (a window title is not shown everywhere), what
to do when there are none, and what a removal did.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from lookalike.ui.dropped_files import accept_as_copy, dropped_image_paths, has_droppable_files
from lookalike.ui.icons import icon
from lookalike.ui.thumbnail_loader import ThumbnailLoader

FILE_ROLE = Qt.ItemDataRole.UserRole + 1
PICTURE_ROLE = Qt.ItemDataRole.UserRole + 2
PICTURE_SIDE = 128
MARGIN = 6
EMPTY_HINT = "No reference images.\nDrop images here to add references."

ModelIndex = QModelIndex | QPersistentModelIndex


class ReferenceDelegate(QStyledItemDelegate):
    """One reference: its picture centred in a square, its file name once, below, elided."""

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        text_height = option.fontMetrics.height()
        return QSize(PICTURE_SIDE + 2 * MARGIN, PICTURE_SIDE + text_height + 3 * MARGIN)

    @staticmethod
    def picture_rect(cell: QRect) -> QRect:
        return QRect(cell.left() + (cell.width() - PICTURE_SIDE) // 2, cell.top() + MARGIN,
                     PICTURE_SIDE, PICTURE_SIDE)

    @staticmethod
    def name_rect(cell: QRect) -> QRect:
        top = cell.top() + 2 * MARGIN + PICTURE_SIDE
        return QRect(cell.left() + MARGIN, top, cell.width() - 2 * MARGIN, cell.bottom() - top)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        cell: QRect = option.rect
        palette: QPalette = option.palette
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            tint = QColor(palette.color(QPalette.ColorRole.Highlight))
            tint.setAlpha(110)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(tint)
            painter.drawRoundedRect(QRectF(cell.adjusted(1, 1, -1, -1)), 6, 6)

        square = self.picture_rect(cell)
        pixmap = index.data(PICTURE_ROLE)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            size = pixmap.deviceIndependentSize().toSize().scaled(
                square.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(square.center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(target, pixmap)
        else:
            mark = QRect(0, 0, PICTURE_SIDE // 3, PICTURE_SIDE // 3)
            mark.moveCenter(square.center())
            icon("placeholder").paint(painter, mark)

        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        area = self.name_rect(cell)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(area, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         option.fontMetrics.elidedText(name, Qt.TextElideMode.ElideMiddle,
                                                       area.width()))
        painter.restore()


class ReferenceList(QListWidget):
    """The references in icon mode; an empty list says how to add some, and takes drops."""

    files_dropped = Signal(list)  # image paths

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(6)
        self.setItemDelegate(ReferenceDelegate(self))
        self.setDragDropMode(QListView.DragDropMode.DropOnly)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)

    def placeholder(self) -> str:
        """The text an empty list shows ("" when it holds references)."""
        return EMPTY_HINT if self.count() == 0 else ""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        text = self.placeholder()
        if text:
            painter = QPainter(self.viewport())
            colour = self.palette().color(QPalette.ColorRole.Text)
            colour.setAlpha(170)
            painter.setPen(colour)
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, text)
            painter.end()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if has_droppable_files(event.mimeData()):
            accept_as_copy(event)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if has_droppable_files(event.mimeData()):
            accept_as_copy(event)
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_image_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        accept_as_copy(event)
        self.files_dropped.emit(paths)


class ReferencesDialog(QDialog):
    remove_requested = Signal(str, str)  # tag name, reference file
    files_dropped = Signal(str, list)  # tag name, image paths to add as references

    def __init__(
        self, name: str, files: list[tuple[str, str]], loader: ThumbnailLoader,
        parent: QWidget | None = None,
        files_source: Callable[[], list[tuple[str, str]]] | None = None,
    ) -> None:
        """``files`` holds (kept copy, original path) pairs; ``files_source`` gives them anew
        for :meth:`refresh`."""
        super().__init__(parent)
        self._files_source = files_source
        self.setWindowTitle(f"Reference images of {name}")
        self.resize(560, 440)
        self._name = name
        self._loader = loader
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.heading.setFont(font)
        self.heading.setText(f"Reference images of {name}")
        explanation = QLabel(
            "Images that look like these get the tag. Drop images here to add more.", self
        )
        explanation.setWordWrap(True)
        self.list = ReferenceList(self)
        self.list.files_dropped.connect(lambda paths: self.files_dropped.emit(self._name, paths))
        loader.loaded.connect(self._on_loaded)
        self.remove_button = QPushButton("Remove from tag", self)
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._remove_selected)
        self.list.currentItemChanged.connect(
            lambda current, _previous: self.remove_button.setEnabled(current is not None)
        )
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(explanation)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.set_files(files)

    def set_files(self, files: list[tuple[str, str]]) -> None:
        """Show these references (the tag changed while the dialog was open)."""
        pictures = {self.list.item(row).data(FILE_ROLE): self.list.item(row).data(PICTURE_ROLE)
                    for row in range(self.list.count())}
        self.list.clear()
        for file, source in files:
            item = QListWidgetItem(Path(source).name)
            item.setData(FILE_ROLE, file)
            item.setToolTip(source)
            item.setSizeHint(QSize(PICTURE_SIDE + 2 * MARGIN,
                                   PICTURE_SIDE + self.fontMetrics().height() + 3 * MARGIN))
            if pictures.get(file) is not None:
                item.setData(PICTURE_ROLE, pictures[file])
            else:
                self._loader.request(file)
            self.list.addItem(item)
        self.list.viewport().update()

    def refresh(self) -> None:
        """The tag changed (references added or refused): show what it holds now."""
        if self._files_source is not None:
            self.set_files(self._files_source())

    def files(self) -> list[str]:
        return [self.list.item(row).data(FILE_ROLE) for row in range(self.list.count())]

    def _on_loaded(self, path: str, image: QImage) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(FILE_ROLE) == path:
                item.setData(PICTURE_ROLE, QPixmap.fromImage(image))

    def _remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        file = item.data(FILE_ROLE)
        self.list.takeItem(self.list.row(item))
        self.status.setText(f"Removed {item.text()}: it is no longer a reference of {self._name}.")
        self.remove_requested.emit(self._name, file)
