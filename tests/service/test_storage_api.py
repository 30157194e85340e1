"""The storage operations over plain HTTP, as the SDK and curl send them."""

from __future__ import annotations

from datetime import datetime

from tests.service.conftest import STORAGE, Service, assert_error


def test_upload_as_multipart_or_raw_then_download(service: Service) -> None:
    data = (service.storage / "FindSimilar/1.jpg").read_bytes()

    multipart = service.call("PUT", f"{STORAGE}/file/new%2Fone.jpg",
                             files={"file": ("one.jpg", data)})
    raw = service.call("PUT", f"{STORAGE}/file/new/two.jpg", data=data,
                       headers={"Content-Type": "application/octet-stream"})
    download = service.call("GET", f"{STORAGE}/file/new%2Ftwo.jpg")

    assert multipart.json() == {"uploaded": ["one.jpg"], "errors": []}
    assert raw.status_code == 200
    assert (service.storage / "new/one.jpg").read_bytes() == data
    assert download.content == data
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["content-disposition"].startswith('attachment; filename="two.jpg"')


def test_download_names_a_non_ascii_file_for_the_sdk(service: Service) -> None:
    (service.storage / "Tempel am Meer ä.jpg").write_bytes(b"jpeg bytes")

    response = service.call("GET", f"{STORAGE}/file/Tempel%20am%20Meer%20%C3%A4.jpg")

    assert response.content == b"jpeg bytes"
    disposition = response.headers["content-disposition"]
    assert 'filename="Tempel_am_Meer__.jpg"' in disposition
    assert "filename*=UTF-8''Tempel%20am%20Meer%20%C3%A4.jpg" in disposition


def test_download_delete_and_exists(service: Service) -> None:
    exists = service.call("GET", f"{STORAGE}/exist/FindSimilar%2F1.jpg")
    folder = service.call("GET", f"{STORAGE}/exist/FindSimilar")
    deleted = service.call("DELETE", f"{STORAGE}/file/FindSimilar%2F1.jpg")
    after = service.call("GET", f"{STORAGE}/exist/FindSimilar%2F1.jpg")
    missing = service.call("GET", f"{STORAGE}/file/FindSimilar%2F1.jpg")

    assert exists.json() == {"exists": True, "isFolder": False}
    assert folder.json() == {"exists": True, "isFolder": True}
    assert deleted.status_code == 200
    assert after.json() == {"exists": False, "isFolder": False}
    assert_error(missing, 404, "FindSimilar/1.jpg")
    assert_error(service.call("DELETE", f"{STORAGE}/file/FindSimilar%2F1.jpg"), 404)


def test_folders_create_list_delete(service: Service) -> None:
    created = service.call("PUT", f"{STORAGE}/folder/a%2Fb%2Fc")
    service.call("PUT", f"{STORAGE}/file/a%2Fb%2Fx.jpg", data=b"123")
    listing = service.call("GET", f"{STORAGE}/folder/a%2Fb").json()["value"]
    not_empty = service.call("DELETE", f"{STORAGE}/folder/a")
    recursive = service.call("DELETE", f"{STORAGE}/folder/a", params={"recursive": "True"})

    assert created.status_code == 200
    assert [(e["name"], e["isFolder"], e["size"], e["path"]) for e in listing] == [
        ("c", True, 0, "/a/b/c"), ("x.jpg", False, 3, "/a/b/x.jpg")]
    assert datetime.fromisoformat(listing[1]["modifiedDate"].replace("Z", "+00:00"))
    assert_error(not_empty, 409, "recursive")
    assert recursive.status_code == 200
    assert not (service.storage / "a").exists()
    assert_error(service.call("GET", f"{STORAGE}/folder/a"), 404, "'a'")


def test_copy_and_move_files_and_folders(service: Service) -> None:
    copy_file = service.call("PUT", f"{STORAGE}/file/copy/ComparableImage.jpg",
                             params={"destPath": "copies/c.jpg"})
    move_file = service.call("PUT", f"{STORAGE}/file/move/copies%2Fc.jpg",
                             params={"destPath": "moved/m.jpg"})
    copy_folder = service.call("PUT", f"{STORAGE}/folder/copy/FindSimilar",
                               params={"destPath": "Similar2"})
    move_folder = service.call("PUT", f"{STORAGE}/folder/move/Similar2",
                               params={"destPath": "Similar3"})

    for response in (copy_file, move_file, copy_folder, move_folder):
        assert response.status_code == 200, response.text
    original = (service.storage / "ComparableImage.jpg").read_bytes()
    assert (service.storage / "moved/m.jpg").read_bytes() == original
    assert not (service.storage / "copies/c.jpg").exists()
    assert len(list((service.storage / "Similar3").iterdir())) == 10
    assert not (service.storage / "Similar2").exists()
    assert_error(service.call("PUT", f"{STORAGE}/file/copy/nothing.jpg",
                              params={"destPath": "x.jpg"}), 404, "nothing.jpg")


def test_versions_disc_usage_and_storage_exists(service: Service) -> None:
    versions = service.call("GET", f"{STORAGE}/version/ComparableImage.jpg").json()["value"]
    disc = service.call("GET", f"{STORAGE}/disc").json()
    storage = service.call("GET", f"{STORAGE}/First%20Storage/exist").json()

    size = (service.storage / "ComparableImage.jpg").stat().st_size
    assert [(v["name"], v["size"], v["isLatest"], v["path"]) for v in versions] == [
        ("ComparableImage.jpg", size, True, "/ComparableImage.jpg")]
    assert 0 < disc["usedSize"] <= disc["totalSize"]
    assert storage == {"exists": True}


def test_upload_without_data_is_400(service: Service) -> None:
    response = service.call("PUT", f"{STORAGE}/file/empty.jpg")

    assert_error(response, 400, "empty.jpg")


def test_the_root_and_self_nesting_are_refused(service: Service) -> None:
    delete_root = service.call("DELETE", f"{STORAGE}/folder/", params={"recursive": "true"})
    into_itself = service.call("PUT", f"{STORAGE}/folder/copy/FindSimilar",
                               params={"destPath": "FindSimilar/inner"})
    file_as_folder = service.call("PUT", f"{STORAGE}/folder/ComparableImage.jpg")
    folder_as_file = service.call("DELETE", f"{STORAGE}/file/FindSimilar")

    assert_error(delete_root, 409, "root")
    assert_error(into_itself, 409, "inside itself")
    assert_error(file_as_folder, 409, "is a file")
    assert_error(folder_as_file, 409, "is a folder")
    assert len(list((service.storage / "FindSimilar").iterdir())) == 10
