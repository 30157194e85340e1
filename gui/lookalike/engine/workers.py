"""A pool of worker processes for decoding, so a bad file costs one file and not the engine.

Image decoders are C code fed with untrusted files: they can crash (SIGSEGV, glibc aborts), loop for
a long time, or allocate gigabytes. Running them in worker processes turns each of those into a
:class:`~lookalike.engine.types.Failure` for that one file. The pool is built on ``pebble``, which
kills a task that runs past its timeout, replaces a worker that died, and recycles each worker after
a number of tasks (decoders leak and fragment memory).

Workers are started with the "spawn" method: safe when the parent has threads (the service does)
and the only method a frozen (PyInstaller) app supports on every OS. A frozen app must call
``multiprocessing.freeze_support()`` first thing in its entry point.

Functions given to the pool must be module-level (picklable), as must their arguments and results.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from lookalike.engine.errors import ImageDecodeError
from lookalike.engine.types import Failure

log = logging.getLogger(__name__)

R = TypeVar("R")

# How many tasks map_unordered keeps in flight per worker process: enough that a worker never
# waits for the next task, few enough that a million files do not become a million futures.
_IN_FLIGHT_PER_PROCESS = 2

# How often map_unordered looks at its cancel event while it waits for results.
_CANCEL_POLL_SECONDS = 0.1


class WorkerPool:
    """Worker processes that run module-level functions with a time and memory cap per task.

    Creating a pool is cheap: processes start on the first task. The pool is thread-safe. If the
    underlying pool breaks (pebble gives up when its workers die outside any task), the next task
    starts a fresh one.

    Args:
        processes: worker processes (default: the number of CPUs).
        task_timeout: seconds a task may run before its worker is killed.
        memory_limit_mb: address-space cap of each worker (POSIX only); None for no cap.
        max_tasks_per_worker: tasks after which a worker is replaced by a fresh one.
    """

    def __init__(
        self,
        processes: int | None = None,
        *,
        task_timeout: float = 60.0,
        memory_limit_mb: int | None = 3072,
        max_tasks_per_worker: int = 100,
    ) -> None:
        if processes is not None and processes < 1:
            raise ValueError(f"processes must be at least 1, not {processes}")
        if task_timeout <= 0:
            raise ValueError(f"task_timeout must be positive, not {task_timeout}")
        self.processes = processes or os.cpu_count() or 1
        self.task_timeout = task_timeout
        self.memory_limit_mb = memory_limit_mb
        self.max_tasks_per_worker = max_tasks_per_worker
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None
        self._closed = False
        self._outstanding: set[Future[Any]] = set()

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (killing running tasks) and fail whatever is pending. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pool, self._pool = self._pool, None
            outstanding, self._outstanding = self._outstanding, set()
        if pool is not None:
            _stop(pool)
        for future in outstanding:
            # pebble's threads are gone: nobody else will ever complete these futures.
            if not future.cancel() and not future.done():
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    future.set_exception(RuntimeError("the worker pool was closed"))

    def _live_pool(self) -> ProcessPool:
        broken = None
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self._pool is not None and not self._pool.active:
                broken, self._pool = self._pool, None
            if self._pool is None:
                self._pool = ProcessPool(
                    max_workers=self.processes,
                    max_tasks=self.max_tasks_per_worker,
                    initializer=_init_worker,
                    initargs=(self.memory_limit_mb,),
                    context=multiprocessing.get_context("spawn"),
                )
            pool = self._pool
        if broken is not None:
            # Outside the lock: stopping joins pebble's threads, which call back into _forget.
            log.warning("the decoder pool broke down; started a new one")
            _stop(broken)
        return pool

    # --- running tasks --------------------------------------------------------------------------

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """Schedule ``fn(*args)`` in a worker. The future fails with the worker's exception, with
        ``TimeoutError`` past ``task_timeout``, or with ``pebble.ProcessExpired`` if it died."""
        for attempt in range(2):
            pool = self._live_pool()
            try:
                future: Future[R] = pool.schedule(_call, args=(fn, args), timeout=self.task_timeout)
                break
            except RuntimeError:  # the pool broke between the check and the schedule
                if attempt:
                    raise
        with self._lock:
            self._outstanding.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._outstanding.discard(future)

    def run(self, fn: Callable[..., R], *args: Any, source: str) -> R:
        """Run ``fn(*args)`` in a worker and wait for it.

        Raises:
            ImageDecodeError: ``source`` with the reason the task failed (its own decode error,
                a timeout, a crash, a memory limit, or an unexpected exception).
        """
        future = self.submit(fn, *args)
        try:
            return future.result()
        except Exception as exc:
            raise ImageDecodeError(source, self.failure_reason(exc, source)) from exc
        finally:
            # A failed future's exception holds a traceback through this frame, and this frame
            # holds the future: a cycle that keeps ``args`` (maybe a whole uploaded image)
            # until a full garbage collection, which may not come for many requests.
            del future, args

    def map_unordered(
        self,
        fn: Callable[[Any], R],
        items: Iterable[tuple[str, Any]],
        *,
        cancel: threading.Event | None = None,
    ) -> Iterator[tuple[str, R | None, Failure | None]]:
        """Run ``fn(argument)`` for each ``(source, argument)``, yielding as tasks finish.

        Yields ``(source, result, None)`` or ``(source, None, Failure)``: exactly one outcome for
        every item taken from ``items``. At most ``2 x processes`` tasks are in flight, so
        ``items`` may be a lazy walk over a million files. Once ``cancel`` is set no more items are
        taken, and the tasks in flight are cancelled (running ones are killed) and reported as
        failures with the reason "cancelled". Closing the generator early cancels them too.
        """
        window = _IN_FLIGHT_PER_PROCESS * self.processes
        pending_items = iter(items)
        in_flight: dict[Future[R], str] = {}
        exhausted = False
        try:
            while True:
                cancelled = cancel is not None and cancel.is_set()
                while not exhausted and not cancelled and len(in_flight) < window:
                    try:
                        source, argument = next(pending_items)
                    except StopIteration:
                        exhausted = True
                        break
                    in_flight[self.submit(fn, argument)] = source
                if cancelled:
                    for future in in_flight:
                        future.cancel()
                if not in_flight:
                    return
                done, _ = concurrent.futures.wait(
                    in_flight,
                    timeout=None if cancel is None else _CANCEL_POLL_SECONDS,
                    return_when=concurrent.futures.FIRST_COMPLETED,
                )
                for future in done:
                    source = in_flight.pop(future)
                    yield self._outcome(future, source)
        finally:
            for future in in_flight:
                future.cancel()

    def _outcome(self, future: Future[Any], source: str) -> tuple[str, Any, Failure | None]:
        try:
            return source, future.result(), None
        except CancelledError:
            return source, None, Failure(source, "cancelled")
        except Exception as exc:  # noqa: BLE001 - every failure becomes a reason
            return source, None, Failure(source, self.failure_reason(exc, source))

    def failure_reason(self, exc: BaseException, source: str) -> str:
        """The one-line reason for a task's exception, as the user will read it."""
        if isinstance(exc, _RemoteDecodeError):
            return exc.reason
        if isinstance(exc, ImageDecodeError):
            return exc.reason
        if isinstance(exc, TimeoutError):
            return f"took longer than {self.task_timeout:g} s to decode"
        if isinstance(exc, ProcessExpired):
            return _death_reason(exc.exitcode)
        if isinstance(exc, MemoryError):
            if self.memory_limit_mb is None:
                return "ran out of memory while decoding"
            return f"needs more than {self.memory_limit_mb} MB to decode"
        if isinstance(exc, CancelledError):
            return "cancelled"
        if isinstance(exc, BrokenProcessPool):
            log.warning("decoding %s: the decoder pool broke down", source, exc_info=exc)
            return "the decoder pool broke down"
        if isinstance(exc, _RemoteUnexpectedError):
            log.warning("decoding %s failed unexpectedly:\n%s", source, exc.traceback_text)
            return f"unexpected error: {exc.type_name}: {exc.message}"
        log.warning("decoding %s failed unexpectedly", source, exc_info=exc)
        return f"unexpected error: {type(exc).__name__}: {exc}"


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            return f"the decoder crashed (signal {-exitcode})"
        return f"the decoder crashed (signal {-exitcode}, {name})"
    return f"the decoder process exited unexpectedly (exit code {exitcode})"


