"""Which files are images: one rule for the engine's folder walk and the window's listing.

Plain standard library on purpose, so that every layer may import it (the window may not import
the engine, yet both must agree on which files belong to a library).
"""

from __future__ import annotations

from pathlib import Path

IMAGE_SUFFIXES = frozenset((
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".webp", ".gif", ".bmp", ".dib", ".tif",
    ".tiff", ".heic", ".heif", ".hif", ".avif", ".avifs", ".jp2", ".j2k", ".jpx", ".ppm", ".pgm",
    ".pbm", ".pnm", ".tga", ".ico", ".icns", ".psd", ".sgi", ".blp", ".mpo", ".pcx", ".dds", ".eps",
))

# First bytes of the formats a file without a suffix is taken for (cameras and downloads leave
# such files). RIFF/WEBP and ISO "ftyp" (HEIC, AVIF) are checked further in.
_SIGNATURES = (
    b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
    b"MM\x00*", b"8BPS", b"\xff\x4f\xff\x51", b"\x00\x00\x00\x0cjP  ",
)


def has_image_signature(path: Path) -> bool:
    """Whether the file starts like an image (reads 16 bytes; False if it can't be read)."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError:
        return False
    if head.startswith(_SIGNATURES):
        return True
    return (head[:4] == b"RIFF" and head[8:12] == b"WEBP") or head[4:8] == b"ftyp"


def is_image_file(path: Path) -> bool:
    """An image suffix, or no suffix and an image's first bytes."""
    suffix = path.suffix.lower()
    return suffix in IMAGE_SUFFIXES or (not suffix and has_image_signature(path))
