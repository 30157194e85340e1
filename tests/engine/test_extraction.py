"""Background extraction over a folder: progress, unchanged files, cancel, busy, failures."""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from lookalike.engine import BusyError, Engine, ImageDecodeError, InvalidArgumentError, SearchStatus
from tests.engine.conftest import copy_tree, edit_of


@pytest.fixture
def photo_folder(tmp_path: Path, real_photos: list[Path]) -> Path:
    """23 real photos, some in a subfolder, plus text files that are not images."""
    folder = copy_tree(real_photos[:12], tmp_path / "photos")
    copy_tree(real_photos[12:], folder / "wallpapers")
    (folder / "notes.txt").write_text("not an image")
    (folder / "LICENSE").write_text("no suffix, and not an image either")
    (folder / ".hidden").mkdir()
    shutil.copy2(real_photos[0], folder / ".hidden" / "skipped.jpg")
    return folder


def _ids_under(folder: Path, prefix: str) -> set[str]:
    return {
        prefix + p.relative_to(folder).as_posix()
        for p in folder.rglob("*.jpg")
        if ".hidden" not in p.parts
    }


def test_a_folder_is_indexed_in_the_background_with_progress(
    engine: Engine, context: str, photo_folder: Path
) -> None:
    engine.extract_folder(context, photo_folder, id_prefix="lib/")
    seen = [engine.status(context)]
    while seen[-1].status == SearchStatus.IN_PROGRESS:
        time.sleep(0.02)
        seen.append(engine.status(context))
    final = engine.wait_idle(context, timeout=120)

    # It reports InProgress from the moment extract_folder returns, counting up to the total.
    assert seen[0].status == SearchStatus.IN_PROGRESS == "InProgress"
    running = [s.progress for s in seen if s.status == SearchStatus.IN_PROGRESS]
    assert all(p.done <= p.total for p in running if p.total)
    assert [p.done for p in running] == sorted(p.done for p in running)
    assert final.status == SearchStatus.IDLE
    assert (final.progress.done, final.progress.total) == (23, 23)
    assert (final.progress.skipped, final.progress.failed) == (0, ())
    assert final.progress.cancelled is False
    assert set(engine.image_ids(context)) == _ids_under(photo_folder, "lib/")
    info = engine.get_image(context, "lib/wallpapers/Wood.jpg")
    assert (info.width, info.height, info.has_features) == (2560, 1920, True)


