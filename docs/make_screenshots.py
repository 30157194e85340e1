"""Remake the screenshots in docs/ from the real app on real photos, under Xvfb.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/make_screenshots.py \\
        PHOTO_FOLDER [--out docs] [--theme dark]

Needs ImageMagick's ``import`` (Debian: imagemagick). It starts the local service on a scratch
data folder, adds PHOTO_FOLDER and Aspose's sample images, makes two tags by dropping reference
images onto "New tag…", searches, and captures the window and the settings dialog.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from tests.ui.helpers import drop, file_mime  # noqa: E402

from lookalike.logsetup import configure_logging  # noqa: E402
from lookalike.ui.app import follow_color_scheme, make_backend_factory, temporary_paths  # noqa: E402
from lookalike.ui.main_window import MainWindow  # noqa: E402
from lookalike.ui.settings import AppSettings  # noqa: E402
from lookalike.ui.settings_dialog import SettingsDialog  # noqa: E402
from lookalike.ui.thumbnail_model import Role, ThumbState  # noqa: E402

EXAMPLES = ROOT.parent / "shared" / "data" / "aspose-examples"


class ScriptedPrompts:
    """Answers the window's questions from a list, as a user would type them."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def ask_text(self, title: str, label: str, text: str = "") -> str | None:
        return self.texts.pop(0) if self.texts else None

    def error(self, title: str, text: str) -> None:
        sys.stderr.write(f"the app said: {title}: {text}\n")


def wait(condition: Callable[[], bool], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        loop.exec()


def pause(seconds: float) -> None:
    end = time.monotonic() + seconds
    wait(lambda: time.monotonic() > end)


def shoot(widget: QWidget, target: Path) -> None:
    pause(0.8)
    box = widget.frameGeometry()
    subprocess.run(
        ["import", "-window", "root", "-crop", f"{box.width()}x{box.height()}+{box.x()}+{box.y()}",
         "+repage", str(target)],
        check=True,
    )
    sys.stdout.write(f"saved {target}\n")


def visible_thumbnails_ready(window: MainWindow) -> bool:
    grid, model = window.grid, window.model
    for row in range(model.rowCount()):
        index = model.index(row)
        if grid.viewport().rect().intersects(grid.visualRect(index)) and \
                index.data(Role.STATE) == ThumbState.LOADING:
            grid.viewport().update()
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--theme", choices=["light", "dark"], default=None)
    parser.add_argument("--threshold", type=int, default=20)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    configure_logging(30)
    app = QApplication(sys.argv[:1])
    follow_color_scheme(app, args.theme)
    scratch = tempfile.TemporaryDirectory(prefix="lookalike-shots-")
    paths = temporary_paths(Path(scratch.name))
    settings = AppSettings(QSettings(str(paths.config_dir / "s.ini"), QSettings.Format.IniFormat))
    prompts = ScriptedPrompts()
    window = MainWindow(settings, paths, make_backend_factory(paths), prompts=prompts)  # type: ignore[arg-type]
    window.move(0, 0)
    window.resize(1360, 860)
    window.show()
    window.start()
    wait(lambda: window.bridge.context_id != "", 120)
    suffix = f"-{args.theme}" if args.theme == "dark" else ""

    finished: list[bool] = []
    window.indexing.finished.connect(finished.append)
    window.add_folder(str(args.photos))
    window.add_folder(str(EXAMPLES))
    wait(lambda: bool(finished) and not window.indexing.is_busy(), 1800)

    new_tag = window.sidebar.visualItemRect(window.sidebar.item(0)).center()
    prompts.texts = ["temple"]
    drop(window.sidebar.viewport(), new_tag, file_mime([EXAMPLES / "ComparingImageSimilar75.jpg"]))
    wait(lambda: isinstance(window.sidebar.count_of("temple"), int), 120)
    flower = next(p for p in sorted(args.photos.rglob("*")) if p.stem in ("calla", "flower"))
    prompts.texts = ["flowers"]
    drop(window.sidebar.viewport(), new_tag, file_mime([flower]))
    wait(lambda: isinstance(window.sidebar.count_of("flowers"), int), 120)

    window.search_bar.set_threshold(args.threshold)
    window.search_bar.tags_edit.setText("temple")
    window.search_bar.search_button.click()
    wait(lambda: window.message.text()[:1].isdigit() and "temple" in window.message.text())
    wait(lambda: visible_thumbnails_ready(window), 60)
    shoot(window, args.out / f"screenshot{suffix}.png")

    # The tags screenshot shows a tag's matches, as clicking the tag in the sidebar does.
    window.search_tag("flowers")
    wait(lambda: window.message.text()[:1].isdigit() and "flowers" in window.message.text())
    wait(lambda: visible_thumbnails_ready(window), 120)
    shoot(window, args.out / f"screenshot-tags{suffix}.png")

    dialog = SettingsDialog(settings.backend(), window.credentials,
                            {"local": window.bridge.context_id}, parent=window)
    dialog.show()
    dialog.move(window.geometry().center() - dialog.rect().center())
    shoot(dialog, args.out / f"screenshot-settings{suffix}.png")
    dialog.close()
    window.close()
    scratch.cleanup()


if __name__ == "__main__":
    main()
