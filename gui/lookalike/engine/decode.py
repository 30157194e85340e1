"""Turn an image file (or its bytes) into a small upright 8-bit RGB array, or say clearly why not.

Every image the engine looks at goes through :func:`decode_image`. It is written for hostile
input: files from a user's disk or an upload may be truncated, corrupt, crafted to exhaust memory,
or in formats that need extra decoders. The engine runs it in worker processes (``workers.py``)
so that a crash or a hang inside a C decoder costs one file, not the application.

What it does, in order:

1. identify the format (Pillow plus HEIC through pillow-heif, AVIF through Pillow itself), refuse
   formats that would run external programs (EPS needs Ghostscript) and images over
   :data:`MAX_PIXELS` before any pixel is decoded;
2. decode cheaply: JPEG (and MPO) through libjpeg's DCT scaling (``draft``) to the smallest scale
   that still covers ``max_side``; HEIC through an embedded thumbnail when it is a scaled copy;
3. bring every pixel format to 8-bit RGB without surprises: 16-bit and float data are rescaled
   (a plain ``convert`` turns them white or black), CMYK and CIELAB are converted, transparency
   is laid on a neutral grey, and a picture kept only in the alpha channel is used as such;
4. shrink to ``max_side`` on the long side (integer ``reduce`` then an antialiased bilinear pass;
   never enlarging), then apply the EXIF/XMP orientation so the result is upright.

Errors are :class:`~lookalike.engine.errors.ImageDecodeError` with a one-line, lower-case reason.
``MemoryError`` is deliberately not converted: the worker pool reports it with its memory limit.
"""

from __future__ import annotations

import io
import logging
import math
import re
import struct
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError, features

from lookalike.engine.errors import ImageDecodeError

log = logging.getLogger(__name__)

#: Largest image we agree to decode, in pixels. A 200 MP phone photo (16320 x 12240) must pass;
#: Pillow's default (error above 179 MP) refuses it. 250 MP of RGB is 750 MB of pixels at full size.
MAX_PIXELS = 250_000_000

#: Grey laid under transparent pixels: neither white nor black, so light and dark shapes both show.
BACKGROUND_GREY = 128

#: Formats Pillow can identify that we refuse to decode, with the reason given to the user.
REFUSED_FORMATS = {
    # Pillow rasterises EPS by running Ghostscript: an external program fed with untrusted input.
    "EPS": "postscript (EPS) images are not supported",
    # Rendered by the operating system on Windows only, and not photos anyway.
    "WMF": "windows metafiles (WMF/EMF) are not supported",
}

# 16-bit data whose largest value fits in 12 bits is taken as 10/12-bit sensor or medical data and
# stretched to its own range; above that it is treated as true 16-bit and scaled by 1/257.
_FULL_RANGE_16BIT_THRESHOLD = 4096

# An RGBA image whose colour channels vary by at most this much, while its alpha varies by at least
# _ALPHA_PICTURE_MIN_RANGE, keeps its picture in the alpha channel (e.g. a mask or a glyph sheet).
_FLAT_RGB_MAX_RANGE = 2
_ALPHA_PICTURE_MIN_RANGE = 32

_TIFF_COMMON_COMPRESSIONS = {
    "raw", "tiff_ccitt", "group3", "group4", "tiff_lzw", "tiff_jpeg", "jpeg", "tiff_adobe_deflate",
    "tiff_deflate", "tiff_raw_16", "packbits", "tiff_thunderscan", "tiff_sgilog", "tiff_sgilog24",
}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1",
                b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}

_plugins_lock = threading.Lock()
_plugins_registered = False
_heif_available = False


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """A decoded picture, small enough to compute features on.

    ``pixels`` is H x W x 3 uint8 RGB, upright, its long side at most the ``max_side`` asked for.
    ``width`` and ``height`` are the full-size dimensions after orientation, for display.
    """

    pixels: np.ndarray
    width: int
    height: int
    format: str


