"""Issue 4, what a search tells the user: F9 unknown tag names, F10 the empty grid's text, F11
clearing the search box and the sidebar's highlight, F16 and F19 the status wording, F20 a new tag
that matches nothing, F21 tag names in any case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QToolButton

from lookalike.ui.result_filter import Hit
from tests.ui.conftest import Harness
from tests.ui.helpers import (
    SCORED_NAMES,
    drop,
    file_mime,
    image_id,
    indexed_with_scores,
    make_photos,
    make_tag,
    searches,
)


@pytest.fixture
def indexed(make_harness: Any, qtbot: Any, tmp_path: Path) -> Harness:
    """Five indexed photos; tags "temple" and "sky" made from a.jpg and c.jpg."""
    h = indexed_with_scores(make_harness, qtbot, tmp_path / "photos")
    for name, reference in (("temple", "a.jpg"), ("sky", "c.jpg")):
        make_tag(h, qtbot, name, h.folder / reference)
    qtbot.waitUntil(lambda: h.window.sidebar.count_of("sky") == 3, timeout=5000)
    return h


def search(h: Harness, qtbot: Any, text: str, *, match_all: bool = False) -> None:
    bar = h.window.search_bar
    bar.mode.setCurrentIndex(1 if match_all else 0)
    bar.set_tags([name.strip() for name in text.split(",")])  # as typing would: no image chip
    bar.search_button.click()
    qtbot.waitUntil(lambda: not h.window.message.text().startswith("Searching"), timeout=5000)


def shown_names(h: Harness) -> list[str]:
    model = h.window.model
    return [Path(model.item(row).path).name for row in range(model.rowCount())]


def highlighted(h: Harness) -> list[str]:
    """What the sidebar shows selected, "New tag…" included if it is."""
    sidebar = h.window.sidebar
    return [sidebar.item(row).text() for row in range(sidebar.count())
            if sidebar.item(row).isSelected()]


# F11
def test_clearing_the_search_box_goes_back_to_the_library(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    search(h, qtbot, "temple")
    assert shown_names(h) == ["a.jpg", "b.jpg", "c.jpg"]
    assert highlighted(h) == ["temple"]
    clear_button = h.window.search_bar.tags_edit.findChild(QToolButton)
    assert clear_button is not None

    clear_button.click()  # the ⊗ in the search box

    assert shown_names(h) == SCORED_NAMES
    assert h.window.message.text() == "5 images in the library"
    assert highlighted(h) == []


def test_the_sidebar_highlights_the_tags_being_searched_and_never_new_tag(
    indexed: Harness, qtbot: Any, tmp_path: Path
) -> None:
    h = indexed
    search(h, qtbot, "temple, sky")
    assert highlighted(h) == ["sky", "temple"]

    h.prompts.texts = ["church"]
    h.window.tags.rename("temple")
    qtbot.waitUntil(lambda: "church" in h.client.tags, timeout=5000)
    assert "New tag…" not in highlighted(h)
    assert not h.window.sidebar.item(0).isSelected()
    # The search follows the tag to its new name.
    assert h.window.search_bar.tags_edit.text() == "church, sky"
    qtbot.waitUntil(lambda: highlighted(h) == ["church", "sky"], timeout=5000)

    h.window.find_similar(str(h.folder / "b.jpg"))  # type: ignore[attr-defined]
    assert highlighted(h) == []

    search(h, qtbot, "sky")
    assert highlighted(h) == ["sky"]
    folder = h.folder  # type: ignore[attr-defined]
    h.window._show_duplicates_group([Hit(image_id(folder / "a.jpg"), 100, str(folder / "a.jpg")),
                                     Hit(image_id(folder / "b.jpg"), 97, str(folder / "b.jpg"))])
    assert highlighted(h) == []


def test_clicking_new_tag_does_not_leave_it_highlighted(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    search(h, qtbot, "sky")
    sidebar = h.window.sidebar
    h.prompts.texts = [None]  # the user cancels the name

    sidebar.itemClicked.emit(sidebar.item(0))

    assert h.prompts.asked[-1] == "New tag"
    assert highlighted(h) == ["sky"]


# F9
def test_a_name_that_is_no_tag_is_named_and_not_searched(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    search(h, qtbot, "temple, nosuchtag")

    assert searches(h)[-1]["tags"] == ["temple"]
    assert shown_names(h) == ["a.jpg", "b.jpg", "c.jpg"]
    assert h.window.message.text() == (
        "3 images for temple at 50 % or more · No tag named nosuchtag"
    )
    sent = len(searches(h))

    search(h, qtbot, "zzz")

    assert len(searches(h)) == sent  # nothing to ask the server
    assert shown_names(h) == []
    assert h.window.message.text() == "No tag named zzz: nothing to search"
    assert h.window.grid.placeholder().startswith("No tag named zzz.\nCheck the spelling")


def test_with_all_tags_a_typo_says_why_there_are_no_results(
    indexed: Harness, qtbot: Any
) -> None:
    h = indexed
    sent = len(searches(h))

    search(h, qtbot, "temple, skky", match_all=True)

    assert len(searches(h)) == sent
    assert shown_names(h) == []
    assert h.window.message.text() == "No tag named skky, so no image has all of these tags"
    assert h.window.grid.placeholder() == (
        "No tag named skky, so no image has all of these tags.\n"
        "Check the spelling, or choose \"any tag\"."
    )
    assert highlighted(h) == ["temple"]


# F10
def grid_pixels_off_background(h: Harness) -> int:
    """How many pixels in the middle of the empty grid differ from its background."""
    viewport = h.window.grid.viewport()
    image: QImage = viewport.grab().toImage()
    background = QColor(viewport.palette().color(QPalette.ColorRole.Base)).rgb()
    middle_rows = range(image.height() // 3, 2 * image.height() // 3)
    return sum(1 for y in middle_rows for x in range(0, image.width(), 2)
               if image.pixel(x, y) != background)


def test_an_empty_result_grid_says_why_and_what_to_try(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    h.window.search_bar.set_threshold(80)

    search(h, qtbot, "temple, sky", match_all=True)

    assert shown_names(h) == []
    assert h.window.grid.placeholder() == (
        "No image matches all of these tags at 80 % or more.\n"
        "Try \"any tag\" or a lower similarity."
    )
    assert grid_pixels_off_background(h) > 50  # the text is painted in the grid

    search(h, qtbot, "temple")
    assert shown_names(h) == ["a.jpg", "b.jpg"]
    assert h.window.grid.placeholder() == ""
    h.window.model.set_items([])
    h.window.grid.set_placeholder("")
    assert grid_pixels_off_background(h) == 0


def test_a_tag_without_references_says_how_to_add_some(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    h.window.tag_store.create("empty")
    h.window.tags.show_tags()

    search(h, qtbot, "empty")

    assert searches(h)[-1]["tags"] == ["empty"]
    assert h.window.grid.placeholder() == (
        "empty has no reference images yet.\nDrop images on the tag in the sidebar to add some."
    )


# F20
def test_a_new_tag_that_matches_nothing_gets_a_hint(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    h.prompts.texts = ["crop"]
    new_tag = h.window.sidebar.visualItemRect(h.window.sidebar.item(0)).center()

    drop(h.window.sidebar.viewport(), new_tag, file_mime([h.folder / "e.jpg"]))  # type: ignore[attr-defined]

    qtbot.waitUntil(lambda: h.window.sidebar.count_of("crop") == 0 and
                    h.window.message.text().startswith("No image"), timeout=5000)
    assert h.window.message.text() == (
        "No image looks like this reference of crop at 50 % or more; "
        "try a larger or less cropped one"
    )
    search(h, qtbot, "crop")
    assert h.window.grid.placeholder() == (
        "No image looks like the reference images of crop at 50 % or more.\n"
        "Try a larger or less cropped reference image or a lower similarity."
    )


def test_a_reference_that_matches_gets_no_hint(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    h.prompts.texts = ["temple2"]
    for name, score in zip(SCORED_NAMES, [90, 10, 10, 10, 10], strict=True):
        h.client.scores[("temple2", image_id(h.folder / name))] = score  # type: ignore[attr-defined]
    new_tag = h.window.sidebar.visualItemRect(h.window.sidebar.item(0)).center()

    drop(h.window.sidebar.viewport(), new_tag, file_mime([h.folder / "a.jpg"]))  # type: ignore[attr-defined]

    qtbot.waitUntil(lambda: h.window.sidebar.count_of("temple2") == 1, timeout=5000)
    assert h.window.message.text() == "Added 1 reference image to temple2"


# F21
def test_tag_names_are_searched_in_any_case(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    search(h, qtbot, "TEMPLE")

    assert searches(h)[-1]["tags"] == ["temple"]
    assert shown_names(h) == ["a.jpg", "b.jpg", "c.jpg"]
    assert h.window.message.text() == "3 images for temple at 50 % or more"
    assert highlighted(h) == ["temple"]


def test_a_tag_name_differing_only_in_case_is_refused(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    h.prompts.texts = ["Temple", None]

    h.window.tags.add_files("", [])

    assert h.prompts.errors == [("New tag", "There is already a tag named 'temple'")]
    h.prompts.texts = ["SKY"]
    h.window.tags.rename("temple")
    assert h.prompts.errors[-1] == ("Rename tag", "There is already a tag named 'sky'")
    assert h.window.tag_store.names() == ["sky", "temple"]

    h.prompts.texts = ["Temple"]  # its own name in another case is fine
    h.window.tags.rename("temple")
    qtbot.waitUntil(lambda: "Temple" in h.client.tags, timeout=5000)
    assert h.window.tag_store.names() == ["sky", "Temple"]


# F16, F19
def test_find_similar_wording_and_matching_images_at_threshold_zero(
    indexed: Harness, qtbot: Any, tmp_path: Path
) -> None:
    h = indexed
    folder = h.folder  # type: ignore[attr-defined]
    query = make_photos(tmp_path / "elsewhere", ["goldfish.png"]) / "goldfish.png"
    h.client.data_names[query.read_bytes()] = "goldfish"
    h.client.scores[("goldfish", image_id(folder / "d.jpg"))] = 88
    h.client.scores[("goldfish", image_id(folder / "e.jpg"))] = 71

    h.window.find_similar(str(query))

    qtbot.waitUntil(lambda: shown_names(h) == ["d.jpg", "e.jpg"], timeout=5000)
    assert h.window.message.text() == "2 images like goldfish.png at 50 % or more"

    h.window.search_bar.set_threshold(0)
    qtbot.waitUntil(lambda: len(shown_names(h)) == 5, timeout=5000)
    assert h.window.message.text() == "5 matching images like goldfish.png"

    search(h, qtbot, "temple")
    assert h.window.message.text() == "5 matching images for temple"
