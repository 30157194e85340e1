"""Refused images in the user's words (findings T7 and T10): the file's name and the reason, no
API vocabulary, every refused file named, and no stale results under a failed query's label."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from lookalike.ui.plain_errors import FALLBACK_REASON, plain_reason
from tests.ui.conftest import Harness
from tests.ui.helpers import drop, file_mime, image_id, make_photos

JARGON = ("imageData", "'image'", "HTTP 400")


@pytest.fixture
def library(make_harness: Any, qtbot: Any, tmp_path: Path) -> Harness:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    h = make_harness()
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        h.window.add_folder(str(folder))
    h.folder = folder  # type: ignore[attr-defined]
    return h


def shown_names(h: Harness) -> list[str]:
    model = h.window.model
    return [Path(model.item(row).path).name for row in range(model.rowCount())]


@pytest.mark.parametrize(("message", "reason"), [
    ("Can't read imageData 'image': the uploaded file is empty", "file is empty"),
    ("Can't read the uploaded image 'image' (imageData), the reference of tag 'fish': "
     "file is truncated", "file is truncated"),
    ("cannot identify image file", "cannot identify image file"),
    ("Missing query parameter 'imageId'", FALLBACK_REASON),
])
def test_plain_reason_keeps_the_decoders_words_and_drops_the_apis(
    message: str, reason: str
) -> None:
    assert plain_reason(message) == reason


def test_a_refused_image_search_empties_the_grid_and_says_why_plainly(
    library: Harness, qtbot: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    h = library
    folder = h.folder  # type: ignore[attr-defined]
    good = make_photos(tmp_path / "queries", ["good.jpg"]) / "good.jpg"
    h.client.data_names[good.read_bytes()] = "good"
    h.client.scores[("good", image_id(folder / "a.jpg"))] = 90
    drop(h.window.search_bar, h.window.search_bar.rect().center(), file_mime([good]))
    qtbot.waitUntil(lambda: shown_names(h) == ["a.jpg"], timeout=5000)
    bad = tmp_path / "queries" / "heif__empty.heic"
    bad.write_bytes(b"not really a heif")
    h.client.refuse_data.add(bad.read_bytes())
    h.client.refusal_messages[bad.read_bytes()] = (
        "Can't read imageData 'image': the uploaded file is empty"
    )

    drop(h.window.search_bar, h.window.search_bar.rect().center(), file_mime([bad]))

    qtbot.waitUntil(lambda: h.window.message.text().startswith("Can't"), timeout=5000)
    text = h.window.message.text()
    assert text == "Can't search with heif__empty.heic: file is empty"
    assert not any(word in text for word in JARGON)
    assert shown_names(h) == []  # not the goldfish results under the new label
    lines = [r for r in caplog.records if "heif__empty.heic" in r.getMessage()]
    assert [r.levelno for r in lines] == [logging.WARNING]
    assert lines[0].exc_info is None  # a user's bad file is not a bug: no traceback


def test_every_refused_reference_is_named_with_its_reason(
    library: Harness, qtbot: Any, tmp_path: Path
) -> None:
    h = library
    folder = h.folder  # type: ignore[attr-defined]
    bad = tmp_path / "bad"
    bad.mkdir()
    truncated = bad / "pillow__truncated_jpeg.jpg"
    truncated.write_bytes(b"truncated jpeg stand-in")
    empty = bad / "heif__empty.heic"
    empty.write_bytes(b"empty heif stand-in")
    h.client.refuse_data.update({truncated.read_bytes(), empty.read_bytes()})
    h.client.refusal_messages[truncated.read_bytes()] = (
        "Can't read the uploaded image 'image' (imageData), the reference of tag 'fish': "
        "file is truncated"
    )
    h.client.refusal_messages[empty.read_bytes()] = (
        "Can't read imageData 'image': the uploaded file is empty"
    )
    h.window.tag_store.create("fish")
    h.window.tags.show_tags()
    item = h.window.sidebar.item_for("fish")
    assert item is not None
    centre = h.window.sidebar.visualItemRect(item).center()

    drop(h.window.sidebar.viewport(), centre, file_mime([truncated, folder / "a.jpg", empty]))

    qtbot.waitUntil(lambda: bool(h.prompts.errors), timeout=5000)
    assert h.prompts.errors == [("Add to tag",
        "2 images were not added to fish: pillow__truncated_jpeg.jpg (file is truncated), "
        "heif__empty.heic (file is empty). 1 other image was added.")]
    kept = [Path(ref.source).name for ref in h.window.tag_store.get("fish").references]
    assert kept == ["a.jpg"]