def test_a_second_run_skips_unchanged_files_and_redoes_changed_ones(
    engine: Engine, context: str, photo_folder: Path, temples: Path
) -> None:
    engine.extract_folder(context, photo_folder)
    engine.wait_idle(context, timeout=120)
    before = {i: engine.features_blob(context, i) for i in engine.image_ids(context)}

    # One file changes, one is removed, one is added.
    changed = photo_folder / "1.jpg"
    changed.write_bytes((temples / "6.jpg").read_bytes())
    os.utime(changed, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    (photo_folder / "3.jpg").unlink()
    (photo_folder / "new.jpg").write_bytes(edit_of(temples / "8.jpg", "flip"))

    engine.extract_folder(context, photo_folder)
    second = engine.wait_idle(context, timeout=120)
    assert (second.progress.total, second.progress.done) == (23, 23)
    assert second.progress.skipped == 21
    assert second.progress.failed == ()
    assert set(engine.image_ids(context)) == _ids_under(photo_folder, "")
    assert "3.jpg" not in engine.image_ids(context)
    assert engine.features_blob(context, "1.jpg") != before["1.jpg"]
    assert engine.features_blob(context, "4.jpg") == before["4.jpg"]

    engine.extract_folder(context, photo_folder)
    third = engine.wait_idle(context, timeout=120)
    assert (third.progress.total, third.progress.skipped, third.progress.done) == (23, 23, 23)


def test_a_failed_file_is_remembered_and_not_retried_until_it_changes(
    engine: Engine, context: str, tmp_path: Path, temples: Path
) -> None:
    folder = copy_tree([temples / "1.jpg"], tmp_path / "mixed")
    (folder / "broken.jpg").write_bytes((temples / "3.jpg").read_bytes()[:2000])
    engine.extract_folder(context, folder)
    first = engine.wait_idle(context, timeout=60)
    assert [(Path(f.source).name, f.reason) for f in first.progress.failed] == [
        ("broken.jpg", "file is truncated")
    ]
    assert engine.image_ids(context) == ["1.jpg"]

    engine.extract_folder(context, folder)
    second = engine.wait_idle(context, timeout=60)
    assert (second.progress.skipped, second.progress.failed) == (2, ())
    assert [Path(f.source).name for f in engine.failures(context)] == ["broken.jpg"]

    (folder / "broken.jpg").write_bytes((temples / "3.jpg").read_bytes())
    engine.extract_folder(context, folder)
    third = engine.wait_idle(context, timeout=60)
    assert (third.progress.skipped, third.progress.failed) == (1, ())
    assert engine.image_ids(context) == ["1.jpg", "broken.jpg"]
    assert engine.failures(context) == []


def test_cancel_stops_the_run_and_the_next_run_finishes_the_job(
    engine: Engine, context: str, tmp_path: Path, real_photos: list[Path]
) -> None:
    folder = tmp_path / "many"
    for copy in range(3):
        copy_tree(real_photos, folder / f"copy{copy}")
    engine.extract_folder(context, folder)
    deadline = time.monotonic() + 120
    while engine.status(context).progress.done < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    engine.cancel(context)
    cancelled = engine.wait_idle(context, timeout=120)

    assert cancelled.status == SearchStatus.IDLE
    assert cancelled.progress.cancelled is True
    assert cancelled.progress.total == 69
    assert 5 <= cancelled.progress.done < 69
    assert len(engine.image_ids(context)) == cancelled.progress.done
    # Files cut short by the cancel are not failures: they were never looked at.
    assert cancelled.progress.failed == ()
    assert engine.failures(context) == []

    engine.extract_folder(context, folder)
    finished = engine.wait_idle(context, timeout=240)
    assert finished.progress.cancelled is False
    assert (finished.progress.done, finished.progress.total) == (69, 69)
    assert finished.progress.skipped == cancelled.progress.done
    assert len(engine.image_ids(context)) == 69


def test_a_second_extraction_while_one_runs_is_busy(
    engine: Engine, context: str, photo_folder: Path
) -> None:
    engine.extract_folder(context, photo_folder)
    with pytest.raises(BusyError, match=context):
        engine.extract_folder(context, photo_folder)
    assert engine.wait_idle(context, timeout=120).progress.done == 23
    # Once idle, it can run again.
    engine.extract_folder(context, photo_folder)
    assert engine.wait_idle(context, timeout=120).progress.skipped == 23


def test_extracting_a_missing_folder_is_an_invalid_argument(
    engine: Engine, context: str, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgumentError, match="nowhere"):
        engine.extract_folder(context, tmp_path / "nowhere")
    assert engine.status(context).status == SearchStatus.IDLE


@pytest.fixture(scope="module")
def heavy_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 15000 x 15000 PNG: 3 MB on disk, 675 MB and about 4 s of work to decode."""
    path = tmp_path_factory.mktemp("heavy") / "b_heavy.png"
    Image.new("RGB", (15000, 15000), (90, 120, 30)).save(path, compress_level=1)
    return path


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"task_timeout": 0.5, "memory_limit_mb": None}, "took longer than 0.5 s to decode"),
        ({"task_timeout": 60, "memory_limit_mb": 150}, "needs more than 150 MB to decode"),
    ],
    ids=["hang", "memory"],
)
def test_a_hang_or_a_memory_hog_costs_one_file(
    tmp_path: Path, temples: Path, heavy_png: Path, settings: dict[str, float | None],
    reason: str,
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    shutil.copy2(heavy_png, folder / heavy_png.name)
    for name in ("1.jpg", "3.jpg", "4.jpg"):
        prefix = "a_" if name == "1.jpg" else "c_"
        shutil.copy2(temples / name, folder / f"{prefix}{name}")

    with Engine(tmp_path / "data", workers=1, **settings) as strict:  # type: ignore[arg-type]
        context = strict.create_context()
        strict.extract_folder(context, folder)
        status = strict.wait_idle(context, timeout=120)
        assert [(Path(f.source).name, f.reason) for f in status.progress.failed] == [
            ("b_heavy.png", reason)
        ]
        # The pool recovered: the files after the bad one were indexed too.
        assert strict.image_ids(context) == ["a_1.jpg", "c_3.jpg", "c_4.jpg"]
        assert (status.progress.done, status.progress.total) == (4, 4)


def test_searches_and_tags_from_other_threads_while_a_folder_is_indexed(
    engine: Engine, context: str, photo_folder: Path, temples: Path
) -> None:
    query = (temples / "4.jpg").read_bytes()
    engine.add_image(context, "query-copy.jpg", data=query)
    engine.extract_folder(context, photo_folder)

    def searches(worker: int) -> list[str]:
        seen = []
        for turn in range(6):
            engine.add_tag(context, f"tag{worker}", query)
            found = engine.find_similar(context, query, threshold=90)
            seen.append(found[0].image_id)
            engine.find_by_tags(context, [f"tag{worker}"], threshold=90)
            engine.compare(context, "query-copy.jpg", query if turn % 2 else "query-copy.jpg")
        return seen

    with ThreadPoolExecutor(3) as threads:
        results = list(threads.map(searches, range(3)))
    final = engine.wait_idle(context, timeout=120)

    assert final.progress.done == 23 and final.progress.failed == ()
    # The folder holds a byte copy of the query (4.jpg), found first (ties go by id) once indexed.
    assert {image_id for seen in results for image_id in seen} <= {"query-copy.jpg", "4.jpg"}
    assert all(len(seen) == 6 for seen in results)
    assert [(t.name, t.reference_count) for t in engine.tags(context)] == [
        ("tag0", 6), ("tag1", 6), ("tag2", 6)
    ]
    # Images indexed while the tags were being added are scored against them too.
    tagged = {r.image_id for r in engine.find_by_tags(context, ["tag1"], threshold=90,
                                                      max_count=100)}
    assert tagged == {"query-copy.jpg", "4.jpg"}


def test_a_rescan_forgets_deleted_files_and_only_those_of_its_folder(
    engine: Engine, context: str, tmp_path: Path, temples: Path
) -> None:
    # "a_b" next to "a%b": a LIKE pattern must take the folder name literally.
    folder, neighbour = tmp_path / "a%b", tmp_path / "a_b"
    for target, names in ((folder, ("1.jpg", "3.jpg")), (neighbour, ("4.jpg",))):
        target.mkdir()
        for name in names:
            (target / name).write_bytes((temples / name).read_bytes())
    engine.extract_folder(context, folder, id_prefix="x/")
    engine.wait_idle(context, timeout=120)
    engine.extract_folder(context, neighbour, id_prefix="y/")
    engine.wait_idle(context, timeout=120)

    (folder / "3.jpg").unlink()
    engine.extract_folder(context, folder, id_prefix="x/")
    engine.wait_idle(context, timeout=120)

    assert sorted(engine.image_ids(context)) == ["x/1.jpg", "y/4.jpg"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX only")
def test_a_named_pipe_is_reported_at_once_not_opened(
    engine: Engine, context: str, tmp_path: Path, temples: Path
) -> None:
    """Opening a named pipe waits for a writer: it would hold a decoder until its time limit."""
    folder = copy_tree([temples / "1.jpg"], tmp_path / "with-pipe")
    os.mkfifo(folder / "pipe.jpg")
    started = time.monotonic()
    engine.extract_folder(context, folder)
    status = engine.wait_idle(context, timeout=60)

    assert [(Path(f.source).name, f.reason) for f in status.progress.failed] == [
        ("pipe.jpg", "not a regular file")
    ]
    assert engine.image_ids(context) == ["1.jpg"]
    assert time.monotonic() - started < 30  # the decoders' time limit is 60 s
    with pytest.raises(ImageDecodeError, match="not a regular file"):
        engine.add_image(context, "pipe.jpg", path=folder / "pipe.jpg")
