"""Find duplicates: the library's groups of near-identical images at a chosen threshold."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lookalike.ui import backend_jobs
from lookalike.ui.backend_worker import BackendBridge
from lookalike.ui.result_filter import Hit

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


class DuplicatesView(QDialog):
    """Lists duplicate groups; "Show in grid" puts a group's images in the main grid."""

    show_group = Signal(list)  # list[Hit]
    preview_requested = Signal(str)

    def __init__(self, bridge: BackendBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find duplicates")
        self.resize(640, 480)
        self._bridge = bridge
        self._groups: list[list[Hit]] = []
        self.threshold = QSpinBox(self)
        self.threshold.setRange(0, 100)
        self.threshold.setValue(90)
        self.threshold.setSuffix(" %")
        self.threshold.setPrefix("Similarity ≥ ")
        self.find_button = QPushButton("Find", self)
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.find_duplicates)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.summary = QLabel("Choose a threshold and press Find", self)
        self.summary.setWordWrap(True)  # long messages wrap rather than widen the dialog
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Image", "Similarity", "Folder"])
        self.tree.setColumnWidth(0, 260)
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.show_button = QPushButton("Show group in grid", self)
        self.show_button.setEnabled(False)
        self.show_button.clicked.connect(self._show_selected_group)
        self.tree.currentItemChanged.connect(
            lambda current, _previous: self.show_button.setEnabled(current is not None)
        )

        top = QHBoxLayout()
        top.addWidget(self.threshold)
        top.addWidget(self.find_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.show_button, 0, Qt.AlignmentFlag.AlignRight)

    def set_bridge(self, bridge: BackendBridge) -> None:
        self._bridge = bridge

    def find_duplicates(self) -> None:
        threshold = self.threshold.value()
        self._set_running(True)
        self.summary.setText("Looking for duplicates… (thousands of images take a minute or more;"
                             " searches go on meanwhile)")
        # TODO: progress: the API's findDuplicates answers only once, at the end.
        self._bridge.submit(
            "Find duplicates",
            functools.partial(backend_jobs.find_duplicates, threshold=threshold),
            on_result=self._on_groups, on_error=self._on_error, channel="duplicates",
            detached=True,
        )

    def cancel(self) -> None:
        """Stop waiting: the answer is dropped when it comes (the service finishes it alone)."""
        self._bridge.abandon("duplicates")
        self._set_running(False)
        self.summary.setText("Cancelled. Choose a threshold and press Find")

    def _set_running(self, running: bool) -> None:
        self.find_button.setEnabled(not running)
        self.cancel_button.setVisible(running)

    def groups(self) -> list[list[Hit]]:
        return [list(group) for group in self._groups]

    def _on_groups(self, groups: object) -> None:
        self._set_running(False)
        self._groups = list(groups)  # type: ignore[call-overload]
        self.tree.clear()
        for number, group in enumerate(self._groups, start=1):
            top = QTreeWidgetItem(self.tree, [f"Group {number}: {len(group)} images"])
            top.setData(0, PATH_ROLE, number - 1)
            for hit in group:
                path = Path(hit.path)
                columns = [path.name, f"{hit.similarity:.0f}%", str(path.parent)]
                child = QTreeWidgetItem(top, columns)
                child.setData(0, PATH_ROLE, hit.path)
                child.setToolTip(0, hit.path)
            top.setExpanded(True)
        count = len(self._groups)
        self.summary.setText(f"{count} group(s) of duplicates" if count else "No duplicates found")

    def _on_error(self, message: str) -> None:
        self._set_running(False)
        self.summary.setText(message)

    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        value = item.data(0, PATH_ROLE)
        if isinstance(value, str):
            self.preview_requested.emit(value)

    def _show_selected_group(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            return
        top = item.parent() or item
        index = top.data(0, PATH_ROLE)
        if isinstance(index, int) and 0 <= index < len(self._groups):
            self.show_group.emit(self._groups[index])
