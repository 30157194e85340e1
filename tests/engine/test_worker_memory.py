"""A task that fails must not keep its arguments (a whole uploaded image) alive.

Service finding 17: every large upload that was not an image stayed in the service's memory
(190 MB each, growing without bound) until a full garbage collection, because the failed
future and ``WorkerPool.run``'s frame referred to each other.
"""

from __future__ import annotations

import array
import gc
import weakref
from collections.abc import Iterator

import pytest

from lookalike.engine import tasks
from lookalike.engine.errors import ImageDecodeError
from lookalike.engine.workers import WorkerPool


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting frees things, as between the service's rare full collections."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_failed_tasks_arguments_are_freed_without_a_gc_pass(no_gc: None) -> None:
    with WorkerPool(1, memory_limit_mb=None) as pool:
        # array, unlike bytes, can be watched with a weak reference; the decoder takes it alike.
        payload = array.array("b", b"not an image" * 1000)
        alive = weakref.ref(payload)
        with pytest.raises(ImageDecodeError, match="not an image"):
            pool.run(tasks.extract, payload, "first", source="first")
        del payload

        # pebble holds on to the last task it scheduled until the next one comes.
        with pytest.raises(ImageDecodeError):
            pool.run(tasks.extract, b"nor this", "second", source="second")

        assert alive() is None
