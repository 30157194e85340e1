"""Every operation of the official SDK against our service, on Aspose's own sample images.

The SDK reads our answers with its own models: if a field name, a casing or a status were wrong,
its values would come back as None or it would raise.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from asposeimagingcloud.models import requests as sdk_requests
from asposeimagingcloud.rest import ApiException

from lookalike.engine import Engine
from lookalike.service.app import create_app
from lookalike.service.server import ServerThread
from tests.sdk.conftest import CLIENT_ID, Setup, close_api, make_api

TIMEOUT = 60

# The SDK calls urllib3's deprecated getheader() to name downloads. pyproject's filter names the
# module "aspose_imaging_cloud", but it is "asposeimagingcloud": ignore it here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:HTTPResponse.getheader:DeprecationWarning:asposeimagingcloud.rest"
)


def new_context(api: Any) -> str:
    status = api.create_image_search(sdk_requests.CreateImageSearchRequest())
    assert status.search_status == "Idle"
    return str(status.id)


def wait_idle(api: Any, context_id: str) -> Any:
    """Poll as Aspose's examples do, right after the extraction request was answered."""
    deadline = time.monotonic() + TIMEOUT
    status = api.get_image_search_status(sdk_requests.GetImageSearchStatusRequest(context_id))
    while status.search_status != "Idle" and time.monotonic() < deadline:
        time.sleep(0.1)
        status = api.get_image_search_status(
            sdk_requests.GetImageSearchStatusRequest(context_id))
    assert status.search_status == "Idle"
    return status


def index_find_similar(api: Any) -> str:
    context_id = new_context(api)
    api.create_image_features(sdk_requests.CreateImageFeaturesRequest(
        context_id, images_folder="FindSimilar"))
    wait_idle(api, context_id)
    return context_id


def similar(api: Any, context_id: str, image_id: str, max_count: int = 10) -> list[Any]:
    found = api.find_similar_images(sdk_requests.FindSimilarImagesRequest(
        context_id, 0, max_count, image_id=image_id))
    return list(found.results)


def test_context_create_status_delete(sdk: Setup) -> None:
    context_id = new_context(sdk.api)

    status = sdk.api.get_image_search_status(
        sdk_requests.GetImageSearchStatusRequest(context_id))
    sdk.api.delete_image_search(sdk_requests.DeleteImageSearchRequest(context_id))

    assert status.id == context_id
    assert status.search_status == "Idle"
    with pytest.raises(ApiException) as raised:
        sdk.api.get_image_search_status(sdk_requests.GetImageSearchStatusRequest(context_id))
    assert raised.value.code == 404
    assert raised.value.error.code == "NotFound"
    assert context_id in raised.value.error.message
    assert raised.value.error.inner_error.request_id
    assert raised.value.error.inner_error._date.year >= 2025


def test_search_images_add_get_update_delete(sdk: Setup) -> None:
    context_id = new_context(sdk.api)
    api = sdk.api

    api.add_search_image(sdk_requests.AddSearchImageRequest(context_id, "FindSimilar/3.jpg"))
    api.add_search_image(sdk_requests.AddSearchImageRequest(
        context_id, "uploaded/comparable.jpg",
        image_data=str(sdk.storage / "ComparableImage.jpg")))
    saved = api.get_search_image(sdk_requests.GetSearchImageRequest(
        context_id, "uploaded/comparable.jpg"))

    assert Path(saved).name == "comparable.jpg"
    assert Path(saved).read_bytes() == (sdk.storage / "ComparableImage.jpg").read_bytes()

    api.update_search_image(sdk_requests.UpdateSearchImageRequest(
        context_id, "uploaded/comparable.jpg",
        image_data=str(sdk.storage / "FindSimilar/5.jpg")))
    again = api.get_search_image(sdk_requests.GetSearchImageRequest(
        context_id, "uploaded/comparable.jpg"))
    assert Path(again).read_bytes() == (sdk.storage / "FindSimilar/5.jpg").read_bytes()

    api.delete_search_image(sdk_requests.DeleteSearchImageRequest(context_id, "FindSimilar/3.jpg"))
    with pytest.raises(ApiException) as raised:
        api.get_search_image(sdk_requests.GetSearchImageRequest(context_id, "FindSimilar/3.jpg"))
    assert raised.value.code == 404


