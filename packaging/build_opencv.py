"""Builds the small OpenCV the installers ship, and installs it in place of the stock wheel.

    python packaging/build_opencv.py [--cache DIR] [--python PY] [--no-install]

Why: the stock ``opencv-python-headless`` wheel is 179 MB once unpacked (video I/O with FFmpeg and
its codecs, DNN, image codecs, OpenBLAS and LAPACK), and the engine uses only ORB, brute-force
Hamming matching, homography fitting and a few imgproc calls. This builds the same version from
its source distribution (the official sdist, built with scikit-build) with only the modules those
need: core, imgproc, features, flann, geometry and the Python bindings, with no codecs, video I/O,
BLAS, OpenCL or IPP. The wheel keeps the stock name and version, so ``pip install -e .`` leaves it
in place, and the tests that run after a build run on the very cv2 that is shipped.

The wheel is cached in ``DIR/<version>-<hash of the options>/``: a second build with the same
OpenCV version, CMake options and interpreter skips the compile (12 to 20 minutes on 2 cores).
After installing, every ``cv2.NAME`` the app's source uses is looked up in the installed module,
so a name that the small build lacks fails here, not in a user's hands.

Environment (optional):
    LOOKALIKE_OPENCV_JOBS   parallel compile jobs (default: the number of CPUs)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("build_opencv")

REPO = Path(__file__).resolve().parent.parent
APP_SOURCE = REPO / "gui" / "lookalike"
DISTRIBUTION = "opencv-python-headless"

# OpenCV 5 names: "features" was features2d, "geometry" holds findHomography (was calib3d).
MODULES = ["core", "imgproc", "features", "flann", "geometry", "python3"]

# Everything that would pull in a library or a large body of code the engine never calls. IPP
# goes too: OpenCV's CMake downloads its binaries at configure time, from outside the package
# registry, which our machines cannot reach.
# TODO: without IPP, feature extraction is about 1.2x slower than with the stock wheel (13
# sample photos: 232 against 196 ms; scoring pairs is as fast), and pixel rounding differs, so a
# few scores move (4 of 78 sample pairs, one by 10 points). IPP needs a source we may fetch.
DISABLED = [
    "FFMPEG", "GSTREAMER", "V4L", "1394", "LAPACK", "EIGEN", "IPP", "OPENCL", "ITT", "PROTOBUF",
    "OPENEXR", "TIFF", "JPEG", "PNG", "SPNG", "WEBP", "OPENJPEG", "JASPER", "AVIF", "JPEGXL", "VA",
    "VA_INTEL", "OBSENSOR", "FLATBUFFERS", "TBB", "OPENVINO", "VTK", "CUDA", "HARFBUZZ", "OPENGL",
    "GDAL", "GPHOTO2", "ONNXRUNTIME", "FASTCV", "KLEIDICV", "CAROTENE",
]

# A name the app takes from OpenCV, as written in its source (``cv2.ORB``, ``cv2.resize``).
CV2_NAME = re.compile(r"\bcv2\.([A-Za-z_][A-Za-z0-9_]*)")


class BuildError(Exception):
    """One line saying which step failed and where its log is."""


def cmake_args(system: str = sys.platform, machine: str = platform.machine()) -> list[str]:
    """OpenCV's CMake options for the small build (the order is part of the cache key)."""
    args = [f"-DBUILD_LIST={','.join(MODULES)}", "-DBUILD_OPENEXR=OFF"]
    args += [f"-DWITH_{name}=OFF" for name in DISABLED]
    if machine.lower() in ("x86_64", "amd64"):
        # Extra code paths for AVX2 only (x86 CPUs since 2013); older CPUs run the SSE3 baseline.
        # The stock wheel's SSE4.1, AVX and AVX-512 variants would add 4.7 MB to cv2.
        args.append("-DCPU_DISPATCH=AVX2")
    if system.startswith("linux"):
        # Strip at link time: this wheel is not rewritten by auditwheel, so stripping is safe.
        args += ["-DCMAKE_MODULE_LINKER_FLAGS=-s", "-DCMAKE_SHARED_LINKER_FLAGS=-s"]
    return args


def cache_key(version: str, args: list[str], python_tag: str) -> str:
    """The cache folder's name: a changed option, version or interpreter builds anew."""
    digest = hashlib.sha256(json.dumps([args, python_tag]).encode()).hexdigest()[:12]
    return f"{version}-{digest}"


def run_python(python: str, code: str) -> str:
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"{python} failed: {result.stderr.strip()[-500:]}")
    return result.stdout.strip()


