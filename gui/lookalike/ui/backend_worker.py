"""The one thread that talks to the backend, so the window never waits on the network.

The main thread hands the worker immutable :class:`Request` snapshots (a serial number, a channel
and a job: a function of a :class:`Session`); the worker runs them in order on its QThread and
answers by signals, which Qt delivers on the main thread. A newer request on the same channel makes
older answers stale: :class:`BackendBridge` drops them. Every client call has its own timeout.

If the local service's process dies, the request that noticed is not lost: the worker restarts the
service and runs the request again; a health timer also restarts it between requests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from lookalike.client import ConnectionFailedError
from lookalike.ui.backend_session import Backend, Session
from lookalike.ui.plain_errors import UserInputError

log = logging.getLogger(__name__)

Job = Callable[[Session], Any]
ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Request:
    """What the main thread asks of the worker; never changed after it is sent."""

    serial: int
    job: Job
    what: str  # names the action in error messages: "Search for temple"
    channel: str | None = None
    # A job that may run for minutes (duplicates of a big library) runs on a thread of its own,
    # so the searches sent after it do not wait for it.
    detached: bool = False


def short_error(error: BaseException) -> str:
    """One line for the user; the log keeps the stack."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:300]


class BackendWorker(QObject):
    """Lives on the backend QThread; owns the :class:`Backend` and its session."""

    finished = Signal(int, object)
    failed = Signal(int, str)
    connected = Signal(str, str)  # context id, backend kind
    status_message = Signal(str)
    connection_failed = Signal(str)

    def __init__(self, backend_factory: Callable[[], Backend]) -> None:
        super().__init__()
        self._backend_factory = backend_factory
        self._backend: Backend | None = None
        self._session: Session | None = None

    @property
    def backend(self) -> Backend | None:
        return self._backend

    @Slot()
    def connect_backend(self) -> None:
        try:
            self._ensure_session()
        except Exception as error:
            log.exception("Could not reach the backend")
            self.connection_failed.emit(f"Can't reach the search service: {short_error(error)}")

    @Slot(object)
    def run_request(self, request: Request) -> None:
        if request.detached:
            self._start_detached(request)
            return
        self._answer(request, lambda: self._run_with_recovery(request))

    def _answer(self, request: Request, run: Callable[[], Any]) -> None:
        """Run the job and emit its result, or its failure in one line for the user."""
        try:
            result = run()
        except UserInputError as error:  # the user's file, not a bug: one line, no traceback
            log.warning("%s: %s", request.what, error)
            self.failed.emit(request.serial, str(error))
        except Exception as error:
            log.warning("%s failed", request.what, exc_info=True)
            self.failed.emit(request.serial, f"{request.what} failed: {short_error(error)}")
        else:
            self.finished.emit(request.serial, result)

    def _start_detached(self, request: Request) -> None:
        """Run a long job on a thread of its own, with the current session.

        It is not retried if the service dies meanwhile (the health check restarts the service;
        the user asks again). A daemon thread: quitting stops the service under it, and nobody
        waits for its answer.
        """
        try:
            session = self._ensure_session()
        except Exception as error:
            log.warning("%s failed", request.what, exc_info=True)
            self.failed.emit(request.serial, f"{request.what} failed: {short_error(error)}")
            return

        def run() -> None:
            try:
                self._answer(request, lambda: request.job(session))
            except RuntimeError:  # the window (and this worker) went away meanwhile
                log.debug("%s finished after the window closed", request.what)

        threading.Thread(target=run, name=f"lookalike-{request.what}", daemon=True).start()

    @Slot()
    def check_health(self) -> None:
        if self._backend is None or self._session is None:
            return
        if self._backend.is_alive():
            return
        self.status_message.emit("The local search service stopped; restarting it…")
        try:
            self._restart()
        except Exception as error:
            log.exception("Restarting the search service failed")
            self.connection_failed.emit(f"Can't restart the search service: {short_error(error)}")

    @Slot()
    def restart_backend(self) -> None:
        """A restart the app asked for (to stop an extraction): nothing to tell the user."""
        if self._backend is None:
            return
        try:
            self._restart(announce=False)
        except Exception as error:
            log.exception("Restarting the search service failed")
            self.connection_failed.emit(f"Can't restart the search service: {short_error(error)}")

    def shutdown(self) -> None:
        """Stop the backend; called from the main thread once this thread has finished."""
        if self._backend is not None:
            try:
                self._backend.close()
            except Exception:
                log.exception("Closing the backend failed")
        self._backend = None
        self._session = None

    def _ensure_session(self) -> Session:
        if self._session is not None:
            return self._session
        if self._backend is None:
            self._backend = self._backend_factory()
        self._session = self._backend.connect()
        self.connected.emit(self._session.context_id, self._session.kind)
        return self._session

    def _restart(self, *, announce: bool = True) -> Session:
        assert self._backend is not None
        self._session = None
        self._session = self._backend.restart()
        if announce:
            self.status_message.emit("The search service was restarted")
        self.connected.emit(self._session.context_id, self._session.kind)
        return self._session

    def _run_with_recovery(self, request: Request) -> Any:
        session = self._ensure_session()
        try:
            return request.job(session)
        except ConnectionFailedError:
            if self._backend is None or self._backend.is_alive():
                raise
            log.warning("The service died during %s; restarting it and retrying", request.what)
            self.status_message.emit("The local search service stopped; restarting it…")
            return request.job(self._restart())


