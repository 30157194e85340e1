"""Cases that gave 500: over-long names, folders copied onto files, requests racing a delete.

Findings 10 (ENAMETOOLONG -> 500), 11 (folder copy onto a file -> 500, file copy into a folder),
5 (requests racing DELETE of their context -> 500 from sqlite), 19 (symlink loop message).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

import pytest

from lookalike.engine import Engine
from tests.service.conftest import SEARCH, STORAGE, Service, assert_error

LONG_NAME = "a" * 300 + ".jpg"


def test_over_long_image_ids_are_a_400_naming_the_parameter(service: Service) -> None:
    context = service.create_context()
    data = (service.storage / "FindSimilar/1.jpg").read_bytes()

    similar = service.call("GET", f"{SEARCH}/{context}/findSimilar",
                           params={"imageId": LONG_NAME, "similarityThreshold": 0, "maxCount": 2})
    compared = service.call("POST", f"{SEARCH}/{context}/compare",
                            params={"imageId1": "FindSimilar/1.jpg", "imageId2": LONG_NAME})
    added = service.call("POST", f"{SEARCH}/{context}/image", params={"imageId": LONG_NAME})
    folder = service.call("POST", f"{SEARCH}/{context}/features",
                          params={"imagesFolder": f"x/{LONG_NAME}"})
    upload = service.call("PUT", f"{STORAGE}/file/{LONG_NAME}", data=data)
    download = service.call("GET", f"{STORAGE}/file/{LONG_NAME}")
    exists = service.call("GET", f"{STORAGE}/exist/{LONG_NAME}")

    message = assert_error(similar, 400, "imageId", "too long for the file system", "304 bytes")
    assert len(message) < 400  # the 300 characters are not echoed whole
    assert_error(compared, 400, "imageId2", "too long")
    assert_error(added, 400, "imageId", "too long")
    assert_error(folder, 400, "imagesFolder", "too long")
    assert_error(upload, 400, "path", "too long")
    assert_error(download, 400, "too long")
    assert exists.json() == {"exists": False, "isFolder": False}


def test_a_folder_copied_onto_a_file_is_a_conflict(service: Service) -> None:
    original = (service.storage / "ComparableImage.jpg").read_bytes()

    copied = service.call("PUT", f"{STORAGE}/folder/copy/FindSimilar",
                          params={"destPath": "ComparableImage.jpg"})
    moved = service.call("PUT", f"{STORAGE}/folder/move/FindSimilar",
                         params={"destPath": "ComparableImage.jpg"})

    assert_error(copied, 409, "'FindSimilar'", "'ComparableImage.jpg'", "is a file")
    assert_error(moved, 409, "is a file")
    assert (service.storage / "ComparableImage.jpg").read_bytes() == original
    assert len(list((service.storage / "FindSimilar").iterdir())) == 10


def test_a_file_copied_onto_a_folder_is_a_conflict(service: Service) -> None:
    copied = service.call("PUT", f"{STORAGE}/file/copy/ComparableImage.jpg",
                          params={"destPath": "FindSimilar"})

    assert_error(copied, 409, "that is a folder")
    assert not (service.storage / "FindSimilar/ComparableImage.jpg").exists()


def test_uploading_below_a_file_is_a_conflict(service: Service) -> None:
    data = (service.storage / "FindSimilar/1.jpg").read_bytes()

    uploaded = service.call("PUT", f"{STORAGE}/file/ComparableImage.jpg/inner.jpg", data=data)

    assert_error(uploaded, 409, "a file stands in the way")
    assert (service.storage / "ComparableImage.jpg").is_file()


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_a_symlink_loop_is_named_as_a_loop(service: Service) -> None:
    context = service.create_context()
    os.symlink("l2.jpg", service.storage / "l1.jpg")
    os.symlink("l1.jpg", service.storage / "l2.jpg")

    added = service.call("POST", f"{SEARCH}/{context}/image", params={"imageId": "l1.jpg"})

    assert_error(added, 400, "'l1.jpg'", "loop")


# Requests racing a context delete -----------------------------------------------------------


def deleting_midway(engine: Engine, context: str, error: sqlite3.Error) -> Any:
    """What a request sees when DELETE of its context closes the database under it."""

    def find_similar(*args: object, **kwargs: object) -> None:
        engine.delete_context(context)
        raise error

    return find_similar


def test_a_request_racing_the_delete_of_its_context_is_a_404(
        service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    context = service.create_context()
    service.index_folder(context, "FindSimilar")
    closed = sqlite3.ProgrammingError("Cannot operate on a closed database.")
    monkeypatch.setattr(service.engine, "find_similar",
                        deleting_midway(service.engine, context, closed))

    raced = service.call("GET", f"{SEARCH}/{context}/findSimilar",
                         params={"imageId": "FindSimilar/1.jpg", "similarityThreshold": 0,
                                 "maxCount": 2})
    after = service.call("GET", f"{SEARCH}/{context}/status")

    assert_error(raced, 404, f"Search context {context!r} not found", "deleted")
    assert_error(after, 404, context)


def test_a_database_failure_of_a_live_context_is_a_503_to_retry(
        service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    context = service.create_context()

    def find_by_tags(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(service.engine, "find_by_tags", find_by_tags)
    answer = service.call("POST", f"{SEARCH}/{context}/findByTags", json=["t"],
                          params={"similarityThreshold": 0, "maxCount": 2})

    assert_error(answer, 503, "try again")
    assert answer.headers["Retry-After"] == "1"
    assert service.call("GET", f"{SEARCH}/{context}/status").status_code == 200


# Smaller ones: messages and statuses --------------------------------------------------------


def test_a_nan_threshold_is_refused_as_not_a_number(service: Service) -> None:
    context = service.create_context()

    answer = service.call("GET", f"{SEARCH}/{context}/findDuplicates",
                          params={"similarityThreshold": "nan"})

    message = assert_error(answer, 400, "similarityThreshold")
    assert "finite number" in message


def test_a_very_long_context_id_is_not_echoed_whole(service: Service) -> None:
    answer = service.call("GET", f"{SEARCH}/{'c' * 5000}/status")

    message = assert_error(answer, 400, "searchContextId", "200 characters")
    assert len(message) < 300


def test_an_indexed_image_whose_file_is_gone_is_a_404(service: Service) -> None:
    context = service.create_context()
    service.index_folder(context, "FindSimilar")
    (service.storage / "FindSimilar/4.jpg").unlink()

    gone = service.call("GET", f"{SEARCH}/{context}/image", params={"imageId": "FindSimilar/4.jpg"})
    kept = service.call("GET", f"{SEARCH}/{context}/image", params={"imageId": "FindSimilar/5.jpg"})

    assert_error(gone, 404, "'FindSimilar/4.jpg'", "no longer in storage")
    assert kept.content == (service.storage / "FindSimilar/5.jpg").read_bytes()


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_a_folder_named_through_a_link_keeps_the_real_ids(service: Service) -> None:
    context = service.create_context()
    os.symlink("FindSimilar", service.storage / "alias")

    service.index_folder(context, "alias")
    ids = service.call("GET", f"{SEARCH}/{context}/images").json()["imageIds"]

    assert sorted(ids) == sorted(f"FindSimilar/{n}.jpg" for n in range(1, 11))


def test_a_stalled_body_is_dropped_with_a_408(make_service: Any) -> None:
    """A client that declares 1000 bytes and sends 3 would otherwise hold its connection."""
    import socket

    service: Service = make_service(body_idle_timeout_s=0.5)
    context = service.create_context()
    host, port = service.url.removeprefix("http://").split(":")
    token = service.session.headers["Authorization"]
    request = (f"POST {SEARCH}/{context}/addTag?tagName=t HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Authorization: {token}\r\nContent-Length: 1000\r\n\r\nabc").encode()

    with socket.create_connection((host, int(port)), timeout=10) as client:
        client.sendall(request)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"stalled" in body and b"after 3 bytes of the 1000 declared" in body
    assert service.call("GET", f"{SEARCH}/{context}/tags").json()["tags"] == []
