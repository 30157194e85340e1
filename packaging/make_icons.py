"""Makes every icon file the installers need from Lookalike's one source image.

The source is ``resources/lookalike-icon.svg`` (the app shows the same file as its window icon, from
``gui/lookalike/resources``; tests/test_packaging.py checks the two are equal). Qt's SVG renderer
draws it at each PNG size, so small sizes stay sharp instead of being shrunk from a big bitmap;
Pillow then writes the Windows ``.ico`` and the macOS ``.icns`` from those PNGs. The output is the
same bytes on every run with the same Qt and Pillow. Run it again whenever the source changes; the
output is committed so the .desktop file and a plain checkout have icons without a build.

    python packaging/make_icons.py [--source FILE] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from pathlib import Path

from PIL import Image

log = logging.getLogger("make_icons")

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "resources" / "lookalike-icon.svg"
OUT_DIR = REPO / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Pillow's ICNS writer keeps the sizes macOS knows: 16, 32, 64, 128, 256, 512, 1024.
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render_pngs(source: Path, sizes: tuple[int, ...]) -> dict[int, Image.Image]:
    """Draws the SVG at each size with Qt (PySide6 is already a dependency of the app)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # QImage needs one
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise ValueError(f"Can't read {source}: not a valid SVG")
    images: dict[int, Image.Image] = {}
    for size in sizes:
        canvas = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        canvas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(canvas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        canvas.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes, Qt a str
        buffer.close()
        images[size] = Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")
    log.debug("rendered %d sizes with %s", len(images), type(app).__name__)
    return images


def write_icons(images: dict[int, Image.Image], out_dir: Path) -> list[Path]:
    """Writes lookalike-<size>.png for each size, then lookalike.ico and lookalike.icns."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for size, image in sorted(images.items()):
        path = out_dir / f"lookalike-{size}.png"
        image.save(path, optimize=True)
        written.append(path)

    ico = out_dir / "lookalike.ico"
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    written.append(ico)

    icns = out_dir / "lookalike.icns"
    images[max(ICNS_SIZES)].save(
        icns, format="ICNS", append_images=[images[s] for s in ICNS_SIZES[:-1]]
    )
    written.append(icns)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=None, help="SVG to draw the icons from")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder for the icon files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="make_icons: %(message)s")

    source = args.source or SOURCE
    if not source.is_file():
        raise SystemExit(f"Can't make icons: no source image {source}")
    images = render_pngs(source, PNG_SIZES)
    for path in write_icons(images, args.out):
        log.info("wrote %s (%d bytes)", path.relative_to(REPO) if path.is_relative_to(REPO)
                 else path, path.stat().st_size)
    log.info("source: %s", source)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