# How long quitting waits for the request in flight, and then for the stopped backend.
CLOSE_GRACE_MS = 3000
# Threads still busy at quit: kept referenced, since destroying a running QThread aborts the app.
_ABANDONED_THREADS: list[QThread] = []


@dataclass
class _Pending:
    on_result: ResultCallback | None
    on_error: ErrorCallback | None
    channel: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class BackendBridge(QObject):
    """Main-thread side: numbers requests, routes answers to callbacks, drops stale ones."""

    connected = Signal(str, str)
    status_message = Signal(str)
    connection_failed = Signal(str)
    error = Signal(str)  # failures of requests that have no error callback
    busy_changed = Signal(bool)

    _submit = Signal(object)
    _connect = Signal()
    _check_health = Signal()
    _restart_requested = Signal()

    def __init__(
        self,
        backend_factory: Callable[[], Backend],
        health_interval_ms: int = 3000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("lookalike-backend")
        self._worker = BackendWorker(backend_factory)
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run_request)
        self._connect.connect(self._worker.connect_backend)
        self._check_health.connect(self._worker.check_health)
        self._restart_requested.connect(self._worker.restart_backend)
        self._worker.connected.connect(self._on_connected)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.connected.connect(self.connected)
        self._worker.status_message.connect(self.status_message)
        self._worker.connection_failed.connect(self.connection_failed)
        self._serial = 0
        self._latest: dict[str, int] = {}
        self._pending: dict[int, _Pending] = {}
        self._health = QTimer(self)
        self._health.setInterval(health_interval_ms)
        self._health.timeout.connect(self._check_health)
        self._started = False
        self.kind = ""
        self.context_id = ""

    @property
    def worker(self) -> BackendWorker:
        return self._worker

    def start(self) -> None:
        self._thread.start()
        self._started = True
        self._connect.emit()
        self._health.start()

    def submit(
        self,
        what: str,
        job: Job,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        channel: str | None = None,
        detached: bool = False,
    ) -> int:
        """Queue ``job``; a later submit on the same ``channel`` makes this one's answer stale.

        ``detached`` runs it beside the queue rather than in it (see :class:`Request`).
        """
        self._serial += 1
        serial = self._serial
        if channel is not None:
            self._latest[channel] = serial
        self._pending[serial] = _Pending(on_result, on_error, channel)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        self._submit.emit(Request(serial, job, what, channel, detached))
        return serial

    def restart_backend(self) -> None:
        """Restart the server (the local service: its running extraction dies with it)."""
        self._restart_requested.emit()

    def abandon(self, channel: str) -> None:
        """Forget the request in flight on ``channel``: its answer, when it comes, is dropped."""
        serial = self._latest.pop(channel, None)
        if serial is not None and self._pending.pop(serial, None) is not None \
                and not self._pending:
            self.busy_changed.emit(False)

    def is_pending(self, channel: str) -> bool:
        serial = self._latest.get(channel)
        return serial is not None and serial in self._pending

    def close(self) -> None:
        """Finish the current request, drop the queued ones, stop the backend and the thread.

        A request may run for minutes (duplicates of a big library): quitting must not wait for
        it. After a short grace the backend is stopped under the request (the local service is
        killed, a cloud session closed), which ends it with an error nobody reads any more.
        """
        self._health.stop()
        self._pending.clear()
        if self._started:
            self._thread.quit()
            if not self._thread.wait(CLOSE_GRACE_MS):
                log.info("A request is still running at quit; stopping the backend under it")
                self._worker.shutdown()
                # The client's retries against the stopped service take up to ~4 s.
                if not self._thread.wait(2 * CLOSE_GRACE_MS):
                    # Terminating a thread that may hold the GIL would hang the app instead.
                    log.error("The backend thread is still busy at quit; leaving it behind")
                    _ABANDONED_THREADS.append(self._thread)
            self._started = False
        self._worker.shutdown()

    @Slot(str, str)
    def _on_connected(self, context_id: str, kind: str) -> None:
        self.context_id = context_id
        self.kind = kind

    def _take(self, serial: int) -> _Pending | None:
        pending = self._pending.pop(serial, None)
        if not self._pending:
            self.busy_changed.emit(False)
        if pending is None:
            return None
        if pending.channel is not None and self._latest.get(pending.channel) != serial:
            log.debug("Dropped the stale answer to request %d", serial)
            return None
        return pending

    @Slot(int, object)
    def _on_finished(self, serial: int, result: object) -> None:
        pending = self._take(serial)
        if pending is not None and pending.on_result is not None:
            pending.on_result(result)

    @Slot(int, str)
    def _on_failed(self, serial: int, message: str) -> None:
        pending = self._take(serial)
        if pending is None:
            return
        if pending.on_error is not None:
            pending.on_error(message)
        else:
            self.error.emit(message)
