"""Thumbnails: upright per EXIF, cached on disk, a failure mark for bad files, HiDPI, zoom."""

from __future__ import annotations

import multiprocessing
import os
import signal
import struct
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pebble import ProcessExpired
from PIL import Image
from PySide6.QtCore import QCoreApplication, QRect, Qt, QThread
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from lookalike.ui import thumbnail_loader
from lookalike.ui.main_window import thumbnail_pixels
from lookalike.ui.thumbnail_delegate import ThumbnailDelegate
from lookalike.ui.thumbnail_loader import (
    ThumbnailError,
    ThumbnailLoader,
    failure_reason,
    load_thumbnail,
)
from lookalike.ui.thumbnail_model import GridItem, Role, ThumbnailModel, ThumbState
from lookalike.ui.thumbnail_worker import WORKER_NICENESS, init_worker
from tests.ui.conftest import QtMessages
from tests.ui.helpers import make_photos

BAD = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bad-images"


def mean_difference(a: QImage, b: QImage) -> float:
    """Mean absolute difference of two same-size images' grey levels (0-255)."""
    assert a.size() == b.size()
    grey_a = a.convertToFormat(QImage.Format.Format_Grayscale8)
    grey_b = b.convertToFormat(QImage.Format.Format_Grayscale8)
    total = 0
    for y in range(grey_a.height()):
        for x in range(grey_a.width()):
            total += abs(grey_a.pixelColor(x, y).red() - grey_b.pixelColor(x, y).red())
    return total / (grey_a.width() * grey_a.height())


def test_thumbnails_are_upright_per_exif() -> None:
    rectangle = load_thumbnail(BAD / "pillow__orientation_rectangle.jpg", 64, None)
    assert (rectangle.width(), rectangle.height()) == (1, 2)  # stored 2x1, Orientation=8

    upright = load_thumbnail(BAD / "pillow__hopper.jpg", 32, None)
    for number in (3, 6, 8):
        turned = load_thumbnail(BAD / f"pillow__hopper_orientation_{number}.jpg", 32, None)
        assert mean_difference(upright, turned) < 12, number


def test_heic_photos_get_thumbnails_through_pillow() -> None:
    image = load_thumbnail(BAD / "heif__L_exif_xmp_iptc.heic", 64, None)
    assert not image.isNull() and max(image.width(), image.height()) <= 64


def test_thumbnails_are_cached_on_disk_and_renewed_when_the_file_changes(
    tmp_path: Path,
) -> None:
    photo = make_photos(tmp_path / "p", ["a.jpg"], size=(300, 200)) / "a.jpg"
    cache = tmp_path / "cache"

    first = load_thumbnail(photo, 128, cache)

    assert (first.width(), first.height()) == (128, 85)
    cached = list(cache.rglob("*.jpg"))
    assert len(cached) == 1
    Image.new("RGB", (100, 300), "red").save(photo)
    second = load_thumbnail(photo, 128, cache)
    assert second.height() == 128 and second.width() in (42, 43)  # 100 x 300 fitted to 128
    assert len(list(cache.rglob("*.jpg"))) == 2


def test_a_bad_file_raises_a_reason_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ThumbnailError, match=r"Can't read pillow__truncated_image\.png: "):
        load_thumbnail(BAD / "pillow__truncated_image.png", 64, None)
    with pytest.raises(ThumbnailError, match=r"Can't read gone\.jpg: No such file"):
        load_thumbnail(tmp_path / "gone.jpg", 64, None)


