"""The questions the window asks the user, behind one object so tests can answer them.

Modal dialogs block a test; a test swaps in an object with the same methods and canned answers.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget


def photos_folder() -> str:
    """Where "Add folder" starts: the user's Pictures folder, or home (never the app's own
    working folder, which is wherever it was started from)."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    if pictures and Path(pictures).is_dir():
        return pictures
    return str(Path.home())


class Prompts:
    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def ask_text(self, title: str, label: str, text: str = "") -> str | None:
        """The text typed, or None if the user cancelled."""
        value, ok = QInputDialog.getText(
            self.parent, title, label, QLineEdit.EchoMode.Normal, text
        )
        return value if ok else None

    def ask_folder(self, title: str) -> str | None:
        folder = QFileDialog.getExistingDirectory(self.parent, title, photos_folder())
        return folder or None

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.parent, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def error(self, title: str, text: str) -> None:
        QMessageBox.warning(self.parent, title, text)
