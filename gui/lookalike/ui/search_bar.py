"""The search bar: tags (comma separated, completed), any/all, threshold, max count.

Dropping an image on it searches for images like that one; a chip shows the query image until the
user types tags again or clears it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from lookalike.ui.dropped_files import accept_as_copy, dropped_image_paths, has_droppable_files
from lookalike.ui.result_filter import SearchQuery


def split_tags(text: str) -> tuple[str, ...]:
    """Comma-separated tag names, trimmed, empty ones and repeats dropped (order kept)."""
    seen: dict[str, None] = {}
    for part in text.split(","):
        name = part.strip()
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


class TagLineEdit(QLineEdit):
    """A line of comma-separated tags whose completer completes the tag being typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = QStringListModel(self)
        self.completer_ = QCompleter(self.names, self)
        self.completer_.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer_.setWidget(self)
        self.completer_.activated.connect(self._insert_completion)
        self.textEdited.connect(self._update_completion)

    def set_tag_names(self, names: list[str]) -> None:
        self.names.setStringList(names)

    def _current_token(self) -> str:
        return self.text()[: self.cursorPosition()].rsplit(",", 1)[-1].strip()

    def _update_completion(self) -> None:
        token = self._current_token()
        popup = self.completer_.popup()
        if not token:
            if popup is not None:
                popup.hide()
            return
        self.completer_.setCompletionPrefix(token)
        if self.completer_.completionCount() > 0:
            self.completer_.complete()
        elif popup is not None:
            popup.hide()

    def _insert_completion(self, name: str) -> None:
        before = self.text()[: self.cursorPosition()]
        after = self.text()[self.cursorPosition():]
        head = before.rsplit(",", 1)[0] + ", " if "," in before else ""
        self.setText(f"{head}{name}, {after.lstrip(', ')}".rstrip())
        self.setCursorPosition(len(self.text()))


class SearchBar(QWidget):
    search_requested = Signal()
    threshold_changed = Signal(int)
    options_changed = Signal()  # any/all or max count
    image_dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBar")
        self.setAcceptDrops(True)
        self.tags_edit = TagLineEdit(self)
        self.tags_edit.setPlaceholderText("Search tags, comma separated — or drop an image here")
        self.tags_edit.setClearButtonEnabled(True)
        # A line edit takes a dropped file as its URL's text; the search bar makes it the query.
        self.tags_edit.setAcceptDrops(False)
        self.tags_edit.returnPressed.connect(self._on_return)
        self.tags_edit.textEdited.connect(self._on_text_edited)
        self.image_chip = QToolButton(self)
        self.image_chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.image_chip.setToolTip("Searching for images like this one; click to clear")
        self.image_chip.clicked.connect(self.clear_image)
        self.image_chip.hide()
        self._image_path: str | None = None

        self.mode = QComboBox(self)
        self.mode.addItem("any tag", False)
        self.mode.addItem("all tags", True)
        self.mode.setToolTip("Show images that match any of the tags, or all of them")
        self.mode.currentIndexChanged.connect(lambda _: self.options_changed.emit())

        self.threshold_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.threshold_slider.setRange(0, 100)
        self.threshold_slider.setMinimumWidth(120)
        self.threshold_slider.setToolTip("Lowest similarity to show")
        self.threshold_spin = QSpinBox(self)
        self.threshold_spin.setRange(0, 100)
        self.threshold_spin.setSuffix(" %")
        self.threshold_slider.valueChanged.connect(self._on_slider)
        self.threshold_spin.valueChanged.connect(self._on_spin)
        self.set_threshold(50)

        self.max_count = QSpinBox(self)
        self.max_count.setRange(1, 100_000)
        self.max_count.setValue(200)
        self.max_count.setPrefix("max ")
        self.max_count.setToolTip("Most images to show")
        self.max_count.valueChanged.connect(lambda _: self.options_changed.emit())

        self.search_button = QPushButton("Search", self)
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self._on_return)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.image_chip)
        layout.addWidget(self.tags_edit, 1)
        layout.addWidget(self.mode)
        layout.addWidget(QLabel("Similarity ≥", self))
        layout.addWidget(self.threshold_slider)
        layout.addWidget(self.threshold_spin)
        layout.addWidget(self.max_count)
        layout.addWidget(self.search_button)

    # State
    def query(self) -> SearchQuery:
        return SearchQuery(
            tags=() if self._image_path else split_tags(self.tags_edit.text()),
            match_all=bool(self.mode.currentData()),
            image_path=self._image_path,
            threshold=self.threshold_spin.value(),
            max_count=self.max_count.value(),
        )

    def set_threshold(self, value: int) -> None:
        self.threshold_spin.setValue(value)

    def set_tags(self, names: list[str]) -> None:
        self.clear_image(notify=False)
        self.tags_edit.setText(", ".join(names))

    def rename_tag(self, old: str, new: str) -> None:
        """A tag in the box was renamed: the box names it by its new name."""
        if self._image_path is not None:
            return
        names = list(split_tags(self.tags_edit.text()))
        folded = old.casefold()
        if any(name.casefold() == folded for name in names):
            self.tags_edit.setText(", ".join(new if name.casefold() == folded else name
                                             for name in names))

    def set_image(self, path: str) -> None:
        self._image_path = path
        self.image_chip.setText(f"Like {Path(path).name}  ✕")
        self.image_chip.show()
        self.tags_edit.clear()
        self.mode.setEnabled(False)

    def clear_image(self, notify: bool = True) -> None:
        if self._image_path is None:
            return
        self._image_path = None
        self.image_chip.hide()
        self.mode.setEnabled(True)
        if notify:
            self.search_requested.emit()

    def focus_search(self) -> None:
        self.tags_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.tags_edit.selectAll()

    @staticmethod
    def find_shortcut() -> QKeySequence:
        return QKeySequence(QKeySequence.StandardKey.Find)

    # Slots
    def _on_return(self) -> None:
        self.search_requested.emit()

    def _on_text_edited(self, text: str) -> None:
        """Typing replaces a query image; emptying the box (its ⊗ or the keyboard) goes back to
        the whole library at once, as clearing a search does elsewhere."""
        if self._image_path is not None and text:
            self.clear_image(notify=False)
        elif self._image_path is None and not text.strip():
            self.search_requested.emit()

    def _on_slider(self, value: int) -> None:
        if self.threshold_spin.value() != value:
            self.threshold_spin.setValue(value)

    def _on_spin(self, value: int) -> None:
        if self.threshold_slider.value() != value:
            self.threshold_slider.setValue(value)
        self.threshold_changed.emit(value)

    # Drops: an image file becomes the query
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if has_droppable_files(event.mimeData()):
            accept_as_copy(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if has_droppable_files(event.mimeData()):
            accept_as_copy(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_image_paths(event.mimeData())
        if not paths:
            return
        accept_as_copy(event)
        self.set_image(paths[0])
        self.image_dropped.emit(paths[0])