def register_plugins() -> None:
    """Register the optional format openers (HEIC) and set the pixel limit. Idempotent."""
    global _plugins_registered, _heif_available
    # Set on every call: another library could have changed it, and we must not rely on a default.
    # Pillow refuses above twice this value (and only warns above it), so its own checks, including
    # those it makes while loading (ICNS, GIF frames, TIFF tiles), refuse exactly over MAX_PIXELS.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
    if _plugins_registered:
        return
    with _plugins_lock:
        if _plugins_registered:
            return
        try:
            import pillow_heif  # optional, and slow to import: only when first needed

            pillow_heif.register_heif_opener(thumbnails=True, depth_images=False, aux_images=False)
            _heif_available = True
        except ImportError:
            log.warning("pillow-heif is not installed: HEIC images can't be read")
        if not features.check("avif"):
            log.warning("this Pillow has no AVIF support: AVIF images can't be read")
        _plugins_registered = True


def supported_formats() -> dict[str, bool]:
    """Which of the optional formats this installation can read (for an "about" page or a log)."""
    register_plugins()
    return {"HEIC": _heif_available, "AVIF": bool(features.check("avif"))}


def decode_image(
    source: Path | bytes, *, max_side: int = 512, name: str | None = None
) -> DecodedImage:
    """Decode ``source`` to upright RGB pixels whose long side is at most ``max_side``.

    Raises:
        ImageDecodeError: the file can't be read as an image; ``reason`` says why in one line.
        MemoryError: decoding needed more memory than the process may use.

    Warnings raised by the decoders (corrupt EXIF and the like) are logged, not raised.
    NB: the warnings filter is process-wide, so decode in one thread per process at a time (the
    worker pool does); concurrent in-process calls may lose or misroute a warning's log line.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, not {max_side}")
    label = _label(source, name)
    register_plugins()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return _decode(source, max_side, label)
        finally:
            _log_warnings(label, caught)


def image_size(source: Path | bytes, *, name: str | None = None) -> tuple[int, int]:
    """Width and height of ``source`` as displayed (after orientation), reading only its header.

    PNGs whose EXIF follows the image data are fully decoded to find their orientation.
    """
    label = _label(source, name)
    register_plugins()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _opened(source, label) as im:
                _check_opened(im, label)
                width, height = im.size
                if _orientation(im, label) in (5, 6, 7, 8):
                    width, height = height, width
                return width, height
        except ImageDecodeError:
            raise
        except _DECODER_ERRORS as exc:
            raise ImageDecodeError(label, _reason_for(exc, None)) from exc
        finally:
            _log_warnings(label, caught)


# --- the pipeline -------------------------------------------------------------------------------

# What Pillow's plugins raise on bad data. Broad on purpose: a corrupt file must become a one-line
# reason, not a stack trace in the user's face. Only the Pillow calls are guarded by it.
_DECODER_ERRORS = (
    OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, TypeError, KeyError,
    ZeroDivisionError, OverflowError, RuntimeError, Image.DecompressionBombError,
)


def _decode(source: Path | bytes, max_side: int, label: str) -> DecodedImage:
    opened: Image.Image | None = None  # to name a TIFF's compression in the reason
    try:
        _verify_png_checksums(source, label)
        with _opened(source, label) as im:
            opened = im
            _check_opened(im, label)
            _check_psd_layers(im, label)
            fmt = im.format or "unknown"
            full_width, full_height = im.size
            _draft(im, max_side)
            im.load()
            orientation = _orientation(im, label)
            picture = _to_rgb_or_l(im)
    except ImageDecodeError:
        raise
    except _DECODER_ERRORS as exc:
        log.debug("decoding %s failed", label, exc_info=True)
        raise ImageDecodeError(label, _reason_for(exc, opened)) from exc

    picture = _shrink(picture, max_side)
    transpose = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    if transpose is not None:
        picture = picture.transpose(transpose)
    if orientation in (5, 6, 7, 8):
        full_width, full_height = full_height, full_width
    if picture.mode == "L":
        picture = picture.convert("RGB")
    pixels = np.ascontiguousarray(np.asarray(picture, dtype=np.uint8))
    return DecodedImage(pixels=pixels, width=full_width, height=full_height, format=fmt)


def _label(source: Path | bytes, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, Path):
        return source.name
    return "uploaded data"


class _opened:
    """``with _opened(source, label) as im``: Image.open with file errors turned into reasons."""

    def __init__(self, source: Path | bytes, label: str) -> None:
        self._source = source
        self._label = label
        self._image: Image.Image | None = None
        self._fp: IO[bytes] | None = None

    def __enter__(self) -> Image.Image:
        self._fp = _open_source(self._source, self._label)
        try:
            self._image = Image.open(self._fp)
        except UnidentifiedImageError as exc:
            reason = _unidentified_reason(_head(self._source))
            raise ImageDecodeError(self._label, reason) from exc
        finally:
            if self._image is None:
                self._fp.close()
        return self._image

    def __exit__(self, *_exc: object) -> None:
        # Pillow does not close a file object it was given: we opened it, we close it.
        if self._image is not None:
            self._image.close()
        if self._fp is not None:
            self._fp.close()


def _open_source(source: Path | bytes, label: str) -> IO[bytes]:
    if not isinstance(source, Path):
        if not source:
            raise ImageDecodeError(label, "file is empty")
        return io.BytesIO(source)
    try:
        fp = source.open("rb")
    except FileNotFoundError:
        raise ImageDecodeError(label, "file not found") from None
    except IsADirectoryError:
        raise ImageDecodeError(label, "is a folder, not a file") from None
    except PermissionError:
        raise ImageDecodeError(label, "permission denied") from None
    except OSError as exc:
        raise ImageDecodeError(label, f"can't open the file ({exc.strerror or exc})") from None
    try:
        empty = fp.read(1) == b""
        fp.seek(0)
    except OSError as exc:
        fp.close()
        raise ImageDecodeError(label, f"can't read the file ({exc.strerror or exc})") from None
    if empty:
        fp.close()
        raise ImageDecodeError(label, "file is empty")
    return fp


def _head(source: Path | bytes, size: int = 1 << 20) -> bytes:
    """The first bytes of the file, to explain why Pillow could not identify it."""
    if isinstance(source, Path):
        try:
            with source.open("rb") as fp:
                return fp.read(size)
        except OSError:
            return b""
    return bytes(source[:size])


def _check_opened(im: Image.Image, label: str) -> None:
    """Refuse what we won't decode, before any pixel data is read."""
    fmt = im.format or ""
    if fmt in REFUSED_FORMATS:
        raise ImageDecodeError(label, REFUSED_FORMATS[fmt])
    width, height = im.size
    if width <= 0:
        raise ImageDecodeError(label, "image has zero width")
    if height <= 0:
        raise ImageDecodeError(label, "image has zero height")
    if width * height > MAX_PIXELS:
        raise ImageDecodeError(label, _too_large(width, height))


