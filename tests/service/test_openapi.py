"""The published OpenAPI description: every operation once, named as the official SDK names it."""

from __future__ import annotations

import asposeimagingcloud

from tests.service.conftest import Service

SDK_OPERATIONS = {
    "add_search_image", "compare_images", "create_image_features", "create_image_search",
    "create_image_tag", "delete_image_features", "delete_image_search", "delete_search_image",
    "extract_image_features", "find_image_duplicates", "find_images_by_tags",
    "find_similar_images", "get_image_features", "get_image_search_status", "get_search_image",
    "update_image_features", "update_search_image",
    "copy_file", "copy_folder", "create_folder", "delete_file", "delete_folder", "download_file",
    "get_disc_usage", "get_file_versions", "get_files_list", "move_file", "move_folder",
    "object_exists", "storage_exists", "upload_file",
}
EXTENSIONS = {"list_image_tags", "list_search_images", "cancel_image_features", "issue_token"}


def test_openapi_lists_every_operation_under_its_sdk_name(service: Service) -> None:
    response = service.call("GET", "/openapi.json")

    assert response.status_code == 200
    document = response.json()
    operations = {
        (method.upper(), path): spec["operationId"]
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    }
    names = set(operations.values())
    assert names == SDK_OPERATIONS | EXTENSIONS
    assert all(hasattr(asposeimagingcloud.ImagingApi, name) for name in SDK_OPERATIONS)
    assert operations[("GET", "/v3.0/imaging/ai/imageSearch/{searchContextId}/findSimilar")] \
        == "find_similar_images"
    assert operations[("PUT", "/v3.0/imaging/storage/file/{path}")] == "upload_file"
    assert not any(path.startswith("/v3/") for _, path in operations)
    find_similar = document["paths"]["/v3.0/imaging/ai/imageSearch/{searchContextId}/findSimilar"]
    parameters = {p["name"] for p in find_similar["get"]["parameters"]}
    assert parameters == {"searchContextId", "similarityThreshold", "maxCount", "imageId"}


def test_no_page_that_loads_scripts_from_the_internet(service: Service) -> None:
    assert service.call("GET", "/docs").status_code == 404
    assert service.call("GET", "/redoc").status_code == 404
