"""What the benchmarks share: the photo cache, timing and printing."""

from __future__ import annotations

import logging
import os
import statistics
from pathlib import Path

from tests.support import photos

log = logging.getLogger(__name__)

CACHE = Path(os.environ.get("LOOKALIKE_BENCH_CACHE", Path.home() / ".cache" / "lookalike-bench"))


def mate_wallpapers() -> Path:
    """Debian's mate-backgrounds, fetched (apt-get download + dpkg -x) on first use."""
    return photos.wallpapers(CACHE / "mate-backgrounds")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "meets the target" if ok else "MISSES the target"
