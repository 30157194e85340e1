"""The engine stays a plain library: no Qt, no HTTP, no client (the import-linter contracts)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    command = [str(lint_imports)] if lint_imports.exists() else [shutil.which("lint-imports") or ""]
    result = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The engine knows nothing of Qt, HTTP or the client KEPT" in result.stdout


def test_using_the_engine_loads_no_qt_or_http_module(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from lookalike.engine import Engine\n"
        "if __name__ == '__main__':\n"
        f"    with Engine(Path({str(tmp_path)!r}), workers=1) as engine:\n"
        "        context = engine.create_context()\n"
        "        engine.add_image(context, 'a.jpg', path=Path(sys.argv[1]))\n"
        "    banned = ('PySide6', 'shiboken6', 'fastapi', 'starlette', 'uvicorn', 'requests',\n"
        "              'httpx', 'lookalike.service', 'lookalike.client', 'lookalike.ui')\n"
        "    print(sorted(m for m in sys.modules if m.split('.')[0] in banned\n"
        "                 or m.startswith(banned)))\n"
    )
    photo = REPO_ROOT.parent / "shared" / "data" / "aspose-examples" / "ComparableImage.jpg"
    result = subprocess.run(
        [sys.executable, "-c", script, str(photo)], cwd=REPO_ROOT, capture_output=True,
        text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
