"""Storage copy/move never replace anything; a leading "/" means the storage root everywhere.

Service findings 11 (copy overwrote, move refused, folder copy merged) and 13 (imagesFolder and
imageId refused the "/folder" form that the storage routes take).
"""

from __future__ import annotations

import pytest

from tests.service.conftest import SEARCH, STORAGE, Service, assert_error


@pytest.mark.parametrize(("kind", "action"), [
    ("file", "copy"), ("file", "move"), ("folder", "copy"), ("folder", "move"),
])
def test_copy_and_move_refuse_an_existing_destination(service: Service, kind: str,
                                                      action: str) -> None:
    (service.storage / "kept").mkdir()
    (service.storage / "kept/1.jpg").write_bytes(b"the user's own picture")
    source, dest = ("FindSimilar/2.jpg", "kept/1.jpg") if kind == "file" \
        else ("FindSimilar", "kept")

    answer = service.call("PUT", f"{STORAGE}/{kind}/{action}/{source}",
                          params={"destPath": dest})

    assert_error(answer, 409, f"destPath {dest!r} already exists", "never replace")
    assert (service.storage / "kept/1.jpg").read_bytes() == b"the user's own picture"
    assert sorted(p.name for p in (service.storage / "kept").iterdir()) == ["1.jpg"]
    assert (service.storage / source).exists()


def test_copy_and_move_to_a_new_path_still_work(service: Service) -> None:
    original = (service.storage / "FindSimilar/2.jpg").read_bytes()

    copied = service.call("PUT", f"{STORAGE}/file/copy/FindSimilar/2.jpg",
                          params={"destPath": "/new/two.jpg"})
    moved = service.call("PUT", f"{STORAGE}/folder/move/new", params={"destPath": "newer"})

    assert copied.status_code == moved.status_code == 200
    assert (service.storage / "newer/two.jpg").read_bytes() == original
    assert not (service.storage / "new").exists()


def test_a_leading_slash_names_the_storage_root_in_image_search(service: Service) -> None:
    context = service.create_context()

    folder = service.index_folder(context, "/FindSimilar/")
    added = service.call("POST", f"{SEARCH}/{context}/image",
                         params={"imageId": "/ComparableImage.jpg"})
    compared = service.call("POST", f"{SEARCH}/{context}/compare",
                            params={"imageId1": "/FindSimilar/1.jpg",
                                    "imageId2": "FindSimilar//1.jpg"})
    ids = service.call("GET", f"{SEARCH}/{context}/images").json()["imageIds"]

    assert folder["progress"]["done"] == 10 and folder["progress"]["failed"] == []
    assert added.status_code == 200, added.text
    assert compared.json()["results"] == [{"imageId": "FindSimilar//1.jpg", "similarity": 100.0}]
    assert sorted(ids) == sorted(["ComparableImage.jpg"]
                                 + [f"FindSimilar/{n}.jpg" for n in range(1, 11)])


def test_a_lone_slash_is_the_whole_storage(service: Service) -> None:
    context = service.create_context()

    status = service.index_folder(context, "/")

    assert status["progress"]["done"] == 13


@pytest.mark.parametrize("raw", ["/../outside.jpg", "//../outside.jpg", "/a/../../outside.jpg"])
def test_a_leading_slash_opens_no_way_out_of_the_root(service: Service, raw: str) -> None:
    (service.storage.parent / "outside.jpg").write_bytes(
        (service.storage / "ComparableImage.jpg").read_bytes())
    context = service.create_context()

    added = service.call("POST", f"{SEARCH}/{context}/image", params={"imageId": raw})
    folder = service.call("POST", f"{SEARCH}/{context}/features",
                          params={"imagesFolder": raw.removesuffix("outside.jpg")})

    assert_error(added, 400, "imageId", "'..'")
    assert_error(folder, 400, "imagesFolder", "'..'")
    assert service.call("GET", f"{SEARCH}/{context}/images").json() == {"imageIds": []}


def test_a_server_path_is_looked_up_inside_the_root_and_the_404_says_so(
        service: Service) -> None:
    context = service.create_context()

    answer = service.call("POST", f"{SEARCH}/{context}/image", params={"imageId": "/etc/hostname"})

    assert_error(answer, 404, "'/etc/hostname' not found in storage",
                 "a leading '/' means the root")
