"""Starting the desktop app: paths, logging, the error hook, the colour scheme, the main window.

``--smoke-test`` opens the window on a throw-away data folder, starts the local service, waits
until a context status call answers and a thumbnail worker process has made a thumbnail, and quits
with 0 (1 if either fails, 2 on a timeout).
It prints nothing on stdout: an installer's check reads only the exit code. A PySide6 that breaks
Python's reference counts (see qt_binding) stops the app at once with exit code 3.
"""

from __future__ import annotations

import argparse
import functools
import logging
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtCore import (
    QLockFile,
    QMessageLogContext,
    QObject,
    QSettings,
    Qt,
    QTimer,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from lookalike.logsetup import configure_logging
from lookalike.ui import backend_jobs
from lookalike.ui.backend_session import Backend, CloudBackend, LocalBackend
from lookalike.ui.cloud_uploads import UploadMap
from lookalike.ui.main_window import AppPaths, BackendFactory, MainWindow
from lookalike.ui.qt_binding import binding_problem
from lookalike.ui.settings import CLOUD, LOCAL, AppSettings, BackendChoice
from lookalike.ui.thumbnail_loader import ThumbnailLoader, stop_workers

log = logging.getLogger(__name__)

APP_NAME = "Lookalike"
SMOKE_TIMEOUT_MS = 120_000


def default_paths() -> AppPaths:
    return AppPaths(
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, False)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, False)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, False)),
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, False)),
    )


def temporary_paths(root: Path) -> AppPaths:
    return AppPaths(root / "data", root / "cache", root / "log", root / "config")


def make_backend_factory(paths: AppPaths) -> BackendFactory:
    """Builds the backend the settings name; the backend starts on the worker thread."""

    def factory(choice: BackendChoice, secret: str) -> Callable[[], Backend]:
        saved = choice.context_id or None
        if choice.kind == CLOUD:
            return lambda: CloudBackend(choice.base_url, choice.client_id, secret, saved,
                                        UploadMap(paths.data_dir))
        return lambda: LocalBackend(paths.data_dir / "service", paths.log_dir / "service.log",
                                    saved)

    return factory


# --- colours -------------------------------------------------------------------------------


def dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#2b2b2e",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f1f22",
        QPalette.ColorRole.AlternateBase: "#2b2b2e",
        QPalette.ColorRole.ToolTipBase: "#3a3a3e",
        QPalette.ColorRole.ToolTipText: "#f0f0f0",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#35353a",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6aa5ff",
        QPalette.ColorRole.Mid: "#55555a",
        QPalette.ColorRole.PlaceholderText: "#8c8c90",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7c7c80"))
    return palette


def follow_color_scheme(app: QApplication, force: str | None = None) -> None:
    """Fusion everywhere; a dark palette when the system (or ``force``) says dark."""
    app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()

    def update() -> None:
        dark = force == "dark" or (force is None and hints.colorScheme() == Qt.ColorScheme.Dark)
        app.setPalette(dark_palette() if dark else app.style().standardPalette())

    hints.colorSchemeChanged.connect(lambda _scheme: update())
    update()


# --- unexpected errors ------------------------------------------------------------------

