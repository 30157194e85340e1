"""The main window: search bar on top, tags on the left, the thumbnail grid in the middle.

It builds the widgets and wires them to the controllers (search, tags, indexing); the backend is
reached only through the :class:`BackendBridge`, whose worker thread runs every client call.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProxyStyle,
    QSlider,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyleOption,
    QToolBar,
    QToolButton,
    QWidget,
)

from lookalike import __version__
from lookalike.client import path_to_image_id
from lookalike.ui import backend_jobs
from lookalike.ui.backend_session import Backend
from lookalike.ui.backend_worker import BackendBridge
from lookalike.ui.background import TaskRunner
from lookalike.ui.credentials import CredentialStore
from lookalike.ui.dropped_files import accept_as_copy, dropped_folders
from lookalike.ui.duplicates_view import DuplicatesView
from lookalike.ui.icons import app_icon
from lookalike.ui.indexing import IndexingController
from lookalike.ui.indexing_status import IndexingStatus
from lookalike.ui.library import Library, list_images
from lookalike.ui.preview import PreviewDialog
from lookalike.ui.problems_panel import ProblemsPanel
from lookalike.ui.prompts import Prompts
from lookalike.ui.references_dialog import ReferencesDialog
from lookalike.ui.result_filter import Hit
from lookalike.ui.search_bar import SearchBar
from lookalike.ui.search_controller import SearchController
from lookalike.ui.search_wording import empty_library_placeholder, plural
from lookalike.ui.settings import CLOUD, LOCAL, AppSettings, BackendChoice
from lookalike.ui.settings_dialog import SettingsDialog, SettingsResult
from lookalike.ui.tag_controller import TagController
from lookalike.ui.tag_sidebar import TagSidebar
from lookalike.ui.tag_store import TagStore
from lookalike.ui.thumbnail_grid import ThumbnailGrid
from lookalike.ui.thumbnail_loader import ThumbnailLoader
from lookalike.ui.thumbnail_model import GridItem, ThumbnailModel
from lookalike.ui.welcome_panel import WelcomePanel

log = logging.getLogger(__name__)

MINIMUM_WINDOW = QSize(720, 440)

# The smallest size still shows a readable name and a score badge well inside the picture.
ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 96, 384, 32
CONFIRMATION_MS = 6000
PROBLEMS_HEIGHT = 240  # the Problems panel's first height: about seven rows
SEPARATOR_EXTENT = 8  # pixels: a handle above the Problems panel that is easy to grab


class SeparatorStyle(QProxyStyle):
    """The app's style, with a dock separator that can be seen and grabbed (Fusion's is a few
    pixels of plain background). Set on the window only: its children keep the app's style."""

    def pixelMetric(self, metric: QStyle.PixelMetric, option: QStyleOption | None = None,
                    widget: QWidget | None = None) -> int:
        if metric == QStyle.PixelMetric.PM_DockWidgetSeparatorExtent:
            return SEPARATOR_EXTENT
        return super().pixelMetric(metric, option, widget)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,
                      painter: QPainter, widget: QWidget | None = None) -> None:
        if element != QStyle.PrimitiveElement.PE_IndicatorDockWidgetResizeHandle:
            super().drawPrimitive(element, option, painter, widget)
            return
        rect = option.rect
        palette = option.palette
        painter.fillRect(rect, palette.color(QPalette.ColorRole.Midlight))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.Dark))
        centre = rect.center()
        horizontal = rect.width() >= rect.height()
        for step in (-8, -4, 0, 4, 8):  # a grip of five dots in the middle
            x = centre.x() + (step if horizontal else 0)
            y = centre.y() + (0 if horizontal else step)
            painter.drawEllipse(QPoint(x, y), 1, 1)
BackendFactory = Callable[[BackendChoice, str], Callable[[], Backend]]  # choice, secret


@dataclass(frozen=True, slots=True)
class AppPaths:
    """Where the app keeps things (platformdirs in the app, temporary folders in tests)."""

    data_dir: Path
    cache_dir: Path
    log_dir: Path
    config_dir: Path


def thumbnail_pixels(size: int, ratio: float) -> int:
    """Decoded thumbnail size for a cell of ``size`` logical pixels: one device pixel each.

    Exactly the cell's size, so painting is a plain copy (scaling 40 pixmaps per scroll step
    costs more than decoding again after a zoom); sharp on HiDPI screens.
    """
    return max(16, round(size * ratio))


