"""The window's own stores and rules, without Qt widgets: tags, library, held results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lookalike.ui.library import Library, list_images
from lookalike.ui.result_filter import Hit, ResultWindow, SearchQuery
from lookalike.ui.tag_controller import count_at
from lookalike.ui.tag_store import TagStore, TagStoreError
from tests.ui.helpers import make_photos


def test_tag_store_keeps_references_and_retires_backend_names(tmp_path: Path) -> None:
    photos = make_photos(tmp_path / "p", ["a.jpg", "b.jpg"])
    store = TagStore(tmp_path / "data")
    store.create("temple")
    added = store.add_references("temple", [photos / "a.jpg", photos / "b.jpg", photos / "a.jpg"])
    assert [Path(ref.source).name for ref in added] == ["a.jpg", "b.jpg"]
    assert all(Path(ref.file).read_bytes() == Path(ref.source).read_bytes() for ref in added)

    renamed = store.rename("temple", "church")
    assert renamed.backend_name == "church"
    again = store.create("temple")
    assert again.backend_name == "temple ~2"  # the server still holds the old "temple"
    trimmed = store.remove_reference("church", added[0].file)
    assert trimmed.backend_name == "church ~2" and len(trimmed.references) == 1

    reloaded = TagStore(tmp_path / "data")
    assert reloaded.names() == ["church", "temple"]
    assert reloaded.get("church").backend_name == "church ~2"
    assert reloaded.backend_names(["church", "unknown"]) == ["church ~2", "unknown"]


@pytest.mark.parametrize(("name", "problem"), [
    ("", "can't be empty"), (" x", "start or end with spaces"), ("a\tb", "control characters"),
    ("x" * 101, "longer than 100"), ("temple", "already a tag named 'temple'"),
    ("red,blue", "can't contain a comma"),
])
def test_bad_tag_names_are_refused_with_a_reason(tmp_path: Path, name: str, problem: str) -> None:
    store = TagStore(tmp_path)
    store.create("temple")
    with pytest.raises(TagStoreError, match=problem):
        store.create(name)


@pytest.mark.allow_error_logs
def test_a_broken_tag_file_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "tags.json").write_text("{not json")
    assert TagStore(tmp_path).names() == []
    assert (tmp_path / "tags.broken.json").read_text() == "{not json"


def test_library_folders_nest_and_problems_are_pruned(tmp_path: Path) -> None:
    inner = make_photos(tmp_path / "outer" / "inner", ["a.jpg", "broken.jpg"])
    library = Library(tmp_path / "data")
    assert library.add_folder(inner)
    assert not library.add_folder(inner / ".")  # already there
    assert library.add_folder(tmp_path / "outer")  # holds the inner one: replaces it
    assert library.folders() == [str(tmp_path / "outer")]

    library.record_problems([(str(inner / "broken.jpg"), "cannot identify image file")])
    library.prune_problems([str(inner / "broken.jpg")])
    assert len(Library(tmp_path / "data").problems()) == 1
    (inner / "broken.jpg").write_text("still not an image, but changed")
    library.prune_problems([str(inner / "broken.jpg")])
    assert library.problems() == []  # changed: tried again by the next scan


def test_listing_follows_the_engines_rules(tmp_path: Path) -> None:
    folder = make_photos(tmp_path / "lib", ["b.jpg", "a.PNG"])
    make_photos(folder / ".hidden", ["h.jpg"])
    make_photos(folder / "sub", ["c.webp"])
    (folder / "notes.txt").write_text("x")
    (folder / "link.jpg").symlink_to(folder / "b.jpg")
    assert list_images(folder) == [str(folder / "a.PNG"), str(folder / "b.jpg"),
                                   str(folder / "sub" / "c.webp")]


def test_held_results_answer_narrower_queries_only() -> None:
    window = ResultWindow()
    asked = SearchQuery(tags=("temple",), threshold=50, max_count=3)
    fetch = window.fetch_query(asked)
    window.store(fetch, [Hit("x", 60, "/x"), Hit("y", 90, "/y"), Hit("z", 75, "/z")])

    assert window.visible(asked) == [Hit("y", 90, "/y"), Hit("z", 75, "/z"), Hit("x", 60, "/x")]
    narrower = SearchQuery(tags=("temple",), threshold=70, max_count=2)
    assert window.covers(narrower)
    assert [h.image_id for h in window.visible(narrower)] == ["y", "z"]
    assert not window.covers(SearchQuery(tags=("temple",), threshold=40, max_count=3))
    assert not window.covers(SearchQuery(tags=("temple",), threshold=50, max_count=10))
    assert not window.covers(SearchQuery(tags=("temple",), match_all=True, threshold=60))
    lower = window.fetch_query(SearchQuery(tags=("temple",), threshold=40, max_count=2))
    assert (lower.threshold, lower.max_count) == (40, 3)  # the widest asked so far


def test_count_at_counts_similarities_at_or_above_a_threshold() -> None:
    similarities = (95.0, 80.0, 62.0, 50.0, 10.0)
    assert [count_at(similarities, t) for t in (0, 50, 51, 80, 96)] == [5, 4, 3, 2, 0]


def test_tags_json_has_a_schema_version(tmp_path: Path) -> None:
    TagStore(tmp_path).create("x")
    assert json.loads((tmp_path / "tags.json").read_text())["schema_version"] == 1


def test_pruning_one_folders_problems_keeps_the_other_folders(tmp_path: Path) -> None:
    first = make_photos(tmp_path / "first", ["bad.jpg"])
    second = make_photos(tmp_path / "second", ["bad.jpg"])
    library = Library(tmp_path / "data")
    library.add_folder(first)
    library.add_folder(second)
    library.record_problems([
        (str(first / "bad.jpg"), "cannot identify image file"),
        (str(second / "bad.jpg"), "file is truncated"),
    ])

    # At start-up the first folder's listing arrives before the second's.
    library.prune_problems([str(first / "bad.jpg")], folder=str(first))

    kept = sorted(problem.path for problem in Library(tmp_path / "data").problems())
    assert kept == [str(first / "bad.jpg"), str(second / "bad.jpg")]
