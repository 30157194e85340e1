"""Parsing the server's JSON into typed results, and mapping files to image ids."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lookalike.client import (
    ContextStatus,
    Failure,
    Progress,
    ProtocolError,
    SearchResult,
    image_id_to_path,
    models,
    path_to_image_id,
)


def test_context_status_with_and_without_progress() -> None:
    ours = models.parse_context_status({
        "id": "c1", "searchStatus": "InProgress",
        "progress": {"done": 3, "total": 10, "skipped": 1, "cancelled": False,
                     "failed": [{"source": "a/b.png", "reason": "file is truncated"}]},
    })
    aspose = models.parse_context_status({"Id": "c2", "SearchStatus": "Idle"})

    assert ours == ContextStatus("c1", "InProgress", Progress(
        done=3, total=10, failed=(Failure("a/b.png", "file is truncated"),), skipped=1))
    assert not ours.is_idle
    assert aspose == ContextStatus("c2", "Idle", None)
    assert aspose.is_idle


def test_results_and_duplicates() -> None:
    results = models.parse_results({"results": [
        {"imageId": "x.jpg", "similarity": 91.5}, {"ImageId": "y.jpg", "Similarity": "80"}]})
    groups = models.parse_duplicates({"duplicates": [
        {"duplicateImages": [{"imageId": "a", "similarity": 99}, {"imageId": "b",
                                                                  "similarity": 98.5}]}]})

    assert results == [SearchResult("x.jpg", 91.5), SearchResult("y.jpg", 80.0)]
    assert [[(r.image_id, r.similarity) for r in g.images] for g in groups] == [
        [("a", 99.0), ("b", 98.5)]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"result": []}, "field 'results' is missing"),
        ({"results": [{"imageId": "x"}]}, "field 'similarity' is missing"),
        ({"results": [{"imageId": "x", "similarity": "high"}]}, "'similarity' is not a number"),
        ([1, 2], "expected an object"),
    ],
)
def test_malformed_results_name_the_field(body: object, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        models.parse_results(body)  # type: ignore[arg-type]


def test_features_are_decoded_from_base64() -> None:
    blob = bytes(range(256))
    parsed = models.parse_image_features({
        "imageId": "a.jpg", "featuresCount": 8, "featureLengthInBits": 256,
        "features": base64.b64encode(blob).decode()})

    assert (parsed.image_id, parsed.features_count, parsed.feature_length_in_bits) == (
        "a.jpg", 8, 256)
    assert parsed.features == blob
    with pytest.raises(ProtocolError, match="not base64"):
        models.parse_image_features({"features": "%%% not base64"})


def test_storage_listing_and_dates() -> None:
    (entry,) = models.parse_files_list({"value": [
        {"name": "a.jpg", "path": "/p/a.jpg", "isFolder": False, "size": 12,
         "modifiedDate": "2026-12-04T10:00:00Z"}]})

    assert (entry.name, entry.path, entry.is_folder, entry.size) == ("a.jpg", "/p/a.jpg",
                                                                     False, 12)
    assert entry.modified == datetime(2026, 12, 4, 10, tzinfo=UTC)
    assert models.parse_datetime("yesterday") is None


def test_tags_and_image_ids() -> None:
    tags = models.parse_tags({"tags": [{"name": "sea", "referenceCount": 3}]})
    assert [(t.name, t.reference_count) for t in tags] == [("sea", 3)]
    assert models.parse_image_ids({"imageIds": ["a", "b/c"]}) == ["a", "b/c"]
    with pytest.raises(ProtocolError, match="not a list"):
        models.parse_image_ids({"imageIds": "a"})


def test_image_ids_are_posix_paths_under_the_storage_root(tmp_path: Path) -> None:
    photo = tmp_path / "Holiday 2026" / "beach.jpg"

    image_id = path_to_image_id(photo, tmp_path)

    assert image_id == "Holiday 2026/beach.jpg"
    assert image_id_to_path(image_id, tmp_path) == photo
    assert path_to_image_id(tmp_path / "x" / ".." / "y.jpg", tmp_path) == "y.jpg"


@pytest.mark.parametrize("image_id", ["../etc/passwd", "/etc/passwd", "a/../../b", ""])
def test_image_ids_that_leave_the_root_are_refused(image_id: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a path inside the storage folder"):
        image_id_to_path(image_id, tmp_path)


def test_files_outside_the_root_have_no_image_id(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside the storage folder"):
        path_to_image_id(tmp_path.parent / "elsewhere.jpg", tmp_path)
    with pytest.raises(ValueError, match="storage folder itself"):
        path_to_image_id(tmp_path, tmp_path)
