#!/usr/bin/env bash
# Builds Lookalike.app from packaging/lookalike.spec, checks the frozen app (version, service,
# window offscreen), makes the .dmg with dmgbuild, and signs and notarizes both when the secrets
# are there. Without them every signing step prints why it was skipped, and the result is an
# unsigned (ad-hoc signed) app that runs after the user allows it in System Settings.
#
#   packaging/macos/build_macos.sh [OUT_DIR]   (default: build; the .dmg goes to OUT_DIR/installers)
#
# Environment (all optional; the installers workflow maps its secrets onto these names):
#   PYTHON                          interpreter with the app installed (default: python3)
#   MACOS_CERTIFICATE_P12_BASE64    a "Developer ID Application" certificate with its key, base64
#   MACOS_CERTIFICATE_PASSWORD      its password
#   MACOS_SIGNING_IDENTITY          e.g. "Developer ID Application: Name (TEAMID)"
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD
#                                   notarization with an app-specific password
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:-build}
mkdir -p "$out/installers"
out=$(cd "$out" && pwd)
python=${PYTHON:-python3}
version=$("$python" packaging/app_version.py)
arch=$(uname -m)
dmg="$out/installers/Lookalike-${version}-macos-${arch}.dmg"
app="dist/Lookalike.app"

# --- signing identity: a throw-away keychain with the certificate, when the secrets are set ---
identity=""
keychain=""
cleanup() {
  if [ -n "$keychain" ]; then security delete-keychain "$keychain" || true; fi
}
trap cleanup EXIT
if [ -n "${MACOS_CERTIFICATE_P12_BASE64:-}" ] && [ -n "${MACOS_SIGNING_IDENTITY:-}" ]; then
  keychain="$out/lookalike-signing.keychain-db"
  keychain_password=$(uuidgen)
  security create-keychain -p "$keychain_password" "$keychain"
  security set-keychain-settings -lut 3600 "$keychain"
  security unlock-keychain -p "$keychain_password" "$keychain"
  echo "$MACOS_CERTIFICATE_P12_BASE64" | base64 --decode > "$out/certificate.p12"
  security import "$out/certificate.p12" -k "$keychain" -P "${MACOS_CERTIFICATE_PASSWORD:-}" \
    -T /usr/bin/codesign
  rm -f "$out/certificate.p12"
  security set-key-partition-list -S apple-tool:,apple: -s -k "$keychain_password" "$keychain" \
    >/dev/null
  # codesign looks the identity up in the search list: put our keychain first. The existing
  # list is split on purpose (the runner's keychain paths have no spaces).
  # shellcheck disable=SC2046
  security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
  identity=$MACOS_SIGNING_IDENTITY
  echo "build_macos: signing as $identity"
else
  echo "build_macos: code signing skipped: MACOS_CERTIFICATE_P12_BASE64 and" \
    "MACOS_SIGNING_IDENTITY are not set (the app is ad-hoc signed only)"
fi

# --- build and check the app ----------------------------------------------------------------
started=$(date +%s)
LOOKALIKE_CODESIGN_IDENTITY="$identity" "$python" -m PyInstaller --noconfirm --clean \
  --log-level WARN packaging/lookalike.spec
echo "build_macos: built $app in $(($(date +%s) - started)) s, $(du -sh "$app" | cut -f1)"
if [ -n "$identity" ]; then
  codesign --verify --deep --strict --verbose=2 "$app"
fi
"$python" packaging/check_frozen.py "$app/Contents/MacOS/lookalike"

# --- the disk image ---------------------------------------------------------------------------
"$python" -m pip install -q "dmgbuild>=1.6"
rm -f "$dmg"
"$python" - "$dmg" "Lookalike $version" "$app" <<'PY'
import sys

import dmgbuild

dmg, volume_name, app = sys.argv[1:4]
dmgbuild.build_dmg(dmg, volume_name, settings_file="packaging/macos/dmg_settings.py",
                   defines={"app": app, "icon": "resources/icons/lookalike.icns"})
PY
echo "build_macos: $dmg: $(du -h "$dmg" | cut -f1)"

if [ -z "$identity" ]; then
  echo "build_macos: notarization skipped: the app is not signed"
  exit 0
fi
codesign --force --timestamp --sign "$identity" "$dmg"
if [ -z "${APPLE_ID:-}" ] || [ -z "${APPLE_TEAM_ID:-}" ] || [ -z "${APPLE_APP_PASSWORD:-}" ]; then
  echo "build_macos: notarization skipped: APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD" \
    "are not all set (the signed .dmg will warn on first open)"
  exit 0
fi
xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
  --password "$APPLE_APP_PASSWORD" --wait --timeout 30m
xcrun stapler staple "$dmg"
xcrun stapler validate "$dmg"
echo "build_macos: signed, notarized and stapled $dmg"
