"""Every client operation against the real service (a ``lookalike serve`` child).

Storage is a copy of Aspose's sample images: ``ComparableImage.jpg``, its edited copy
``ComparingImageSimilar75.jpg``, a copy with the temple painted out
(``ComparingImageSimilar15.jpg``) and ten temple photos in ``FindSimilar/`` (``2.jpg`` is
byte-identical to ``ComparableImage.jpg``). Scores are still being tuned, so the tests check
rankings and relations, not exact similarities.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lookalike.client import IDLE, IN_PROGRESS, ApiError, ImagingClient, LocalService, SearchResult
from tests.client.conftest import BAD_IMAGES

FOLDER_IDS = sorted(f"FindSimilar/{n}.jpg" for n in range(1, 11))
IDENTICAL = "FindSimilar/2.jpg"
EDITED = "ComparingImageSimilar75.jpg"
PAINTED_OUT = "ComparingImageSimilar15.jpg"


@pytest.fixture
def context(client: ImagingClient) -> Iterator[str]:
    context_id = client.create_search_context().context_id
    yield context_id
    client.delete_search_context(context_id)


@pytest.fixture(scope="module")
def indexed(service: LocalService) -> Iterator[str]:
    """A context with the FindSimilar folder and both edited copies indexed (read-only use)."""
    with service.make_client() as client:
        context_id = client.create_search_context().context_id
        client.create_image_features(context_id, images_folder="FindSimilar")
        client.wait_idle(context_id, timeout=120, poll=0.1)
        client.create_search_image(context_id, EDITED)
        client.create_search_image(context_id, PAINTED_OUT)
        yield context_id
        client.delete_search_context(context_id)


def ids(results: list[SearchResult]) -> list[str]:
    return [r.image_id for r in results]


def rank(results: list[SearchResult], image_id: str) -> int:
    return ids(results).index(image_id)


def assert_best_first(results: list[SearchResult]) -> None:
    similarities = [r.similarity for r in results]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0 <= s <= 100 for s in similarities)


# --- search contexts -----------------------------------------------------------------------------


def test_create_status_and_delete_a_context(client: ImagingClient) -> None:
    created = client.create_search_context()
    assert created.is_idle
    assert created.context_id

    status = client.get_search_context_status(created.context_id)
    assert (status.context_id, status.status) == (created.context_id, IDLE)
    assert client.list_images(created.context_id) == []

    client.delete_search_context(created.context_id)
    with pytest.raises(ApiError) as gone:
        client.get_search_context_status(created.context_id)
    assert gone.value.status == 404
    assert created.context_id in gone.value.message


def test_folder_extraction_reports_progress_until_idle(
    client: ImagingClient, context: str
) -> None:
    client.create_image_features(context, images_folder="FindSimilar")
    first = client.get_search_context_status(context)
    assert first.progress is not None
    # Busy from the moment the request is answered, or already done: never idle before it ran.
    assert first.status == IN_PROGRESS or first.progress.done == 10

    done = client.wait_idle(context, timeout=120, poll=0.1)

    assert done.is_idle
    assert done.progress is not None
    assert (done.progress.done, done.progress.total, done.progress.failed) == (10, 10, ())
    assert client.list_images(context) == FOLDER_IDS


def test_a_bad_file_in_a_folder_is_reported_not_fatal(
    client: ImagingClient, context: str, storage: Path
) -> None:
    folder = storage / "mixed"
    folder.mkdir(exist_ok=True)
    (folder / "good.jpg").write_bytes((storage / "ComparableImage.jpg").read_bytes())
    (folder / "truncated.png").write_bytes(
        (BAD_IMAGES / "pillow__truncated_image.png").read_bytes())

    client.create_image_features(context, images_folder="mixed")
    done = client.wait_idle(context, timeout=120, poll=0.1)

    assert done.progress is not None
    assert [f.source for f in done.progress.failed] == ["mixed/truncated.png"]
    assert done.progress.failed[0].reason
    assert client.list_images(context) == ["mixed/good.jpg"]


# --- images --------------------------------------------------------------------------------------


def test_add_get_update_and_delete_images(
    client: ImagingClient, context: str, storage: Path
) -> None:
    original = (storage / "ComparableImage.jpg").read_bytes()
    edited = (storage / EDITED).read_bytes()

    client.create_search_image(context, EDITED)  # from storage
    client.create_search_image(context, "uploads/query.jpg", original)  # uploaded
    assert client.list_images(context) == [EDITED, "uploads/query.jpg"]
    assert client.get_search_image(context, EDITED) == edited
    assert client.get_search_image(context, "uploads/query.jpg") == original

    client.update_search_image(context, "uploads/query.jpg", edited)
    assert client.get_search_image(context, "uploads/query.jpg") == edited
    assert client.compare(context, "uploads/query.jpg", image_id2=EDITED) >= 99

    client.delete_search_image(context, "uploads/query.jpg")
    assert client.list_images(context) == [EDITED]
    with pytest.raises(ApiError) as gone:
        client.get_search_image(context, "uploads/query.jpg")
    assert gone.value.status == 404


def test_a_bad_image_gives_a_4xx_naming_it_and_the_service_stays_up(
    client: ImagingClient, context: str, storage: Path
) -> None:
    (storage / "broken.png").write_bytes(
        (BAD_IMAGES / "pillow__truncated_image.png").read_bytes())

    with pytest.raises(ApiError) as by_id:
        client.create_search_image(context, "broken.png")
    with pytest.raises(ApiError) as uploaded:
        client.add_tag(context, "temple", b"this is not an image")

    assert 400 <= by_id.value.status < 500
    assert "broken.png" in by_id.value.message
    assert 400 <= uploaded.value.status < 500
    assert uploaded.value.message
    assert client.get_search_context_status(context).is_idle


def test_image_ids_cannot_leave_the_storage_root(client: ImagingClient, context: str) -> None:
    for image_id in ("../outside.jpg", "/../etc/passwd", "FindSimilar/../../x.jpg"):
        with pytest.raises(ApiError) as refused:
            client.create_search_image(context, image_id)
        assert refused.value.status == 400, image_id
        assert refused.value.message


# --- features ------------------------------------------------------------------------------------


def test_features_add_get_update_delete_and_extract(
    client: ImagingClient, context: str, storage: Path
) -> None:
    original = (storage / "ComparableImage.jpg").read_bytes()
    client.create_image_features(context, image_id=IDENTICAL)
    client.create_image_features(context, image_id="uploads/edited.jpg",
                                 data=(storage / EDITED).read_bytes())

    stored = client.get_image_features(context, IDENTICAL)
    assert stored.image_id == IDENTICAL
    assert stored.features_count > 0
    assert stored.feature_length_in_bits > 0
    assert stored.features

    # image2features stores nothing, and the same bytes give the same features.
    from_data = client.extract_image_features(context, original)
    from_storage = client.extract_image_features(context, image_id="ComparableImage.jpg")
    assert from_data.features == from_storage.features == stored.features
    assert client.list_images(context) == [IDENTICAL, "uploads/edited.jpg"]

    client.update_image_features(context, "uploads/edited.jpg", original)
    assert client.get_image_features(context, "uploads/edited.jpg").features == stored.features

    client.delete_image_features(context, IDENTICAL)
    found = client.find_similar(context, data=original, threshold=0, max_count=10)
    assert IDENTICAL not in ids(found)
    assert "uploads/edited.jpg" in ids(found)
    assert client.get_search_image(context, IDENTICAL) == original  # the image stays


# --- searches ------------------------------------------------------------------------------------


def test_find_similar_ranks_the_copies_above_other_photos(
    client: ImagingClient, indexed: str, storage: Path
) -> None:
    query = (storage / "ComparableImage.jpg").read_bytes()

    by_data = client.find_similar(indexed, data=query, threshold=0, max_count=20)
    by_id = client.find_similar(indexed, image_id="ComparableImage.jpg", threshold=0,
                                max_count=20)

    assert ids(by_data) == ids(by_id)
    assert_best_first(by_data)
    assert ids(by_data)[:2] == [IDENTICAL, EDITED]
    others = [i for i in FOLDER_IDS if i != IDENTICAL]
    assert all(rank(by_data, i) > rank(by_data, EDITED) for i in others if i in ids(by_data))
    if PAINTED_OUT in ids(by_data):
        assert by_data[rank(by_data, PAINTED_OUT)].similarity < by_data[1].similarity


def test_find_similar_honours_threshold_and_max_count(
    client: ImagingClient, indexed: str, storage: Path
) -> None:
    query = (storage / "ComparableImage.jpg").read_bytes()
    everything = client.find_similar(indexed, data=query, threshold=0, max_count=20)
    cut = (everything[1].similarity + everything[-1].similarity) / 2 if len(everything) > 2 \
        else everything[1].similarity

    top_one = client.find_similar(indexed, data=query, threshold=0, max_count=1)
    above = client.find_similar(indexed, data=query, threshold=cut, max_count=20)

    assert ids(top_one) == [IDENTICAL]
    assert ids(above) == [r.image_id for r in everything if r.similarity >= cut]
    assert EDITED in ids(above)


def test_compare_orders_the_copies(client: ImagingClient, indexed: str, storage: Path) -> None:
    query = "ComparableImage.jpg"
    identical = client.compare(indexed, query, image_id2=IDENTICAL)
    edited = client.compare(indexed, query, image_id2=EDITED)
    other = client.compare(indexed, query, image_id2="FindSimilar/5.jpg")
    uploaded = client.compare(indexed, EDITED, data=(storage / query).read_bytes())

    assert identical >= edited > other
    assert identical >= 99
    assert uploaded == pytest.approx(edited, abs=0.5)


def test_find_duplicates_groups_the_copies(client: ImagingClient, indexed: str) -> None:
    groups = client.find_duplicates(indexed, threshold=90)

    image_sets = [{r.image_id for r in group.images} for group in groups]
    assert {IDENTICAL, EDITED} in image_sets, groups
    for group in groups:
        assert len(group.images) >= 2
        assert all(r.similarity >= 90 for r in group.images)
    # Temples 4 and 5 are two shots of the same facade from nearly the same spot: the same scene,
    # which may group on its own, but never with the copies of another photo.
    same_scene = {"FindSimilar/4.jpg", "FindSimilar/5.jpg"}
    grouped = set().union(*(s for s in image_sets if not s <= same_scene))
    assert grouped.isdisjoint(set(FOLDER_IDS) - {IDENTICAL})


def test_tags_add_list_and_find(client: ImagingClient, context: str, storage: Path) -> None:
    client.create_image_features(context, images_folder="FindSimilar")
    client.wait_idle(context, timeout=120, poll=0.1)
    client.create_search_image(context, EDITED)
    temple = (storage / "ComparableImage.jpg").read_bytes()
    other_photo = (storage / "FindSimilar" / "7.jpg").read_bytes()

    client.add_tag(context, "temple", temple)
    client.add_tag(context, "temple", (storage / EDITED).read_bytes())
    client.add_tag(context, "seven", other_photo)

    assert sorted((t.name, t.reference_count) for t in client.list_tags(context)) == [
        ("seven", 1), ("temple", 2)]

    temple_hits = client.find_by_tags(context, ["temple"], threshold=0, max_count=20)
    assert_best_first(temple_hits)
    assert set(ids(temple_hits)[:2]) == {IDENTICAL, EDITED}

    seven_hits = client.find_by_tags(context, ["seven"], threshold=0, max_count=20)
    assert ids(seven_hits)[0] == "FindSimilar/7.jpg"

    either = client.find_by_tags(context, ["temple", "seven"], threshold=50, max_count=20)
    assert {IDENTICAL, EDITED, "FindSimilar/7.jpg"} <= set(ids(either))
    both = client.find_by_tags(context, ["temple", "seven"], threshold=50, max_count=20,
                               match_all=True)
    assert set(ids(both)) <= set(ids(either))
    assert "FindSimilar/7.jpg" not in ids(both)


def test_extensions_on_an_unknown_context_say_not_found(client: ImagingClient) -> None:
    for call in (client.list_tags, client.list_images):
        with pytest.raises(ApiError) as missing:
            call("no-such-context")
        assert missing.value.status == 404


# --- storage -------------------------------------------------------------------------------------


def test_storage_files_and_folders(client: ImagingClient, storage: Path) -> None:
    data = (storage / EDITED).read_bytes()

    client.create_folder("made/deeper")
    client.upload_file("made/deeper/copy é.jpg", data)

    assert client.object_exists("made/deeper/copy é.jpg") is True
    assert (storage / "made" / "deeper" / "copy é.jpg").read_bytes() == data
    assert client.download_file("made/deeper/copy é.jpg") == data
    (entry,) = client.list_folder("made/deeper")
    assert (entry.name, entry.is_folder, entry.size) == ("copy é.jpg", False, len(data))
    assert entry.modified is not None
    assert ("deeper", True) in {(f.name, f.is_folder) for f in client.list_folder("made")}

    with pytest.raises(ApiError) as not_empty:
        client.delete_folder("made")
    assert 400 <= not_empty.value.status < 500

    client.delete_file("made/deeper/copy é.jpg")
    assert client.object_exists("made/deeper/copy é.jpg") is False
    client.delete_folder("made", recursive=True)
    assert client.object_exists("made") is False
    assert not (storage / "made").exists()


def test_storage_paths_cannot_leave_the_root(client: ImagingClient) -> None:
    with pytest.raises(ApiError) as refused:
        client.download_file("../outside.txt")
    assert refused.value.status in (400, 404)
    with pytest.raises(ApiError) as missing:
        client.download_file("no/such/file.jpg")
    assert missing.value.status == 404
