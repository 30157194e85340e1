"""Tags and searches: drops onto tags and the search bar, new tags, threshold, any/all."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint

from tests.ui.conftest import Harness
from tests.ui.helpers import (
    drop,
    file_mime,
    image_id,
    indexed_with_scores,
    make_photos,
    make_tag,
    searches,
    tag_center,
)


@pytest.fixture
def indexed(make_harness: Any, qtbot: Any, tmp_path: Path) -> Harness:
    """A window whose library (five photos) is indexed, with scores for "temple" and "sky"."""
    return indexed_with_scores(make_harness, qtbot, tmp_path / "photos")


def shown(h: Harness) -> list[tuple[str, float | None]]:
    model = h.window.model
    return [(Path(model.item(r).path).name, model.item(r).score) for r in range(model.rowCount())]


def test_dropping_files_from_the_file_manager_on_a_tag_adds_references(
    indexed: Harness, qtbot: Any
) -> None:
    h = indexed
    h.window.tag_store.create("temple")
    h.window.tags.show_tags()
    references = [h.folder / "a.jpg", h.folder / "b.jpg"]  # type: ignore[attr-defined]

    accepted = drop(h.window.sidebar.viewport(), tag_center(h, "temple"),
                    file_mime(references))

    assert accepted
    qtbot.waitUntil(lambda: len(h.client.calls_to("add_tag")) == 2, timeout=5000)
    sent = h.client.calls_to("add_tag")
    assert [c["tag_name"] for c in sent] == ["temple", "temple"]
    assert [c["data"] for c in sent] == [p.read_bytes() for p in references]
    # The tag's matches update: 3 of the 5 images score 50 or more for "temple".
    qtbot.waitUntil(lambda: h.window.sidebar.count_of("temple") == 3, timeout=5000)
    assert len(h.window.tag_store.get("temple").references) == 2


def test_dropping_grid_items_on_a_tag_adds_them(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    h.window.tag_store.create("sky")
    h.window.tags.show_tags()
    model = h.window.model
    mime = model.mimeData([model.index(2)])

    drop(h.window.sidebar.viewport(), tag_center(h, "sky"), mime)

    qtbot.waitUntil(lambda: len(h.client.calls_to("add_tag")) == 1, timeout=5000)
    call = h.client.calls_to("add_tag")[0]
    assert call["tag_name"] == "sky"
    assert call["data"] == (h.folder / "c.jpg").read_bytes()  # type: ignore[attr-defined]


def test_dropping_on_new_tag_asks_a_name_and_creates_the_tag(
    indexed: Harness, qtbot: Any
) -> None:
    h = indexed
    new_item = h.window.sidebar.item(0)
    position = h.window.sidebar.visualItemRect(new_item).center()
    h.prompts.texts = ["", "temple"]  # an empty name is refused, then a good one

    drop(h.window.sidebar.viewport(), position, file_mime([h.folder / "a.jpg"]))  # type: ignore[attr-defined]

    qtbot.waitUntil(lambda: "temple" in h.client.tags, timeout=5000)
    assert h.prompts.errors == [("New tag", "A tag name can't be empty")]
    assert h.window.tag_store.names() == ["temple"]
    assert h.window.sidebar.item_for("temple") is not None


def test_a_new_empty_tag_is_offered_at_once_by_add_to_tag_and_completion(
    indexed: Harness, qtbot: Any
) -> None:
    h = indexed
    h.prompts.texts = ["flowers"]

    h.window.tags.add_files("", [])

    assert h.window.tag_store.names() == ["flowers"]
    assert h.window.grid.tag_names == ["flowers"]
    assert h.window.search_bar.tags_edit.names.stringList() == ["flowers"]


def test_dropping_on_empty_space_creates_a_tag_too(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    sidebar = h.window.sidebar
    empty = QPoint(sidebar.viewport().width() // 2, sidebar.viewport().height() - 5)
    assert sidebar.itemAt(empty) is None
    h.prompts.texts = ["sky"]

    drop(sidebar.viewport(), empty, file_mime([h.folder / "c.jpg"]))  # type: ignore[attr-defined]

    qtbot.waitUntil(lambda: "sky" in h.client.tags, timeout=5000)
    assert h.window.tag_store.names() == ["sky"]


def test_a_refused_reference_is_reported_and_not_kept(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    bad = h.folder / "a.jpg"  # type: ignore[attr-defined]
    h.client.refuse_data.add(bad.read_bytes())
    h.window.tag_store.create("temple")
    h.window.tags.show_tags()

    drop(h.window.sidebar.viewport(), tag_center(h, "temple"), file_mime([bad]))

    qtbot.waitUntil(lambda: bool(h.prompts.errors), timeout=5000)
    assert h.prompts.errors == [
        ("Add to tag", "1 image was not added to temple: a.jpg (cannot identify image file).")
    ]
    assert h.window.tag_store.get("temple").references == ()


def test_search_fills_the_grid_high_to_low_with_scores(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    make_tag(h, qtbot, "temple", h.folder / "a.jpg")  # type: ignore[attr-defined]
    h.window.search_bar.tags_edit.setText("temple")

    h.window.search_bar.search_button.click()

    qtbot.waitUntil(lambda: h.window.search.is_showing_results() and
                    shown(h) == [("a.jpg", 95), ("b.jpg", 80), ("c.jpg", 62)], timeout=5000)
    assert searches(h)[-1]["tags"] == ["temple"]


def test_threshold_changes_refilter_without_a_request_until_more_is_needed(
    indexed: Harness, qtbot: Any
) -> None:
    h = indexed
    make_tag(h, qtbot, "temple", h.folder / "a.jpg")  # type: ignore[attr-defined]
    bar = h.window.search_bar
    bar.tags_edit.setText("temple")
    bar.search_button.click()
    qtbot.waitUntil(lambda: len(shown(h)) == 3, timeout=5000)
    sent = len(searches(h))

    bar.threshold_slider.setValue(70)  # higher: answered from what is held, at once
    assert shown(h) == [("a.jpg", 95), ("b.jpg", 80)]
    bar.threshold_spin.setValue(90)
    assert shown(h) == [("a.jpg", 95)]
    bar.threshold_spin.setValue(60)
    assert shown(h) == [("a.jpg", 95), ("b.jpg", 80), ("c.jpg", 62)]
    assert len(searches(h)) == sent

    bar.threshold_spin.setValue(30)  # lower than fetched: the backend is asked again
    qtbot.waitUntil(lambda: len(shown(h)) == 4, timeout=5000)
    assert len(searches(h)) == sent + 1
    assert searches(h)[-1]["threshold"] == 30
    assert bar.threshold_slider.value() == 30


def test_any_and_all_switch(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    make_tag(h, qtbot, "temple", h.folder / "a.jpg")  # type: ignore[attr-defined]
    make_tag(h, qtbot, "sky", h.folder / "c.jpg")  # type: ignore[attr-defined]
    bar = h.window.search_bar
    bar.tags_edit.setText("temple, sky")
    bar.search_button.click()
    qtbot.waitUntil(lambda: len(shown(h)) == 4, timeout=5000)
    # any: the best of the two scores, 50 or more
    assert shown(h) == [("a.jpg", 95), ("c.jpg", 90), ("b.jpg", 80), ("d.jpg", 55)]
    assert searches(h)[-1]["match_all"] is False

    bar.mode.setCurrentIndex(1)

    qtbot.waitUntil(lambda: searches(h)[-1]["match_all"] is True, timeout=5000)
    # all: the worse of the two scores, 50 or more
    qtbot.waitUntil(lambda: shown(h) == [("b.jpg", 75), ("c.jpg", 62)], timeout=5000)
    assert searches(h)[-1]["tags"] == ["temple", "sky"]


def test_clicking_a_tag_searches_for_it(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    make_tag(h, qtbot, "sky", h.folder / "c.jpg")  # type: ignore[attr-defined]

    h.window.sidebar.tag_activated.emit("sky")

    qtbot.waitUntil(lambda: [n for n, _ in shown(h)] == ["c.jpg", "b.jpg", "d.jpg"],
                    timeout=5000)
    assert h.window.search_bar.tags_edit.text() == "sky"


def test_dropping_an_image_on_the_search_bar_finds_similar_images(
    indexed: Harness, qtbot: Any, tmp_path: Path
) -> None:
    h = indexed
    query = make_photos(tmp_path / "elsewhere", ["query.jpg"]) / "query.jpg"
    h.client.data_names[query.read_bytes()] = "query"
    folder = h.folder  # type: ignore[attr-defined]
    h.client.scores[("query", image_id(folder / "d.jpg"))] = 88
    h.client.scores[("query", image_id(folder / "e.jpg"))] = 71

    accepted = drop(h.window.search_bar, h.window.search_bar.rect().center(), file_mime([query]))

    assert accepted
    qtbot.waitUntil(lambda: shown(h) == [("d.jpg", 88), ("e.jpg", 71)], timeout=5000)
    call = h.client.calls_to("find_similar")[-1]
    assert call["data"] == query.read_bytes()
    assert h.window.search_bar.image_chip.isVisibleTo(h.window.search_bar)


def test_rename_rebuilds_the_tag_under_its_new_name(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    reference = h.folder / "a.jpg"  # type: ignore[attr-defined]
    make_tag(h, qtbot, "temple", reference)
    h.prompts.texts = ["church"]

    h.window.tags.rename("temple")

    qtbot.waitUntil(lambda: "church" in h.client.tags, timeout=5000)
    assert h.client.tags["church"] == [reference.read_bytes()]
    assert h.window.tag_store.names() == ["church"]
    assert h.window.sidebar.item_for("temple") is None


def test_delete_asks_first_then_removes_the_tag(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    make_tag(h, qtbot, "temple", h.folder / "a.jpg")  # type: ignore[attr-defined]

    h.prompts.confirmations = [False]
    h.window.tags.delete("temple")
    assert h.window.tag_store.names() == ["temple"]

    h.prompts.confirmations = [True]
    h.window.tags.delete("temple")
    assert h.window.tag_store.names() == []
    assert h.window.sidebar.item_for("temple") is None


def test_references_dialog_lists_and_removes_references(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    folder = h.folder  # type: ignore[attr-defined]
    make_tag(h, qtbot, "temple", folder / "a.jpg")
    drop(h.window.sidebar.viewport(), tag_center(h, "temple"), file_mime([folder / "b.jpg"]))
    qtbot.waitUntil(lambda: len(h.client.tags["temple"]) == 2, timeout=5000)

    dialog = h.window.show_references("temple")
    files = dialog.files()
    assert files == h.window.tags.references("temple")
    dialog.list.setCurrentRow(0)
    dialog.remove_button.click()

    backend_name = h.window.tag_store.get("temple").backend_name
    assert backend_name != "temple"  # the server can't forget a reference: a fresh name
    qtbot.waitUntil(lambda: backend_name in h.client.tags, timeout=5000)
    assert h.client.tags[backend_name] == [(folder / "b.jpg").read_bytes()]
    dialog.close()


def test_find_duplicates_lists_groups(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    folder = h.folder  # type: ignore[attr-defined]
    h.client.scores[("dup:" + image_id(folder / "a.jpg"), image_id(folder / "b.jpg"))] = 97
    view = h.window.duplicates
    view.threshold.setValue(90)

    view.find_button.click()

    qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 1, timeout=5000)
    group = view.tree.topLevelItem(0)
    assert group is not None and group.childCount() == 2
    assert [hit.path for hit in view.groups()[0]] == [str(folder / "a.jpg"),
                                                      str(folder / "b.jpg")]
    assert h.client.calls_to("find_duplicates")[-1]["threshold"] == 90


def test_the_search_bar_completes_tag_names(indexed: Harness, qtbot: Any) -> None:
    h = indexed
    make_tag(h, qtbot, "temple", h.folder / "a.jpg")  # type: ignore[attr-defined]
    make_tag(h, qtbot, "sky", h.folder / "c.jpg")  # type: ignore[attr-defined]
    edit = h.window.search_bar.tags_edit
    qtbot.waitUntil(lambda: edit.names.stringList() == ["sky", "temple"], timeout=5000)

    edit.setText("sky, te")
    edit.setCursorPosition(len(edit.text()))
    edit.completer_.setCompletionPrefix("te")
    assert edit.completer_.currentCompletion() == "temple"
    edit._insert_completion("temple")
    assert edit.text() == "sky, temple,"
    assert h.window.search_bar.query().tags == ("sky", "temple")


def test_searches_go_on_while_duplicates_are_found_and_cancel_drops_their_answer(
    indexed: Harness, qtbot: Any
) -> None:
    """Duplicates of a big library take minutes: they must not hold up the window's searches."""
    h = indexed
    folder = h.folder  # type: ignore[attr-defined]
    h.client.scores[("dup:" + image_id(folder / "a.jpg"), image_id(folder / "b.jpg"))] = 97
    release = threading.Event()
    slow_calls: list[float] = []
    find = h.client.find_duplicates

    def slow_find_duplicates(context_id: str, *, threshold: float) -> Any:
        slow_calls.append(threshold)
        release.wait(10)
        return find(context_id, threshold=threshold)

    h.client.find_duplicates = slow_find_duplicates  # type: ignore[method-assign]
    view = h.window.duplicates
    view.find_button.click()
    qtbot.waitUntil(lambda: bool(slow_calls), timeout=5000)
    assert not view.cancel_button.isHidden() and not view.find_button.isEnabled()

    answers: list[object] = []
    h.window.bridge.submit("A search meanwhile", lambda session: "searched",
                           on_result=answers.append)
    qtbot.waitUntil(lambda: answers == ["searched"], timeout=5000)  # not behind the duplicates

    view.cancel()
    assert view.find_button.isEnabled() and view.cancel_button.isHidden()
    assert view.summary.text().startswith("Cancelled")
    release.set()
    qtbot.wait(300)
    assert view.tree.topLevelItemCount() == 0  # the late answer was dropped


def test_spaces_around_a_tag_name_are_trimmed_and_a_refused_rename_asks_again(
    indexed: Harness, qtbot: Any
) -> None:
    h = indexed
    make_tag(h, qtbot, "temple", h.folder / "a.jpg")  # type: ignore[attr-defined]
    h.window.tag_store.create("sky")
    h.prompts.texts = ["  Sky, blue  ", "  clouds  "]  # a comma is refused, then a good name

    h.window.tags.rename("sky")

    assert h.prompts.asked == ["Rename tag", "Rename tag"]
    assert [title for title, _ in h.prompts.errors] == ["Rename tag"]
    assert "comma" in h.prompts.errors[0][1]
    assert h.window.tag_store.names() == ["clouds", "temple"]
