"""Checks a built Lookalike executable: its version, its service, and its window.

    python packaging/check_frozen.py [--timeout S] [--skip-window] EXE

The frozen app has one executable for the window and the service, and a bundle that misses a
library often starts fine and fails on the first image. So this checks, in a scratch folder:

1. ``EXE --version`` names the version in gui/lookalike/__init__.py;
2. ``EXE serve --port 0 --ready-line ...`` announces itself; then a search context is made and the
   features of a PNG and a HEIC image are asked for, which runs the engine's decoding worker
   processes (the executable re-entered through ``multiprocessing.freeze_support``), OpenCV and
   libheif; then a picture is added and compared with an edited copy of it (which must score
   high) and with another picture (which must score low): that runs keypoint matching, the
   homography fit and the warps, so a cv2 that lacks one of them fails here, not in a user's
   hands; closing the service's stdin (how the desktop app stops it) must end it with code 0;
3. ``EXE --smoke-test`` with ``QT_QPA_PLATFORM=offscreen`` opens the window, starts the local
   service from the same executable, and must exit with 0.

Used by packaging/build_linux.sh, packaging/macos/build_macos.sh and the installers workflow on
every OS; needs the standard library plus Pillow and pillow_heif (to make the HEIC image).
Exit 0 when every check passed, 1 otherwise, with one line saying which and why.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from app_version import read_version

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger("check_frozen")

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PNG = REPO / "resources" / "icons" / "lookalike-256.png"
READY_PREFIX = "LOOKALIKE_READY "
API = "/v3.0/imaging/ai/imageSearch"
# What an edited copy must at least score, and another picture at most (they give 100 and 0).
SIMILAR_MIN = 60.0
DIFFERENT_MAX = 20.0


class CheckFailed(Exception):
    """One line saying what the service did wrong."""


def sample_images() -> dict[str, bytes]:
    """The app icon as PNG, and as HEIC (encoded here, so no HEIC file needs to be committed)."""
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    png = SAMPLE_PNG.read_bytes()
    heic = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(heic, format="HEIF", quality=80)
    return {"PNG": png, "HEIC": heic.getvalue()}


def scene(seed: int) -> Image.Image:
    """A picture of many coloured shapes: plenty of corners for ORB, the same on every OS."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    size = (640, 480)
    picture = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(80):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(10, 120), y + rng.randrange(10, 120))
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle(box, fill=colour)
        else:
            draw.ellipse(box, fill=colour)
    return picture


def comparison_images() -> tuple[bytes, bytes, bytes]:
    """A picture, an edited copy (smaller, turned 4 degrees, brighter) and another picture."""
    from PIL import Image, ImageEnhance

    def jpeg(picture: Image.Image) -> bytes:
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=90)
        return out.getvalue()

    original = scene(1)
    edited = original.resize((512, 384), Image.Resampling.LANCZOS)
    edited = edited.rotate(4, resample=Image.Resampling.BICUBIC)
    edited = ImageEnhance.Brightness(edited).enhance(1.1)
    return jpeg(original), jpeg(edited), jpeg(scene(2))


