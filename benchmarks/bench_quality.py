"""Retrieval quality on edited copies of real photos: the engine against imagehash, same run.

    python -m benchmarks.bench_quality

The library holds 23 real photos (Aspose's temples and Debian's mate-backgrounds photos) and the
other mate-backgrounds pictures as distractors. Each photo is edited in every way of
``tests/support/edits.py`` and the copy is used as a query; its one relevant answer is the original.
The engine ranks by ``find_similar``; each hash ranks by Hamming distance (a tie shares the rank:
half the tied images count as ahead). Per edit type: mAP (mean of 1/rank, 0 when not found) and
recall@1. Targets (issue 2): mAP and recall@1 >= 0.99 overall, every edit type >= 0.95, and above
every hash on every edit type.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imagehash
from PIL import Image
from tests.support import photos
from tests.support.edits import EDITS, edited_jpeg

from benchmarks.common import mate_wallpapers, verdict
from lookalike.engine import Engine

HASHES: dict[str, Callable[[Image.Image], imagehash.ImageHash]] = {
    "phash": imagehash.phash, "dhash": imagehash.dhash, "whash": imagehash.whash,
}
METHODS = ("engine", *HASHES)


def distractors(mate: Path) -> list[Path]:
    """The wallpapers that are not among the photos (drawings, logos, gradients)."""
    taken = {mate / name for name in photos.MATE_PHOTOS}
    return sorted(
        p for p in mate.rglob("*")
        if p.suffix in (".jpg", ".png") and p not in taken and not p.name.startswith("Elephants")
    )


def _hashes(image: Image.Image) -> dict[str, imagehash.ImageHash]:
    rgb = image.convert("RGB")
    return {name: function(rgb) for name, function in HASHES.items()}


def _hash_rank(query: imagehash.ImageHash, target: str,
               library: dict[str, imagehash.ImageHash]) -> float:
    distances = {image_id: query - value for image_id, value in library.items()}
    mine = distances[target]
    better = sum(1 for i, d in distances.items() if d < mine and i != target)
    tied = sum(1 for i, d in distances.items() if d == mine and i != target)
    return 1 + better + tied / 2


def main() -> None:
    mate = mate_wallpapers()
    originals = photos.real_photos(mate)
    extra = distractors(mate)
    library_paths = {f"photo/{p.name}": p for p in originals}
    library_paths.update({f"other/{p.parent.name}/{p.name}": p for p in extra})
    print(f"library: {len(originals)} photos + {len(extra)} distractors; "
          f"{len(originals) * len(EDITS)} queries ({len(EDITS)} edit types)")

    hashes: dict[str, dict[str, imagehash.ImageHash]] = {name: {} for name in HASHES}
    for image_id, path in library_paths.items():
        with Image.open(path) as im:
            for name, value in _hashes(im).items():
                hashes[name][image_id] = value

    ranks: dict[str, dict[str, list[float | None]]] = {m: defaultdict(list) for m in METHODS}
    workers = os.cpu_count()
    with tempfile.TemporaryDirectory() as work, Engine(Path(work), workers=workers) as engine:
        context = engine.create_context()
        for image_id, path in library_paths.items():
            engine.add_image(context, image_id, path=path)

        def run(job: tuple[Path, str]) -> tuple[str, float | None, dict[str, float]]:
            path, edit = job
            with Image.open(path) as im:
                data = edited_jpeg(im, edit)
            target = f"photo/{path.name}"
            found = engine.find_similar(context, data, max_count=len(library_paths))
            ids = [r.image_id for r in found]
            engine_rank = ids.index(target) + 1.0 if target in ids else None
            with Image.open(io.BytesIO(data)) as query:
                query_hashes = _hashes(query)
            hash_ranks = {
                name: _hash_rank(query_hashes[name], target, hashes[name]) for name in HASHES
            }
            return edit, engine_rank, hash_ranks

        jobs = [(path, edit) for path in originals for edit in EDITS]
        with ThreadPoolExecutor(os.cpu_count() or 1) as threads:
            for edit, engine_rank, hash_ranks in threads.map(run, jobs):
                ranks["engine"][edit].append(engine_rank)
                for name, rank in hash_ranks.items():
                    ranks[name][edit].append(rank)

    report(ranks)


def _map(values: list[float | None]) -> float:
    return sum(1 / r for r in values if r) / len(values)


def _recall1(values: list[float | None]) -> float:
    return sum(1 for r in values if r == 1) / len(values)


def report(ranks: dict[str, dict[str, list[float | None]]]) -> None:
    header = f"{'edit':<20}" + "".join(f"{m + ' mAP':>12}{'R@1':>6}" for m in METHODS)
    print(header)
    below_hash = []
    weak = []
    for edit in EDITS:
        cells = []
        for method in METHODS:
            values = ranks[method][edit]
            cells.append(f"{_map(values):12.3f}{_recall1(values):6.2f}")
        print(f"{edit:<20}" + "".join(cells))
        engine_map = _map(ranks["engine"][edit])
        if engine_map < 0.95 or _recall1(ranks["engine"][edit]) < 0.95:
            weak.append(edit)
        best_hash = max(_map(ranks[name][edit]) for name in HASHES)
        if engine_map <= best_hash and engine_map < 1.0:
            below_hash.append(edit)
    overall = {m: [r for edit in EDITS for r in ranks[m][edit]] for m in METHODS}
    print(f"{'all edits':<20}" + "".join(
        f"{_map(overall[m]):12.3f}{_recall1(overall[m]):6.2f}" for m in METHODS))

    engine_map, engine_r1 = _map(overall["engine"]), _recall1(overall["engine"])
    for name in HASHES:
        print(f"engine / {name} mAP: {engine_map / max(_map(overall[name]), 1e-9):.2f} x")
    print(f"overall mAP {engine_map:.3f}, recall@1 {engine_r1:.3f} (target >= 0.99: "
          f"{verdict(engine_map >= 0.99 and engine_r1 >= 0.99)})")
    print(f"edit types under 0.95: {', '.join(weak) or 'none'} ({verdict(not weak)})")
    print(f"edit types where a hash does as well or better: {', '.join(below_hash) or 'none'} "
          f"({verdict(not below_hash)})")


if __name__ == "__main__":
    main()