def test_features_add_get_update_delete_extract(sdk: Setup) -> None:
    context_id = new_context(sdk.api)
    api = sdk.api

    api.create_image_features(sdk_requests.CreateImageFeaturesRequest(
        context_id, image_id="FindSimilar/4.jpg"))
    api.create_image_features(sdk_requests.CreateImageFeaturesRequest(
        context_id, image_id="up/6.jpg", image_data=str(sdk.storage / "FindSimilar/6.jpg")))
    stored = api.get_image_features(sdk_requests.GetImageFeaturesRequest(
        context_id, "FindSimilar/4.jpg"))
    extracted = api.extract_image_features(sdk_requests.ExtractImageFeaturesRequest(
        context_id, "FindSimilar/4.jpg"))

    assert stored.image_id == "FindSimilar/4.jpg"
    assert stored.features_count > 0
    assert stored.feature_length_in_bits == 256
    assert base64.b64decode(stored.features) == base64.b64decode(extracted.features)

    api.update_image_features(sdk_requests.UpdateImageFeaturesRequest(
        context_id, "up/6.jpg", image_data=str(sdk.storage / "FindSimilar/7.jpg")))
    assert similar(api, context_id, "FindSimilar/7.jpg", 1)[0].image_id == "up/6.jpg"

    api.delete_image_features(sdk_requests.DeleteImageFeaturesRequest(context_id, "up/6.jpg"))
    with pytest.raises(ApiException) as raised:
        api.get_image_features(sdk_requests.GetImageFeaturesRequest(context_id, "up/6.jpg"))
    assert raised.value.code == 404


def test_find_similar_ranks_the_edited_copy_first(sdk: Setup) -> None:
    context_id = index_find_similar(sdk.api)

    edited = similar(sdk.api, context_id, "ComparingImageSimilar75.jpg")
    identical = similar(sdk.api, context_id, "ComparableImage.jpg", 3)

    assert edited[0].image_id == "FindSimilar/2.jpg"
    assert edited[0].similarity >= 70
    assert all(other.similarity < edited[0].similarity for other in edited[1:])
    assert identical[0].image_id == "FindSimilar/2.jpg"
    assert identical[0].similarity == 100
    assert len(identical) <= 3


def test_compare_images(sdk: Setup) -> None:
    context_id = new_context(sdk.api)

    def compare(second: str | None = None, data: Path | None = None) -> Any:
        results = sdk.api.compare_images(sdk_requests.CompareImagesRequest(
            context_id, "ComparableImage.jpg", image_id2=second,
            image_data=None if data is None else str(data))).results
        assert len(results) == 1
        return results[0]

    edited = compare("ComparingImageSimilar75.jpg")
    unrelated = compare("FindSimilar/5.jpg")
    uploaded = compare(data=sdk.storage / "ComparingImageSimilar75.jpg")

    assert edited.image_id == "ComparingImageSimilar75.jpg"
    assert edited.similarity >= 70
    assert unrelated.similarity < edited.similarity
    assert uploaded.similarity == edited.similarity


def test_find_duplicates(sdk: Setup) -> None:
    context_id = index_find_similar(sdk.api)
    sdk.api.add_search_image(sdk_requests.AddSearchImageRequest(
        context_id, "ComparableImage.jpg"))

    found = sdk.api.find_image_duplicates(sdk_requests.FindImageDuplicatesRequest(
        context_id, 90))

    groups = [sorted(r.image_id for r in group.duplicate_images) for group in found.duplicates]
    assert ["ComparableImage.jpg", "FindSimilar/2.jpg"] in groups


def test_tags_add_and_find(sdk: Setup) -> None:
    context_id = index_find_similar(sdk.api)

    sdk.api.create_image_tag(sdk_requests.CreateImageTagRequest(
        str(sdk.storage / "ComparingImageSimilar75.jpg"), context_id, "temple"))
    found = sdk.api.find_images_by_tags(sdk_requests.FindImagesByTagsRequest(
        json.dumps(["temple", "no such tag"]), context_id, 60, 5))

    assert found.results[0].image_id == "FindSimilar/2.jpg"
    assert all(r.similarity >= 60 for r in found.results)
    assert len(found.results) <= 5


