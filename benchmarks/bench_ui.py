"""Desktop window benchmarks (run by hand; they print figures, they assert nothing).

1. Launch: time from starting a fresh Python process to the main window's first paint, against a
   bare QMainWindow painted in the same way (the baseline: Python, Qt and the platform's own cost).
   Target: <= 1.5 s.
2. Scroll: a 100 000-image library (generated JPEGs, hard-linked to 100k paths so it takes seconds
   to make) scrolled top to bottom in the real grid while thumbnails load in worker processes, and,
   unless ``--no-indexing``, while the local service indexes the same folder. Reports the longest
   main-thread stall (a heartbeat timer's gap beyond its interval) and the peak RSS of the app
   process, against the same scroll over a plain QListView with Qt's default delegate.
   Targets: no stall over 50 ms, memory <= 500 MB.

    .venv/bin/python benchmarks/bench_ui.py [--items 100000] [--no-indexing] [--step 0.75]

Runs offscreen unless a display is set (``xvfb-run -a`` gives real X11 painting).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench-data" / "ui"
DISTINCT_FILES = 1000


# --- launch ---------------------------------------------------------------------------------

CHILD_APP = """
import os, sys, time, tempfile
from pathlib import Path
t0 = float(os.environ["BENCH_T0"])
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
if os.environ["BENCH_KIND"] == "app":
    from lookalike.ui.app import follow_color_scheme, make_backend_factory, temporary_paths
    from lookalike.ui.main_window import MainWindow
    from lookalike.ui.settings import AppSettings
    follow_color_scheme(app)
    paths = temporary_paths(Path(tempfile.mkdtemp(prefix="bench-launch-")))
    settings = AppSettings(QSettings(str(paths.config_dir / "s.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, paths, make_backend_factory(paths))
else:
    from PySide6.QtWidgets import QMainWindow
    window = QMainWindow()
    window.resize(1280, 820)

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print(f"{time.time() - t0:.4f}", flush=True)
            os._exit(0)  # the figure is out; the service child dies with its process group
        return False

painted = FirstPaint()
window.installEventFilter(painted)
window.show()
if os.environ["BENCH_KIND"] == "app":
    window.start()
app.exec()
"""


def launch_seconds(kind: str) -> float:
    env = dict(os.environ, BENCH_KIND=kind, BENCH_T0=repr(time.time()))
    done = subprocess.run(
        [sys.executable, "-c", CHILD_APP], env=env, capture_output=True, text=True, timeout=120,
        check=True, start_new_session=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def bench_launch(rounds: int) -> None:
    app = [launch_seconds("app") for _ in range(rounds)]
    bare = [launch_seconds("bare") for _ in range(rounds)]
    app_median, bare_median = statistics.median(app), statistics.median(bare)
    print(f"launch to painted window: median {app_median:.3f} s "
          f"(min {min(app):.3f}, max {max(app):.3f}, {rounds} runs; target <= 1.5 s)")
    print(f"  baseline bare QMainWindow: median {bare_median:.3f} s; "
          f"ratio {app_median / bare_median:.2f}x; Lookalike's own share "
          f"{app_median - bare_median:.3f} s")


# --- scroll ---------------------------------------------------------------------------------


def make_library(items: int) -> Path:
    """``items`` JPEG paths under bench-data/ui/library-N: DISTINCT_FILES real files, linked."""
    from PIL import Image

    folder = DATA / f"library-{items}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    sources = DATA / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    for number in range(DISTINCT_FILES):
        path = sources / f"s{number:04}.jpg"
        if path.exists():
            continue
        width, height = rng.choice([(800, 600), (600, 800), (1024, 683), (640, 640)])
        base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        tint = Image.new("RGB", (width, height),
                         (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        Image.blend(base, tint, 0.6).save(path, quality=85)
    for number in range(items):
        sub = folder / f"d{number // 1000:03}"
        sub.mkdir(parents=True, exist_ok=True)
        target = sub / f"img{number:06}.jpg"
        if not target.exists():
            os.link(sources / f"s{number % DISTINCT_FILES:04}.jpg", target)
    marker.write_text("ok")
    return folder


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def thumbnail_workers_peak_mb() -> float:
    """The summed peak RSS of this process's worker processes (Linux: VmHWM in /proc)."""
    import multiprocessing

    total_kb = 0
    for child in multiprocessing.active_children():
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def wait_for_layout(bar: object) -> float:
    """QListView lays out a big model in batches: wait until the scroll range stops growing."""
    from PySide6.QtCore import QEventLoop, QTimer

    started = time.perf_counter()
    last, stable_since = -1, time.perf_counter()
    while time.perf_counter() - stable_since < 0.5:
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()
        if bar.maximum() != last:  # type: ignore[attr-defined]
            last, stable_since = bar.maximum(), time.perf_counter()  # type: ignore[attr-defined]
    return stable_since - started


def scroll_through(view: object, step_pages: float, label: str) -> tuple[float, float, int]:
    """Scroll ``view`` top to bottom at one step per 16 ms frame; returns stalls (ms) and frames.

    A 5 ms heartbeat timer runs meanwhile: its longest gap beyond 5 ms is the longest time the
    main thread could not answer (painting, converting thumbnails, layout).
    """
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    bar = view.verticalScrollBar()  # type: ignore[attr-defined]
    step = max(1, int(view.viewport().height() * step_pages))  # type: ignore[attr-defined]
    layout_seconds = wait_for_layout(bar)
    print(f"  {label}: the view laid out every item in {layout_seconds:.2f} s")
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def beat() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    gc_pauses: list[float] = []
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append((time.perf_counter() - gc_started[0]) * 1000)

    gc.callbacks.append(on_gc)
    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    frames = [0]
    loop = QEventLoop()

    def frame() -> None:
        frames[0] += 1
        if bar.value() >= bar.maximum():
            loop.quit()
            return
        bar.setValue(bar.value() + step)

    driver = QTimer()
    driver.setInterval(16)
    driver.timeout.connect(frame)
    heartbeat.start()
    driver.start()
    loop.exec()
    driver.stop()
    heartbeat.stop()
    gc.callbacks.remove(on_gc)
    stalls = sorted(max(0.0, gap - 5.0) for gap in gaps[1:])
    worst = stalls[-1] if stalls else 0.0
    p99 = stalls[int(len(stalls) * 0.99)] if stalls else 0.0
    over = sum(1 for stall in stalls if stall > 50)
    longest_gc = max(gc_pauses, default=0.0)
    print(f"  {label}: {frames[0]} frames, longest stall {worst:.1f} ms, p99 {p99:.1f} ms, "
          f"{over} stalls over 50 ms; five longest {[round(x) for x in stalls[-5:]]}; "
          f"longest garbage collection {longest_gc:.1f} ms ({len(gc_pauses)} runs)")
    return worst, p99, frames[0]


def bench_scroll(items: int, step_pages: float, indexing: bool) -> None:
    from PySide6.QtWidgets import QApplication

    from lookalike.client import LocalService, path_to_image_id
    from lookalike.ui.backend_session import lower_priority
    from lookalike.ui.main_window import scan_folder
    from lookalike.ui.thumbnail_grid import ThumbnailGrid
    from lookalike.ui.thumbnail_loader import ThumbnailLoader
    from lookalike.ui.thumbnail_model import ThumbnailModel

    started = time.perf_counter()
    folder = make_library(items)
    print(f"library of {items} images ready in {time.perf_counter() - started:.1f} s")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    anchor = Path(Path.home().anchor)

    started = time.perf_counter()
    grid_items = scan_folder(str(folder), anchor)
    print(f"listing the folder (worker-thread job in the app): "
          f"{time.perf_counter() - started:.2f} s for {len(grid_items)} files")

    class NoThumbnails(ThumbnailModel):
        """The baseline: the same grid and delegate, placeholders only, no decoding."""

        def _thumbnail(self, path: str) -> None:
            return None

    idle_loader = ThumbnailLoader(None)
    baseline_model = NoThumbnails(idle_loader)
    baseline = ThumbnailGrid(baseline_model)
    baseline.resize(1280, 760)
    baseline_model.set_items(grid_items)
    baseline.show()
    app.processEvents()
    print("scrolling top to bottom, one step per 16 ms frame:")
    base_worst, _, _ = scroll_through(baseline, step_pages, "baseline: same grid, no thumbnails")
    baseline.close()
    idle_loader.shutdown()
    rss_before = peak_rss_mb()

    service = None
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as scratch:
        if indexing:
            service = LocalService(storage_root=anchor, data_dir=Path(scratch) / "service")
            service.start()
            lower_priority(service.pid)  # as the app's LocalBackend does
            client = service.make_client()
            context = client.create_search_context().context_id
            client.create_image_features(context, images_folder=path_to_image_id(folder, anchor))
            print("  (the local service is indexing the same folder meanwhile)")
        loader = ThumbnailLoader(Path(scratch) / "thumbs", pixel_size=160)  # the cells' size
        model = ThumbnailModel(loader)
        grid = ThumbnailGrid(model)
        grid.resize(1280, 760)
        started = time.perf_counter()
        model.set_items(grid_items)
        grid.show()
        app.processEvents()
        print(f"  filling the grid with {items} items: {time.perf_counter() - started:.2f} s")
        worst, p99, _ = scroll_through(grid, step_pages, "Lookalike grid, thumbnails loading")
        loaded = len(model._pixmaps)
        workers_mb = thumbnail_workers_peak_mb()
        if indexing and service is not None:
            status = client.get_search_context_status(context)
            progress = status.progress
            done = f"{progress.done}/{progress.total}" if progress else "?"
            print(f"  indexing progress meanwhile: {done} images ({status.status})")
            client.close()
            service.stop()
        loader.shutdown()
        grid.close()
    rss = peak_rss_mb()
    print(f"  thumbnails held at the end: {loaded}")
    print(f"longest main-thread stall: {worst:.1f} ms (p99 {p99:.1f} ms; target <= 50 ms); "
          f"baseline {base_worst:.1f} ms")
    print(f"peak RSS of the app process: {rss:.0f} MB (target <= 500 MB); "
          f"{rss_before:.0f} MB before the grid (Qt, Python and the baseline view)")
    print(f"  plus the thumbnail worker processes' peak RSS: {workers_mb:.0f} MB "
          f"(app and workers together: {rss + workers_mb:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--step", type=float, default=0.75, help="pages scrolled per frame")
    parser.add_argument("--rounds", type=int, default=5, help="launches to time")
    parser.add_argument("--no-indexing", action="store_true")
    parser.add_argument("--skip-launch", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"platform: {os.environ['QT_QPA_PLATFORM']}, {os.cpu_count()} cores, "
          f"load average {load:.1f} (figures are noisy when it exceeds the cores)")
    if not args.skip_launch:
        bench_launch(args.rounds)
    bench_scroll(args.items, args.step, not args.no_indexing)


if __name__ == "__main__":
    main()
