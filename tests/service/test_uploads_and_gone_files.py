"""Over HTTP: a folder scan keeps an uploaded image; a file deleted after indexing is not found.

Service findings 15 (PUT image undone by the next scan) and 18 (download 400, still found).
"""

from __future__ import annotations

from tests.service.conftest import SEARCH, Service, assert_error


def test_an_image_updated_by_upload_survives_the_next_folder_scan(service: Service) -> None:
    context = service.create_context()
    service.index_folder(context, "FindSimilar")
    uploaded = (service.storage / "FindSimilar/7.jpg").read_bytes()
    update = service.call("PUT", f"{SEARCH}/{context}/image",
                          params={"imageId": "FindSimilar/2.jpg"}, data=uploaded)
    assert update.status_code == 200, update.text

    status = service.index_folder(context, "FindSimilar")
    compared = service.call("POST", f"{SEARCH}/{context}/compare",
                            params={"imageId1": "FindSimilar/2.jpg",
                                    "imageId2": "FindSimilar/7.jpg"})
    download = service.call("GET", f"{SEARCH}/{context}/image",
                            params={"imageId": "FindSimilar/2.jpg"})

    assert compared.json()["results"] == [{"imageId": "FindSimilar/7.jpg", "similarity": 100.0}]
    assert download.content == uploaded
    assert status["progress"]["skipped"] == 10


def test_a_file_deleted_after_indexing_is_a_404_and_no_longer_found(service: Service) -> None:
    context = service.create_context()
    service.index_folder(context, "FindSimilar")
    query = (service.storage / "FindSimilar/4.jpg").read_bytes()
    (service.storage / "FindSimilar/4.jpg").unlink()

    download = service.call("GET", f"{SEARCH}/{context}/image",
                            params={"imageId": "FindSimilar/4.jpg"})
    similar = service.call("GET", f"{SEARCH}/{context}/findSimilar",
                           params={"similarityThreshold": 90, "maxCount": 5}, data=query)

    assert_error(download, 404, "'FindSimilar/4.jpg'", "no longer in storage")
    assert similar.status_code == 200, similar.text
    assert "FindSimilar/4.jpg" not in [r["imageId"] for r in similar.json()["results"]]
