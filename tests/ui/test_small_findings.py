"""Findings T4, F6, F7, F22 and F23: consent before uploading to the cloud, files without a
suffix, feedback for Copy path and Show in folder, Help > About, and the 250 MP preview limit."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QItemSelectionModel, QUrl
from PySide6.QtGui import QGuiApplication

from lookalike import __version__
from lookalike.ui.library import list_images
from lookalike.ui.settings import CLOUD, LOCAL, BackendChoice
from lookalike.ui.settings_dialog import SettingsDialog, SettingsResult
from lookalike.ui.thumbnail_worker import ThumbnailError, decode_fitted
from tests.ui.conftest import Harness
from tests.ui.helpers import make_photos


def indexed_library(make_harness: Any, qtbot: Any, folders: list[Path]) -> Harness:
    h = make_harness()
    for folder in folders:
        with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
            h.window.add_folder(str(folder))
    return h


def test_switching_to_the_cloud_asks_before_uploading_the_library(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    first = make_photos(tmp_path / "first", ["a.jpg", "b.jpg"])
    second = make_photos(tmp_path / "second", ["c.jpg"])
    h = indexed_library(make_harness, qtbot, [first, second])
    cloud = SettingsResult(BackendChoice(kind=CLOUD), "", False)
    h.prompts.confirmations = [False]

    applied = h.window.apply_settings(cloud)

    assert not applied
    assert h.prompts.questions == [(
        "Upload photos to Aspose Cloud?",
        "Aspose Cloud will receive a copy of 3 photos from 2 folders. Continue?",
    )]
    assert h.settings.backend().kind == LOCAL
    assert h.client.calls_to("upload_file") == []

    h.prompts.confirmations = [True]
    assert h.window.apply_settings(cloud)
    assert h.settings.backend().kind == CLOUD


def test_the_cloud_option_says_photos_are_uploaded(qtbot: Any, tmp_path: Path) -> None:
    from lookalike.ui.credentials import CredentialStore

    dialog = SettingsDialog(BackendChoice(), CredentialStore(tmp_path / "c.json"), {})
    qtbot.addWidget(dialog)

    assert "uploaded" in dialog.cloud_radio.text()
    assert "Aspose Cloud" in dialog.cloud_radio.text()


def test_a_file_without_a_suffix_is_listed_when_it_starts_like_an_image(tmp_path: Path) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg"])
    Image.new("RGB", (8, 8)).save(folder / "no-suffix", format="PNG")
    (folder / "notes").write_text("just text")
    (folder / ".hidden.jpg").write_bytes((folder / "a.jpg").read_bytes())

    assert list_images(folder) == [str(folder / "a.jpg"), str(folder / "no-suffix")]


def select_first(h: Harness) -> None:
    index = h.window.model.index(0, 0)
    h.window.grid.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def test_copy_path_and_show_in_folder_say_what_they_did(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    h = indexed_library(make_harness, qtbot, [folder])
    h.window.show_library()
    select_first(h)

    h.window.grid.copy_selected_paths()
    assert h.window.message.text() == "Copied 1 path"
    assert QGuiApplication.clipboard().text() == str(folder / "a.jpg")

    opened: list[QUrl] = []
    h.window.grid.open_url = lambda url: opened.append(url) or False  # no file manager
    h.window.grid.show_in_folder(str(folder / "a.jpg"))

    assert [url.toLocalFile() for url in opened] == [str(folder)]
    assert h.window.message.text() == (
        f"Couldn't open a file manager; the folder is {folder} (path copied)"
    )
    assert QGuiApplication.clipboard().text() == str(folder)


def test_help_about_shows_the_version(make_harness: Any) -> None:
    h = make_harness()
    help_menu = next(a.menu() for a in h.window.menuBar().actions() if a.text() == "&Help")
    assert [a.text() for a in help_menu.actions()] == ["&About Lookalike"]

    box = h.window.show_about()

    assert box.windowTitle() == "About Lookalike"
    assert box.text().startswith(f"Lookalike {__version__}\n")
    assert str(h.paths.log_dir) in box.text()
    box.close()


def psd_header(width: int, height: int) -> bytes:
    """A PSD that states its size and holds no pixels (Qt can't read PSD: Pillow is used)."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    return header + struct.pack(">IIIH", 0, 0, 0, 0)


def test_previews_take_the_engines_250_megapixel_limit(tmp_path: Path) -> None:
    photo_200mp = tmp_path / "heif__200MP.psd"
    photo_200mp.write_bytes(psd_header(16320, 12240))
    huge = tmp_path / "huge.psd"
    huge.write_bytes(psd_header(20000, 15000))

    with pytest.raises(ThumbnailError) as small_enough:
        decode_fitted(photo_200mp, 64)
    with pytest.raises(ThumbnailError) as too_large:
        decode_fitted(huge, 64)

    # The 200 MP stand-in holds no pixels: it fails on that, not on its size.
    assert str(small_enough.value) == (
        "Can't read heif__200MP.psd: image file is truncated (0 bytes not processed)"
    )
    assert str(too_large.value) == (
        "Can't read huge.psd: it is too large to preview (300 megapixels)"
    )
