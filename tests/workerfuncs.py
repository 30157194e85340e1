"""Task functions for the worker-pool tests: module-level, so spawned workers can import them.

Spawned workers get the parent's sys.path, on which pytest has put the repository root (tests is a
package), so ``tests.workerfuncs`` imports there as it does here.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time

from lookalike.engine.errors import ImageDecodeError


def square(x: int) -> int:
    return x * x


def slow_square(x: int) -> int:
    time.sleep(0.3)
    return x * x


def hang(seconds: float) -> str:
    time.sleep(seconds)
    return "woke up"


def _no_core_dump() -> None:
    if sys.platform != "win32":
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def abort(_: object) -> None:
    _no_core_dump()
    os.abort()


def segfault(_: object) -> None:
    _no_core_dump()
    ctypes.string_at(0)  # reads address 0: SIGSEGV


def square_or_abort(x: int) -> int:
    """Squares non-negative numbers; a negative one kills the worker."""
    if x < 0:
        abort(x)
    return x * x


def square_or_misbehave(x: int | str) -> int:
    """Squares numbers; a string names the way to fail instead (for batch tests)."""
    if x == "segfault":
        segfault(x)
    elif x == "abort":
        abort(x)
    elif x == "hang":
        hang(60)
    elif x == "hog":
        allocate_mb(4096)
    assert isinstance(x, int)
    return x * x


def allocate_mb(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def fail_to_decode(name: str) -> None:
    raise ImageDecodeError(name, "file is truncated")


def fail_unexpectedly(message: str) -> None:
    raise ValueError(message)


class _Unpicklable(Exception):
    """An exception whose constructor needs two arguments: pickle can't rebuild it from args."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} and {second}")


def fail_with_unpicklable(_: object) -> None:
    raise _Unpicklable("this", "that")


def import_path(_: object) -> list[str]:
    return list(sys.path)


def process_id(_: object) -> int:
    return os.getpid()