def scan_folder(folder: str, storage_root: Path) -> list[GridItem]:
    """A folder's images as grid items (runs on a worker thread)."""
    items = []
    for path in list_images(Path(folder)):
        try:
            image_id = path_to_image_id(Path(path), storage_root)
        except ValueError:
            image_id = path
        items.append(GridItem(path, image_id))
    return items


def library_text(readable: int, unreadable: int) -> str:
    """"146 images in the library (29 could not be read)": only images that can be searched."""
    text = f"{plural(readable, 'image')} in the library"
    return f"{text} ({unreadable} could not be read)" if unreadable else text


def about_text(paths: AppPaths) -> str:
    return (
        f"Lookalike {__version__}\n\n"
        "Tag your photos by dragging a reference image onto a tag, and find similar ones.\n\n"
        f"Log files: {paths.log_dir}"
    )


def interrupted_text(reasons: dict[str, str]) -> str:
    """"Indexing of big was interrupted; press F5 to finish. (Can't reach …)": the folders by
    name, and the first reason without the request's own name in front of it."""
    names = ", ".join(Path(folder).name or folder for folder in reasons)
    reason = next(iter(reasons.values()), "")
    reason = reason.split(" failed: ", 1)[-1].strip()
    text = f"Indexing of {names} was interrupted; press F5 to finish."
    return f"{text} ({reason})" if reason else text


