"""The decoding worker pool survives hangs, crashes, memory hogs and cancellation."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lookalike.engine.errors import ImageDecodeError
from lookalike.engine.types import Failure
from lookalike.engine.workers import WorkerPool
from tests import workerfuncs

REPO_ROOT = Path(__file__).resolve().parents[1]


# Worker processes that other tests' engines (session fixtures) keep alive are not ours to count.
_OTHERS: set[int] = set()


def _pool_workers() -> list[multiprocessing.process.BaseProcess]:
    """Live worker processes started by this module's pools."""
    return [
        p for p in multiprocessing.active_children()
        if p.name == "pebble_pool_worker" and p.pid not in _OTHERS
    ]


@pytest.fixture(autouse=True)
def _ignore_other_pools() -> None:
    _OTHERS.clear()
    _OTHERS.update(p.pid for p in _pool_workers() if p.pid is not None)


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    with WorkerPool(2, task_timeout=1.5, memory_limit_mb=1024, max_tasks_per_worker=50) as pool:
        yield pool
    assert _pool_workers() == []


def test_creating_a_pool_starts_no_process() -> None:
    pool = WorkerPool(2)
    try:
        assert _pool_workers() == []
    finally:
        pool.close()
    pool.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit(workerfuncs.square, 3)


def test_results_match_inputs(pool: WorkerPool) -> None:
    items = [(f"item{i}", i) for i in range(25)]
    outcomes = list(pool.map_unordered(workerfuncs.square, items))
    assert sorted(source for source, _, _ in outcomes) == sorted(s for s, _ in items)
    assert {source: result for source, result, _ in outcomes} == {
        f"item{i}": i * i for i in range(25)
    }
    assert all(failure is None for _, _, failure in outcomes)


def test_spawned_workers_see_the_repository_on_their_path(pool: WorkerPool) -> None:
    assert str(REPO_ROOT) in pool.run(workerfuncs.import_path, None, source="path")


def test_a_hang_is_cut_at_the_timeout_and_the_next_task_runs() -> None:
    with WorkerPool(1, task_timeout=1.0, memory_limit_mb=None) as pool:
        with pytest.raises(ImageDecodeError) as caught:
            pool.run(workerfuncs.hang, 60, source="sleepy.jpg")
        assert caught.value.source == "sleepy.jpg"
        assert caught.value.reason == "took longer than 1 s to decode"
        assert pool.run(workerfuncs.square, 7, source="next") == 49
    assert _pool_workers() == []


@pytest.mark.parametrize(
    ("task", "reason"),
    [
        (workerfuncs.abort, "the decoder crashed (signal 6, SIGABRT)"),
        (workerfuncs.segfault, "the decoder crashed (signal 11, SIGSEGV)"),
    ],
)
def test_a_crash_is_reported_and_the_next_task_runs(pool: WorkerPool, task, reason: str) -> None:
    with pytest.raises(ImageDecodeError) as caught:
        pool.run(task, None, source="crashy.psd")
    assert caught.value.reason == reason
    assert pool.run(workerfuncs.square, 9, source="next") == 81


def test_a_crash_in_a_batch_costs_one_item(pool: WorkerPool) -> None:
    items = [(f"ok{i}", i) for i in range(6)] + [("crashy", -1)] + [("ok6", 6)]
    outcomes = {
        source: (result, failure)
        for source, result, failure in pool.map_unordered(workerfuncs.square_or_abort, items)
    }
    assert outcomes == {
        **{f"ok{i}": (i * i, None) for i in range(7)},
        "crashy": (None, Failure("crashy", "the decoder crashed (signal 6, SIGABRT)")),
    }
    assert pool.run(workerfuncs.square, 4, source="after") == 16


@pytest.mark.parametrize(
    ("misbehaviour", "reason"),
    [
        ("segfault", "the decoder crashed (signal 11, SIGSEGV)"),
        ("abort", "the decoder crashed (signal 6, SIGABRT)"),
        ("hang", "took longer than 1.5 s to decode"),
        ("hog", "needs more than 1024 MB to decode"),
    ],
)
def test_each_kind_of_failure_in_a_batch_costs_one_item(
    pool: WorkerPool, misbehaviour: str, reason: str
) -> None:
    items: list[tuple[str, int | str]] = [(f"ok{i}", i) for i in range(5)]
    items.insert(2, ("bad", misbehaviour))
    outcomes = {
        source: (result, failure)
        for source, result, failure in pool.map_unordered(workerfuncs.square_or_misbehave, items)
    }
    assert outcomes == {
        **{f"ok{i}": (i * i, None) for i in range(5)},
        "bad": (None, Failure("bad", reason)),
    }
    # The pool recovered: a second batch runs whole.
    again = list(pool.map_unordered(workerfuncs.square, [(f"n{i}", i) for i in range(4)]))
    assert sorted(result for _, result, _ in again) == [0, 1, 4, 9]


