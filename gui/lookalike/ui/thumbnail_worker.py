"""Making one thumbnail: runs in the thumbnail worker processes, so it imports no Qt.

Decoding in threads of the window's own process made the window stutter: a decoder thread holds
the GIL between its C calls, and when the library is being indexed alongside, the CPU is busy and
that low-priority thread keeps the GIL for hundreds of milliseconds while the GUI thread waits for
it. In a worker process a decoder shares nothing with the GUI thread, and a file that crashes or
hangs its decoder costs that one thumbnail (the pool replaces the worker).

The result is plain pixels in layouts QImage takes as they are, so the window turns them into a
QImage and a QPixmap without converting anything. The disk cache lives here too:
a cache hit costs the window nothing either.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import signal
import stat as stat_module
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps

log = logging.getLogger(__name__)

# The engine's limit (lookalike.engine.decode.MAX_PIXELS, which the UI may not import): a 200 MP
# phone photo must show.
MAX_PIXELS = 250_000_000

# What Pillow may open here. Not EPS: Pillow hands it to Ghostscript, a separate interpreter.
PILLOW_FORMATS = (
    "JPEG", "PNG", "GIF", "BMP", "DIB", "TIFF", "WEBP", "HEIF", "AVIF", "PSD", "ICO",
    "ICNS", "JPEG2000", "PPM", "TGA", "SGI", "PCX", "DDS", "BLP",
)

WORKER_NICENESS = 10
WORKER_MEMORY_LIMIT_MB = 3072

_setup_lock = threading.Lock()
_set_up = False


class ThumbnailError(Exception):
    """A file that could not be turned into a thumbnail; the message says why."""


@dataclass(frozen=True, slots=True)
class Pixels:
    """A decoded thumbnail: ``mode`` is "RGB32" (opaque) or "RGBa" (premultiplied alpha)."""

    width: int
    height: int
    mode: str
    data: bytes


def init_worker() -> None:
    """Runs first in each worker process: below the window's priority, capped, ready for HEIF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the window's to handle
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # no os.nice on Windows
        log.debug("could not lower the thumbnail worker's priority")
    if sys.platform != "win32":
        import resource

        limit = WORKER_MEMORY_LIMIT_MB * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            log.debug("could not cap the thumbnail worker's memory")
    prepare_pillow()


def prepare_pillow() -> None:
    """HEIF/AVIF through pillow-heif and the engine's pixel limit, once per process."""
    global _set_up
    with _setup_lock:
        if _set_up:
            return
        pillow_heif.register_heif_opener()
        # Pillow refuses above twice this value and only warns above it (the engine sets the same).
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
        _set_up = True


def cache_key(path: Path, pixel_size: int) -> str:
    """(path, mtime, size, pixel size): an edited file gets a fresh thumbnail.

    Raises ThumbnailError for what is not a regular file: a named pipe would hold the worker
    until its time limit, and every other thumbnail with it.
    """
    stat = path.stat()
    if not stat_module.S_ISREG(stat.st_mode):
        raise ThumbnailError(f"Can't read {path.name}: it is not a regular file")
    text = f"{path}|{stat.st_mtime_ns}|{stat.st_size}|{pixel_size}"
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def make_thumbnail(path: str, pixel_size: int, cache_dir: str | None) -> Pixels:
    """The thumbnail of ``path`` fitted in a ``pixel_size`` square, from the disk cache if it is
    there and still current; raises ThumbnailError with a reason a user can read."""
    prepare_pillow()
    source = Path(path)
    try:
        key = cache_key(source, pixel_size)
    except OSError as error:
        raise ThumbnailError(f"Can't read {source.name}: {error.strerror or error}") from error

    folder = Path(cache_dir) / key[:2] if cache_dir is not None else None
    if folder is not None:
        for suffix in (".jpg", ".png"):  # JPEG for opaque pictures, PNG keeps transparency
            cached = _read_cached(folder / f"{key}{suffix}")
            if cached is not None:
                return to_pixels(cached)

    picture = decode_fitted(source, pixel_size)
    if folder is not None:
        suffix = ".png" if picture.mode == "RGBA" else ".jpg"
        _save_atomically(picture, folder / f"{key}{suffix}")
    return to_pixels(picture)


def decode_fitted(path: Path, pixel_size: int) -> Image.Image:
    """``path`` decoded upright (EXIF) to fit in a ``pixel_size`` square, as RGB or RGBA."""
    prepare_pillow()
    try:
        # Each worker process decodes one file at a time, so this process-wide filter is safe.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=PILLOW_FORMATS) as opened:
                opened.draft("RGB", (pixel_size, pixel_size))  # JPEG: decode at a reduced scale
                upright = ImageOps.exif_transpose(opened)
                upright.thumbnail((pixel_size, pixel_size), reducing_gap=2.0)
                return upright.convert("RGBA" if _has_alpha(upright) else "RGB")
    except Image.DecompressionBombError as error:
        raise ThumbnailError(
            f"Can't read {path.name}: it is too large to preview ({_megapixels(str(error))})"
        ) from error
    except MemoryError as error:
        raise ThumbnailError(f"Can't read {path.name}: not enough memory to decode it") from error
    except Exception as error:  # Pillow raises many types for bad files
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        reason = reason.replace(f" {str(path)!r}", "").replace(str(path), path.name)
        raise ThumbnailError(f"Can't read {path.name}: {reason[:200]}") from error


def to_pixels(picture: Image.Image) -> Pixels:
    """Pixels in a layout QImage takes as is and QPixmap uses without converting them.

    Opaque pictures as 32-bit 0xffRRGGBB words (QImage.Format_RGB32: bytes B, G, R, 255 on the
    little-endian machines we ship for), transparent ones premultiplied
    (Format_RGBA8888_Premultiplied).
    """
    if picture.mode == "RGBA":
        ready = picture.convert("RGBa")
        return Pixels(ready.width, ready.height, "RGBa", ready.tobytes())
    rgb = picture.convert("RGB") if picture.mode != "RGB" else picture
    return Pixels(rgb.width, rgb.height, "RGB32", rgb.tobytes("raw", "BGRX"))


def _has_alpha(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        picture.mode == "P" and "transparency" in picture.info
    )


def _read_cached(cached: Path) -> Image.Image | None:
    try:
        with Image.open(cached) as opened:
            opened.load()
            return opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    except FileNotFoundError:
        return None
    except Exception:  # a damaged cache file is made again
        log.warning("Ignoring the damaged thumbnail cache file %s", cached, exc_info=True)
        return None


def _save_atomically(picture: Image.Image, target: Path) -> None:
    temporary = target.with_name(f"{target.stem}.{os.getpid()}.tmp{target.suffix}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix == ".jpg":
            picture.save(temporary, "JPEG", quality=90)
        else:
            picture.save(temporary, "PNG")
        os.replace(temporary, target)
    except (OSError, ValueError):  # a full disk or a read-only cache: the thumbnail still shows
        log.warning("Could not write the thumbnail cache file %s", target, exc_info=True)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _megapixels(message: str) -> str:
    """The "300 megapixels" of Pillow's "Image size (300000000 pixels) exceeds limit …"."""
    found = re.search(r"\((\d+) pixels\)", message)
    if found is None:
        return f"over {MAX_PIXELS // 1_000_000} megapixels"
    return f"{round(int(found.group(1)) / 1_000_000)} megapixels"
