"""What a first run shows in place of the grid: a greeting, "Add folder…" and a drop zone."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from lookalike.ui.dropped_files import accept_as_copy, dropped_folders, has_droppable_files
from lookalike.ui.icons import app_icon


class WelcomePanel(QWidget):
    add_folder_requested = Signal()
    folders_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self.setAcceptDrops(True)
        logo = QLabel(self)
        logo.setPixmap(app_icon().pixmap(96, 96))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("<h1>Welcome to Lookalike</h1>", self)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Add a folder of photos: Lookalike indexes it in the background.<br>"
            "Then drag a reference image onto a tag, and every image that<br>"
            "looks like it gets the tag.",
            self,
        )
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = QPushButton("Add folder…", self)
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self.add_folder_requested)
        self.drop_zone = QFrame(self)
        self.drop_zone.setObjectName("dropZone")
        self.drop_zone.setFrameShape(QFrame.Shape.StyledPanel)
        self.drop_zone.setMinimumSize(420, 120)
        self.drop_zone.setStyleSheet(
            "#dropZone { border: 2px dashed palette(mid); border-radius: 10px; }"
        )
        zone_label = QLabel("…or drop folders here", self.drop_zone)
        zone_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        zone_layout = QVBoxLayout(self.drop_zone)
        zone_layout.addWidget(zone_label)

        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (logo, title, text, self.add_button, self.drop_zone):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if has_droppable_files(event.mimeData()):
            accept_as_copy(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if has_droppable_files(event.mimeData()):
            accept_as_copy(event)

    def dropEvent(self, event: QDropEvent) -> None:
        folders = dropped_folders(event.mimeData())
        if folders:
            accept_as_copy(event)
            self.folders_dropped.emit(folders)