def _check_psd_layers(im: Image.Image, label: str) -> None:
    """Refuse a PSD whose layer records are malformed, though only its composite is decoded.

    A damaged layer block (a box with a negative size, as in the CVE-2026-42311 reproducer) means
    a damaged file, which Photoshop refuses too. Layers that merely extend past the canvas are
    legal (a layer moved partly off-canvas) and are not refused: Pillow fails on their pixels, but
    we never decode them. Parsing the records reads headers only, no pixels.
    """
    if im.format != "PSD":
        return
    layers = getattr(im, "layers", [])  # parsed on first access; raises on malformed records
    log.debug("%s: PSD with %d layers; using its composite", label, len(layers))


def _too_large(width: int, height: int) -> str:
    return (f"image is {width} x {height} pixels, "
            f"over the {MAX_PIXELS // 1_000_000}-megapixel limit")


def _verify_png_checksums(source: Path | bytes, label: str) -> None:
    """Check a PNG's chunk checksums: Pillow's load() skips the IDAT checksum, verify() does not."""
    head = _head(source, 8)
    if head != b"\x89PNG\r\n\x1a\n":
        return
    with _opened(source, label) as im:
        if im.format != "PNG":
            return
        try:
            im.verify()
        except SyntaxError as exc:  # Pillow's "broken PNG file (bad header checksum in b'IDAT')"
            chunk = re.search(r"in b'(\w{4})'", str(exc))
            where = f" in the {chunk.group(1)} chunk" if chunk else ""
            raise ImageDecodeError(label, f"file is damaged (bad checksum{where})") from exc
        except _DECODER_ERRORS:
            pass  # other damage: decoding proper will say what it is


