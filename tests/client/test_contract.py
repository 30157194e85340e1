"""Our client sends what the official Aspose SDK (25.4) sends, call for call.

Both talk to the same recording server; for each operation we compare the method, the raw path,
the query, the bearer token and the multipart fields (names and content). Where the SDK reads a
response, its parsed values must equal ours.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from asposeimagingcloud.models import requests as sdk

from lookalike.client import ImagingClient
from tests.client.conftest import CLIENT_ID, CLIENT_SECRET, EXAMPLES
from tests.client.recorder import FEATURES, TOKEN, Recorded, RecordingServer

CTX = "ctx 1/é"  # a context id with characters that need quoting
IMAGE_ID = "Photos/my cat é+1.jpg"
OTHER_ID = "Photos/other.jpg"
FOLDER = "Photos/2026 trip"
TAGS = ["temple", "sea side"]

# The SDK calls urllib3's deprecated getheader() on file downloads. (pyproject's filter names the
# module "aspose_imaging_cloud"; the SDK's module is "asposeimagingcloud".)
pytestmark = pytest.mark.filterwarnings(
    "ignore:HTTPResponse.getheader:DeprecationWarning:asposeimagingcloud"
)


@dataclass(frozen=True)
class Case:
    sdk_call: Callable[[Any, str], Any]  # (ImagingApi, path of the image file) -> result
    our_call: Callable[[ImagingClient, bytes], Any]  # (client, image bytes) -> result
    # Maps each side's result to comparable plain values; None when there is nothing to compare.
    sdk_view: Callable[[Any], Any] | None = None
    our_view: Callable[[Any], Any] | None = None
    # The SDK silently drops multipart data on GET requests (urllib3 encodes GET fields into
    # the URL and ignores the body); Aspose documents image data for these, so we send it.
    sdk_drops_image: bool = False


def results(sdk_set: Any) -> list[tuple[str, float]]:
    return [(r.image_id, r.similarity) for r in sdk_set.results]


def our_results(found: list[Any]) -> list[tuple[str, float]]:
    return [(r.image_id, r.similarity) for r in found]


def sdk_status(status: Any) -> tuple[str, str]:
    return status.id, status.search_status


def our_status(status: Any) -> tuple[str, str]:
    return status.context_id, status.status


def sdk_features(features: Any) -> tuple[Any, ...]:
    import base64

    return (features.image_id, features.features_count, features.feature_length_in_bits,
            base64.b64decode(features.features))


def our_features(features: Any) -> tuple[Any, ...]:
    return (features.image_id, features.features_count, features.feature_length_in_bits,
            features.features)


def read_file(path: str) -> bytes:
    return Path(path).read_bytes()


CASES: dict[str, Case] = {
    "create_search_context": Case(
        lambda api, img: api.create_image_search(sdk.CreateImageSearchRequest()),
        lambda c, data: c.create_search_context(),
        sdk_status, our_status,
    ),
    "get_search_context_status": Case(
        lambda api, img: api.get_image_search_status(sdk.GetImageSearchStatusRequest(CTX)),
        lambda c, data: c.get_search_context_status(CTX),
        sdk_status, our_status,
    ),
    "delete_search_context": Case(
        lambda api, img: api.delete_image_search(sdk.DeleteImageSearchRequest(CTX)),
        lambda c, data: c.delete_search_context(CTX),
    ),
    "create_search_image with data": Case(
        lambda api, img: api.add_search_image(
            sdk.AddSearchImageRequest(CTX, IMAGE_ID, image_data=img)),
        lambda c, data: c.create_search_image(CTX, IMAGE_ID, data),
    ),
    "create_search_image from storage": Case(
        lambda api, img: api.add_search_image(sdk.AddSearchImageRequest(CTX, IMAGE_ID)),
        lambda c, data: c.create_search_image(CTX, IMAGE_ID),
    ),
    "update_search_image": Case(
        lambda api, img: api.update_search_image(
            sdk.UpdateSearchImageRequest(CTX, IMAGE_ID, image_data=img)),
        lambda c, data: c.update_search_image(CTX, IMAGE_ID, data),
    ),
    "update_search_image from storage": Case(
        lambda api, img: api.update_search_image(sdk.UpdateSearchImageRequest(CTX, IMAGE_ID)),
        lambda c, data: c.update_search_image(CTX, IMAGE_ID),
    ),
    "get_search_image": Case(
        lambda api, img: api.get_search_image(sdk.GetSearchImageRequest(CTX, IMAGE_ID)),
        lambda c, data: c.get_search_image(CTX, IMAGE_ID),
        read_file, lambda data: data,
    ),
    "delete_search_image": Case(
        lambda api, img: api.delete_search_image(sdk.DeleteSearchImageRequest(CTX, IMAGE_ID)),
        lambda c, data: c.delete_search_image(CTX, IMAGE_ID),
    ),
    "create_image_features with data": Case(
        lambda api, img: api.create_image_features(
            sdk.CreateImageFeaturesRequest(CTX, image_data=img, image_id=IMAGE_ID)),
        lambda c, data: c.create_image_features(CTX, image_id=IMAGE_ID, data=data),
    ),
    "create_image_features from storage": Case(
        lambda api, img: api.create_image_features(
            sdk.CreateImageFeaturesRequest(CTX, image_id=IMAGE_ID)),
        lambda c, data: c.create_image_features(CTX, image_id=IMAGE_ID),
    ),
    "create_image_features for a folder": Case(
        lambda api, img: api.create_image_features(
            sdk.CreateImageFeaturesRequest(CTX, images_folder=FOLDER)),
        lambda c, data: c.create_image_features(CTX, images_folder=FOLDER),
    ),
    "get_image_features": Case(
        lambda api, img: api.get_image_features(sdk.GetImageFeaturesRequest(CTX, IMAGE_ID)),
        lambda c, data: c.get_image_features(CTX, IMAGE_ID),
        sdk_features, our_features,
    ),
    "update_image_features": Case(
        lambda api, img: api.update_image_features(
            sdk.UpdateImageFeaturesRequest(CTX, IMAGE_ID, image_data=img)),
        lambda c, data: c.update_image_features(CTX, IMAGE_ID, data),
    ),
    "update_image_features from storage": Case(
        lambda api, img: api.update_image_features(
            sdk.UpdateImageFeaturesRequest(CTX, IMAGE_ID)),
        lambda c, data: c.update_image_features(CTX, IMAGE_ID),
    ),
    "delete_image_features": Case(
        lambda api, img: api.delete_image_features(
            sdk.DeleteImageFeaturesRequest(CTX, IMAGE_ID)),
        lambda c, data: c.delete_image_features(CTX, IMAGE_ID),
    ),
    "extract_image_features from storage": Case(
        lambda api, img: api.extract_image_features(
            sdk.ExtractImageFeaturesRequest(CTX, IMAGE_ID)),
        lambda c, data: c.extract_image_features(CTX, image_id=IMAGE_ID),
        sdk_features, our_features,
    ),
    "extract_image_features with data": Case(
        lambda api, img: api.extract_image_features(
            sdk.ExtractImageFeaturesRequest(CTX, IMAGE_ID, image_data=img)),
        lambda c, data: c.extract_image_features(CTX, data, image_id=IMAGE_ID),
        sdk_features, our_features, sdk_drops_image=True,
    ),
    "add_tag": Case(
        lambda api, img: api.create_image_tag(sdk.CreateImageTagRequest(img, CTX, "temple")),
        lambda c, data: c.add_tag(CTX, "temple", data),
    ),
    "find_by_tags": Case(
        lambda api, img: api.find_images_by_tags(
            sdk.FindImagesByTagsRequest(json.dumps(TAGS), CTX, 80.0, 5)),
        lambda c, data: c.find_by_tags(CTX, TAGS, threshold=80.0, max_count=5),
        results, our_results,
    ),
    "find_similar by id": Case(
        lambda api, img: api.find_similar_images(
            sdk.FindSimilarImagesRequest(CTX, 70, 3, image_id=IMAGE_ID)),
        lambda c, data: c.find_similar(CTX, image_id=IMAGE_ID, threshold=70, max_count=3),
        results, our_results,
    ),
    "find_similar with data": Case(
        lambda api, img: api.find_similar_images(
            sdk.FindSimilarImagesRequest(CTX, 70.5, 3, image_data=img)),
        lambda c, data: c.find_similar(CTX, data=data, threshold=70.5, max_count=3),
        results, our_results, sdk_drops_image=True,
    ),
    "find_duplicates": Case(
        lambda api, img: api.find_image_duplicates(sdk.FindImageDuplicatesRequest(CTX, 90)),
        lambda c, data: c.find_duplicates(CTX, threshold=90),
        lambda s: [[(r.image_id, r.similarity) for r in g.duplicate_images]
                   for g in s.duplicates],
        lambda groups: [[(r.image_id, r.similarity) for r in g.images] for g in groups],
    ),
    "compare two ids": Case(
        lambda api, img: api.compare_images(
            sdk.CompareImagesRequest(CTX, IMAGE_ID, image_id2=OTHER_ID)),
        lambda c, data: c.compare(CTX, IMAGE_ID, image_id2=OTHER_ID),
        lambda s: s.results[0].similarity, lambda similarity: similarity,
    ),
    "compare with data": Case(
        lambda api, img: api.compare_images(
            sdk.CompareImagesRequest(CTX, IMAGE_ID, image_data=img)),
        lambda c, data: c.compare(CTX, IMAGE_ID, data=data),
        lambda s: s.results[0].similarity, lambda similarity: similarity,
    ),
    "upload_file": Case(
        lambda api, img: api.upload_file(sdk.UploadFileRequest(f"{FOLDER}/query.jpg", img)),
        lambda c, data: c.upload_file(f"{FOLDER}/query.jpg", data),
    ),
    "download_file": Case(
        lambda api, img: api.download_file(sdk.DownloadFileRequest(f"{FOLDER}/a.jpg")),
        lambda c, data: c.download_file(f"{FOLDER}/a.jpg"),
        read_file, lambda data: data,
    ),
    "delete_file": Case(
        lambda api, img: api.delete_file(sdk.DeleteFileRequest(f"{FOLDER}/a.jpg")),
        lambda c, data: c.delete_file(f"{FOLDER}/a.jpg"),
    ),
    "object_exists": Case(
        lambda api, img: api.object_exists(sdk.ObjectExistsRequest(f"{FOLDER}/a.jpg")),
        lambda c, data: c.object_exists(f"{FOLDER}/a.jpg"),
        lambda s: s.exists, lambda exists: exists,
    ),
    "create_folder": Case(
        lambda api, img: api.create_folder(sdk.CreateFolderRequest(FOLDER)),
        lambda c, data: c.create_folder(FOLDER),
    ),
    "delete_folder, not recursive": Case(
        lambda api, img: api.delete_folder(sdk.DeleteFolderRequest(FOLDER)),
        lambda c, data: c.delete_folder(FOLDER),
    ),
    "delete_folder": Case(
        lambda api, img: api.delete_folder(sdk.DeleteFolderRequest(FOLDER, recursive=True)),
        lambda c, data: c.delete_folder(FOLDER, recursive=True),
    ),
    "list_folder": Case(
        lambda api, img: api.get_files_list(sdk.GetFilesListRequest(FOLDER)),
        lambda c, data: c.list_folder(FOLDER),
        lambda s: [(f.name, f.path, f.is_folder, f.size, f.modified_date) for f in s.value],
        lambda files: [(f.name, f.path, f.is_folder, f.size, f.modified) for f in files],
    ),
}


def only_request(recorder: RecordingServer) -> Recorded:
    sent = recorder.api_requests()
    assert len(sent) == 1, [r.target for r in sent]
    return sent[0]


@pytest.fixture
def image_file(tmp_path: Path) -> Path:
    path = tmp_path / "query.jpg"
    path.write_bytes((EXAMPLES / "ComparableImage.jpg").read_bytes())
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_client_sends_what_the_sdk_sends(
    name: str, recorder: RecordingServer, sdk_api: Any, make_client: Any, image_file: Path
) -> None:
    case = CASES[name]
    image = image_file.read_bytes()

    sdk_result = case.sdk_call(sdk_api, str(image_file))
    sdk_request = only_request(recorder)
    recorder.clear()
    our_result = case.our_call(make_client(recorder.url), image)
    ours = only_request(recorder)

    assert ours.method == sdk_request.method
    assert ours.path == sdk_request.path  # raw, so the quoting is compared too
    assert ours.query == sdk_request.query
    assert ours.headers["authorization"] == sdk_request.headers["authorization"]
    assert ours.headers["authorization"] == f"Bearer {TOKEN}"

    sdk_form, our_form = sdk_request.form(), ours.form()
    if case.sdk_drops_image:
        assert sdk_form == {}
        assert our_form == {"imageData": image}
    else:
        assert our_form == sdk_form
    if our_form:
        assert ours.content_type.startswith("multipart/form-data")

    if case.sdk_view is not None:
        assert case.our_view is not None
        assert case.our_view(our_result) == case.sdk_view(sdk_result)


def test_image_and_tags_fields_carry_the_data(
    recorder: RecordingServer, make_client: Any
) -> None:
    """Beyond equality with the SDK: the fields hold exactly our bytes and a JSON array."""
    client = make_client(recorder.url)
    client.add_tag(CTX, "temple", b"\x00\xffbytes")
    client.find_by_tags(CTX, TAGS, threshold=0, max_count=10, match_all=True)
    add_tag, find = recorder.api_requests()
    assert add_tag.form() == {"imageData": b"\x00\xffbytes"}
    assert add_tag.query == {"tagName": ["temple"]}
    assert json.loads(find.form()["tags"]) == TAGS
    assert find.query == {"similarityThreshold": ["0"], "maxCount": ["10"], "matchAll": ["True"]}


def test_token_request_matches_the_sdk(
    recorder: RecordingServer, sdk_api: Any, make_client: Any
) -> None:
    sdk_api.get_image_search_status(sdk.GetImageSearchStatusRequest(CTX))
    (sdk_token,) = recorder.token_requests()
    recorder.clear()
    make_client(recorder.url).get_search_context_status(CTX)
    (our_token,) = recorder.token_requests()

    assert (our_token.method, our_token.path) == (sdk_token.method, sdk_token.path)
    assert our_token.path == "/connect/token"
    assert our_token.content_type.startswith("application/x-www-form-urlencoded")
    assert our_token.form() == sdk_token.form() == {
        "grant_type": b"client_credentials",
        "client_id": CLIENT_ID.encode(),
        "client_secret": CLIENT_SECRET.encode(),
    }


def test_api_calls_go_under_the_api_version(recorder: RecordingServer, make_client: Any) -> None:
    make_client(recorder.url, api_version="v3.0").get_search_context_status("c")
    make_client(recorder.url + "/", api_version="/v4.0/").get_search_context_status("c")
    assert [r.path for r in recorder.api_requests()] == [
        "/v3.0/imaging/ai/imageSearch/c/status",
        "/v4.0/imaging/ai/imageSearch/c/status",
    ]


def test_without_credentials_no_token_is_fetched(
    recorder: RecordingServer, make_client: Any
) -> None:
    client = make_client(recorder.url, client_id=None, client_secret=None)
    assert client.get_search_context_status("c").status == "Idle"
    assert recorder.token_requests() == []
    assert "authorization" not in recorder.api_requests()[0].headers


def test_features_blob_is_decoded(recorder: RecordingServer, make_client: Any) -> None:
    features = make_client(recorder.url).get_image_features(CTX, IMAGE_ID)
    assert features.features == FEATURES
    assert features.feature_length_in_bits == 8 * len(FEATURES)
