"""A tag's reference images, with a way to remove one."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lookalike.ui.icons import icon
from lookalike.ui.thumbnail_loader import ThumbnailLoader

FILE_ROLE = Qt.ItemDataRole.UserRole + 1


class ReferencesDialog(QDialog):
    remove_requested = Signal(str, str)  # tag name, reference file

    def __init__(
        self, name: str, files: list[tuple[str, str]], loader: ThumbnailLoader,
        parent: QWidget | None = None,
    ) -> None:
        """``files`` holds (kept copy, original path) pairs."""
        super().__init__(parent)
        self.setWindowTitle(f"Reference images of {name}")
        self.resize(560, 420)
        self._name = name
        self.list = QListWidget(self)
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(128, 128))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setSpacing(6)
        for file, source in files:
            item = QListWidgetItem(icon("placeholder"), Path(source).name)
            item.setData(FILE_ROLE, file)
            item.setToolTip(source)
            self.list.addItem(item)
            loader.request(file)
        loader.loaded.connect(self._on_loaded)
        self.remove_button = QPushButton("Remove from tag", self)
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._remove_selected)
        self.list.currentItemChanged.connect(
            lambda current, _previous: self.remove_button.setEnabled(current is not None)
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(buttons)

    def files(self) -> list[str]:
        return [self.list.item(row).data(FILE_ROLE) for row in range(self.list.count())]

    def _on_loaded(self, path: str, image: QImage) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(FILE_ROLE) == path:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def _remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        file = item.data(FILE_ROLE)
        self.list.takeItem(self.list.row(item))
        self.remove_requested.emit(self._name, file)
