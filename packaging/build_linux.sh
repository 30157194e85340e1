#!/usr/bin/env bash
# Builds the Linux bundle from packaging/lookalike.spec (the same spec the Windows and macOS
# installers use), packs it as a tarball with the .desktop file and icons, prints its size and the
# build time, then runs the frozen app's smoke test, so a broken spec fails CI.
#
# First it puts the small OpenCV (packaging/build_opencv.py: 12 to 25 minutes on 2 cores the first
# time, then taken from OUT_DIR/opencv) in place of the stock wheel in the interpreter's
# environment, so the tests run after this script run on the cv2 that is shipped.
#
#   packaging/build_linux.sh [OUT_DIR]        (or LOOKALIKE_BUILD_DIR=...; default: build)
#
# Needs the project's virtualenv (scripts/setup makes it); installs PyInstaller through the
# "package" extra. Environment (optional):
#   PYTHON                    the interpreter to build with (default .venv/bin/python)
#   LOOKALIKE_MAX_BUNDLE_MB   fail when the bundle is bigger than this (default 270: 243 MB
#                             now plus 10 %; catches a pruning rule that stopped working)
#   LOOKALIKE_OPENCV          "stock" keeps the installed OpenCV wheel (a bundle of about 400 MB);
#                             "small" fails when the small one does not build (unset: the stock
#                             wheel is bundled then, with a warning)
#   LOOKALIKE_SMOKE_TIMEOUT   seconds each smoke test step may take (default 180)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-${LOOKALIKE_BUILD_DIR:-build}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
python=${PYTHON:-.venv/bin/python}
max_mb=${LOOKALIKE_MAX_BUNDLE_MB:-270}
smoke_timeout=${LOOKALIKE_SMOKE_TIMEOUT:-180}

case "$python" in
  */*) [ -x "$python" ] && python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;;
  *) python=$(command -v "$python" || echo "$python") ;;
esac
if [ ! -x "$python" ]; then
  echo "build_linux: no $python; run scripts/setup first (or set PYTHON)" >&2
  exit 1
fi
echo "build_linux: installing the build tools (pip extra 'package')"
"$python" -m pip install -q -e ".[package]"

if [ "${LOOKALIKE_OPENCV:-small}" = "stock" ]; then
  echo "build_linux: keeping the installed OpenCV wheel (LOOKALIKE_OPENCV=stock)"
  max_mb=${LOOKALIKE_MAX_BUNDLE_MB:-450}
else
  opencv_started=$(date +%s)
  if "$python" packaging/build_opencv.py --cache "$out/opencv" --python "$python"; then
    echo "build_linux: time     OpenCV $(($(date +%s) - opencv_started)) s"
    export LOOKALIKE_SMALL_OPENCV=1
  elif [ "${LOOKALIKE_OPENCV:-small}" = "small" ] && [ -n "${LOOKALIKE_OPENCV:-}" ]; then
    echo "build_linux: the small OpenCV did not build (LOOKALIKE_OPENCV=small asks for it)" >&2
    exit 1
  else
    # A compiler or a download that failed must not hide whether the spec itself still works:
    # build with the stock wheel, and say so loudly.
    echo "build_linux: WARNING: the small OpenCV did not build; bundling the stock wheel" \
         "(about 400 MB; set LOOKALIKE_OPENCV=small to make this an error)" >&2
    max_mb=${LOOKALIKE_MAX_BUNDLE_MB:-450}
  fi
fi

version=$("$python" packaging/app_version.py)
arch=$(uname -m)
package_name="lookalike-${version}-linux-${arch}"

# --- build ----------------------------------------------------------------------------------
started=$(date +%s)
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$out/dist" --workpath "$out/work" packaging/lookalike.spec
built=$(date +%s)
bundle="$out/dist/lookalike"
exe="$bundle/lookalike"

# --- tarball: the bundle, the .desktop file, the icons and a per-user install script --------
stage="$out/stage/$package_name"
rm -rf "$out/stage"
mkdir -p "$stage/share/applications"
cp -a "$bundle" "$stage/lookalike"
cp resources/lookalike.desktop "$stage/share/applications/lookalike.desktop"
for png in resources/icons/lookalike-*.png; do
  size=$(basename "$png" .png)
  size=${size#lookalike-}
  mkdir -p "$stage/share/icons/hicolor/${size}x${size}/apps"
  cp "$png" "$stage/share/icons/hicolor/${size}x${size}/apps/lookalike.png"
done
cp packaging/linux/install.sh "$stage/install.sh"
chmod +x "$stage/install.sh"
tarball="$out/$package_name.tar.gz"
tar -C "$out/stage" -czf "$tarball" "$package_name"
rm -rf "$out/stage"
packed=$(date +%s)

bundle_bytes=$(du -sb "$bundle" | cut -f1)
tarball_bytes=$(stat -c %s "$tarball")
bundle_mb=$((bundle_bytes / 1000000))
echo "build_linux: bundle   $bundle: $bundle_mb MB ($(du -sh "$bundle" | cut -f1)iB on disk)"
echo "build_linux: tarball  $tarball: $((tarball_bytes / 1000000)) MB"
echo "build_linux: time     build $((built - started)) s, tarball $((packed - built)) s"
echo "build_linux: largest parts (MB):"
du -sm "$bundle/_internal"/* "$exe" | sort -rn | head -n 10 | sed "s|$bundle/||; s|^|  |"
if [ "$bundle_mb" -gt 200 ]; then
  echo "build_linux: note: over the 200 MB goal (README.md, "Building installers", says why)"
fi
if [ "$bundle_mb" -gt "$max_mb" ]; then
  echo "build_linux: FAIL: the bundle is $bundle_mb MB, over the $max_mb MB limit" >&2
  exit 1
fi

# --- smoke tests: the same executable runs the window and the service -----------------------
echo "build_linux: checking $exe (version, service, window offscreen)"
smoke_started=$(date +%s)
"$python" packaging/check_frozen.py --timeout "$smoke_timeout" "$exe"
echo "build_linux: checks passed in $(($(date +%s) - smoke_started)) s"
echo "build_linux: OK $tarball"
