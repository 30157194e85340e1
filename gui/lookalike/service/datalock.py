"""One service per data folder: an exclusive lock on a file in it, held while the service runs.

Two services on one ``--data`` folder each keep their own in-memory index of a context, so what
one adds the other does not find, and a delete on one leaves the other writing to a deleted
database. The lock is an OS file lock (``fcntl.flock`` / ``msvcrt.locking``), not a pid file:
the OS drops it when the process ends however it ends, so a killed service never blocks the
next one. The file also holds the pid of the holder, only to name it in the refusal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

log = logging.getLogger(__name__)

LOCK_FILE_NAME = "service.lock"


class DataFolderInUseError(Exception):
    """Another process holds the data folder's lock."""

    def __init__(self, data_dir: Path, holder: str) -> None:
        by = f" by process {holder}" if holder else " by another process"
        super().__init__(
            f"Data folder {data_dir} is in use{by}: another Lookalike service runs on it. "
            "Stop it, or give this one another --data folder"
        )
        self.data_dir = data_dir


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return

    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class DataFolderLock:
    """Context manager: holds ``<data_dir>/service.lock`` exclusively, or raises at once.

    Raises:
        DataFolderInUseError: another process (or another lock object) holds it.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILE_NAME
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 - held while locked
        if not _try_lock(handle):
            holder = ""
            with contextlib.suppress(OSError):  # Windows locks block reads of the locked byte
                handle.seek(0)
                holder = handle.read(32).strip()
            handle.close()
            raise DataFolderInUseError(self.data_dir, holder if holder.isdigit() else "")
        # Only the holder writes, so a reader never sees a half-written pid of a live holder.
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        log.debug("Locked data folder %s", self.data_dir)

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()
            handle.flush()
            _unlock(handle)
        handle.close()

    def __enter__(self) -> DataFolderLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
