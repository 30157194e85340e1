"""Libraries with many copies of one picture, odd file names and greyscale copies: cases a
first tester found, where searches used to stop short or a batch used to stop."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from lookalike.engine import Engine

COPIES = 60


def _wait(engine: Engine, context: str) -> None:
    status = engine.wait_idle(context, timeout=300)
    assert status.progress.failed == (), status.progress.failed


@pytest.fixture(scope="module")
def copies_folder(tmp_path_factory: pytest.TempPathFactory, temples: Path) -> Path:
    """COPIES JPEG copies of one temple photo (sizes and qualities vary), and one other photo."""
    folder = tmp_path_factory.mktemp("copies")
    with Image.open(temples / "3.jpg") as original:
        picture = original.convert("RGB")
    for index in range(COPIES):
        size = (picture.width - index % 7 * 4, picture.height - index % 5 * 3)
        picture.resize(size).save(folder / f"copy{index:02d}.jpg", quality=60 + index % 35)
    (folder / "other.jpg").write_bytes((temples / "8.jpg").read_bytes())
    return folder


@pytest.fixture(scope="module")
def copies_context(engine: Engine, copies_folder: Path) -> str:
    context = engine.create_context()
    engine.extract_folder(context, copies_folder)
    _wait(engine, context)
    return context


def test_find_similar_returns_every_copy_up_to_max_count(
    engine: Engine, copies_context: str, copies_folder: Path
) -> None:
    query = (copies_folder / "copy00.jpg").read_bytes()

    everything = engine.find_similar(copies_context, query, threshold=70, max_count=1000)
    some = engine.find_similar(copies_context, query, threshold=70, max_count=25)

    assert sorted(r.image_id for r in everything) == [f"copy{i:02d}.jpg" for i in range(COPIES)]
    assert len(some) == 25
    # As good as the best 25 of everything (ties among equal scores may pick other copies).
    assert [r.similarity for r in some] == [r.similarity for r in everything[:25]]
    assert {r.image_id for r in some} <= {r.image_id for r in everything}


def test_a_tag_finds_every_copy_whether_added_before_or_after_indexing(
    engine: Engine, copies_context: str, copies_folder: Path
) -> None:
    reference = (copies_folder / "copy00.jpg").read_bytes()
    engine.add_tag(copies_context, "after", reference)
    before = engine.create_context()
    engine.add_tag(before, "before", reference)
    engine.extract_folder(before, copies_folder)
    _wait(engine, before)

    found_after = engine.find_by_tags(copies_context, ["after"], threshold=70, max_count=1000)
    found_before = engine.find_by_tags(before, ["before"], threshold=70, max_count=1000)

    assert len(found_after) == COPIES
    assert {r.image_id for r in found_after} == {r.image_id for r in found_before}


def test_duplicates_put_every_copy_in_one_group(engine: Engine, copies_context: str) -> None:
    groups = engine.find_duplicates(copies_context, threshold=90)

    assert len(groups) == 1
    assert sorted(r.image_id for r in groups[0]) == [f"copy{i:02d}.jpg" for i in range(COPIES)]
    assert groups[0][0].similarity == 100.0
    assert all(r.similarity >= 90 for r in groups[0])


@pytest.mark.skipif(os.name == "nt", reason="Windows file names are always Unicode")
def test_a_file_name_that_is_not_utf8_is_reported_and_the_batch_goes_on(
    engine: Engine, context: str, tmp_path: Path, temples: Path
) -> None:
    for name in ("1.jpg", "3.jpg"):
        (tmp_path / name).write_bytes((temples / name).read_bytes())
    odd = os.path.join(os.fsencode(tmp_path), b"caf\xe9.jpg")
    with open(odd, "wb") as out:
        out.write((temples / "4.jpg").read_bytes())

    engine.extract_folder(context, tmp_path)
    status = engine.wait_idle(context, timeout=120)

    assert sorted(engine.image_ids(context)) == ["1.jpg", "3.jpg"]
    assert [(Path(f.source).name, f.reason) for f in status.progress.failed] == [
        ("caf\\xe9.jpg", "the file name is not valid UTF-8; rename it")
    ]
    assert (status.progress.done, status.progress.total) == (3, 3)


def test_a_greyscale_copy_matches_its_colour_original(
    engine: Engine, context: str, mate_wallpapers: Path
) -> None:
    scores = {}
    for name in ("LadyBird.jpg", "Garden.jpg"):
        path = next(mate_wallpapers.rglob(name))
        with Image.open(path) as original:
            grey = io.BytesIO()
            ImageOps.grayscale(original.convert("RGB")).save(grey, "JPEG", quality=90)
        engine.add_image(context, name, path=path)
        scores[name] = engine.compare(context, name, grey.getvalue())

    assert all(score >= 70 for score in scores.values()), scores


def test_another_photo_finds_only_itself_among_the_copies(
    engine: Engine, copies_context: str, copies_folder: Path
) -> None:
    query = (copies_folder / "other.jpg").read_bytes()

    found = engine.find_similar(copies_context, query, threshold=50, max_count=1000)

    assert [r.image_id for r in found] == ["other.jpg"]
