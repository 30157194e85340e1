"""Indexing throughput on real large JPEGs, against the draft-decode floor and imagehash's phash.

    python -m benchmarks.bench_indexing [--copies N]

All three run over the same files with the same number of processes (all cores): the engine's
``extract_folder`` (decode in worker processes + features + SQLite), (a) the floor: a JPEG draft
decode to the engine's working size alone, and (b) ``imagehash.phash`` of each file (also shown
in a single process, the way a script using imagehash would run it). Worker start-up
is left out of every figure (each pool is warmed up first). Targets (issue 2): the engine at
>= 0.8 x the floor and >= 3 x phash, in images per second.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import mate_wallpapers, verdict
from lookalike.engine import Engine
from lookalike.engine.features import FEATURE_SIDE


def draft_decode(path: Path) -> tuple[int, int]:
    """The floor: what the decoder must do at the least, a DCT-scaled decode to FEATURE_SIDE."""
    from PIL import Image

    with Image.open(path) as im:
        im.draft("RGB", (FEATURE_SIDE, FEATURE_SIDE))
        im.load()
        return im.size


def phash(path: Path) -> str:
    import imagehash
    from PIL import Image

    with Image.open(path) as im:
        return str(imagehash.phash(im))


def _pool_rate(function, files: list[Path], processes: int) -> float:
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        pool.map(function, files[:processes])  # warm up: imports, first calls
        started = time.perf_counter()
        pool.map(function, files, chunksize=1)
        return len(files) / (time.perf_counter() - started)


def _engine_rate(files: list[Path], processes: int, work: Path) -> float:
    folder = work / "library"
    warmup = work / "warmup"
    for index, path in enumerate(files):
        target = folder / f"copy{index // 1000}" / f"{index:05d}_{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    warmup.mkdir()
    for path in files[:processes]:
        shutil.copy(path, warmup / path.name)
    with Engine(work / "data", workers=processes) as engine:
        context = engine.create_context()
        engine.extract_folder(context, warmup)
        engine.wait_idle(context)
        started = time.perf_counter()
        engine.extract_folder(context, folder)
        status = engine.wait_idle(context)
        elapsed = time.perf_counter() - started
    assert status.progress.done == len(files) and not status.progress.failed, status
    return len(files) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=2, help="times each file is indexed")
    args = parser.parse_args()

    mate = mate_wallpapers()
    originals = sorted(mate.rglob("*.jpg"))
    files = originals * args.copies
    processes = os.cpu_count() or 1
    megapixels = sum(_size(p) for p in originals) * args.copies / 1e6
    print(f"{len(files)} JPEGs ({len(originals)} distinct, {megapixels / len(files):.1f} MP "
          f"on average, largest {max(_size(p) for p in originals) / 1e6:.1f} MP), "
          f"{processes} processes")

    floor = _pool_rate(draft_decode, files, processes)
    hashed = _pool_rate(phash, files, processes)
    hashed_alone = _pool_rate(phash, files, 1)
    with tempfile.TemporaryDirectory() as work:
        engine = _engine_rate(files, processes, Path(work))

    print(f"draft-decode floor : {floor:7.2f} images/s")
    print(f"imagehash phash    : {hashed:7.2f} images/s ({hashed_alone:.2f} in one process)")
    print(f"engine extraction  : {engine:7.2f} images/s")
    print(f"engine / floor     : {engine / floor:5.2f} x  (target >= 0.8: "
          f"{verdict(engine / floor >= 0.8)})")
    print(f"engine / phash     : {engine / hashed:5.2f} x  (target >= 3: "
          f"{verdict(engine / hashed >= 3)}); against phash in one process: "
          f"{engine / hashed_alone:.2f} x ({verdict(engine / hashed_alone >= 3)})")


def _size(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as im:
        return im.width * im.height


if __name__ == "__main__":
    main()
