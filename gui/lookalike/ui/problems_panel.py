"""The Problems panel: files that could not be indexed, each with its reason."""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
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
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 360)
        self.table.cellDoubleClicked.connect(
            lambda row, _column: self.show_requested.emit(self._text(row, 0, tooltip=True))
        )
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
        self.summary.setText(
            "No problems" if not problems
            else f"{len(problems)} file(s) could not be indexed; the rest of the library is fine"
        )
        self.clear_button.setEnabled(bool(problems))

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

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), 160)

