"""Real photos for the similarity tests and the benchmarks, fetched at run time.

Aspose's own sample photos ship in ``../shared/data/aspose-examples``. Debian's ``mate-backgrounds``
wallpapers are GPL-licensed, so they are not committed: they are fetched with ``apt-get download``
and unpacked with ``dpkg -x`` the first time they are needed, into a cache folder that later runs
reuse. ``LOOKALIKE_WALLPAPERS`` may point at an already unpacked ``usr/share/backgrounds`` folder.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
ASPOSE_EXAMPLES = SHARED_DATA / "aspose-examples"
BAD_IMAGES = SHARED_DATA / "bad-images"

WALLPAPER_PACKAGE = "mate-backgrounds"

# Real photos among the wallpapers (the rest are drawings, gradients and logos).
MATE_PHOTOS = (
    "nature/Aqua.jpg", "nature/Blinds.jpg", "nature/Dune.jpg", "nature/FreshFlower.jpg",
    "nature/Garden.jpg", "nature/GreenMeadow.jpg", "nature/LadyBird.jpg", "nature/RainDrops.jpg",
    "nature/Storm.jpg", "nature/TwoWings.jpg", "nature/Wood.jpg", "nature/YellowFlower.jpg",
    "abstract/Elephants.jpg",
)

# The large JPEGs the indexing benchmark decodes.
MATE_LARGE_JPEGS = ("abstract/Elephants_3840x2160.jpg", "abstract/Elephants_5640x3172.jpg")


class PhotoFetchError(RuntimeError):
    """The wallpapers could not be fetched: the message says which command failed and why."""


def wallpapers(cache_dir: Path) -> Path:
    """The ``backgrounds/mate`` folder of the unpacked wallpaper package, fetched if needed."""
    configured = os.environ.get("LOOKALIKE_WALLPAPERS")
    if configured:
        mate = Path(configured) / "mate"
        if not (mate / MATE_PHOTOS[0]).is_file():
            raise PhotoFetchError(f"LOOKALIKE_WALLPAPERS={configured}: no {mate / MATE_PHOTOS[0]}")
        return mate

    mate = cache_dir / "unpacked" / "usr" / "share" / "backgrounds" / "mate"
    if all((mate / name).is_file() for name in MATE_PHOTOS):
        return mate
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as download_dir:
        try:
            _run(["apt-get", "download", WALLPAPER_PACKAGE], cwd=Path(download_dir))
        except PhotoFetchError:
            if not hasattr(os, "geteuid") or os.geteuid() != 0:
                raise
            # A fresh machine (CI) may have no package lists yet: fetch them once and retry.
            _run(["apt-get", "update", "-qq"], cwd=Path(download_dir))
            _run(["apt-get", "download", WALLPAPER_PACKAGE], cwd=Path(download_dir))
        debs = sorted(Path(download_dir).glob(f"{WALLPAPER_PACKAGE}_*.deb"))
        if not debs:
            raise PhotoFetchError(f"apt-get download {WALLPAPER_PACKAGE} left no .deb file")
        _run(["dpkg", "-x", str(debs[-1]), str(cache_dir / "unpacked")], cwd=cache_dir)
    missing = [name for name in MATE_PHOTOS if not (mate / name).is_file()]
    if missing:
        raise PhotoFetchError(f"{WALLPAPER_PACKAGE} has no {', '.join(missing)}")
    return mate


def _run(command: list[str], cwd: Path) -> None:
    log.info("running %s", " ".join(command))
    try:
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True, timeout=600)
    except FileNotFoundError as exc:
        raise PhotoFetchError(f"{command[0]} is not installed") from exc
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise PhotoFetchError(
            f"{' '.join(command)} failed ({exc.returncode}): {detail[-1] if detail else ''}"
        ) from exc


def temple_photos() -> list[Path]:
    """Aspose's ten temple photos, less ``2.jpg`` (a byte copy of ``ComparableImage.jpg``)."""
    folder = ASPOSE_EXAMPLES / "FindSimilar"
    distinct = sorted(p for p in folder.glob("*.jpg") if p.name != "2.jpg")
    return [*distinct, ASPOSE_EXAMPLES / "ComparableImage.jpg"]


def real_photos(mate: Path) -> list[Path]:
    """Every distinct real photo: the temples and the wallpaper photos (23 in all)."""
    return temple_photos() + [mate / name for name in MATE_PHOTOS]
