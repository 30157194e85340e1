"""The tag list on the left: each tag with its count and the icon of its first reference image.

Dropping images on a tag adds them as references; dropping on "New tag…" or on empty space asks
for a name first. Clicking a tag searches for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from lookalike.ui.dropped_files import accept_as_copy, dropped_image_paths, has_droppable_files
from lookalike.ui.icons import icon
from lookalike.ui.thumbnail_loader import ThumbnailLoader

NAME_ROLE = Qt.ItemDataRole.UserRole + 1
COUNT_ROLE = Qt.ItemDataRole.UserRole + 2
ICON_PATH_ROLE = Qt.ItemDataRole.UserRole + 3

ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class TagRow:
    name: str
    count: int | None  # None: not counted yet
    icon_path: str | None


class _CountDelegate(QStyledItemDelegate):
    """The default item painting, plus the tag's image count right-aligned in grey.

    The name gets what is left of the row after the count, and is elided (the tooltip holds it
    whole); the size hint asks for no width, so a long name never widens the rows past the
    sidebar and pushes every count out of sight.
    """

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(0, super().sizeHint(option, index).height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        count = index.data(COUNT_ROLE)
        elided = QStyleOptionViewItem(option)
        elided.textElideMode = Qt.TextElideMode.ElideRight
        if count is None:
            super().paint(painter, elided, index)
            return
        text = str(count)
        rect: QRect = option.rect
        width = option.fontMetrics.horizontalAdvance(text) + 16
        elided.rect = rect.adjusted(0, 0, -width, 0)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        # The row's background under the count too, so a highlight spans the whole row.
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        super().paint(painter, elided, index)
        painter.save()
        palette: QPalette = option.palette
        if selected:
            painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
        else:
            painter.setPen(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        painter.drawText(rect.adjusted(0, 0, -8, 0),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()


class TagSidebar(QListWidget):
    files_dropped = Signal(str, list)  # tag name ("" = a new tag), image paths
    new_tag_requested = Signal()
    tag_activated = Signal(str)
    rename_requested = Signal(str)
    delete_requested = Signal(str)
    references_requested = Signal(str)

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tagSidebar")
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self.setIconSize(QSize(32, 32))
        self.setSpacing(1)
        self.setItemDelegate(_CountDelegate(self))
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)
        self.itemClicked.connect(self._on_clicked)
        self._loader = loader
        loader.loaded.connect(self._on_icon_loaded)
        self._new_item = QListWidgetItem(icon("new-tag"), "New tag…")
        self._new_item.setData(NAME_ROLE, "")
        self._new_item.setToolTip("Drop images here, or click, to make a new tag")
        self.addItem(self._new_item)
        self._drop_target: QListWidgetItem | None = None
        self._icons: dict[str, QIcon] = {}  # first reference file -> its small picture
        self._searched: list[str] = []  # the tags the grid shows matches of: highlighted

    def set_tags(self, rows: list[TagRow]) -> None:
        while self.count() > 1:
            self.takeItem(1)
        for row in rows:
            known = self._icons.get(row.icon_path or "")
            item = QListWidgetItem(known or icon("tag"), row.name)
            item.setData(NAME_ROLE, row.name)
            item.setData(COUNT_ROLE, row.count)
            item.setData(ICON_PATH_ROLE, row.icon_path)
            item.setToolTip(self._tooltip(row))
            self.addItem(item)
            if row.icon_path and known is None:
                self._loader.request(row.icon_path)
        self._show_searched()

    def set_searched(self, names: list[str]) -> None:
        """Highlight the tags being searched, and nothing else (none for the library, an image
        or duplicates); never the "New tag…" row."""
        self._searched = list(names)
        self._show_searched()

    def searched(self) -> list[str]:
        """The highlighted tags' names, top to bottom."""
        return [item.data(NAME_ROLE) for item in self._items() if item.isSelected()]

    def _show_searched(self) -> None:
        selection = self.selectionModel()
        selection.clear()  # also the current row: no focus frame left on "New tag…"
        wanted = set(self._searched)
        for item in self._items():
            if item.data(NAME_ROLE) in wanted:
                selection.select(self.indexFromItem(item),
                                 QItemSelectionModel.SelectionFlag.Select)

    def _items(self) -> list[QListWidgetItem]:
        return [self.item(row) for row in range(1, self.count())]

    def set_count(self, name: str, count: int) -> None:
        item = self.item_for(name)
        if item is not None:
            item.setData(COUNT_ROLE, count)

    def item_for(self, name: str) -> QListWidgetItem | None:
        for row in range(1, self.count()):
            item = self.item(row)
            if item.data(NAME_ROLE) == name:
                return item
        return None

    def current_tag(self) -> str | None:
        """The tag the Tags menu acts on: the first highlighted one."""
        return next(iter(self.searched()), None)

    def count_of(self, name: str) -> int | None:
        item = self.item_for(name)
        return None if item is None else item.data(COUNT_ROLE)

    @staticmethod
    def _tooltip(row: TagRow) -> str:
        count = "not counted yet" if row.count is None else f"{row.count} matching images"
        return f"{row.name}: {count}\nDrop images here to add them as references"

    # Icons from the first reference image
    def _on_icon_loaded(self, path: str, image: QImage) -> None:
        for row in range(1, self.count()):
            item = self.item(row)
            if item.data(ICON_PATH_ROLE) == path:
                pixmap = QPixmap.fromImage(image).scaled(
                    64, 64, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
                self._icons[path] = QIcon(pixmap)
                item.setIcon(self._icons[path])

    # Clicks and menu
    def _on_clicked(self, item: QListWidgetItem) -> None:
        name = item.data(NAME_ROLE)
        if name:
            self.tag_activated.emit(name)
        else:
            self._show_searched()  # the click selected "New tag…": it is a button, not a tag
            self.new_tag_requested.emit()

    def _show_menu(self, position: QPoint) -> None:
        item = self.itemAt(position)
        name = item.data(NAME_ROLE) if item is not None else ""
        menu = QMenu(self)
        if name:
            menu.addAction("Search", lambda: self.tag_activated.emit(name))
            menu.addAction("Reference images…", lambda: self.references_requested.emit(name))
            menu.addAction("Rename…", lambda: self.rename_requested.emit(name))
            menu.addSeparator()
            menu.addAction("Delete", lambda: self.delete_requested.emit(name))
        else:
            menu.addAction("New tag…", self.new_tag_requested.emit)
        menu.popup(self.viewport().mapToGlobal(position))

    # Drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if has_droppable_files(event.mimeData()):
            accept_as_copy(event)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if not has_droppable_files(event.mimeData()):
            event.ignore()
            return
        accept_as_copy(event)
        target = self.itemAt(event.position().toPoint())
        if target is not self._drop_target:
            self._drop_target = target
            self.setCurrentItem(target) if target is not None else self.clearSelection()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop_target = None
        self._show_searched()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_target = None
        self._show_searched()
        paths = dropped_image_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        accept_as_copy(event)
        item = self.itemAt(event.position().toPoint())
        name = item.data(NAME_ROLE) if item is not None else ""
        self.files_dropped.emit(name or "", paths)
