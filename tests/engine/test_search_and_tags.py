"""Searches (similar, duplicates, compare) and tags, on real photos and edited copies of them."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lookalike.engine import (
    Engine,
    ImageNotFoundError,
    InvalidArgumentError,
    SearchResult,
)
from tests.engine.conftest import edit_of, jpeg_bytes


@pytest.fixture(scope="module")
def library(
    engine: Engine, real_photos: list[Path], temples: Path, aspose: Path
) -> dict[str, bytes | Path]:
    """What the search tests index: sources by image id."""
    by_name = {p.name: p for p in real_photos}
    sources: dict[str, bytes | Path] = {
        f"temples/{p.name}": p for p in sorted(temples.glob("*.jpg"))
    }
    sources["aspose/ComparableImage.jpg"] = aspose / "ComparableImage.jpg"
    sources["aqua/original.jpg"] = by_name["Aqua.jpg"]
    for edit in ("jpeg_20", "flip", "brighter"):
        sources[f"aqua/{edit}.jpg"] = edit_of(by_name["Aqua.jpg"], edit)
    sources["garden/original.jpg"] = by_name["Garden.jpg"]
    sources["garden/resize_30.jpg"] = edit_of(by_name["Garden.jpg"], "resize_30")
    sources["wood/original.jpg"] = by_name["Wood.jpg"]
    return sources


@pytest.fixture(scope="module")
def indexed(engine: Engine, library: dict[str, bytes | Path]) -> str:
    context_id = engine.create_context()
    for image_id, source in library.items():
        if isinstance(source, Path):
            engine.add_image(context_id, image_id, path=source)
        else:
            engine.add_image(context_id, image_id, data=source)
    return context_id


AQUA_GROUP = {"aqua/original.jpg", "aqua/jpeg_20.jpg", "aqua/flip.jpg", "aqua/brighter.jpg"}


def _is_best_first(results: list[SearchResult]) -> bool:
    keys = [(-r.similarity, r.image_id) for r in results]
    return keys == sorted(keys)


def test_find_similar_returns_the_edited_copies_best_first(
    engine: Engine, indexed: str, real_photos: list[Path]
) -> None:
    query = next(p for p in real_photos if p.name == "Aqua.jpg").read_bytes()
    everything = engine.find_similar(indexed, query, max_count=100)
    assert _is_best_first(everything)
    assert {r.image_id for r in everything[:4]} == AQUA_GROUP
    assert all(r.similarity >= 70 for r in everything[:4])
    assert all(r.similarity < 30 for r in everything[4:])
    assert all(0 < r.similarity <= 100 for r in everything)
    assert all(round(r.similarity, 2) == r.similarity for r in everything)

    above = engine.find_similar(indexed, query, threshold=70, max_count=100)
    assert {r.image_id for r in above} == AQUA_GROUP
    assert above == everything[:4]
    assert engine.find_similar(indexed, query, max_count=2) == everything[:2]
    assert engine.find_similar(indexed, query, threshold=100, max_count=100) == [
        r for r in everything if r.similarity == 100
    ]
    # Asking by image id finds the same images.
    by_id = engine.find_similar(indexed, "aqua/original.jpg", threshold=70, max_count=100)
    assert {r.image_id for r in by_id} == AQUA_GROUP


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"threshold": -1}, "between 0 and 100"),
        ({"threshold": 100.5}, "between 0 and 100"),
        ({"max_count": 0}, "at least 1"),
    ],
)
def test_find_similar_refuses_bad_parameters(
    engine: Engine, indexed: str, arguments: dict[str, float], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        engine.find_similar(indexed, "aqua/original.jpg", **arguments)  # type: ignore[arg-type]


def test_find_similar_to_an_unknown_image_id_is_not_found(engine: Engine, indexed: str) -> None:
    with pytest.raises(ImageNotFoundError, match=r"nope.jpg"):
        engine.find_similar(indexed, "nope.jpg")


def test_find_duplicates_gives_cliques_of_the_copies(engine: Engine, indexed: str) -> None:
    groups = engine.find_duplicates(indexed, threshold=90)
    members = [{r.image_id for r in group} for group in groups]
    assert sorted(members, key=sorted) == sorted(
        [
            AQUA_GROUP,
            {"garden/original.jpg", "garden/resize_30.jpg"},
            {"temples/2.jpg", "aspose/ComparableImage.jpg"},  # byte-identical files
        ],
        key=sorted,
    )
    for group in groups:
        ids = [r.image_id for r in group]
        assert len(ids) == len(set(ids))
        assert group[0].similarity == 100.0
        # Every member reaches the threshold against every other one, not just the first.
        for a, b in itertools.combinations(ids, 2):
            assert engine.compare(indexed, a, b) >= 90, (a, b)
        for result in group[1:]:
            assert result.similarity == engine.compare(indexed, ids[0], result.image_id)

    # At 100 only exact copies are left.
    exact = [{r.image_id for r in g} for g in engine.find_duplicates(indexed, threshold=100)]
    assert {"temples/2.jpg", "aspose/ComparableImage.jpg"} in exact
    with pytest.raises(InvalidArgumentError):
        engine.find_duplicates(indexed, threshold=101)


def test_compare_is_symmetric_deterministic_and_the_same_by_id_or_bytes(
    engine: Engine, indexed: str, library: dict[str, bytes | Path]
) -> None:
    ids = ["aqua/original.jpg", "aqua/flip.jpg", "garden/resize_30.jpg", "temples/4.jpg",
           "temples/5.jpg", "wood/original.jpg"]
    for a, b in itertools.combinations(ids, 2):
        forward = engine.compare(indexed, a, b)
        assert abs(forward - engine.compare(indexed, b, a)) <= 1, (a, b)
        assert engine.compare(indexed, a, b) == forward, (a, b)
        assert 0 <= forward <= 100
    source = library["temples/5.jpg"]
    data = source.read_bytes() if isinstance(source, Path) else source
    assert engine.compare(indexed, "temples/4.jpg", data) == engine.compare(
        indexed, "temples/4.jpg", "temples/5.jpg"
    )
    assert engine.compare(indexed, data, data) == 100.0


def _flat_images() -> dict[str, bytes]:
    rng = np.random.default_rng(7)
    images = {
        "red": np.full((300, 400, 3), (200, 30, 30), np.uint8),
        "blue": np.full((300, 400, 3), (30, 40, 190), np.uint8),
        "white": np.full((300, 400, 3), 255, np.uint8),
        "grey-noise": np.clip(rng.normal(128, 2, (300, 400, 3)), 0, 255).astype(np.uint8),
    }
    for name, text in (("page-a", "Minutes of the meeting"), ("page-b", "Invoice 2026-114")):
        page = Image.new("RGB", (420, 594), "white")
        ImageDraw.Draw(page).text((40, 40), text, fill="black")
        images[name] = np.asarray(page)
    return {name: jpeg_bytes(pixels) for name, pixels in images.items()}


def test_flat_images_are_not_alike_just_because_they_are_flat(
    engine: Engine, context: str
) -> None:
    flat = _flat_images()
    for name, data in flat.items():
        engine.add_image(context, name, data=data)
    scores = {
        (a, b): engine.compare(context, a, b) for a, b in itertools.combinations(flat, 2)
    }
    assert {pair: score for pair, score in scores.items() if score >= 30} == {}
    assert engine.find_duplicates(context, threshold=50) == []


# --- tags ------------------------------------------------------------------------------------

def test_tags_spread_to_the_matching_images_only(
    engine: Engine, indexed: str, aspose: Path, real_photos: list[Path]
) -> None:
    engine.add_tag(indexed, "Temple", (aspose / "ComparableImage.jpg").read_bytes())
    assert [(t.name, t.reference_count) for t in engine.tags(indexed)] == [("Temple", 1)]
    found = engine.find_by_tags(indexed, ["Temple"], threshold=70, max_count=100)
    assert {r.image_id for r in found} == {"temples/2.jpg", "aspose/ComparableImage.jpg"}
    assert all(r.similarity >= 99 for r in found)

    # A second reference widens the tag to the second picture's copies.
    aqua = next(p for p in real_photos if p.name == "Aqua.jpg")
    engine.add_tag(indexed, "Temple", edit_of(aqua, "resize_30"))
    assert [(t.name, t.reference_count) for t in engine.tags(indexed)] == [("Temple", 2)]
    widened = engine.find_by_tags(indexed, ["Temple"], threshold=70, max_count=100)
    assert {r.image_id for r in widened} == AQUA_GROUP | {
        "temples/2.jpg", "aspose/ComparableImage.jpg"
    }
    assert _is_best_first(widened)
    everything = engine.find_by_tags(indexed, ["Temple"], max_count=100)
    assert _is_best_first(everything)
    assert engine.find_by_tags(indexed, ["Temple"], max_count=3) == everything[:3]


def test_tag_names_are_case_sensitive_and_unknown_tags_find_nothing(
    engine: Engine, context: str, temples: Path
) -> None:
    engine.add_image(context, "1.jpg", path=temples / "1.jpg")
    engine.add_tag(context, "Sky", (temples / "1.jpg").read_bytes())
    assert [r.image_id for r in engine.find_by_tags(context, ["Sky"], threshold=90)] == ["1.jpg"]
    assert engine.find_by_tags(context, ["sky"]) == []
    assert engine.find_by_tags(context, ["never-made"]) == []
    assert engine.find_by_tags(context, ["never-made"], match_all=True) == []
    assert engine.find_by_tags(context, ["Sky", "never-made"], match_all=True) == []
    assert engine.find_by_tags(context, []) == []
    assert [t.name for t in engine.tags(context)] == ["Sky"]


def test_new_images_are_scored_against_existing_tags(
    engine: Engine, context: str, temples: Path
) -> None:
    engine.add_tag(context, "Columns", (temples / "6.jpg").read_bytes())
    assert engine.find_by_tags(context, ["Columns"]) == []
    engine.add_image(context, "copy.jpg", data=edit_of(temples / "6.jpg", "jpeg_20"))
    engine.add_image(context, "other.jpg", path=temples / "9.jpg")
    found = engine.find_by_tags(context, ["Columns"], threshold=50)
    assert [r.image_id for r in found] == ["copy.jpg"]
    engine.delete_image(context, "copy.jpg")
    assert engine.find_by_tags(context, ["Columns"], threshold=50) == []


def test_any_or_all_of_several_tags(engine: Engine, context: str, temples: Path) -> None:
    engine.add_image(context, "4.jpg", path=temples / "4.jpg")
    engine.add_image(context, "8.jpg", path=temples / "8.jpg")
    engine.add_tag(context, "Four", (temples / "4.jpg").read_bytes())
    engine.add_tag(context, "AlsoFour", edit_of(temples / "4.jpg", "brighter"))
    engine.add_tag(context, "Eight", (temples / "8.jpg").read_bytes())

    either = engine.find_by_tags(context, ["Four", "Eight"], threshold=70)
    assert {r.image_id for r in either} == {"4.jpg", "8.jpg"}
    assert engine.find_by_tags(context, ["Four", "Eight"], threshold=70, match_all=True) == []
    both = engine.find_by_tags(context, ["Four", "AlsoFour"], threshold=70, match_all=True)
    assert [r.image_id for r in both] == ["4.jpg"]
    # With all tags required, an image scores its lowest tag score.
    lowest = min(
        engine.find_by_tags(context, [name], threshold=70)[0].similarity
        for name in ("Four", "AlsoFour")
    )
    assert both[0].similarity == lowest


@pytest.mark.parametrize(
    "name", ["", "   ", "line\nbreak", "nul\x00", "bell\x07", "del\x7f", "x" * 101]
)
def test_bad_tag_names_are_refused(engine: Engine, context: str, temples: Path, name: str
                                   ) -> None:
    data = (temples / "1.jpg").read_bytes()
    with pytest.raises(InvalidArgumentError, match="Tag name"):
        engine.add_tag(context, name, data)
    with pytest.raises(InvalidArgumentError, match="Tag name"):
        engine.find_by_tags(context, [name])
    assert engine.tags(context) == []


def test_a_tag_name_of_100_characters_with_any_script_is_fine(
    engine: Engine, context: str, temples: Path
) -> None:
    names = ["y" * 100, "Ναός", "お寺", "Temple & Sky"]
    for name in names:
        engine.add_tag(context, name, (temples / "1.jpg").read_bytes())
    assert sorted(t.name for t in engine.tags(context)) == sorted(names)
