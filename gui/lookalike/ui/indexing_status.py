"""The status bar's indexing widget: what is being indexed, a progress bar, a cancel button."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget


class IndexingStatus(QWidget):
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(220)
        # Room for "123456 / 123456": a cramped status bar must not clip the count.
        self.bar.setMinimumWidth(self.bar.fontMetrics().horizontalAdvance("000000 / 000000") + 32)
        self.bar.setTextVisible(True)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop indexing (it resumes where it stopped next time)")
        self.cancel_button.clicked.connect(self.cancel_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def show_progress(self, folder: str, done: int, total: int) -> None:
        name = Path(folder).name or folder
        self.label.setText(f"Indexing {name}")
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat(f"{done} / {total}")
        else:
            self.bar.setRange(0, 0)  # busy: the total is not known yet
        self.show()
