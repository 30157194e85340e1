"""Thumbnails made off the GUI thread, cached on disk.

Workers in a QThreadPool decode with QImageReader (upright per EXIF, DCT-scaled for JPEG) into a
QImage, and fall back to Pillow (with pillow-heif) for what Qt can't read: HEIC and AVIF photos,
PSD, 12-bit JPEG. Only the GUI thread turns a QImage into a QPixmap (Qt forbids pixmaps
elsewhere). The newest
request is served first and the queue is bounded, so scrolling fast through a huge grid only decodes
what is on screen now. The disk cache key is (path, mtime, size, pixel size): an edited file gets a
fresh thumbnail.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps
from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QImageReader

log = logging.getLogger(__name__)

MAX_PENDING = 256
# The engine's limit (lookalike.engine.decode.MAX_PIXELS, which the UI may not import): a 200 MP
# phone photo must show.
MAX_PIXELS = 250_000_000


class ThumbnailError(Exception):
    """A file that could not be turned into a thumbnail; the message says why."""


def cache_key(path: Path, pixel_size: int) -> str:
    stat = path.stat()
    text = f"{path}|{stat.st_mtime_ns}|{stat.st_size}|{pixel_size}"
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def read_scaled(path: Path, pixel_size: int) -> QImage:
    """Decode ``path`` to fit in a ``pixel_size`` square, upright; raises ThumbnailError."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and (size.width() > pixel_size or size.height() > pixel_size):
        fitted = size.scaled(pixel_size, pixel_size, Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(fitted)
    image = reader.read()
    if image.isNull():
        qt_reason = reader.errorString()
        log.debug("Qt can't read %s (%s); trying Pillow", path, qt_reason)
        image = read_with_pillow(path, pixel_size)
    if image.width() > pixel_size or image.height() > pixel_size:
        image = image.scaled(
            QSize(pixel_size, pixel_size),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    if image.hasAlphaChannel():
        return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    return image.convertToFormat(QImage.Format.Format_RGB32)


# What Pillow may open here. Not EPS: Pillow hands it to Ghostscript, a separate interpreter.
PILLOW_FORMATS = (
    "JPEG", "PNG", "GIF", "BMP", "DIB", "TIFF", "WEBP", "HEIF", "AVIF", "PSD", "ICO",
    "ICNS", "JPEG2000", "PPM", "TGA", "SGI", "PCX", "DDS", "BLP",
)

_heif_registered = threading.Lock()
_heif_ready = False


def _register_heif() -> None:
    global _heif_ready
    with _heif_registered:
        if not _heif_ready:
            pillow_heif.register_heif_opener()
            _heif_ready = True


def read_with_pillow(path: Path, pixel_size: int) -> QImage:
    """Pillow's decoding, upright per EXIF, as a QImage; raises ThumbnailError with the reason.

    The pixel limit is the engine's (MAX_PIXELS): a photo the engine indexes can be seen too.
    """
    _register_heif()
    # Pillow refuses above twice this value and only warns above it (the engine sets the same).
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
    try:
        # TODO: catch_warnings is process-wide, not per thread; two workers may restore each
        # other's filter (harmless: this is the only filter changed here).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=PILLOW_FORMATS) as opened:
                opened.draft("RGB", (pixel_size, pixel_size))
                upright = ImageOps.exif_transpose(opened)
                upright.thumbnail((pixel_size, pixel_size), reducing_gap=2.0)
                rgba = upright.convert("RGBA")
    except Image.DecompressionBombError as error:
        megapixels = _megapixels(str(error))
        raise ThumbnailError(
            f"Can't read {path.name}: it is too large to preview ({megapixels})"
        ) from error
    except Exception as error:  # Pillow raises many types (and warnings) for bad files
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        reason = reason.replace(f" {str(path)!r}", "").replace(str(path), path.name)
        raise ThumbnailError(f"Can't read {path.name}: {reason[:200]}") from error
    data = rgba.tobytes("raw", "RGBA")
    image = QImage(data, rgba.width, rgba.height, 4 * rgba.width, QImage.Format.Format_RGBA8888)
    return image.copy()  # the copy owns its pixels; ``data`` goes away with this frame


def _megapixels(message: str) -> str:
    """The "300 megapixels" of Pillow's "Image size (300000000 pixels) exceeds limit …"."""
    found = re.search(r"\((\d+) pixels\)", message)
    if found is None:
        return f"over {MAX_PIXELS // 1_000_000} megapixels"
    return f"{round(int(found.group(1)) / 1_000_000)} megapixels"


def load_thumbnail(path: Path, pixel_size: int, cache_dir: Path | None) -> QImage:
    """The thumbnail of ``path``, from the disk cache if it is there and still current."""
    try:
        key = cache_key(path, pixel_size)
    except OSError as error:
        raise ThumbnailError(f"Can't read {path.name}: {error.strerror or error}") from error
    folder = cache_dir / key[:2] if cache_dir is not None else None
    if folder is not None:
        for suffix in (".jpg", ".png"):  # JPEG for opaque pictures, PNG keeps transparency
            cached = folder / f"{key}{suffix}"
            if cached.exists():
                image = QImage(str(cached))
                if not image.isNull():
                    return image
    image = read_scaled(path, pixel_size)
    if folder is not None:
        suffix = ".png" if image.hasAlphaChannel() else ".jpg"
        _save_atomically(image, folder / f"{key}{suffix}")
    return image


def _save_atomically(image: QImage, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # The suffix names the format: QImage.save's format argument has no reliable type.
        temporary = target.with_name(
            f"{target.stem}.{os.getpid()}.{threading.get_ident()}.tmp{target.suffix}"
        )
        if image.save(str(temporary), quality=90):
            os.replace(temporary, target)
        else:
            temporary.unlink(missing_ok=True)
    except OSError:
        log.warning("Could not write the thumbnail cache file %s", target, exc_info=True)


BACKGROUND_NICENESS = 10


def lower_this_threads_priority() -> None:
    """Let the GUI thread win the CPU over decoding: on Linux a thread has its own niceness.

    Raising it needs no privilege; elsewhere (or if refused) the thread keeps its priority.
    """
    if not sys.platform.startswith("linux"):
        return
    thread_id = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, thread_id) < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, thread_id, BACKGROUND_NICENESS)
    except OSError:
        log.debug("Could not lower the priority of thread %d", thread_id)


class _Signals(QObject):
    loaded = Signal(str, QImage)
    failed = Signal(str, str)


class _DrainQueue(QRunnable):
    """Takes the newest request off the loader's queue until it is empty."""

    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self._loader = loader

    def run(self) -> None:
        lower_this_threads_priority()
        loader = self._loader
        while True:
            path = loader._pop()
            if path is None:
                return
            try:
                image = load_thumbnail(Path(path), loader.pixel_size, loader.cache_dir)
            except ThumbnailError as error:
                loader._signals.failed.emit(path, str(error))
            except Exception as error:
                log.exception("Thumbnail of %s failed", path)
                loader._signals.failed.emit(path, f"Can't read {Path(path).name}: {error}")
            else:
                loader._signals.loaded.emit(path, image)


class ThumbnailLoader(QObject):
    """Queues thumbnail requests by path; answers with ``loaded``/``failed`` on the GUI thread."""

    loaded = Signal(str, QImage)
    failed = Signal(str, str)

    def __init__(
        self,
        cache_dir: Path | None,
        pixel_size: int = 512,
        max_threads: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self.pixel_size = pixel_size
        if max_threads is None:  # leave a core to the GUI thread
            max_threads = max(1, min(4, (os.cpu_count() or 2) - 1))
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._lock = threading.Lock()
        self._queue: OrderedDict[str, None] = OrderedDict()
        self._running = 0
        self._max_threads = max_threads
        self._closed = False
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)

    def request(self, path: str) -> None:
        """Ask for ``path``'s thumbnail; asking again moves it to the front of the queue."""
        with self._lock:
            if self._closed:
                return
            self._queue[path] = None
            self._queue.move_to_end(path)
            while len(self._queue) > MAX_PENDING:
                self._queue.popitem(last=False)
            start = self._running < self._max_threads
            if start:
                self._running += 1
        if start:
            self._pool.start(_DrainQueue(self))

    def cancel_pending(self) -> None:
        with self._lock:
            self._queue.clear()

    def is_idle(self) -> bool:
        with self._lock:
            return self._running == 0 and not self._queue

    def shutdown(self) -> None:
        """Drop what is queued and wait for the files being decoded now."""
        with self._lock:
            self._closed = True
            self._queue.clear()
        self._pool.waitForDone()

    def _pop(self) -> str | None:
        with self._lock:
            if not self._queue:
                self._running -= 1
                return None
            path, _ = self._queue.popitem(last=True)
            return path

    @Slot(str, QImage)
    def _on_loaded(self, path: str, image: QImage) -> None:
        self.loaded.emit(path, image)

    @Slot(str, str)
    def _on_failed(self, path: str, reason: str) -> None:
        self.failed.emit(path, reason)