def _draft(im: Image.Image, max_side: int) -> None:
    """Ask the decoder for a reduced image that still covers ``max_side``, where it can.

    JPEG/MPO: libjpeg's DCT scaling by 1/2, 1/4 or 1/8. HEIC: an embedded thumbnail that is a scaled
    copy of the image. Other formats ignore the request.
    """
    width, height = im.size
    long_side = max(width, height)
    if long_side <= max_side:
        return
    request = (max(1, math.ceil(width * max_side / long_side)),
               max(1, math.ceil(height * max_side / long_side)))
    im.draft(None, request)


_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(im: Image.Image, label: str) -> int:
    """The EXIF orientation (1-8), also read from XMP by Pillow; 1 if absent or unreadable."""
    try:
        value = im.getexif().get(ExifTags.Base.Orientation, 1)
    except (ValueError, SyntaxError, struct.error, TypeError, KeyError, IndexError) as exc:
        log.warning("%s: ignoring unreadable EXIF data (%s)", label, exc)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


# --- pixel formats ------------------------------------------------------------------------------

def _to_rgb_or_l(im: Image.Image) -> Image.Image:
    """Bring any Pillow mode to 8-bit "RGB" or "L", resolving transparency."""
    mode = im.mode
    has_transparency = "transparency" in im.info
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _high_depth_to_l(im)
    if mode == "P":
        palette_alpha = im.palette is not None and im.palette.mode == "RGBA"
        if has_transparency or palette_alpha:
            return _resolve_alpha(im.convert("RGBA"))
        return im.convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return _resolve_alpha(im.convert("RGBA"))
    if mode in ("RGB", "L") and has_transparency:
        return _resolve_alpha(im.convert("RGBA"))
    if mode == "1":
        return im.convert("L")
    if mode in ("RGB", "L"):
        return im.copy()  # detached from the file, which is closed before we go on
    # CMYK (Pillow undoes Adobe's inverted CMYK itself), YCbCr, LAB, HSV, RGBX...
    return im.convert("RGB")


def _high_depth_to_l(im: Image.Image) -> Image.Image:
    """16-bit, 32-bit integer or float greyscale to 8-bit, rescaled (a plain convert clips)."""
    values = np.asarray(im).astype(np.float32)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Image.new("L", im.size, 0)
    low, high = float(finite.min()), float(finite.max())
    integer = im.mode != "F"
    if integer and low >= 0 and _FULL_RANGE_16BIT_THRESHOLD <= high <= 65535:
        scaled = values / 257.0
    elif not integer and low >= 0 and high <= 1.0:
        scaled = values * 255.0
    elif high > low:
        scaled = (values - low) * (255.0 / (high - low))
    else:
        scaled = np.full(values.shape, 128.0 if high > 0 else 0.0, dtype=np.float32)
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return Image.fromarray(np.clip(scaled + 0.5, 0, 255).astype(np.uint8))


def _resolve_alpha(rgba: Image.Image) -> Image.Image:
    """RGBA to RGB: composite on grey, or use the alpha itself when it alone holds the picture."""
    arr = np.asarray(rgba)
    alpha = arr[..., 3]
    if int(alpha.min()) == 255:
        return rgba.convert("RGB")
    rgb = arr[..., :3]
    alpha_range = int(alpha.max()) - int(alpha.min())
    rgb_range = int(rgb.max()) - int(rgb.min())
    if rgb_range <= _FLAT_RGB_MAX_RANGE and alpha_range >= _ALPHA_PICTURE_MIN_RANGE:
        return Image.fromarray(np.ascontiguousarray(alpha))
    weight = alpha[..., None].astype(np.uint16)
    blended = (rgb.astype(np.uint16) * weight + BACKGROUND_GREY * (255 - weight) + 127) // 255
    return Image.fromarray(blended.astype(np.uint8))


def _shrink(picture: Image.Image, max_side: int) -> Image.Image:
    """Reduce to ``max_side`` on the long side: box-reduce by an integer, then antialiased bilinear.

    Measured on these machines: reduce() then BILINEAR is 8.5 ms for 4096x4096 -> 512, against
    47 ms for BILINEAR alone. Never enlarges.
    """
    width, height = picture.size
    long_side = max(width, height)
    if long_side <= max_side:
        return picture
    factor = long_side // max_side
    if factor >= 2:
        picture = picture.reduce(factor)
        width, height = picture.size
        long_side = max(width, height)
    if long_side > max_side:
        scale = max_side / long_side
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if max(size) > max_side:  # rounding must not overshoot
            size = (min(size[0], max_side), min(size[1], max_side))
        picture = picture.resize(size, Image.Resampling.BILINEAR)
    return picture