class MainWindow(QMainWindow):
    ready = Signal()  # the backend answered for the first time

    def __init__(
        self,
        settings: AppSettings,
        paths: AppPaths,
        backend_factory: BackendFactory,
        credentials: CredentialStore | None = None,
        prompts: Prompts | None = None,
        health_interval_ms: int = 3000,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Lookalike")
        self.setMinimumSize(MINIMUM_WINDOW)  # below this the sidebar's names and the grid vanish
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)  # folders dropped anywhere are added, as on the welcome panel
        self._style = SeparatorStyle(QApplication.style().name())
        self.setStyle(self._style)
        self.settings = settings
        self.paths = paths
        self.prompts = prompts or Prompts(self)
        self.credentials = credentials or CredentialStore(paths.config_dir / "credentials.json")
        self._backend_factory = backend_factory
        self._health_interval_ms = health_interval_ms
        self.storage_root = Path(Path.home().anchor)
        self.library = Library(paths.data_dir)
        self.tag_store = TagStore(paths.data_dir)
        self._files: dict[str, list[GridItem]] = {}
        self._scans = TaskRunner(1, self)
        self._connected_once = False
        self._pixels_applied = False
        self._sticky_status = ""  # a message service chatter must not replace
        self._interrupted: dict[str, str] = {}  # folder -> why its indexing could not finish
        self._backend_name = ""  # "Local engine" once connected, for the status bar

        self.bridge = self._make_bridge()
        self.loader = ThumbnailLoader(paths.cache_dir / "thumbnails", parent=self)
        self.icon_loader = ThumbnailLoader(paths.cache_dir / "thumbnails", pixel_size=128,
                                           max_in_flight=1, parent=self)
        self.model = ThumbnailModel(self.loader, self.devicePixelRatioF())
        self._build_widgets()
        self.search = SearchController(
            self.bridge, self.tag_store, self.model, self.search_bar, self.library_items, self,
            library_text=lambda _shown: self.library_text(),
            library_placeholder=self._library_placeholder,
        )
        self.tags = TagController(self.bridge, self.tag_store, self.sidebar, self.prompts, self)
        self.indexing = IndexingController(self.bridge, self.library, parent=self)
        self.duplicates = DuplicatesView(self.bridge, self)
        self._wire()
        self._build_menus()
        self._restore_state()
        self.set_thumb_size(settings.thumb_size())
        self._show_problems()
        self._update_page()
        self._on_tags_changed()

    # Construction
    def _make_bridge(self) -> BackendBridge:
        choice = self.settings.backend()
        secret = self.credentials.load(choice.client_id) or "" if choice.kind != LOCAL else ""
        bridge = BackendBridge(self._backend_factory(choice, secret), self._health_interval_ms,
                               self)
        bridge.kind = choice.kind  # known before it connects: indexing picks its way by it
        bridge.connected.connect(self._on_connected)
        bridge.connection_failed.connect(self._on_connection_failed)
        bridge.status_message.connect(self._show_service_message)
        bridge.error.connect(self.show_status)
        return bridge

    def _build_widgets(self) -> None:
        self.search_bar = SearchBar(self)
        self.search_bar.set_threshold(self.settings.threshold())
        self.search_bar.max_count.setValue(self.settings.max_count())
        toolbar = QToolBar("Search", self)
        toolbar.setObjectName("searchToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.search_bar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)

        self.sidebar = TagSidebar(self.icon_loader, self)
        self.grid = ThumbnailGrid(self.model, self)
        self.grid.installEventFilter(self)
        self.welcome = WelcomePanel(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.grid)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 980])
        self.setCentralWidget(self.splitter)

        self.problems = ProblemsPanel(self)
        self.problems_dock = QDockWidget("Problems", self)
        self.problems_dock.setObjectName("problemsDock")
        self.problems_dock.setWidget(self.problems)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.problems_dock)
        self.problems_dock.hide()
        self._problems_sized = False
        self.problems_dock.visibilityChanged.connect(self._size_problems_once)

        status = self.statusBar()
        self.message = QLabel(self)
        status.addWidget(self.message, 1)
        self.indexing_status = IndexingStatus(self)
        status.addPermanentWidget(self.indexing_status)
        self.problems_button = QToolButton(self)
        self.problems_button.setAutoRaise(True)
        self.problems_button.clicked.connect(self.toggle_problems)
        status.addPermanentWidget(self.problems_button)
        self.backend_label = QLabel("Starting the search service…", self)
        status.addPermanentWidget(self.backend_label)
        self.zoom_label = QLabel("Size", self)
        self.zoom = QSlider(Qt.Orientation.Horizontal, self)
        self.zoom.setRange(ZOOM_MIN, ZOOM_MAX)
        self.zoom.setSingleStep(16)
        self.zoom.setPageStep(ZOOM_STEP)
        self.zoom.setMaximumWidth(120)
        self.zoom.setToolTip("Thumbnail size: drag to make the pictures larger or smaller "
                             "(View > Zoom in, Zoom out)")
        self.zoom_label.setToolTip(self.zoom.toolTip())
        self.zoom_label.setBuddy(self.zoom)
        self.zoom.valueChanged.connect(self.set_thumb_size)
        self._zoom_settle = QTimer(self)
        self._zoom_settle.setSingleShot(True)
        self._zoom_settle.setInterval(250)
        self._zoom_settle.timeout.connect(self._apply_thumbnail_pixels)
        status.addPermanentWidget(self.zoom_label)
        status.addPermanentWidget(self.zoom)

    def _wire(self) -> None:
        self.search.status.connect(self.show_status)
        self.search.showing_tags.connect(self.sidebar.set_searched)
        self.search.placeholder.connect(self.grid.set_placeholder)
        self.tags.status.connect(self.show_status)
        self.tags.confirmed.connect(self.show_confirmation)
        self.tags.renamed.connect(self.search_bar.rename_tag)
        self.tags.tags_changed.connect(self._on_tags_changed)
        self.sidebar.tag_activated.connect(self.search_tag)
        self.sidebar.references_requested.connect(self.show_references)
        self.search_bar.threshold_changed.connect(self.tags.set_threshold)
        self.tags.set_threshold(self.search_bar.query().threshold)
        self.grid.find_similar_requested.connect(self.find_similar)
        self.grid.add_to_tag_requested.connect(self.tags.add_files)
        self.grid.preview_requested.connect(self.preview)
        self.grid.status.connect(self.show_status)
        self.grid.folders_dropped.connect(self._add_folders)
        self.welcome.add_folder_requested.connect(self.ask_add_folder)
        self.welcome.folders_dropped.connect(self._add_folders)
        self.indexing.started.connect(lambda: self.indexing_status.show())
        self.indexing.progress.connect(self.indexing_status.show_progress)
        self.indexing.finished.connect(self._on_indexing_finished)
        self.indexing.problems_changed.connect(self._show_problems)
        self.indexing.interrupted.connect(self._on_indexing_interrupted)
        self.indexing_status.cancel_requested.connect(self.indexing.cancel)
        self.problems.clear_requested.connect(self._clear_problems)
        self.problems.show_requested.connect(self.preview)
        self.duplicates.show_group.connect(self._show_duplicates_group)
        self.duplicates.preview_requested.connect(self.preview)

    def _action(
        self, menu: QMenu, text: str, slot: Callable[[], object],
        shortcut: QKeySequence.StandardKey | str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if isinstance(shortcut, QKeySequence.StandardKey):
            action.setShortcuts(shortcut)
        elif shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Add folder…", self.ask_add_folder, QKeySequence.StandardKey.Open)
        self._action(file_menu, "&Rescan library", self.rescan, QKeySequence.StandardKey.Refresh)
        self.remove_menu = file_menu.addMenu("Remove folder")
        self.remove_menu.aboutToShow.connect(self._fill_remove_menu)
        file_menu.addSeparator()
        self._action(file_menu, "&Settings…", self.open_settings,
                     QKeySequence.StandardKey.Preferences)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit_menu = bar.addMenu("&Edit")
        self._action(edit_menu, "&Find…", self.search_bar.focus_search,
                     QKeySequence.StandardKey.Find)
        # The grid's own action, so the menu shows its shortcut and no second Ctrl+C competes.
        edit_menu.addAction(self.grid.copy_action)
        self._action(edit_menu, "Select &all", self.grid.selectAll,
                     QKeySequence.StandardKey.SelectAll)

        view_menu = bar.addMenu("&View")
        self._action(view_menu, "Zoom &in", lambda: self.zoom.setValue(self.zoom.value()
                                                                       + ZOOM_STEP),
                     QKeySequence.StandardKey.ZoomIn)
        self._action(view_menu, "Zoom &out", lambda: self.zoom.setValue(self.zoom.value()
                                                                        - ZOOM_STEP),
                     QKeySequence.StandardKey.ZoomOut)
        self._action(view_menu, "Show the whole &library", self.show_library)
        view_menu.addSeparator()
        view_menu.addAction(self.problems_dock.toggleViewAction())
        self._action(view_menu, "Find &duplicates…", self.show_duplicates)

        tags_menu = bar.addMenu("&Tags")
        self._action(tags_menu, "&New tag…", lambda: self.tags.add_files("", []),
                     QKeySequence.StandardKey.New)
        self._action(tags_menu, "&Rename tag…", self._rename_current_tag)
        self._action(tags_menu, "&Delete tag", self._delete_current_tag)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About Lookalike", self.show_about)

    # Library
    def library_counts(self) -> tuple[int, int]:
        """(images that can be searched, images that could not be read) in the library."""
        listed = {item.path for item in self.library_items()}
        unreadable = sum(1 for problem in self.library.problems() if problem.path in listed)
        return len(listed) - unreadable, unreadable

    def library_text(self) -> str:
        return library_text(*self.library_counts())

    def _library_placeholder(self) -> str:
        """An empty library view: still listing its folders, or really no images in them."""
        if any(folder not in self._files for folder in self.library.folders()):
            return "Looking for images in the library's folders…"
        return empty_library_placeholder()

    def library_items(self) -> list[GridItem]:
        seen: set[str] = set()
        items = []
        for folder in self.library.folders():
            for item in self._files.get(folder, ()):
                if item.path not in seen:
                    seen.add(item.path)
                    items.append(item)
        return items

    def start(self) -> None:
        """Connect to the backend and scan the library (called once the window is shown)."""
        self.bridge.start()
        for folder in self.library.folders():
            self._scan(folder)

    def ask_add_folder(self) -> None:
        folder = self.prompts.ask_folder("Add a folder of images")
        if folder:
            self.add_folder(folder)

    def _add_folders(self, folders: list[str]) -> None:
        for folder in folders:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> None:
        path = Path(os.path.abspath(folder))
        if not path.is_dir():
            self.prompts.error("Add folder", f"Can't add {folder}: it is not a folder")
            return
        if not self.library.add_folder(path):
            self.show_status(f"{path} is already in the library")
            return
        self._files = {f: items for f, items in self._files.items()
                       if f in self.library.folders()}
        self._update_page()
        self._scan(str(path))

    def remove_folder(self, folder: str) -> None:
        """Take a folder out of the library, and its images out of the search context (unless
        another library folder holds them too), so searches stop finding them."""
        kept = {item.image_id for other, items in self._files.items() if other != folder
                for item in items}
        gone = tuple(item.image_id for item in self._files.get(folder, ())
                     if item.image_id not in kept)
        self.library.remove_folder(folder)
        self._files.pop(folder, None)
        self._show_problems()
        self._update_page()
        self.show_confirmation(f"Removed {folder} from the library; its files stay where they are")
        if not gone:
            self.search.refresh()
            return
        self.bridge.submit(
            f"Forget the images of {folder}",
            functools.partial(backend_jobs.forget_images, image_ids=gone),
            on_result=lambda _count: self._after_forgetting(),
            on_error=self.show_status,
        )

    def _after_forgetting(self) -> None:
        """Images left the search context: the results and the tags' counts no longer hold."""
        self.tags.forget_counts()
        self.tags.refresh_counts()
        self.search.refresh()

    def rescan(self) -> None:
        self._sticky_status = ""
        for folder in self.library.folders():
            self._scan(folder)

    def _scan(self, folder: str) -> None:
        self.show_status(f"Listing {folder}…")
        root = self.storage_root
        self._scans.run(
            lambda: scan_folder(folder, root),
            lambda items: self._on_scanned(folder, items),
            lambda error: self.show_status(f"Can't list {folder}: {error}"),
        )

    def _on_scanned(self, folder: str, items: object) -> None:
        if folder not in self.library.folders():
            return
        self._files[folder] = list(items)  # type: ignore[call-overload]
        if self.message.text() == f"Listing {folder}…":
            self.show_status("")
        self._update_backend_label()
        # Only this folder's problems: the other folders may not have been listed yet.
        self.library.prune_problems((item.path for item in self._files[folder]), folder=folder)
        self._show_problems()
        if not self.search.is_showing_results():
            self.search.show_library()
        self.indexing.index(folder, [item.path for item in self._files[folder]])

    def _fill_remove_menu(self) -> None:
        self.remove_menu.clear()
        for folder in self.library.folders():
            self.remove_menu.addAction(folder, functools.partial(self.remove_folder, folder))
        if not self.library.folders():
            self.remove_menu.addAction("No folders").setEnabled(False)

    def _update_page(self) -> None:
        self.stack.setCurrentWidget(self.welcome if self.library.is_empty() else self.grid)

    def _on_indexing_finished(self, cancelled: bool) -> None:
        self.indexing_status.hide()
        if cancelled:
            self._show_sticky_status(self._cancelled_text())
        elif self._interrupted:
            self._show_sticky_status(interrupted_text(self._interrupted))
        elif self.search.is_showing_results():
            self.show_status("Library indexed")
        else:  # the library view: the count, now that it holds
            self.show_status(f"Library indexed: {self.library_text()}")
        self._interrupted.clear()
        self.tags.forget_counts()
        self.tags.refresh_counts()
        if self.search.is_showing_results():
            self.search.search()

    def _cancelled_text(self) -> str:
        """How far a cancelled indexing got, and how to finish it."""
        if self.indexing.last_cancelled is None:
            return "Indexing cancelled. Press F5 to finish."
        folder, done, total = self.indexing.last_cancelled
        name = Path(folder).name or folder
        if total <= 0:
            return f"Indexing of {name} cancelled. Press F5 to finish."
        noun = "photo" if total == 1 else "photos"
        return (f"Indexing cancelled: {done} of {total} {noun} in {name} indexed. "
                "Press F5 to finish.")

    def _on_indexing_interrupted(self, folder: str, reason: str) -> None:
        """The backend could not be reached for ``folder``: the status bar says so (this is
        no file's problem, so the Problems panel stays as it is)."""
        self._interrupted[folder] = reason
        self._show_sticky_status(interrupted_text({folder: reason}))

    # Problems
    def _show_problems(self) -> None:
        problems = self.library.problems()
        self.problems.set_problems(problems)
        self.problems_button.setText(f"⚠ {len(problems)} problems" if problems else "")
        self.problems_button.setVisible(bool(problems))
        self._update_backend_label()

    def _clear_problems(self) -> None:
        self.library.clear_problems()
        self._show_problems()

    def toggle_problems(self) -> None:
        self.problems_dock.setVisible(not self.problems_dock.isVisible())

    def _size_problems_once(self, visible: bool) -> None:
        """The first time the panel opens it gets room for several rows, not the dock's
        minimum; after that it keeps the height the user dragged it to."""
        if not visible or self._problems_sized:
            return
        self._problems_sized = True
        self.resizeDocks([self.problems_dock], [PROBLEMS_HEIGHT], Qt.Orientation.Vertical)

    # Searching
    def search_tag(self, name: str) -> None:
        self.search_bar.set_tags([name])
        self.search.search()

    def find_similar(self, path: str) -> None:
        self.search_bar.set_image(path)
        self.search.search()

    def show_library(self) -> None:
        self.search_bar.set_tags([])
        self.search.show_library()

    def _on_tags_changed(self) -> None:
        self.search_bar.tags_edit.set_tag_names(self.tags.names())
        self.grid.tag_names = self.tags.names()
        if self.search.is_showing_results():
            self.search.search()

    def _show_duplicates_group(self, hits: list[Hit]) -> None:
        self.model.set_items([GridItem(h.path, h.image_id, h.similarity) for h in hits])
        self.sidebar.set_searched([])  # no tag is being searched
        self.show_status(f"A group of {len(hits)} duplicates")

    # Tags
    def _rename_current_tag(self) -> None:
        name = self.sidebar.current_tag()
        if name:
            self.tags.rename(name)

    def _delete_current_tag(self) -> None:
        name = self.sidebar.current_tag()
        if name:
            self.tags.delete(name)

    def show_references(self, name: str) -> ReferencesDialog:
        tag = self.tag_store.get(name)
        dialog = ReferencesDialog(
            tag.name, [(ref.file, ref.source) for ref in tag.references], self.icon_loader, self,
            files_source=functools.partial(self._reference_files, tag.name),
        )
        dialog.remove_requested.connect(self.tags.remove_reference)
        dialog.files_dropped.connect(self.tags.add_files)
        self.tags.tags_changed.connect(dialog.refresh)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _reference_files(self, name: str) -> list[tuple[str, str]]:
        """(kept copy, original path) of each reference of ``name``; none once it is gone."""
        if self.tag_store.resolve(name) is None:
            return []
        return [(ref.file, ref.source) for ref in self.tag_store.get(name).references]

    # Dialogs
    def preview(self, path: str) -> PreviewDialog:
        dialog = PreviewDialog(path, self)
        dialog.show()
        return dialog

    def show_about(self) -> QMessageBox:
        """Which version this is (for bug reports) and where the log is; not modal."""
        box = QMessageBox(QMessageBox.Icon.Information, "About Lookalike", about_text(self.paths),
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        return box

    def show_duplicates(self) -> None:
        self.duplicates.show()
        self.duplicates.raise_()

    def open_settings(self) -> None:
        choice = self.settings.backend()
        contexts = {kind: self.settings.context_id(kind) for kind in ("local", "cloud")}
        dialog = SettingsDialog(choice, self.credentials, contexts, parent=self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        self.apply_settings(dialog.result_settings())

    def apply_settings(self, result: SettingsResult) -> bool:
        """Use the settings the dialog returned; False if the user declined the upload."""
        old = self.settings.backend()
        new = result.choice
        if new.kind == CLOUD and old.kind != CLOUD and not self._confirm_upload():
            self.show_status("Settings not changed: your photos stay on this computer")
            return False
        old_secret = self.credentials.load(old.client_id) or ""
        if new.kind != LOCAL and new.client_id:
            where = self.credentials.save(new.client_id, result.secret,
                                          to_file=result.secret_to_file)
            log.info("The cloud secret is kept in: %s", where)
        self.settings.set_backend(new)
        if new == old and result.secret == old_secret:
            return True
        self.reconnect()
        return True

    def _confirm_upload(self) -> bool:
        """Cloud mode uploads every library photo: the user agrees to that first."""
        folders = self.library.folders()
        if not folders:
            return True
        photos = sum(len(self._files.get(folder, ())) for folder in folders)
        photo_noun = "photo" if photos == 1 else "photos"
        folder_noun = "folder" if len(folders) == 1 else "folders"
        return self.prompts.confirm(
            "Upload photos to Aspose Cloud?",
            f"Aspose Cloud will receive a copy of {photos} {photo_noun} from {len(folders)} "
            f"{folder_noun}. Continue?",
        )

    def reconnect(self) -> None:
        """Stop the current backend and connect to the one the settings name."""
        self.indexing.cancel()
        self.bridge.close()
        self.bridge.deleteLater()
        self._connected_once = False
        self._backend_name = ""
        self.backend_label.setText("Connecting…")
        self.bridge = self._make_bridge()
        for owner in (self.search, self.tags, self.indexing, self.duplicates):
            owner.set_bridge(self.bridge)
        self.bridge.start()
        # The old backend's counts and results say nothing about the new one: show "not
        # counted yet", and ask the new backend (or say why it can't answer) for the results.
        self.tags.show_tags()
        self.search.refresh()
        for folder in self.library.folders():
            if folder in self._files:
                self.indexing.index(folder, [item.path for item in self._files[folder]])

    # Backend events
    def _on_connected(self, context_id: str, kind: str) -> None:
        self.settings.set_context_id(kind, context_id)
        self._backend_name = "Local engine" if kind == LOCAL else "Aspose Cloud"
        self._update_backend_label()
        self.backend_label.setToolTip(f"Search context {context_id}")
        self.tags.sync_context(context_id)
        if not self._connected_once:
            self._connected_once = True
            self.ready.emit()

    def _update_backend_label(self) -> None:
        """"Local engine · 146 photos": which backend, and how many photos it can search."""
        if not self._backend_name:
            return
        readable, _unreadable = self.library_counts()
        self.backend_label.setText(f"{self._backend_name} · {plural(readable, 'photo')}")

    def _on_connection_failed(self, message: str) -> None:
        self._backend_name = ""
        self.backend_label.setText("Not connected")
        self.show_status(message)
        log.error("%s", message)

    def show_status(self, text: str) -> None:
        self.message.setText(text)

    def show_confirmation(self, text: str) -> None:
        """Say what a change did for a few seconds, over the status line (which comes back)."""
        self.statusBar().showMessage(text, CONFIRMATION_MS)

    def _show_sticky_status(self, text: str) -> None:
        """A message the user must get to read: the service's own notes ("restarted") don't
        replace it; the user's next action does."""
        self._sticky_status = text
        self.show_status(text)

    def _show_service_message(self, text: str) -> None:
        if self._sticky_status and self.message.text() == self._sticky_status:
            log.info("Status kept over the service's note: %s", text)
            return
        self.show_status(text)

    # Zoom
    def set_thumb_size(self, size: int) -> None:
        size = max(ZOOM_MIN, min(ZOOM_MAX, size))
        if self.zoom.value() != size:
            self.zoom.setValue(size)  # comes back here through valueChanged
            return
        self.grid.set_thumb_size(size)
        if not self._pixels_applied:  # the first size: no thumbnails yet, apply at once
            self._apply_thumbnail_pixels()
        else:  # dragging the slider: decode again once it rests
            self._zoom_settle.start()

    def _apply_thumbnail_pixels(self) -> None:
        self._pixels_applied = True
        pixels = thumbnail_pixels(self.grid.thumb_size(), self.devicePixelRatioF())
        if pixels != self.loader.pixel_size:
            self.loader.pixel_size = pixels
            self.model.device_pixel_ratio = self.devicePixelRatioF()
            self.model.clear_thumbnails()

    # Window state
    def _restore_state(self) -> None:
        geometry = self.settings.window_bytes("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        state = self.settings.window_bytes("state")
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.window_bytes("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_state(self) -> None:
        self.settings.set_window_bytes("geometry", self.saveGeometry())
        self.settings.set_window_bytes("state", self.saveState())
        self.settings.set_window_bytes("splitter", self.splitter.saveState())
        query = self.search_bar.query()
        self.settings.set_threshold(query.threshold)
        self.settings.set_max_count(query.max_count)
        self.settings.set_thumb_size(self.grid.thumb_size())
        self.settings.sync()

    # Folders dropped outside the grid and the welcome panel (toolbar, status bar, ...)
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_folders(event.mimeData()):
            accept_as_copy(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_folders(event.mimeData()):
            accept_as_copy(event)

    def dropEvent(self, event: QDropEvent) -> None:
        folders = dropped_folders(event.mimeData())
        if folders:
            accept_as_copy(event)
            self._add_folders(folders)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.grid and event.type() == QEvent.Type.DevicePixelRatioChange:
            QTimer.singleShot(0, self._apply_thumbnail_pixels)
        return super().eventFilter(watched, event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every thread and the backend; safe to call twice."""
        self.indexing.stop()
        self._scans.shutdown()
        self.bridge.close()
        self.loader.shutdown()
        self.icon_loader.shutdown()

    def current_widget(self) -> QWidget | None:
        return self.stack.currentWidget()