def installed_version(python: str) -> str:
    """The OpenCV version the project installed (pyproject.toml's range picks it)."""
    code = (f"import importlib.metadata as m\ntry: print(m.version({DISTRIBUTION!r}))\n"
            "except m.PackageNotFoundError: print('')")
    version = run_python(python, code)
    if not version:
        raise BuildError(f"{DISTRIBUTION} is not installed in {python}: run scripts/setup first")
    return version


def python_tag(python: str) -> str:
    return run_python(python, "import sys, sysconfig; "
                              "print(sys.implementation.cache_tag, sysconfig.get_platform())")


def run_logged(command: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
    """Runs a long step with its output in a log file; BuildError with the log's tail."""
    log.info("running %s (log: %s)", " ".join(command[:6]), log_path)
    with log_path.open("w", encoding="utf-8") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                check=False)
    if result.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        raise BuildError(f"{command[2:4]} failed (code {result.returncode}), see {log_path}:\n"
                         + "\n".join(tail))


def build_wheel(python: str, version: str, target: Path) -> Path:
    """Downloads the sdist and compiles the small wheel into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="opencv-sdist-") as sdist_dir:
        run_logged([python, "-m", "pip", "download", "--no-deps", "--no-binary", DISTRIBUTION,
                    "-d", sdist_dir, f"{DISTRIBUTION}=={version}"], target / "download.log")
        sdists = list(Path(sdist_dir).glob("*.tar.gz"))
        if len(sdists) != 1:
            raise BuildError(f"expected one sdist of {DISTRIBUTION} {version}, got {sdists}")

        env = dict(os.environ, ENABLE_HEADLESS="1", ENABLE_CONTRIB="0",
                   CMAKE_ARGS=" ".join(cmake_args()))
        jobs = os.environ.get("LOOKALIKE_OPENCV_JOBS") or str(os.cpu_count() or 2)
        env["CMAKE_BUILD_PARALLEL_LEVEL"] = jobs
        env["MAKEFLAGS"] = f"-j{jobs}"
        # --no-cache-dir: pip's wheel cache does not know our CMAKE_ARGS.
        run_logged([python, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-v",
                    "-w", str(target), str(sdists[0])], target / "build.log", env)
    return find_wheel(target)


def find_wheel(folder: Path) -> Path:
    wheels = sorted(folder.glob("opencv_python_headless-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one OpenCV wheel in {folder}, found {len(wheels)}")
    return wheels[0]


def install(python: str, wheel: Path) -> None:
    """Puts the small wheel in place of whatever OpenCV the interpreter has."""
    code = (f"import importlib.metadata as m\ntry: print(m.distribution({DISTRIBUTION!r})"
            ".read_text('direct_url.json') or '')\nexcept m.PackageNotFoundError: print('')")
    if wheel.resolve().as_uri() in run_python(python, code):
        log.info("%s is already installed", wheel.name)
        return
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True)
    log.info("installed %s", wheel)


def names_the_app_uses(source: Path = APP_SOURCE) -> set[str]:
    """Every ``cv2.NAME`` written in the app's Python files."""
    names: set[str] = set()
    for path in source.rglob("*.py"):
        names.update(CV2_NAME.findall(path.read_text(encoding="utf-8")))
    return names


def missing_names(python: str, names: set[str]) -> list[str]:
    """The names the interpreter's cv2 does not have."""
    code = ("import json, sys, cv2\n"
            "print(json.dumps(sorted(n for n in json.loads(sys.argv[1]) if not hasattr(cv2, n))))")
    result = subprocess.run([python, "-c", code, json.dumps(sorted(names))], capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"cv2 does not import in {python}: {result.stderr.strip()[-500:]}")
    return list(json.loads(result.stdout))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, default=REPO / "build" / "opencv",
                        help="where built wheels are kept (default: build/opencv)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to install in")
    parser.add_argument("--no-install", action="store_true", help="only build (or find) the wheel")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="build_opencv: %(message)s")

    try:
        version = installed_version(args.python)
        key = cache_key(version, cmake_args(), python_tag(args.python))
        folder = args.cache.resolve() / key
        try:
            wheel = find_wheel(folder)
            log.info("using the cached %s", wheel)
        except BuildError:
            log.info("building OpenCV %s with %s only (cache %s)", version, MODULES, folder)
            wheel = build_wheel(args.python, version, folder)
            log.info("built %s (%.1f MB)", wheel.name, wheel.stat().st_size / 1e6)
        if args.no_install:
            return 0
        install(args.python, wheel)
        missing = missing_names(args.python, names_the_app_uses())
        if missing:
            raise BuildError(f"the small OpenCV lacks what the app uses: {', '.join(missing)};"
                             " add the module that has them to MODULES in " + __file__)
    except (BuildError, subprocess.CalledProcessError) as failure:
        log.error("FAIL: %s", failure)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