# --- reasons ------------------------------------------------------------------------------------

_BOMB_PIXELS = re.compile(r"Image size \((\d+) pixels\)")


def _reason_for(exc: BaseException, im: Image.Image | None) -> str:
    """A one-line, lower-case reason for a decoder exception."""
    message = _one_line(str(exc))
    lowered = message.lower()
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        match = _BOMB_PIXELS.search(message)
        if match:
            megapixels = int(match.group(1)) / 1e6
            # Just over the limit, whole megapixels would read "250 megapixels, over the
            # 250-megapixel limit": show the decimals that make the difference.
            decimals = 0 if megapixels >= MAX_PIXELS / 1e6 + 1 else 2
            return (f"image is {megapixels:,.{decimals}f} megapixels, "
                    f"over the {MAX_PIXELS // 1_000_000}-megapixel limit")
        return f"image is over the {MAX_PIXELS // 1_000_000}-megapixel limit"
    if "truncated" in lowered or "unexpected end of file" in lowered or isinstance(exc, EOFError):
        return "file is truncated"
    if "decompressed data too large" in lowered:
        return "a metadata chunk is too large (possible decompression bomb)"
    if "decoder error" in lowered and im is not None and im.format == "TIFF":
        compression = str(im.info.get("compression", ""))
        if compression and compression not in _TIFF_COMMON_COMPRESSIONS:
            return f"unsupported TIFF compression ({compression})"
    if "not supported" in lowered or "not configured" in lowered:
        return _lower_first(message)
    if not message:
        return f"image data is corrupt ({type(exc).__name__})"
    return f"image data is corrupt: {_lower_first(message)}"


def _unidentified_reason(head: bytes) -> str:
    """Why Pillow could not identify ``head``: name the format when the magic bytes show it."""
    if not head:
        return "file is empty"
    if head.startswith(b"\xff\xd8\xff"):
        precision = _jpeg_precision(head)
        if precision is not None and precision != 8:
            return f"unsupported JPEG ({precision}-bit samples)"
        return "damaged JPEG header"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "damaged PNG header"
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return _zero_size_reason(width, height) or "damaged GIF header"
    if head.startswith(b"\xff\x4f\xff\x51") and len(head) >= 24:
        xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", head[8:24])
        return (_zero_size_reason(xsiz - xosiz, ysiz - yosiz)
                or "damaged JPEG 2000 header")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:
            return ("damaged AVIF file" if features.check("avif")
                    else "AVIF support is not installed")
        if brand in _HEIF_BRANDS:
            return "damaged HEIF file" if _heif_available else "HEIC support is not installed"
    if re.match(rb"P[1-7]\s", head):
        return "damaged PNM header"
    return "not an image (unrecognised format)"


def _zero_size_reason(width: int, height: int) -> str | None:
    if width <= 0:
        return "image has zero width"
    if height <= 0:
        return "image has zero height"
    return None


def _jpeg_precision(data: bytes) -> int | None:
    """Sample precision from the first SOFn marker of a JPEG, if the header holds one."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return data[pos + 4] if pos + 4 < len(data) else None
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        pos += 2 + length
    return None


def _one_line(text: str, limit: int = 120) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = line.rstrip(".")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


_MAX_WARNINGS_LOGGED = 3


def _log_warnings(label: str, caught: list[warnings.WarningMessage]) -> None:
    """Log a decoder's warnings once each, and only the first few: a corrupt TIFF can emit 90."""
    messages = dict.fromkeys(
        _one_line(str(w.message), 200)
        for w in caught
        if not issubclass(w.category, (Image.DecompressionBombWarning, ResourceWarning))
    )
    for message in list(messages)[:_MAX_WARNINGS_LOGGED]:
        log.warning("%s: %s", label, message)
    if len(messages) > _MAX_WARNINGS_LOGGED:
        log.warning("%s: and %d more warnings", label, len(messages) - _MAX_WARNINGS_LOGGED)
