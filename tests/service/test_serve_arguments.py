"""``lookalike serve`` with bad arguments: one line naming the problem, exit status 2.

Service finding 19 (tracebacks for --port/--workers, "does not exist" for a --storage file).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lookalike.cli import main
from tests.service.conftest import EXAMPLES


@pytest.mark.parametrize(("extra", "words"), [
    (("--port", "99999"), "argument --port: 99999 is not a port"),
    (("--port", "http"), "argument --port: 'http' is not a port number"),
    (("--workers", "0"), "argument --workers: 0 is too few"),
    (("--max-upload-mb", "-1"), "argument --max-upload-mb: -1 is too few"),
])
def test_a_bad_serve_argument_is_one_line_and_status_2(
        extra: tuple[str, ...], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--storage", str(EXAMPLES), *extra])

    errors = capsys.readouterr().err
    assert stopped.value.code == 2
    assert errors.count("\n") == 1, errors
    assert errors.startswith("lookalike serve: error: ") and words in errors
    assert errors.rstrip().endswith("(see lookalike serve --help)")


@pytest.mark.parametrize(("storage", "words"), [
    ("ComparableImage.jpg", "is not a folder"),
    ("no such folder", "does not exist"),
])
def test_a_storage_that_is_no_folder_is_one_line_and_status_2(
        tmp_path: Path, storage: str, words: str) -> None:
    env = dict(os.environ)
    env.pop("LOOKALIKE_CLIENT_SECRET", None)
    command = [sys.executable, "-m", "lookalike", "serve", "--storage", str(EXAMPLES / storage),
               "--data", str(tmp_path / "data"), "--port", "0"]

    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60,
                          check=False)

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"Storage folder {EXAMPLES / storage} {words}" in done.stderr