qt_log = logging.getLogger("qt")
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def log_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's own messages go to the log file too, under the "qt" logger.

    Image plugins warn about every corrupt file they meet ("Corrupt JPEG data"): those are
    expected in a photo library and the Problems panel already names the files, so debug level.
    """
    level = _QT_LEVELS.get(kind, logging.WARNING)
    if context.category in ("qt.gui.imageio", "qt.gui.imageio.jpeg") or message.startswith(
        ("Corrupt JPEG data", "libpng", '"')
    ):
        level = logging.DEBUG
    qt_log.log(level, "%s", message)



class ErrorReporter(QObject):
    """Logs every uncaught exception with its stack and shows a short dialog; the app goes on."""

    _from_thread = Signal(str)

    def __init__(self, log_file: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.shown: list[str] = []
        self._showing = False
        self._from_thread.connect(self._show)
        self.show_dialogs = True

    def install(self) -> None:
        sys.excepthook = self.handle
        threading.excepthook = self._handle_thread

    def handle(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        log.error("Unexpected error:\n%s", "".join(traceback.format_exception(kind, error, tb)))
        self._show(f"{kind.__name__}: {error}".strip())

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                  args.exc_traceback))
        log.error("Unexpected error in thread %s:\n%s",
                  args.thread.name if args.thread else "?", text)
        self._from_thread.emit(f"{args.exc_type.__name__}: {args.exc_value}")

    def _show(self, summary: str) -> None:
        self.shown.append(summary)
        if self._showing or not self.show_dialogs:
            return
        self._showing = True
        try:
            where = f"\n\nDetails are in the log file:\n{self.log_file}" if self.log_file else ""
            parent = QApplication.activeWindow()
            QMessageBox.critical(
                parent if isinstance(parent, QWidget) else None, "Lookalike",
                f"Something went wrong, but Lookalike keeps running.\n\n{summary[:300]}{where}",
            )
        finally:
            self._showing = False


# --- the app ------------------------------------------------------------------------------


def run_app(args: argparse.Namespace, level: int) -> int:
    smoke = bool(getattr(args, "smoke_test", False))
    scratch = tempfile.TemporaryDirectory(prefix="lookalike-smoke-") if smoke else None
    paths = temporary_paths(Path(scratch.name)) if scratch else default_paths()
    log_file = paths.log_dir / "lookalike.log"
    configure_logging(level, log_file)
    log.info("Lookalike starting; log file %s", log_file)
    problem = binding_problem()
    if problem is not None:
        log.critical("%s", problem)
        return 3

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("lookalike")
    qInstallMessageHandler(log_qt_message)
    follow_color_scheme(app)
    reporter = ErrorReporter(log_file, app)
    reporter.install()

    instance_lock = single_instance_lock(paths.data_dir)
    if instance_lock is None:
        log.warning("Lookalike is already running on %s; this one quits", paths.data_dir)
        QMessageBox.information(
            None, APP_NAME, "Lookalike is already running. Use its window, or quit it first."
        )
        return 1

    if scratch is not None:
        qsettings = QSettings(str(paths.config_dir / "settings.ini"), QSettings.Format.IniFormat)
    else:
        qsettings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME,
                              APP_NAME)
    settings = AppSettings(qsettings)
    if smoke:
        settings.set_backend(BackendChoice(kind=LOCAL))
    window = MainWindow(settings, paths, make_backend_factory(paths))
    quit_on_signals(app)
    window.show()
    window.start()
    if scratch is not None:  # the smoke test
        _arm_smoke_test(app, window, Path(scratch.name))
    try:
        code = app.exec()
    finally:
        if not smoke:
            window.save_state()
        window.shutdown()
        stop_workers()
        if scratch is not None:
            scratch.cleanup()
    log.info("Lookalike stopped (exit code %d)", code)
    return code


def single_instance_lock(data_dir: Path) -> QLockFile | None:
    """Hold the library's lock for as long as the app runs; None if another Lookalike holds it.

    Two windows on one library would fight over its files and its local service (which allows
    one service per data folder). A lock left by a crashed app is taken over.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(data_dir / "lookalike.lock"))
    lock.setStaleLockTime(0)  # only a dead process's lock is stale, however old
    return lock if lock.tryLock(200) else None


def quit_on_signals(app: QApplication) -> None:
    """Ctrl+C or a SIGTERM quits like the Quit menu: the local service is stopped, not orphaned.

    Python only runs signal handlers between bytecodes, so a timer gives it the chance while Qt
    waits for events.
    """
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda _number, _frame: app.quit())
    wake = QTimer(app)
    wake.setInterval(300)
    wake.timeout.connect(lambda: None)
    wake.start()


def _arm_smoke_test(app: QApplication, window: MainWindow, scratch: Path) -> None:
    """Quit with 0 once the service answers a status call and a thumbnail worker process made a
    thumbnail (a frozen app must be able to start both from its one executable); 1 if either
    fails; 2 on a timeout."""

    def finish(code: int, why: str) -> None:
        log.info("Smoke test: %s", why)
        app.exit(code)

    sample = scratch / "smoke-sample.png"
    picture = QImage(64, 48, QImage.Format.Format_RGB32)
    picture.fill(QColor("teal"))
    picture.save(str(sample))
    loader = ThumbnailLoader(None, pixel_size=32, parent=window)

    def on_thumbnail(path: str, image: QImage) -> None:
        finish(0, f"the service answered and a worker made a {image.width()}x{image.height()} "
                  "thumbnail")

    loader.loaded.connect(on_thumbnail)
    loader.failed.connect(lambda _path, reason: finish(1, reason))

    def on_ready() -> None:
        window.bridge.submit(
            "Smoke test status call", backend_jobs.ping,
            on_result=lambda status: loader.request(str(sample)),
            on_error=lambda message: finish(1, message),
        )

    window.ready.connect(on_ready)
    window.bridge.connection_failed.connect(functools.partial(finish, 1))
    QTimer.singleShot(SMOKE_TIMEOUT_MS, lambda: finish(2, "timed out"))
