"""The in-memory global index against brute force: puts, replacements, removals, growth."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lookalike.engine.features import GLOBAL_DIMS
from lookalike.engine.index import GlobalIndex


def _unit(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, GLOBAL_DIMS)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _brute_nearest(stored: dict[int, np.ndarray], queries: list[np.ndarray], count: int,
                   floor: float) -> list[tuple[int, float]]:
    scored = [(row, max(float(v @ q) for q in queries)) for row, v in stored.items()]
    scored = [(row, s) for row, s in scored if s >= floor]
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:count]


def test_nearest_matches_brute_force_through_growth_replacement_and_removal() -> None:
    rng = np.random.default_rng(1)
    index = GlobalIndex(capacity=16)
    stored: dict[int, np.ndarray] = {}
    vectors = _unit(rng, 3000)
    for row, vector in enumerate(vectors, start=10):
        index.put(row, vector)
        stored[row] = vector
    for row in range(10, 3010, 7):  # replace some
        stored[row] = _unit(rng, 1)[0]
        index.put(row, stored[row])
    for row in range(11, 3010, 5):  # remove others
        index.remove(row)
        stored.pop(row, None)
    index.remove(999_999)  # unknown rows are ignored
    assert len(index) == len(stored)

    for query in _unit(rng, 5):
        mirror = query[::-1].copy()
        got = index.nearest([query, mirror], 25, floor=-1.0)
        want = _brute_nearest(stored, [query, mirror], 25, -1.0)
        assert [row for row, _ in got] == [row for row, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    assert index.nearest([stored[12]], 10, floor=0.99) == [(12, pytest.approx(1.0, abs=1e-5))]


def test_an_empty_index_and_a_count_over_its_size() -> None:
    index = GlobalIndex()
    assert index.nearest([np.ones(GLOBAL_DIMS, np.float32)], 5) == []
    rng = np.random.default_rng(2)
    for row, vector in enumerate(_unit(rng, 3)):
        index.put(row, vector)
    assert sorted(row for row, _ in index.nearest([_unit(rng, 1)[0]], 10)) == [0, 1, 2]


def test_pairs_above_pairs_mirrored_copies_and_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    index = GlobalIndex()
    vectors = _unit(rng, 6)
    mirrors = _unit(rng, 6)
    for row in range(6):
        index.put(row, vectors[row], mirrors[row])
    # Row 6 is row 0 flipped: its vector is row 0's mirror vector, and the other way round.
    index.put(6, mirrors[0], vectors[0])
    all_vectors = {**dict(enumerate(vectors)), 6: mirrors[0]}
    all_mirrors = {**dict(enumerate(mirrors)), 6: vectors[0]}

    pairs = {(a, b): s for a, b, s in index.pairs_above(0.1)}
    assert pairs[(0, 6)] == pytest.approx(1.0, abs=1e-5)
    want = {}
    for a, b in itertools.combinations(range(7), 2):
        best = max(float(all_vectors[a] @ all_vectors[b]), float(all_vectors[a] @ all_mirrors[b]),
                   float(all_vectors[b] @ all_mirrors[a]))
        if best >= 0.1:
            want[(a, b)] = best
    assert set(pairs) == set(want)
    for pair, score in pairs.items():
        assert score == pytest.approx(want[pair], abs=1e-5)