def test_a_memory_hog_is_refused_and_the_worker_recovers() -> None:
    with WorkerPool(1, task_timeout=10, memory_limit_mb=512) as pool:
        with pytest.raises(ImageDecodeError) as caught:
            pool.run(workerfuncs.allocate_mb, 2048, source="huge.tif")
        assert caught.value.reason == "needs more than 512 MB to decode"
        assert pool.run(workerfuncs.allocate_mb, 64, source="small.tif") == 64 * 1024 * 1024
    assert _pool_workers() == []


def test_task_errors_become_reasons(pool: WorkerPool, caplog: pytest.LogCaptureFixture) -> None:
    items = [
        ("bad.jpg", (workerfuncs.fail_to_decode, "bad.jpg")),
        ("odd.jpg", (workerfuncs.fail_unexpectedly, "odd state")),
        ("weird.jpg", (workerfuncs.fail_with_unpicklable, None)),
    ]
    reasons = {}
    for source, (fn, argument) in items:
        with pytest.raises(ImageDecodeError) as caught:
            pool.run(fn, argument, source=source)
        reasons[source] = caught.value.reason
    assert reasons == {
        "bad.jpg": "file is truncated",
        "odd.jpg": "unexpected error: ValueError: odd state",
        "weird.jpg": "unexpected error: _Unpicklable: this and that",
    }
    # The unexpected ones are logged with the worker's traceback.
    logged = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(logged) == 2
    assert "fail_unexpectedly" in logged[0].getMessage()
    # An exception that pickle could not rebuild did not break the pool.
    assert pool.run(workerfuncs.square, 5, source="after") == 25


def test_cancel_stops_submitting_and_reports_what_was_in_flight() -> None:
    taken: list[str] = []

    def items():
        for i in range(100):
            taken.append(f"item{i}")
            yield f"item{i}", i

    cancel = threading.Event()
    outcomes: list[tuple[str, int | None, Failure | None]] = []
    with WorkerPool(1, task_timeout=10, memory_limit_mb=None) as pool:
        for outcome in pool.map_unordered(workerfuncs.slow_square, items(), cancel=cancel):
            outcomes.append(outcome)
            if len(outcomes) == 2:
                cancel.set()
    # At most two tasks per process are in flight: two done, at most two more taken.
    assert 2 <= len(taken) <= 4
    assert sorted(source for source, _, _ in outcomes) == sorted(taken)
    finished = [o for o in outcomes if o[2] is None]
    cancelled = [o for o in outcomes if o[2] is not None]
    assert len(finished) == 2
    assert all(result == int(source[4:]) ** 2 for source, result, _ in finished)
    assert cancelled == [(s, None, Failure(s, "cancelled")) for s, _, _ in cancelled]
    assert _pool_workers() == []


def test_closing_the_generator_early_cancels_the_rest(pool: WorkerPool) -> None:
    outcomes = pool.map_unordered(workerfuncs.slow_square, ((f"i{i}", i) for i in range(50)))
    first = next(outcomes)
    outcomes.close()
    assert first[2] is None
    assert pool.run(workerfuncs.square, 3, source="after") == 9


def test_usable_from_several_threads(pool: WorkerPool) -> None:
    with ThreadPoolExecutor(4) as threads:
        results = list(
            threads.map(lambda i: pool.run(workerfuncs.square, i, source=str(i)), range(16))
        )
    assert results == [i * i for i in range(16)]


def test_workers_are_recycled_after_their_task_quota() -> None:
    with WorkerPool(1, task_timeout=5, memory_limit_mb=None, max_tasks_per_worker=2) as pool:
        pids = [pool.run(workerfuncs.process_id, None, source=str(i)) for i in range(4)]
    assert pids[0] == pids[1]
    assert pids[2] == pids[3]
    assert pids[0] != pids[2]


def test_close_fails_whatever_is_still_pending() -> None:
    pool = WorkerPool(1, task_timeout=30, memory_limit_mb=None)
    running = pool.submit(workerfuncs.hang, 30)
    queued = pool.submit(workerfuncs.square, 2)
    pool.close()
    assert running.done()
    assert queued.done()
    assert _pool_workers() == []