def test_storage_files(sdk: Setup) -> None:
    api = sdk.api
    source = sdk.storage / "FindSimilar/8.jpg"

    uploaded = api.upload_file(sdk_requests.UploadFileRequest("Examples/eight.jpg", str(source)))
    exists = api.object_exists(sdk_requests.ObjectExistsRequest("Examples/eight.jpg"))
    saved = api.download_file(sdk_requests.DownloadFileRequest("Examples/eight.jpg"))
    versions = api.get_file_versions(sdk_requests.GetFileVersionsRequest("Examples/eight.jpg"))
    api.copy_file(sdk_requests.CopyFileRequest("Examples/eight.jpg", "Copies/8.jpg"))
    api.move_file(sdk_requests.MoveFileRequest("Copies/8.jpg", "Moved/8.jpg"))
    api.delete_file(sdk_requests.DeleteFileRequest("Examples/eight.jpg"))
    gone = api.object_exists(sdk_requests.ObjectExistsRequest("Examples/eight.jpg"))

    assert uploaded.uploaded == ["eight.jpg"]
    assert uploaded.errors == []
    assert exists.exists is True and exists.is_folder is False
    assert Path(saved).name == "eight.jpg"
    assert Path(saved).read_bytes() == source.read_bytes()
    assert versions.value[0].is_latest is True
    assert versions.value[0].size == source.stat().st_size
    assert (sdk.storage / "Moved/8.jpg").read_bytes() == source.read_bytes()
    assert not (sdk.storage / "Copies/8.jpg").exists()
    assert gone.exists is False


def test_storage_folders(sdk: Setup) -> None:
    api = sdk.api

    api.create_folder(sdk_requests.CreateFolderRequest("Work/Inner"))
    api.copy_folder(sdk_requests.CopyFolderRequest("FindSimilar", "Work/Copy"))
    api.move_folder(sdk_requests.MoveFolderRequest("Work/Copy", "Work/Moved"))
    listing = api.get_files_list(sdk_requests.GetFilesListRequest("Work"))
    moved = api.get_files_list(sdk_requests.GetFilesListRequest("Work/Moved"))
    with pytest.raises(ApiException) as not_empty:
        api.delete_folder(sdk_requests.DeleteFolderRequest("Work"))
    api.delete_folder(sdk_requests.DeleteFolderRequest("Work", recursive=True))
    usage = api.get_disc_usage(sdk_requests.GetDiscUsageRequest())
    storage = api.storage_exists(sdk_requests.StorageExistsRequest("First Storage"))

    assert [(f.name, f.is_folder) for f in listing.value] == [("Inner", True), ("Moved", True)]
    assert len(moved.value) == 10
    assert all(f.size > 0 and f.modified_date is not None for f in moved.value)
    assert not_empty.value.code == 409
    assert not (sdk.storage / "Work").exists()
    assert 0 < usage.used_size <= usage.total_size
    assert storage.exists is True


def test_web_site_features_are_refused(sdk: Setup) -> None:
    context_id = new_context(sdk.api)

    with pytest.raises(ApiException) as raised:
        sdk.api.create_web_site_image_features(sdk_requests.CreateWebSiteImageFeaturesRequest(
            context_id, "http://127.0.0.1:9/gallery"))

    assert raised.value.code == 501
    assert "offline" in raised.value.error.message


def test_a_bad_image_raises_an_sdk_error_naming_it(sdk: Setup, tmp_path: Path) -> None:
    context_id = new_context(sdk.api)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")

    with pytest.raises(ApiException) as raised:
        sdk.api.add_search_image(sdk_requests.AddSearchImageRequest(
            context_id, "broken.jpg", image_data=str(bad)))

    assert raised.value.code == 400
    assert "broken.jpg" in raised.value.error.message


def test_wrong_credentials_are_refused(sdk: Setup) -> None:
    api = make_api(sdk.url, CLIENT_ID, "not the secret", sdk.downloads)
    try:
        with pytest.raises(ApiException) as raised:
            api.create_image_search(sdk_requests.CreateImageSearchRequest())
    finally:
        close_api(api)

    assert raised.value.code == 401
    assert raised.value.error.code == "invalid_client"


def test_the_sdk_without_credentials_works_against_a_service_without_auth(
    engine: Engine, tmp_path: Path
) -> None:
    """The SDK still asks /connect/token (with empty credentials): an open service answers it."""
    storage = tmp_path / "storage"
    storage.mkdir()
    with ServerThread(create_app(engine, storage)) as server:
        api = make_api(server.url, "", "", tmp_path)
        try:
            status = api.create_image_search(sdk_requests.CreateImageSearchRequest())
            listing = api.get_files_list(sdk_requests.GetFilesListRequest(""))
        finally:
            close_api(api)

    assert status.search_status == "Idle"
    assert listing.value == []
