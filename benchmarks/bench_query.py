"""Query latency and memory at 10k, 100k and 1M images, through the engine's index and store.

    python -m benchmarks.bench_query [--sizes 10000 100000 1000000] [--queries 30]

Each size gets a real context database (the engine's own SQLite schema, written through
``ContextStore``) holding synthetic images: random unit global vectors serialised with the engine's
own ``ImageFeatures.to_bytes`` but without keypoints (a million real feature blobs would take
30 GB),
plus three tags each matching 2% of the images. A fresh process then opens the context with
``Engine`` (loading the in-memory index, which is what the RAM figure measures) and times
``find_similar`` by image id and ``find_by_tags``.

Because the synthetic candidates have no keypoints, the geometric verification of the shortlist
is timed apart, on real feature blobs of real photos (the cost does not depend on the library's
size: it is SHORTLIST pairs per query), and added to the find_similar figures.
Targets (issue 2): find_similar p50 <= 50 ms at 100k and <= 500 ms at 1M; <= 2 KB of RAM per image.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from tests.support import photos

from benchmarks.common import mate_wallpapers, median, percentile, verdict
from lookalike.engine.decode import decode_image
from lookalike.engine.engine import SHORTLIST
from lookalike.engine.features import GLOBAL_DIMS, ImageFeatures, compute_features
from lookalike.engine.scoring import similarity
from lookalike.engine.store import ContextStore

TAGS = ("Beach", "Temple", "Sky")
TAG_SHARE = 0.02
BATCH = 50_000


def _real_features(path: Path) -> ImageFeatures:
    decoded = decode_image(path)
    return compute_features(decoded.pixels, decoded.width, decoded.height)


def _without_keypoints(features: ImageFeatures) -> ImageFeatures:
    def empty(keypoints):  # type: ignore[no-untyped-def]
        return dataclasses.replace(
            keypoints, points=keypoints.points[:0], descriptors=keypoints.descriptors[:0]
        )

    return dataclasses.replace(
        features, keypoints=empty(features.keypoints),
        mirror_keypoints=empty(features.mirror_keypoints),
    )


def build(database: Path, size: int, query_photo: Path) -> None:
    """Write a context of ``size`` synthetic images (and one real query image) to ``database``."""
    rng = np.random.default_rng(size)
    template = _without_keypoints(_real_features(query_photo))
    store = ContextStore(database)
    for start in range(0, size, BATCH):
        count = min(BATCH, size - start)
        vectors = rng.standard_normal((count, GLOBAL_DIMS)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = []
        for offset, vector in enumerate(vectors):
            blob = dataclasses.replace(
                template, global_vector=vector, mirror_vector=vector[::-1].copy()
            ).to_bytes()
            rows.append((f"synthetic/{start + offset:07d}.jpg", 1920, 1080, blob))
        with store.write() as db:
            db.executemany(
                "INSERT INTO images(image_id, width, height, features) VALUES (?, ?, ?, ?)", rows
            )
    query = _real_features(query_photo)
    store.put_image("query.jpg", source_path=None, file_size=None, file_mtime_ns=None,
                    width=query.width, height=query.height, features=query.to_bytes())
    chooser = random.Random(size)
    for name in TAGS:
        ref = store.add_reference(name, query.to_bytes())
        matched = chooser.sample(range(1, size + 1), max(1, int(size * TAG_SHARE)))
        store.put_matches((ref, row, round(chooser.uniform(1, 100), 2)) for row in matched)
    store.close()


def _resident_bytes() -> int:
    import os

    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(data_dir: Path, context_id: str, size: int, queries: int) -> dict[str, float]:
    """In a fresh process: open the context, then time the searches."""
    from lookalike.engine import Engine

    with Engine(data_dir, workers=1) as engine:
        before = _resident_bytes()
        started = time.perf_counter()
        engine.status(context_id)  # loads the index
        load_seconds = time.perf_counter() - started
        per_image = (_resident_bytes() - before) / size

        similar = []
        for _ in range(queries):
            started = time.perf_counter()
            engine.find_similar(context_id, "query.jpg", max_count=10)
            similar.append(time.perf_counter() - started)
        by_tags = []
        for index in range(queries):
            names = [TAGS[index % 3]] if index % 2 else list(TAGS[:2])
            started = time.perf_counter()
            engine.find_by_tags(context_id, names, threshold=50, max_count=10,
                                match_all=index % 4 == 0)
            by_tags.append(time.perf_counter() - started)
    return {
        "load_s": load_seconds, "bytes_per_image": per_image,
        "similar_p50": median(similar), "similar_p95": percentile(similar, 0.95),
        "tags_p50": median(by_tags), "tags_p95": percentile(by_tags, 0.95),
    }


def verification_seconds(real_photos: list[Path]) -> float:
    """Median time to verify one query against SHORTLIST real candidates."""
    features = [_real_features(p) for p in real_photos]
    query, candidates = features[0], (features[1:] * SHORTLIST)[:SHORTLIST]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        for candidate in candidates:
            similarity(query, candidate)
        timings.append(time.perf_counter() - started)
    return median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()

    real_photos = photos.real_photos(mate_wallpapers())
    verify = verification_seconds(real_photos)
    print(f"verifying a shortlist of {SHORTLIST} real candidates: {verify * 1000:.1f} ms "
          "(added to find_similar below)")
    spawn = multiprocessing.get_context("spawn")
    print(f"{'images':>9} {'load s':>7} {'B/image':>8} {'similar p50':>12} {'p95':>8} "
          f"{'(index only p50)':>17} {'tags p50':>9} {'p95':>8}")
    results = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as work:
            data_dir = Path(work)
            context_id = "bench"
            with spawn.Pool(1) as pool:
                pool.apply(build, (data_dir / f"{context_id}.db", size, real_photos[0]))
            with spawn.Pool(1) as pool:
                figures = pool.apply(measure, (data_dir, context_id, size, args.queries))
        results[size] = figures
        print(f"{size:>9} {figures['load_s']:7.1f} {figures['bytes_per_image']:8.0f} "
              f"{(figures['similar_p50'] + verify) * 1000:9.1f} ms "
              f"{(figures['similar_p95'] + verify) * 1000:5.1f} ms "
              f"{figures['similar_p50'] * 1000:14.1f} ms "
              f"{figures['tags_p50'] * 1000:6.1f} ms {figures['tags_p95'] * 1000:5.1f} ms")

    targets = {100_000: 0.050, 1_000_000: 0.500}
    for size, limit in targets.items():
        if size not in results:
            continue
        for label, p50 in (("find_similar", results[size]["similar_p50"] + verify),
                           ("find_by_tags", results[size]["tags_p50"])):
            print(f"{label} p50 at {size:,}: {p50 * 1000:.1f} ms, {p50 / limit:.2f} x the "
                  f"{limit * 1000:.0f} ms target ({verdict(p50 <= limit)})")
    # Fixed costs (SQLite's cache, the index's spare capacity) weigh on small sizes: the target is
    # judged at the largest size measured.
    largest = max(results)
    per_image = results[largest]["bytes_per_image"]
    print(f"RAM per image at {largest:,}: {per_image:.0f} B, {per_image / 2048:.2f} x the 2 KB "
          f"target ({verdict(per_image <= 2048)})")


if __name__ == "__main__":
    main()