def test_every_bad_image_gives_a_thumbnail_or_a_reason(
    tmp_path: Path, fail_on_qt_warnings: QtMessages
) -> None:
    """None of the shared bad files crashes or hangs the loader; each ends one way or the other."""
    files = sorted(p for p in BAD.iterdir() if p.suffix not in (".txt", ".tsv"))
    outcomes = {}
    for path in files:
        try:
            image = load_thumbnail(path, 96, tmp_path / "cache")
        except ThumbnailError as error:
            assert str(error).startswith(f"Can't read {path.name}: ")
            outcomes[path.name] = "failed"
        else:
            assert 0 < max(image.width(), image.height()) <= 96
            outcomes[path.name] = "ok"
    assert outcomes["pillow__decompression_bomb.gif"] == "failed"
    assert outcomes["pillow__reallybig.bmp"] == "failed"
    assert outcomes["heif__pug.heic"] == "ok"
    assert outcomes["heif__200MP.heic"] == "ok"  # the engine indexes it: it must show too
    # Qt's image plugins warn about these corrupt files by design: expected here, and only here.
    fail_on_qt_warnings.warnings.clear()


def test_the_model_shows_a_placeholder_then_the_thumbnail_or_a_failure_mark(
    qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "p", ["good.jpg", "broken.jpg"])
    loader = ThumbnailLoader(tmp_path / "cache")
    model = ThumbnailModel(loader, device_pixel_ratio=2.0)
    model.set_items([GridItem(str(folder / "good.jpg"), "good"),
                     GridItem(str(folder / "broken.jpg"), "broken")])
    good, broken = model.index(0), model.index(1)

    assert good.data(Role.THUMBNAIL) is None  # asks the loader
    assert good.data(Role.STATE) == ThumbState.LOADING
    broken.data(Role.THUMBNAIL)

    qtbot.waitUntil(lambda: good.data(Role.STATE) == ThumbState.READY, timeout=5000)
    qtbot.waitUntil(lambda: broken.data(Role.STATE) == ThumbState.FAILED, timeout=5000)
    pixmap = good.data(Role.THUMBNAIL)
    assert pixmap.devicePixelRatio() == 2.0
    assert "Can't read broken.jpg" in broken.data(Qt.ItemDataRole.ToolTipRole)
    loader.shutdown()


def test_hidpi_thumbnails_are_decoded_at_device_pixels() -> None:
    assert thumbnail_pixels(160, 1.0) == 160
    assert thumbnail_pixels(160, 2.0) == 320
    assert thumbnail_pixels(100, 1.5) == 150


def test_zoom_changes_cell_and_decode_size(make_harness: Any, qtbot: Any, tmp_path: Path) -> None:
    h = make_harness()
    window = h.window
    before = window.grid.gridSize()

    window.zoom.setValue(288)

    assert window.grid.thumb_size() == 288
    assert window.grid.gridSize().width() > before.width()
    expected = thumbnail_pixels(288, window.devicePixelRatioF())
    qtbot.waitUntil(lambda: window.loader.pixel_size == expected, timeout=2000)
    window.zoom.setValue(10_000)
    assert window.grid.thumb_size() == 384


def test_the_grid_paints_placeholders_thumbnails_and_failures(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "broken.jpg"], size=(400, 300))
    h = make_harness()
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        h.window.add_folder(str(folder))
    h.window.grid.grab()  # paints every visible cell: asks for their thumbnails

    model = h.window.model
    qtbot.waitUntil(lambda: model.index(0).data(Role.STATE) == ThumbState.READY, timeout=5000)
    qtbot.waitUntil(lambda: model.index(1).data(Role.STATE) == ThumbState.FAILED, timeout=5000)
    image = h.window.grid.grab().toImage()
    assert not image.isNull()


# --- the worker processes ------------------------------------------------------------------


def thumbnail_workers() -> list[multiprocessing.process.BaseProcess]:
    """The thumbnail worker processes alive now (children of this test process)."""
    return [child for child in multiprocessing.active_children() if child.is_alive()]


def slow_png(path: Path, side: int = 15_800) -> Path:
    """A grey PNG of ``side`` x ``side`` pixels (just under the pixel limit): a few hundred KB on
    disk, written row by row, that takes a worker seconds and ~250 MB to decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * side  # filter byte, then the row's grey pixels
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
                     + chunk(b"IEND", b""))
    return path


def resident_mb(pid: int) -> float:
    """A process's resident memory now (Linux), 0 if unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "")
    return int(line.split()[1]) / 1024 if line else 0.0


