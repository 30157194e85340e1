"""The Problems panel: files that could not be read, each with its reason.

Reasons are wrapped (and in each row's tooltip) so they can be read without widening the column;
Copy (Ctrl+C, or the context menu) puts the selected rows' full paths and reasons on the clipboard.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lookalike.ui.library import Problem


class ProblemsPanel(QWidget):
    clear_requested = Signal()
    show_requested = Signal(str)  # a file's path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemsPanel")
        self.summary = QLabel(self)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["File", "Reason"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long paths keep their name
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 360)
        self.table.cellDoubleClicked.connect(
            lambda row, _column: self.show_requested.emit(self._text(row, 0, tooltip=True))
        )
        self.copy_action = QAction("&Copy", self.table)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_selected)
        self.table.addAction(self.copy_action)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_menu)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Forget these problems (files are tried again when changed)")
        self.clear_button.clicked.connect(self.clear_requested)

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.set_problems([])

    def set_problems(self, problems: list[Problem]) -> None:
        self.table.setRowCount(len(problems))
        for row, problem in enumerate(problems):
            name = QTableWidgetItem(problem.path.rsplit("/", 1)[-1])
            name.setToolTip(problem.path)
            reason = QTableWidgetItem(problem.reason)
            reason.setToolTip(problem.reason)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, reason)
        self.table.resizeRowsToContents()
        self.summary.setText(summary_text(len(problems)))
        self.clear_button.setEnabled(bool(problems))

    def copy_selected(self) -> str:
        """Put the selected rows (all rows when none is selected) on the clipboard, one
        "path<TAB>reason" line each; returns the text."""
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        if not rows:
            rows = list(range(self.table.rowCount()))
        text = "\n".join(f"{self._text(row, 0, tooltip=True)}\t{self._text(row, 1)}"
                         for row in rows)
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    def _show_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.copy_action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def rows(self) -> list[tuple[str, str]]:
        """(path, reason) of each row, as shown."""
        return [
            (self._text(row, 0, tooltip=True), self._text(row, 1))
            for row in range(self.table.rowCount())
        ]

    def _text(self, row: int, column: int, *, tooltip: bool = False) -> str:
        item = self.table.item(row, column)
        if item is None:
            return ""
        return item.toolTip() if tooltip else item.text()

    def row_count(self) -> int:
        return self.table.rowCount()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.table.resizeRowsToContents()  # wrapped reasons take the lines the new width needs

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), 240)


def summary_text(count: int) -> str:
    if not count:
        return "No problems"
    files = "1 file" if count == 1 else f"{count} files"
    return f"{files} could not be read; the rest of the library is fine"

