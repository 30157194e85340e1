"""A check that the installed PySide6 keeps Python's reference counts (6.12.0 does not).

PySide6 6.12.0 returns None (from every void method) and True (from ``Signal.emit``) without a
new reference. Python 3.12+ makes those objects immortal, which hides it; on Python 3.11 each
call takes one reference, and after a few thousand painted cells the interpreter aborts with
"none_dealloc" or "bool_dealloc". Measured here on Python 3.11.7: 6.12.0 loses one reference per
call, 6.11.3 none. The app refuses to start on such a binding, with a message that says what to
install, rather than crash minutes later.
"""

from __future__ import annotations

import sys

from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import QObject, QRect, Signal


class _Probe(QObject):
    probed = Signal()


def binding_problem() -> str | None:
    """Why this PySide6 can't run the app, or None when it keeps reference counts."""
    probe = _Probe()
    rect = QRect(0, 0, 4, 4)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(32):
        rect.moveLeft(1)  # a void method: returns None
        probe.probed.emit()  # returns True
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    if lost_none < 16 and lost_true < 16:
        return None
    _give_back(lost_none, lost_true)
    return (
        f"PySide6 {PYSIDE_VERSION} loses Python references on Python "
        f"{sys.version.split()[0]} and would crash Lookalike; install PySide6-Essentials 6.11"
    )


def _give_back(lost_none: int, lost_true: int) -> None:
    """Return what the probe took, so this process lives long enough to report the problem."""
    import ctypes

    for obj, count in ((None, lost_none), (True, lost_true)):
        for _ in range(max(0, count)):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