def wait_for_ready_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The URL the service announced; CheckFailed if it exits or stays silent."""
    found: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(READY_PREFIX):
                found.append(line[len(READY_PREFIX):].strip())
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(timeout):
        raise CheckFailed(f"no ready line within {timeout:g} s")
    if not found:
        raise CheckFailed(f"the service exited (code {process.wait()}) before it was ready")
    return found[0]


def call(method: str, url: str, body: bytes | None = None, timeout: float = 60) -> dict:
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/octet-stream")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")


def exercise(base_url: str, timeout: float) -> None:
    """Creates a context and extracts features of each sample image; CheckFailed if one fails."""
    context = call("POST", f"{base_url}{API}/create", timeout=timeout)
    context_id = context.get("id")
    if not context_id:
        raise CheckFailed(f"create answered without an id: {context}")
    for kind, data in sample_images().items():
        try:
            features = call("GET", f"{base_url}{API}/{context_id}/image2features", data, timeout)
        except OSError as error:  # urllib's HTTPError and URLError are OSErrors
            detail = error.read().decode(errors="replace")[:300] if hasattr(error, "read") else ""
            raise CheckFailed(f"features of the {kind} image failed: {error} {detail}") from error
        count = features.get("featuresCount", 0)
        if count <= 0:
            raise CheckFailed(f"the {kind} image gave no features: {features}")
        log.info("%s image: %d features", kind, count)
    check_compare(f"{base_url}{API}/{context_id}", timeout)


def check_compare(context_url: str, timeout: float) -> None:
    """Scores an edited copy and another picture against an added one; CheckFailed if wrong."""
    original, edited, other = comparison_images()
    try:
        call("POST", f"{context_url}/image?imageId=scene.jpg", original, timeout)
        scores = [
            call("POST", f"{context_url}/compare?imageId1=scene.jpg", data, timeout)
            ["results"][0]["similarity"]
            for data in (edited, other)
        ]
    except OSError as error:
        detail = error.read().decode(errors="replace")[:300] if hasattr(error, "read") else ""
        raise CheckFailed(f"comparing two images failed: {error} {detail}") from error
    except (KeyError, IndexError) as error:
        raise CheckFailed(f"compare answered without a score: {error!r}") from error
    if scores[0] < SIMILAR_MIN or scores[1] > DIFFERENT_MAX:
        raise CheckFailed(f"compare scored an edited copy {scores[0]} (at least {SIMILAR_MIN}"
                          f" expected) and another picture {scores[1]} (at most {DIFFERENT_MAX})")
    log.info("compare: an edited copy scores %g, another picture %g", *scores)


def stop(process: subprocess.Popen[str], timeout: float) -> int:
    """Closes stdin (the desktop app's way to stop the service) and waits for the exit code."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise CheckFailed(
            f"the service did not stop within {timeout:g} s of closing stdin"
        ) from None


def check_version(exe: Path, timeout: float) -> None:
    expected = f"lookalike {read_version()}"
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                            timeout=timeout, check=False)
    if result.returncode != 0 or result.stdout.strip() != expected:
        raise CheckFailed(f"--version said {result.stdout.strip()!r} (code {result.returncode}),"
                          f" not {expected!r}")
    log.info("version: %s", expected)


def check_service(exe: Path, scratch: Path, timeout: float) -> None:
    command = [str(exe), "serve", "--storage", str(scratch / "storage"), "--data",
               str(scratch / "contexts"), "--port", "0", "--ready-line"]
    (scratch / "storage").mkdir()
    started = time.monotonic()
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        encoding="utf-8", errors="replace", cwd=scratch,
    ) as process:
        try:
            url = wait_for_ready_line(process, timeout)
            log.info("service: ready at %s after %.1f s", url, time.monotonic() - started)
            try:
                exercise(url.rstrip("/"), timeout)
            except CheckFailed:
                # Stopped the usual way, a failed service still ends its worker processes.
                with contextlib.suppress(CheckFailed):
                    stop(process, timeout)
                raise
            code = stop(process, timeout)
        finally:
            if process.poll() is None:
                process.kill()
    if code != 0:
        raise CheckFailed(f"the service exited with code {code} after its stdin closed")
    log.info("service: decoded PNG and HEIC, compared images and stopped (%.1f s)",
             time.monotonic() - started)


def check_window(exe: Path, scratch: Path, timeout: float) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    try:
        result = subprocess.run([str(exe), "--smoke-test"], env=env, cwd=scratch,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"--smoke-test did not finish within {timeout:g} s") from None
    if result.returncode != 0:
        raise CheckFailed(f"--smoke-test exited with code {result.returncode}"
                          " (1: the app or its service failed, 2: it timed out)")
    log.info("window: --smoke-test passed in %.1f s", time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("exe", type=Path, help="the frozen lookalike executable")
    parser.add_argument("--timeout", type=float, default=180, help="seconds for each step")
    parser.add_argument("--skip-window", action="store_true", help="check only the service")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="check_frozen: %(message)s")

    exe = args.exe.resolve()
    with tempfile.TemporaryDirectory(prefix="lookalike-check-") as scratch:
        try:
            check_version(exe, args.timeout)
            check_service(exe, Path(scratch), args.timeout)
            if not args.skip_window:
                check_window(exe, Path(scratch), args.timeout)
        except (CheckFailed, OSError, subprocess.SubprocessError) as failure:
            log.error("FAIL: %s: %s", exe, failure)
            return 1
    log.info("OK: %s", exe)
    return 0


if __name__ == "__main__":
    sys.exit(main())
