"""What "similar" means, as Aspose's service means it: the issue's thresholds on real photos.

23 distinct real photos (Aspose's temples and Debian's mate-backgrounds photos), every edit of
:mod:`tests.support.edits` of each, and every pair of distinct photos. Scores come from the engine's
public API (``compare``); they are computed once per module, in parallel, and each test checks one
photo and edit, or one pair, so a failure names exactly what scored wrong.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lookalike.engine import Engine
from tests.engine.conftest import edit_of
from tests.support.edits import EDITS
from tests.support.photos import ASPOSE_EXAMPLES, MATE_PHOTOS

TEMPLES = [f"temples/{n}.jpg" for n in (1, 3, 4, 5, 6, 7, 8, 9, 10)] + [
    "temples/ComparableImage.jpg"
]
WALLPAPERS = [f"mate/{Path(name).name}" for name in MATE_PHOTOS]
PHOTOS = TEMPLES + WALLPAPERS

# Temples 4 and 5 show the same facade from nearly the same spot: the same scene, which the issue
# counts as similar, so that pair is not held to "another temple scores below 50".
SAME_SCENE = {("temples/4.jpg", "temples/5.jpg")}
SAME_KIND = [
    (a, b)
    for group in (TEMPLES, WALLPAPERS)
    for a, b in itertools.combinations(group, 2)
    if (a, b) not in SAME_SCENE
]
UNRELATED = list(itertools.product(TEMPLES, WALLPAPERS))


@pytest.fixture(scope="module")
def photo_paths(real_photos: list[Path]) -> dict[str, Path]:
    by_name = {p.name: p for p in real_photos}
    paths = {}
    for image_id in PHOTOS:
        name = image_id.split("/", 1)[1]
        paths[image_id] = by_name[name]
    assert len(set(paths.values())) == len(PHOTOS) == 23
    return paths


@pytest.fixture(scope="module")
def photo_context(engine: Engine, photo_paths: dict[str, Path]) -> str:
    context_id = engine.create_context()
    for image_id, path in photo_paths.items():
        engine.add_image(context_id, image_id, path=path)
    return context_id


@pytest.fixture(scope="module")
def edit_scores(
    engine: Engine, photo_context: str, photo_paths: dict[str, Path]
) -> dict[tuple[str, str], float]:
    """compare(original, edited copy) for every photo and edit."""

    def score(job: tuple[str, str]) -> float:
        image_id, edit = job
        return engine.compare(photo_context, image_id, edit_of(photo_paths[image_id], edit))

    jobs = list(itertools.product(PHOTOS, EDITS))
    with ThreadPoolExecutor(2) as threads:
        return dict(zip(jobs, threads.map(score, jobs), strict=True))


@pytest.fixture(scope="module")
def pair_scores(engine: Engine, photo_context: str) -> dict[tuple[str, str], float]:
    """compare(a, b) for every pair of distinct photos."""
    pairs = SAME_KIND + UNRELATED
    with ThreadPoolExecutor(2) as threads:
        scores = threads.map(lambda pair: engine.compare(photo_context, *pair), pairs)
        return dict(zip(pairs, scores, strict=True))


@pytest.mark.parametrize("edit", list(EDITS))
@pytest.mark.parametrize("image_id", PHOTOS)
def test_an_edited_copy_scores_what_the_issue_asks(
    edit_scores: dict[tuple[str, str], float], image_id: str, edit: str
) -> None:
    least = EDITS[edit][2]  # 70, or 60 for the crops
    assert edit_scores[(image_id, edit)] >= least


@pytest.mark.parametrize(("a", "b"), SAME_KIND, ids=[f"{a}~{b}" for a, b in SAME_KIND])
def test_different_photos_of_the_same_kind_score_below_50(
    pair_scores: dict[tuple[str, str], float], a: str, b: str
) -> None:
    assert pair_scores[(a, b)] < 50


@pytest.mark.parametrize(("a", "b"), UNRELATED, ids=[f"{a}~{b}" for a, b in UNRELATED])
def test_unrelated_photos_score_below_30(
    pair_scores: dict[tuple[str, str], float], a: str, b: str
) -> None:
    assert pair_scores[(a, b)] < 30


def test_the_copy_with_the_temple_painted_out_scores_at_most_15(
    engine: Engine, photo_context: str
) -> None:
    painted_out = (ASPOSE_EXAMPLES / "ComparingImageSimilar15.jpg").read_bytes()
    assert engine.compare(photo_context, "temples/ComparableImage.jpg", painted_out) <= 15


def test_asposes_similar_75_copy_scores_at_least_70(engine: Engine, photo_context: str) -> None:
    similar = (ASPOSE_EXAMPLES / "ComparingImageSimilar75.jpg").read_bytes()
    assert engine.compare(photo_context, "temples/ComparableImage.jpg", similar) >= 70


def test_scores_do_not_depend_on_the_order_or_the_run(
    engine: Engine, photo_context: str, pair_scores: dict[tuple[str, str], float]
) -> None:
    for a, b in SAME_KIND[:20] + UNRELATED[:20]:
        again = engine.compare(photo_context, b, a)
        assert abs(again - pair_scores[(a, b)]) <= 1, (a, b)
        assert engine.compare(photo_context, a, b) == pair_scores[(a, b)], (a, b)
