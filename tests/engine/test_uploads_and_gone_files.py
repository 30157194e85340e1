"""What a folder scan does to uploaded images, and what searches do with images whose file is gone.

Service findings 15 (an upload undone by the next scan) and 18 (a deleted file still found).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lookalike.engine import Engine

TIMEOUT = 120


def scan(engine: Engine, context: str, folder: Path) -> None:
    engine.extract_folder(context, folder, id_prefix="f/")
    engine.wait_idle(context, timeout=TIMEOUT)


def test_a_scan_keeps_an_image_updated_by_upload(
    engine: Engine, context: str, tmp_path: Path, temples: Path
) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    for name in ("1.jpg", "3.jpg"):
        shutil.copy(temples / name, folder / name)
    scan(engine, context, folder)
    uploaded = (temples / "7.jpg").read_bytes()
    engine.update_image(context, "f/3.jpg", data=uploaded)
    shutil.copy(temples / "5.jpg", folder / "5.jpg")  # a new file: the scan still takes it

    scan(engine, context, folder)

    assert engine.read_image(context, "f/3.jpg") == uploaded
    assert engine.compare(context, "f/3.jpg", uploaded) == 100.0
    assert engine.compare(context, "f/3.jpg", (temples / "3.jpg").read_bytes()) < 50
    assert sorted(engine.image_ids(context)) == ["f/1.jpg", "f/3.jpg", "f/5.jpg"]
    progress = engine.status(context).progress
    assert (progress.done, progress.total, progress.skipped) == (3, 3, 2)


def test_searches_leave_out_images_whose_file_is_gone(
    engine: Engine, context: str, tmp_path: Path, temples: Path
) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    for name in ("c1.jpg", "c2.jpg", "c3.jpg"):
        shutil.copy(temples / "3.jpg", folder / name)
    shutil.copy(temples / "1.jpg", folder / "other.jpg")
    scan(engine, context, folder)
    reference = (temples / "3.jpg").read_bytes()
    engine.add_tag(context, "temple", reference)
    moved_away = tmp_path / "c2.jpg"
    (folder / "c2.jpg").rename(moved_away)

    similar = engine.find_similar(context, reference, threshold=90, max_count=10)
    tagged = engine.find_by_tags(context, ["temple"], threshold=90, max_count=10)
    groups = engine.find_duplicates(context, threshold=90)

    assert [r.image_id for r in similar] == ["f/c1.jpg", "f/c3.jpg"]
    assert [r.image_id for r in tagged] == ["f/c1.jpg", "f/c3.jpg"]
    assert [[r.image_id for r in group] for group in groups] == [["f/c1.jpg", "f/c3.jpg"]]
    # Left out, not forgotten: the file may come back (an unplugged disk).
    assert "f/c2.jpg" in engine.image_ids(context)
    moved_away.rename(folder / "c2.jpg")
    back = engine.find_similar(context, reference, threshold=90, max_count=10)
    assert [r.image_id for r in back] == ["f/c1.jpg", "f/c2.jpg", "f/c3.jpg"]


def test_find_by_tags_fills_max_count_past_images_whose_file_is_gone(
    engine: Engine, context: str, tmp_path: Path, temples: Path
) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    for index in range(4):
        shutil.copy(temples / "3.jpg", folder / f"c{index}.jpg")
    scan(engine, context, folder)
    engine.add_tag(context, "temple", (temples / "3.jpg").read_bytes())
    (folder / "c0.jpg").unlink()
    (folder / "c1.jpg").unlink()

    tagged = engine.find_by_tags(context, ["temple"], threshold=90, max_count=2)

    assert [r.image_id for r in tagged] == ["f/c2.jpg", "f/c3.jpg"]