def _stop(pool: ProcessPool) -> None:
    pool.stop()
    try:
        pool.join(timeout=10)
    except (RuntimeError, TimeoutError):
        log.warning("the decoder pool did not stop cleanly", exc_info=True)


# --- inside the worker processes -----------------------------------------------------------------

class _RemoteDecodeError(Exception):
    """An ImageDecodeError on its way back from a worker, in a form that survives pickling."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason)
        self.source = source
        self.reason = reason


class _RemoteUnexpectedError(Exception):
    """Any other exception from a worker, flattened to text: its class may not unpickle here."""

    def __init__(self, type_name: str, message: str, traceback_text: str) -> None:
        super().__init__(type_name, message, traceback_text)
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text


def _call(fn: Callable[..., R], args: tuple[Any, ...]) -> R:
    """Run a task, converting its exception to one the parent can unpickle.

    An exception that fails to unpickle in the parent would break the whole pebble pool, so only
    MemoryError and our own two classes cross the process boundary.
    """
    try:
        return fn(*args)
    except ImageDecodeError as exc:
        raise _RemoteDecodeError(exc.source, exc.reason) from None
    except MemoryError:
        raise MemoryError() from None
    except Exception as exc:  # noqa: BLE001 - reported in the parent with its traceback
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise _RemoteUnexpectedError(
            type(exc).__name__, first_line[:200], traceback.format_exc()
        ) from None


def _init_worker(memory_limit_mb: int | None) -> None:
    """Cap the worker's memory. Never raises: pebble would count a failed start as a dead pool.

    The import path needs no help: "spawn" gives each child its parent's sys.path. Ctrl-C in a
    terminal reaches the whole process group: workers ignore it and let the parent shut them
    down in order, instead of dying mid-task and breaking the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit_mb is None:
        return
    try:
        _limit_memory(memory_limit_mb)
    except (ValueError, OSError) as exc:
        log.warning("could not cap a decoder's memory at %d MB: %s", memory_limit_mb, exc)


def _limit_memory(memory_limit_mb: int) -> None:
    """Cap the address space at what the worker already maps plus ``memory_limit_mb``.

    The cap counts address space, not memory in use: by the time this runs the worker has mapped
    numpy, OpenCV and Pillow (about 500 MB of address space on Linux, mostly untouched library and
    thread-stack mappings). A bare 512 MB cap would leave a decoder almost nothing, so the limit
    is what a task may add on top of that baseline.
    """
    if sys.platform == "win32":
        # TODO: cap memory on Windows with a job object (JOB_OBJECT_LIMIT_PROCESS_MEMORY).
        return
    import resource

    limit = _mapped_bytes() + memory_limit_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _mapped_bytes() -> int:
    """The process's current address-space size (0 where /proc does not tell it)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
