"""Thumbnails made off the GUI thread, in worker processes, cached on disk.

Requests are queued here, on the GUI thread, newest first and bounded, so scrolling fast through a
huge grid only decodes what is on screen now. A few are handed at a time to a small pool of worker
processes (:mod:`lookalike.ui.thumbnail_worker`, Pillow with pillow-heif): decoding in processes
keeps the decoders off the GIL the GUI thread needs (see that module for why that matters) and
turns a decoder that crashes or hangs on a bad file into one failed thumbnail. The worker hands
back plain pixels; only the GUI thread makes QImages and QPixmaps of them. One pool serves every
loader of the app (grid, tag icons, previews); it starts with the first request.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

from pebble import ProcessExpired, ProcessPool
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from lookalike.ui.thumbnail_worker import (
    Pixels,
    ThumbnailError,
    init_worker,
    make_thumbnail,
)

log = logging.getLogger(__name__)

__all__ = ["ThumbnailError", "ThumbnailLoader", "load_thumbnail"]

MAX_PENDING = 256
# Per worker process: enough that a worker never waits for its next file, few enough that the
# newest request (what is on screen now) is never stuck behind a long queue.
IN_FLIGHT_PER_WORKER = 2
TASK_TIMEOUT_SECONDS = 60.0  # a 200 MP HEIC takes a few seconds; a hung decoder is killed
TASKS_PER_WORKER = 5000  # then the worker is replaced: decoders fragment memory

_QIMAGE_FORMATS = {
    "RGB32": QImage.Format.Format_RGB32,
    "RGBa": QImage.Format.Format_RGBA8888_Premultiplied,
}


def worker_count() -> int:
    """Leave a core to the GUI thread; two workers keep up with scrolling on any machine."""
    return max(1, min(2, (os.cpu_count() or 2) - 1))


class _SharedPool:
    """The worker processes every loader shares, started on first use and restarted if broken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None
        self.workers = worker_count()

    def schedule(self, path: str, pixel_size: int, cache_dir: str | None) -> Future[Pixels]:
        with self._lock:
            if self._pool is not None and not self._pool.active:
                log.warning("The thumbnail workers stopped; starting new ones")
                self._pool = None
            if self._pool is None:
                self._pool = ProcessPool(
                    max_workers=self.workers,
                    max_tasks=TASKS_PER_WORKER,
                    initializer=init_worker,
                    # spawn: the window has threads (fork would copy their locks), and a frozen
                    # app supports nothing else on every OS.
                    context=multiprocessing.get_context("spawn"),
                )
                log.info("Started %d thumbnail worker process(es)", self.workers)
            return self._pool.schedule(
                make_thumbnail, args=(path, pixel_size, cache_dir), timeout=TASK_TIMEOUT_SECONDS
            )

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=5)


_shared = _SharedPool()
atexit.register(_shared.stop)


def stop_workers() -> None:
    """Stop the worker processes (the app calls this on quit; a later request starts new ones)."""
    _shared.stop()


def to_qimage(pixels: Pixels) -> QImage:
    """A QImage that owns a copy of ``pixels`` (no format conversion)."""
    image = QImage(pixels.data, pixels.width, pixels.height, 4 * pixels.width,
                   _QIMAGE_FORMATS[pixels.mode])
    return image.copy()  # the copy owns its pixels; ``pixels.data`` may go away


def load_thumbnail(path: Path, pixel_size: int, cache_dir: Path | None) -> QImage:
    """Make a thumbnail here and now, in this thread (tests and one-off uses; the grid queues)."""
    cache = str(cache_dir) if cache_dir is not None else None
    return to_qimage(make_thumbnail(str(path), pixel_size, cache))


def failure_reason(path: str, error: BaseException) -> str:
    """What a user reads under a failed thumbnail."""
    name = Path(path).name
    if isinstance(error, ThumbnailError):
        return str(error)
    if isinstance(error, TimeoutError):
        return f"Can't read {name}: decoding it took too long"
    if isinstance(error, ProcessExpired):
        return f"Can't read {name}: the decoder crashed on this file"
    if isinstance(error, BrokenProcessPool):
        return f"Can't read {name}: the thumbnail workers could not start"
    return f"Can't read {name}: {error}"


class _Signals(QObject):
    finished = Signal(str, object)  # path, the finished Future


class ThumbnailLoader(QObject):
    """Queues thumbnail requests by path; answers with ``loaded``/``failed`` on the GUI thread."""

    loaded = Signal(str, QImage)
    failed = Signal(str, str)

    def __init__(
        self,
        cache_dir: Path | None,
        pixel_size: int = 512,
        max_in_flight: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self.pixel_size = pixel_size
        self._max_in_flight = max_in_flight or IN_FLIGHT_PER_WORKER * _shared.workers
        self._queue: OrderedDict[str, None] = OrderedDict()
        self._in_flight: dict[Future[Pixels], str] = {}
        self._retried: set[str] = set()
        self._closed = False
        # Futures finish on pebble's thread; a queued signal brings them to this (GUI) thread.
        self._signals = _Signals()
        self._signals.finished.connect(self._on_finished)

    def request(self, path: str) -> None:
        """Ask for ``path``'s thumbnail; asking again moves it to the front of the queue."""
        if self._closed:
            return
        self._queue[path] = None
        self._queue.move_to_end(path)
        while len(self._queue) > MAX_PENDING:
            self._queue.popitem(last=False)
        self._dispatch()

    def cancel_pending(self) -> None:
        self._queue.clear()

    def is_idle(self) -> bool:
        return not self._in_flight and not self._queue

    def shutdown(self) -> None:
        """Drop what is queued and what is being made now; nothing more is answered."""
        self._closed = True
        self._queue.clear()
        for future in list(self._in_flight):
            future.cancel()
        self._in_flight.clear()

    def _dispatch(self) -> None:
        while self._queue and len(self._in_flight) < self._max_in_flight:
            path, _ = self._queue.popitem(last=True)
            cache = str(self.cache_dir) if self.cache_dir is not None else None
            try:
                future = _shared.schedule(path, self.pixel_size, cache)
            except Exception as error:  # the pool could not start: say so on the cell
                log.exception("Could not hand %s to a thumbnail worker", path)
                self.failed.emit(path, failure_reason(path, error))
                continue
            self._in_flight[future] = path
            future.add_done_callback(partial(_report, self._signals, path))

    @Slot(str, object)
    def _on_finished(self, path: str, future: Future[Pixels]) -> None:
        if self._in_flight.pop(future, None) is None or future.cancelled():
            return  # shut down meanwhile
        try:
            pixels = future.result()
        except BrokenProcessPool as error:
            # The pool broke down (a worker died between tasks) before this file's turn: the
            # file is not to blame. Ask again once; the next schedule starts a fresh pool.
            if path not in self._retried:
                self._retried.add(path)
                self._queue[path] = None
            else:
                self.failed.emit(path, failure_reason(path, error))
        except Exception as error:  # noqa: BLE001 - whatever a worker raised fails one cell
            if not isinstance(error, ThumbnailError):
                log.warning("Thumbnail of %s failed: %r", path, error)
            self.failed.emit(path, failure_reason(path, error))
        else:
            self.loaded.emit(path, to_qimage(pixels))
        self._dispatch()


def _report(signals: _Signals, path: str, future: Future[Pixels]) -> None:
    """Runs on pebble's thread when a thumbnail is done: hand it to the GUI thread."""
    try:
        signals.finished.emit(path, future)
    except RuntimeError:  # the loader (and its signals object) was deleted meanwhile
        log.debug("Thumbnail of %s finished after its loader was gone", path)
