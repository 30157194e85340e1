"""The local service indexes in the background: the window must win the CPU over it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookalike.ui.backend_session import lower_priority

AUTOGROUPS = Path("/proc/sys/kernel/sched_autogroup_enabled")


@pytest.fixture
def service_like_child() -> Iterator[subprocess.Popen[bytes]]:
    """A child in a session of its own, as LocalService starts the service."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             start_new_session=True)
    yield child
    child.kill()
    child.wait()


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="POSIX priorities")
def test_the_service_and_its_process_group_run_at_a_lower_priority(
    service_like_child: subprocess.Popen[bytes],
) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    lower_priority(service_like_child.pid)
    assert os.getpriority(os.PRIO_PROCESS, service_like_child.pid) == max(own, 10)


@pytest.mark.skipif(not AUTOGROUPS.exists() or AUTOGROUPS.read_text().strip() != "1",
                    reason="Linux autogroups are off here")
def test_the_services_session_yields_to_the_window_under_autogroups(
    service_like_child: subprocess.Popen[bytes],
) -> None:
    """With autogroups the CPU is shared between sessions before niceness counts: a scrolling
    grid stalled for up to 250 ms while the service indexed, until its session was lowered."""
    autogroup = Path(f"/proc/{service_like_child.pid}/autogroup")
    assert autogroup.read_text().split()[-1] == "0"
    lower_priority(service_like_child.pid)
    assert autogroup.read_text().split()[-1] == "10"