def wait_for_result(qtbot: Any, loader: ThumbnailLoader, path: Path) -> tuple[str, object]:
    """Ask ``loader`` for ``path``; returns ("loaded", QImage) or ("failed", reason)."""
    outcome: list[tuple[str, object]] = []
    loader.loaded.connect(lambda done, image: outcome.append(("loaded", image)))
    loader.failed.connect(lambda done, reason: outcome.append(("failed", reason)))
    loader.request(str(path))
    qtbot.waitUntil(lambda: bool(outcome), timeout=60_000)
    return outcome[0]


def test_thumbnails_are_decoded_in_worker_processes_and_answered_on_the_gui_thread(
    qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "p", ["a.jpg", "b.png"])
    loader = ThumbnailLoader(tmp_path / "cache", pixel_size=64)
    threads: list[object] = []
    loader.loaded.connect(lambda path, image: threads.append(QThread.currentThread()))

    kind, image = wait_for_result(qtbot, loader, folder / "a.jpg")
    assert kind == "loaded"
    assert isinstance(image, QImage) and max(image.width(), image.height()) == 64
    assert threads == [QCoreApplication.instance().thread()]
    assert len(list((tmp_path / "cache").rglob("*.jpg"))) == 1  # the worker wrote the cache

    assert thumbnail_workers(), "no worker process made the thumbnail"
    loader.shutdown()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX priorities")
