"""dmgbuild settings for Lookalike's disk image: the app and a link to /Applications, side by side.

    dmgbuild -s packaging/macos/dmg_settings.py -D app=dist/Lookalike.app \\
        -D icon=resources/icons/lookalike.icns "Lookalike 0.1.0" Lookalike-0.1.0-macos-arm64.dmg

dmgbuild runs this file with ``defines`` (the -D values) in its namespace and reads the names
below; packaging/macos/build_macos.sh passes them. The volume name carries the version.
"""

from __future__ import annotations

import os.path

_defines: dict[str, str] = globals().get("defines", {})

application = _defines.get("app", "dist/Lookalike.app")
app_name = os.path.basename(application)

# Compressed and read-only (the name is dmgbuild's, even though it hides the builtin).
format = _defines.get("format", "UDZO")
size = None  # dmgbuild measures the contents

files = [application]
symlinks = {"Applications": "/Applications"}
icon = _defines.get("icon", "resources/icons/lookalike.icns")

# The Finder window a user sees on opening the image: drag the app onto Applications.
show_status_bar = False
show_tab_view = False
show_toolbar = False
show_pathbar = False
show_sidebar = False
window_rect = ((200, 120), (560, 300))
default_view = "icon-view"
icon_size = 128
text_size = 13
icon_locations = {app_name: (140, 140), "Applications": (420, 140)}
