"""Background indexing of the library's folders, one folder at a time, with progress and cancel.

Local mode asks the service to extract a whole folder (``imagesFolder``) and polls the context's
status for progress and failures. Cloud mode uploads the folder's files in small batches, which
gives progress and a place to stop. Failures of files go into the library's problem list; the rest
of the library is unaffected. A backend that can't be reached is no file's problem: ``interrupted``
tells the window, which says so in the status bar. If the local service restarts while it extracts
a folder, the folder is asked for again (the engine skips the files it already has).
Everything here runs on the GUI thread; the work runs in the backend worker.
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from lookalike.ui import backend_jobs
from lookalike.ui.backend_jobs import IndexStatus
from lookalike.ui.backend_worker import BackendBridge
from lookalike.ui.library import Library, iter_chunks
from lookalike.ui.settings import CLOUD

log = logging.getLogger(__name__)

CLOUD_BATCH = 8
STATUS_CHANNEL = "index-status"


@dataclass
class _Folder:
    path: str
    files: list[str]


class IndexingController(QObject):
    """Queue folders with :meth:`index`; watch ``progress``; stop with :meth:`cancel`."""

    started = Signal()
    progress = Signal(str, int, int)  # folder, done, total (total 0: not known yet)
    finished = Signal(bool)  # True when the user cancelled
    problems_changed = Signal()
    # folder, reason: the backend could not be reached, so the folder is only partly indexed.
    # Not a problem of any file: it goes to the status bar, not to the Problems panel.
    interrupted = Signal(str, str)

    def __init__(
        self, bridge: BackendBridge, library: Library, poll_ms: int = 400,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._library = library
        self._queue: deque[_Folder] = deque()
        self._current: _Folder | None = None
        self._batches: deque[tuple[str, ...]] = deque()
        self._done = 0
        self._progress: tuple[str, int, int] | None = None  # the current folder's latest
        self.last_cancelled: tuple[str, int, int] | None = None  # folder, done, total
        self._running_on_server = False
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self._ask_status)
        self.progress.connect(self._remember_progress)
        bridge.connected.connect(self._on_connected)

    def set_bridge(self, bridge: BackendBridge) -> None:
        """A new backend (settings changed): what was queued is dropped."""
        self._stop(cancelled=True, notify=False)
        self._bridge = bridge
        bridge.connected.connect(self._on_connected)

    def is_busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    def index(self, folder: str, files: list[str]) -> None:
        """Queue ``folder`` (with its listed ``files``, which cloud mode uploads)."""
        if self._current is not None and self._current.path == folder:
            return
        self._queue = deque(f for f in self._queue if f.path != folder)
        self._queue.append(_Folder(folder, files))
        if self._current is None:
            self.started.emit()
            self._next()

    def cancel(self) -> None:
        """Stop now: the queue is dropped and the server's extraction is stopped."""
        if not self.is_busy():
            return
        log.info("Indexing cancelled by the user")
        if self._current is not None:
            done, total = self._counts_of(self._current.path)
            # Before the service's first answer, the listing tells how many there are.
            self.last_cancelled = (self._current.path, done, total or len(self._current.files))
        else:
            self.last_cancelled = None
        # Also when the start request is still queued: the worker runs requests in order, so
        # the cancel reaches the server after the extraction it stops has started.
        if self._current is not None and not self._is_cloud():
            self._bridge.submit(
                "Cancel indexing", backend_jobs.cancel_indexing, on_result=self._on_cancel_answer
            )
        self._stop(cancelled=True)

    def stop(self) -> None:
        """Forget the queue without asking the server anything (the app is closing)."""
        self._stop(cancelled=True, notify=False)

    def _remember_progress(self, folder: str, done: int, total: int) -> None:
        self._progress = (folder, done, total)

    def _counts_of(self, folder: str) -> tuple[int, int]:
        if self._progress is None or self._progress[0] != folder:
            return 0, 0
        return self._progress[1], self._progress[2]

    def _on_connected(self, _context_id: str, _kind: str) -> None:
        """The backend (re)connected. If the local service was restarted while it extracted our
        folder, that extraction died with it: ask for the folder again. The engine skips the
        files it already indexed, so this resumes where it stopped."""
        folder = self._current
        if folder is None or not self._running_on_server or self._is_cloud():
            return
        log.warning("The search service restarted while indexing %s; resuming", folder.path)
        self._poll.stop()
        self._running_on_server = False  # answers about the dead extraction are ignored now
        self._retry_current()

    # Steps
    def _next(self) -> None:
        if not self._queue:
            self._stop(cancelled=False)
            return
        folder = self._queue.popleft()
        self._current = folder
        self._done = 0
        self.progress.emit(folder.path, 0, len(folder.files) if self._is_cloud() else 0)
        if self._is_cloud():
            self._batches = deque(iter_chunks(folder.files, CLOUD_BATCH))
            self._next_batch()
        else:
            self._bridge.submit(
                f"Indexing {folder.path}",
                functools.partial(backend_jobs.start_indexing, folder=folder.path),
                on_result=self._on_started, on_error=self._on_error,
            )

    def _is_cloud(self) -> bool:
        return self._bridge.kind == CLOUD

    def _on_started(self, started: object) -> None:
        if self._current is None:
            return
        if not started:
            # The context is busy with an extraction we did not start (an earlier run's):
            # wait for it to finish, then ask again.
            log.info("The search context is busy; waiting to index %s", self._current.path)
            QTimer.singleShot(self._poll.interval(), self._retry_current)
            return
        self._running_on_server = True
        self._poll.start()

    def _retry_current(self) -> None:
        if self._current is not None:
            self._queue.appendleft(self._current)
            self._current = None
            self._next()

    def _ask_status(self) -> None:
        if self._bridge.is_pending(STATUS_CHANNEL):
            return
        self._bridge.submit(
            "Checking the indexing progress", backend_jobs.index_status,
            on_result=self._on_status, on_error=self._on_error, channel=STATUS_CHANNEL,
        )

    def _on_status(self, status: object) -> None:
        assert isinstance(status, IndexStatus)
        folder = self._current
        if folder is None or not self._running_on_server:
            return
        self.progress.emit(folder.path, status.done, status.total)
        if not status.idle:
            return
        self._poll.stop()
        self._running_on_server = False
        self._library.forget_connection_problems(folder.path)
        if status.failures:
            self._library.record_problems(status.failures)
        self.problems_changed.emit()
        log.info("Indexed %s: %d files, %d failed", folder.path, status.total,
                 len(status.failures))
        self._current = None
        self._next()

    def _next_batch(self) -> None:
        folder = self._current
        if folder is None:
            return
        if not self._batches:
            self._current = None
            self._next()
            return
        batch = self._batches.popleft()
        self._bridge.submit(
            f"Uploading {folder.path}",
            functools.partial(backend_jobs.upload_and_index, files=batch),
            on_result=functools.partial(self._on_batch_done, batch), on_error=self._on_error,
        )

    def _on_batch_done(self, batch: tuple[str, ...], failures: object) -> None:
        folder = self._current
        if folder is None:
            return
        self._done += len(batch)
        self._library.forget_connection_problems(folder.path, batch)
        if failures:
            self._library.record_problems(failures)  # type: ignore[arg-type]
        self.problems_changed.emit()
        self.progress.emit(folder.path, self._done, len(folder.files))
        self._next_batch()

    def _on_error(self, message: str) -> None:
        folder = self._current
        if folder is None:
            return
        log.warning("Indexing %s stopped: %s", folder.path, message)
        self.interrupted.emit(folder.path, message)
        self._poll.stop()
        self._running_on_server = False
        self._current = None
        self._next()

    def _on_cancel_answer(self, cancelled: object) -> None:
        if not cancelled and self._bridge.kind != CLOUD:
            # A local service without Lookalike's cancel call (an older release): stopping
            # it is what stops its extraction.
            log.info("The service can't cancel; restarting it to stop the extraction")
            self._bridge.restart_backend()

    def _stop(self, *, cancelled: bool, notify: bool = True) -> None:
        was_busy = self.is_busy()
        self._poll.stop()
        self._queue.clear()
        self._batches.clear()
        self._current = None
        self._running_on_server = False
        if notify and (was_busy or not cancelled):
            self.finished.emit(cancelled)