def test_a_thumbnail_worker_runs_below_the_windows_priority() -> None:
    """The GUI thread must win the CPU over decoding (and over indexing, which runs at the same
    lower priority)."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn, initializer=init_worker) as workers:
        niceness = workers.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60)
    assert niceness == min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS)


def test_a_decoder_that_dies_costs_one_thumbnail_and_the_next_one_still_comes(
    qtbot: Any, tmp_path: Path, fail_on_qt_warnings: QtMessages
) -> None:
    loader = ThumbnailLoader(None, pixel_size=64, max_in_flight=1)
    failures: list[tuple[str, str]] = []
    loader.failed.connect(lambda path, reason: failures.append((path, reason)))
    if not sys.platform.startswith("linux"):
        pytest.skip("watches the worker's memory through /proc")
    slow = slow_png(tmp_path / "slow.png")
    loader.request(str(slow))

    def decoding() -> list[int]:  # a worker's memory shows it is inside the file now
        return [worker.pid for worker in thumbnail_workers()
                if worker.pid is not None and resident_mb(worker.pid) > 150]

    qtbot.waitUntil(lambda: bool(decoding()), timeout=60_000)
    for pid in decoding():  # only the decoding one: other children belong to other tests
        os.kill(pid, signal.SIGKILL)  # what a segfaulting decoder looks like

    qtbot.waitUntil(lambda: bool(failures), timeout=30_000)
    assert failures == [(str(slow), "Can't read slow.png: the decoder crashed on this file")]
    folder = make_photos(tmp_path / "p", ["after.jpg"])
    kind, _ = wait_for_result(qtbot, loader, folder / "after.jpg")
    assert kind == "loaded"
    loader.shutdown()


def test_a_decoder_that_takes_too_long_is_stopped_with_a_reason(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thumbnail_loader, "TASK_TIMEOUT_SECONDS", 0.1)
    loader = ThumbnailLoader(None, pixel_size=64)
    kind, reason = wait_for_result(qtbot, loader, slow_png(tmp_path / "slow.png"))
    assert (kind, reason) == ("failed", "Can't read slow.png: decoding it took too long")

    folder = make_photos(tmp_path / "p", ["next.jpg"])
    kind, _ = wait_for_result(qtbot, loader, folder / "next.jpg")
    assert kind == "loaded"  # the stuck worker was replaced
    loader.shutdown()


def test_a_named_pipe_is_refused_at_once_and_holds_no_worker(qtbot: Any, tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes are POSIX only")
    os.mkfifo(tmp_path / "pipe.jpg")  # opening it would wait for a writer forever
    loader = ThumbnailLoader(tmp_path / "cache", pixel_size=64)
    kind, reason = wait_for_result(qtbot, loader, tmp_path / "pipe.jpg")
    assert (kind, reason) == ("failed", "Can't read pipe.jpg: it is not a regular file")
    loader.shutdown()


def test_a_shut_down_loader_answers_nothing_more(qtbot: Any, tmp_path: Path) -> None:
    folder = make_photos(tmp_path / "p", ["a.jpg", "b.jpg", "c.jpg"])
    loader = ThumbnailLoader(None, pixel_size=64, max_in_flight=1)
    answers: list[str] = []
    loader.loaded.connect(lambda path, image: answers.append(path))
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        loader.request(str(folder / name))
    loader.shutdown()
    assert loader.is_idle()

    control = ThumbnailLoader(None, pixel_size=64)  # a live loader's answer proves time passed
    kind, _ = wait_for_result(qtbot, control, folder / "a.jpg")
    assert kind == "loaded"
    assert answers == []
    control.shutdown()


def test_failure_reasons_name_the_file_and_say_what_happened() -> None:
    assert failure_reason("/x/a.jpg", ThumbnailError("Can't read a.jpg: file is truncated")) == (
        "Can't read a.jpg: file is truncated")
    assert failure_reason("/x/a.jpg", TimeoutError()) == (
        "Can't read a.jpg: decoding it took too long")
    assert failure_reason("/x/a.jpg", ProcessExpired("Abnormal termination", code=-11)) == (
        "Can't read a.jpg: the decoder crashed on this file")


def test_worker_pixels_keep_their_colours_and_transparency(qtbot: Any, tmp_path: Path) -> None:
    Image.new("RGB", (90, 60), (220, 30, 40)).save(tmp_path / "red.jpg", quality=95)
    Image.new("RGBA", (60, 60), (20, 40, 200, 128)).save(tmp_path / "half-blue.png")
    loader = ThumbnailLoader(tmp_path / "cache", pixel_size=30)

    kind, red = wait_for_result(qtbot, loader, tmp_path / "red.jpg")
    assert kind == "loaded" and isinstance(red, QImage)
    assert (red.width(), red.height()) == (30, 20)
    colour = red.pixelColor(15, 10)
    assert abs(colour.red() - 220) <= 6 and colour.green() <= 40 and colour.blue() <= 50

    kind, blue = wait_for_result(qtbot, loader, tmp_path / "half-blue.png")
    assert kind == "loaded" and isinstance(blue, QImage) and blue.hasAlphaChannel()
    colour = blue.pixelColor(15, 15)
    assert abs(colour.alpha() - 128) <= 2 and abs(colour.blue() - 200) <= 4
    assert colour.red() <= 24
    loader.shutdown()


def test_a_transparent_picture_is_painted_over_a_checkerboard(qapp: Any) -> None:
    """A wallpaper of white strokes on transparency must not vanish into a white grid."""
    transparent = QPixmap(40, 30)
    transparent.fill(QColor(255, 255, 255, 0))
    canvas = QImage(60, 60, QImage.Format.Format_RGB32)
    canvas.fill(QColor("white"))
    painter = QPainter(canvas)
    target = ThumbnailDelegate._paint_pixmap(painter, QRect(0, 0, 60, 60), transparent)
    painter.end()

    assert target.size() == transparent.size()
    greys = {canvas.pixelColor(x, y).name() for x in range(target.left(), target.right())
             for y in range(target.top(), target.bottom())}
    assert greys == {"#e4e4e4", "#b8b8b8"}
    assert canvas.pixelColor(0, 0).name() == "#ffffff"  # outside the picture: untouched
