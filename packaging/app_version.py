"""Lookalike's version, read from ``gui/lookalike/__init__.py`` as text: the one version source.

The PyInstaller spec, the installers workflow (which hands it to Inno Setup and dmgbuild) and the
tests all read it here, without importing the app, so a build never runs app code to name itself.

    python packaging/app_version.py              # prints e.g. 0.2.0rc1
    python packaging/app_version.py --numeric    # prints 0.2.0.0 (for Windows version resources)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VERSION_FILE = REPO / "gui" / "lookalike" / "__init__.py"
_VERSION_LINE = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
# What Windows version resources and Inno Setup accept: up to four dot-separated numbers, with an
# optional PEP 440 pre-release or local suffix that they do not see.
_VERSION = re.compile(r"^\d+(\.\d+){0,3}([.+-]?[A-Za-z0-9.+-]*)?$")


def read_version(version_file: Path = VERSION_FILE) -> str:
    """The ``__version__`` string; ValueError naming the file if it has none or a bad one."""
    match = _VERSION_LINE.search(version_file.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{version_file}: no __version__ = '...' line")
    version = match.group(1)
    if not _VERSION.match(version):
        raise ValueError(f"{version_file}: __version__ {version!r} does not start with numbers")
    return version


def numeric_version(version: str) -> tuple[int, int, int, int]:
    """The four numbers a Windows version resource needs: '1.2rc1' -> (1, 2, 0, 0)."""
    leading = re.match(r"\d+(?:\.\d+)*", version)
    numbers = [int(part) for part in leading.group(0).split(".")[:4]] if leading else []
    padded = (*numbers, 0, 0, 0, 0)
    return (padded[0], padded[1], padded[2], padded[3])


def main(argv: list[str] | None = None) -> int:
    """Prints the version, or with --numeric the four numbers Windows wants."""
    args = sys.argv[1:] if argv is None else argv
    try:
        version = read_version()
    except (OSError, ValueError) as error:
        sys.stderr.write(f"app_version: {error}\n")
        return 1
    if args == ["--numeric"]:
        version = ".".join(str(number) for number in numeric_version(version))
    elif args:
        sys.stderr.write("usage: app_version.py [--numeric]\n")
        return 2
    sys.stdout.write(version + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
