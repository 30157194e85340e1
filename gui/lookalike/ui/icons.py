"""The app's own icons, read from the package's resources folder (installed as package data)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtGui import QIcon


@cache
def icon(name: str) -> QIcon:
    """``name`` is a file stem in lookalike/resources, e.g. ``"placeholder"``."""
    path = resources.files("lookalike") / "resources" / f"{name}.svg"
    return QIcon(str(path))


def app_icon() -> QIcon:
    return icon("lookalike-icon")
