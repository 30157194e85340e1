#!/bin/sh
# Installs Lookalike from this unpacked tarball for the current user: no root, nothing outside
# ~/.local. Run it again after unpacking a newer version; ./install.sh --uninstall removes the
# program and its menu entry, and leaves your library and settings where they are.
#
#   ./install.sh [--prefix DIR] [--uninstall]     (DIR defaults to ~/.local)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix="${HOME}/.local"
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    *) echo "usage: $0 [--prefix DIR] [--uninstall]" >&2; exit 2 ;;
  esac
done

app_dir="$prefix/lib/lookalike"
bin="$prefix/bin/lookalike"
desktop="$prefix/share/applications/lookalike.desktop"
icons="$prefix/share/icons/hicolor"

rm -rf "$app_dir"
rm -f "$bin" "$desktop"
find "$icons" -path '*/apps/lookalike.png' -delete 2>/dev/null || true
if [ "$action" = uninstall ]; then
  echo "Lookalike removed from $prefix (your library and settings are kept)."
  exit 0
fi

mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share/applications"
cp -a "$here/lookalike" "$app_dir"
ln -s "$app_dir/lookalike" "$bin"
cp -a "$here/share/icons" "$prefix/share/"
# The menu entry names the installed executable by its full path: ~/.local/bin may not be on
# the PATH that the desktop session uses.
sed -e "s|^Exec=lookalike|Exec=$app_dir/lookalike|" \
  -e "s|^TryExec=lookalike|TryExec=$app_dir/lookalike|" \
  "$here/share/applications/lookalike.desktop" > "$desktop"
# Menus and icon themes pick the new files up sooner with these (both optional).
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$prefix/share/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t "$icons" || true
fi
echo "Lookalike installed in $app_dir; start it from the menu or with $bin"
