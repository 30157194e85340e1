"""The large preview a double-click opens: the image fitted to the dialog, decoded off-thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QSizePolicy, QVBoxLayout, QWidget

from lookalike.ui.thumbnail_loader import ThumbnailLoader

PREVIEW_PIXELS = 2048


class PreviewDialog(QDialog):
    def __init__(self, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(Path(path).name)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(900, 700)
        self._path = path
        self._pixmap: QPixmap | None = None
        self.image_label = QLabel("Loading…", self)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setMinimumSize(QSize(200, 150))
        # Ignored: the pixmap follows the dialog's size, never the other way round.
        self.image_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.caption = QLabel(path, self)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image_label, 1)
        layout.addWidget(self.caption)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)
        ratio = self.devicePixelRatioF()
        self._loader = ThumbnailLoader(None, pixel_size=int(PREVIEW_PIXELS * ratio),
                                       max_in_flight=1, parent=self)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.failed.connect(self._on_failed)
        self._loader.request(path)
        self.finished.connect(lambda _result: self._loader.shutdown())

    def _on_loaded(self, path: str, image: QImage) -> None:
        self._pixmap = QPixmap.fromImage(image)
        self._fit()

    def _on_failed(self, path: str, reason: str) -> None:
        self.image_label.setText(reason)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        ratio = self.devicePixelRatioF()
        size = self.image_label.size() * ratio
        scaled = self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
        scaled.setDevicePixelRatio(ratio)
        self.image_label.setPixmap(scaled)
