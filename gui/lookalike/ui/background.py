"""Run a plain function on a thread pool and get its answer back on the GUI thread.

For local work that must not block the window but has nothing to do with the backend (listing a
library's files, a one-off "Test connection"). Results come back through a signal, so callbacks run
on the main thread; a task whose owner was destroyed is answered to nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object, object)  # result, error


class _Task(QRunnable):
    def __init__(self, function: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._function = function
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._function()
        except Exception as error:
            log.warning("Background task failed", exc_info=True)
            self._relay.done.emit(None, error)
        else:
            self._relay.done.emit(result, None)


class TaskRunner(QObject):
    """Owns a small thread pool; :meth:`shutdown` waits for what is running."""

    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._relays: set[_Relay] = set()

    def run(
        self,
        function: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        relay = _Relay()
        self._relays.add(relay)

        @Slot(object, object)
        def finish(result: object, error: object) -> None:
            self._relays.discard(relay)
            if isinstance(error, BaseException):
                if on_error is not None:
                    on_error(error)
                else:
                    log.error("Background task failed: %s", error)
            else:
                on_result(result)

        relay.done.connect(finish)
        self._pool.start(_Task(function, relay))

    def wait(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone()
