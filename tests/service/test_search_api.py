"""Every imageSearch operation over plain HTTP: paths, parameters, casing, status codes."""

from __future__ import annotations

import base64
import json

from tests.service.conftest import SEARCH, Service, assert_error


def find_similar(service: Service, context_id: str, **params: object) -> list[dict[str, object]]:
    params.setdefault("similarityThreshold", 0)
    params.setdefault("maxCount", 10)
    response = service.call("GET", f"{SEARCH}/{context_id}/findSimilar", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def test_create_status_and_delete_a_context(service: Service) -> None:
    created = service.call("POST", f"{SEARCH}/create")

    assert created.status_code == 200
    body = created.json()
    assert body["searchStatus"] == "Idle"
    context_id = body["id"]
    status = service.call("GET", f"{SEARCH}/{context_id}/status").json()
    assert status["id"] == context_id
    assert status["progress"] == {"done": 0, "total": 0, "failed": [], "skipped": 0,
                                  "cancelled": False}

    deleted = service.call("DELETE", f"{SEARCH}/{context_id}")
    assert deleted.status_code == 200
    gone = service.call("GET", f"{SEARCH}/{context_id}/status")
    assert_error(gone, 404, context_id)


def test_add_get_update_and_delete_an_image_from_storage(service: Service) -> None:
    context_id = service.create_context()
    image = f"{SEARCH}/{context_id}/image"
    original = (service.storage / "FindSimilar" / "3.jpg").read_bytes()

    added = service.call("POST", image, params={"imageId": "FindSimilar/3.jpg"})
    fetched = service.call("GET", image, params={"imageId": "FindSimilar/3.jpg"})

    assert added.status_code == 200, added.text
    assert fetched.status_code == 200
    assert fetched.content == original
    assert fetched.headers["content-type"] == "image/jpeg"
    assert 'filename="3.jpg"' in fetched.headers["content-disposition"]

    replacement = (service.storage / "FindSimilar" / "4.jpg").read_bytes()
    updated = service.call("PUT", image, params={"imageId": "FindSimilar/3.jpg"},
                           files={"imageData": ("4.jpg", replacement)})
    assert updated.status_code == 200, updated.text
    assert service.call("GET", image, params={"imageId": "FindSimilar/3.jpg"}).content \
        == replacement

    assert service.call("DELETE", image, params={"imageId": "FindSimilar/3.jpg"}).status_code \
        == 200
    assert_error(service.call("GET", image, params={"imageId": "FindSimilar/3.jpg"}), 404,
                 "FindSimilar/3.jpg")


def test_images_upload_as_multipart_or_raw_body(service: Service) -> None:
    context_id = service.create_context()
    data = (service.storage / "ComparableImage.jpg").read_bytes()

    multipart = service.call("POST", f"{SEARCH}/{context_id}/image",
                             params={"imageId": "up/multipart.jpg"},
                             files={"imageData": ("whatever.jpg", data)})
    raw = service.call("POST", f"{SEARCH}/{context_id}/image", params={"imageId": "up/raw.jpg"},
                       data=data, headers={"Content-Type": "application/octet-stream"})

    assert multipart.status_code == raw.status_code == 200
    listed = service.call("GET", f"{SEARCH}/{context_id}/images").json()
    assert listed == {"imageIds": ["up/multipart.jpg", "up/raw.jpg"]}
    results = find_similar(service, context_id, imageId="up/raw.jpg")
    assert {r["imageId"] for r in results} == {"up/multipart.jpg", "up/raw.jpg"}
    assert all(r["similarity"] >= 99 for r in results)


def test_updating_a_missing_image_is_404(service: Service) -> None:
    context_id = service.create_context()

    response = service.call("PUT", f"{SEARCH}/{context_id}/image",
                            params={"imageId": "FindSimilar/1.jpg"})

    assert_error(response, 404, "FindSimilar/1.jpg")


def test_features_add_get_update_delete(service: Service) -> None:
    context_id = service.create_context()
    features = f"{SEARCH}/{context_id}/features"

    assert service.call("POST", features, params={"imageId": "FindSimilar/5.jpg"}) \
        .status_code == 200
    got = service.call("GET", features, params={"imageId": "FindSimilar/5.jpg"})

    assert got.status_code == 200
    body = got.json()
    assert body["imageId"] == "FindSimilar/5.jpg"
    assert body["featuresCount"] > 0
    assert body["featureLengthInBits"] == 256
    blob = base64.b64decode(body["features"])
    assert len(blob) > body["featuresCount"] * 32

    updated = service.call("PUT", features, params={"imageId": "FindSimilar/5.jpg"})
    assert updated.status_code == 200
    assert find_similar(service, context_id, imageId="FindSimilar/5.jpg")[0]["imageId"] \
        == "FindSimilar/5.jpg"

    assert service.call("DELETE", features, params={"imageId": "FindSimilar/5.jpg"}) \
        .status_code == 200
    assert_error(service.call("GET", features, params={"imageId": "FindSimilar/5.jpg"}), 404)
    query = (service.storage / "FindSimilar" / "5.jpg").read_bytes()
    found = service.call("GET", f"{SEARCH}/{context_id}/findSimilar",
                         params={"similarityThreshold": 0, "maxCount": 5},
                         files={"imageData": ("q.jpg", query)})
    assert found.json() == {"results": []}


def test_image2features_of_storage_file_and_upload_agree(service: Service) -> None:
    context_id = service.create_context()
    data = (service.storage / "FindSimilar" / "7.jpg").read_bytes()

    from_storage = service.call("GET", f"{SEARCH}/{context_id}/image2features",
                                params={"imageId": "FindSimilar/7.jpg"})
    from_upload = service.call("GET", f"{SEARCH}/{context_id}/image2features",
                               params={"imageId": "seven.jpg"},
                               files={"imageData": ("seven.jpg", data)})

    assert from_storage.status_code == from_upload.status_code == 200
    assert from_storage.json()["features"] == from_upload.json()["features"]
    assert from_upload.json()["imageId"] == "seven.jpg"
    assert service.call("GET", f"{SEARCH}/{context_id}/images").json() == {"imageIds": []}


def test_folder_extraction_then_searches(service: Service) -> None:
    context_id = service.create_context()
    status = service.index_folder(context_id, "FindSimilar")
    assert status["progress"]["done"] == 10
    assert status["progress"]["failed"] == []

    # A storage file outside the context can be the query (as in Aspose's examples).
    edited = find_similar(service, context_id, imageId="ComparingImageSimilar75.jpg")
    # The untouched photo is byte-identical to FindSimilar/2.jpg.
    exact = find_similar(service, context_id, imageId="ComparableImage.jpg", maxCount=3)

    assert edited[0]["imageId"] == "FindSimilar/2.jpg"
    assert edited[0]["similarity"] >= 70
    assert all(r["similarity"] < edited[0]["similarity"] for r in edited[1:])
    assert exact[0] == {"imageId": "FindSimilar/2.jpg", "similarity": 100.0}
    assert len(exact) <= 3


def test_find_similar_honours_threshold_and_max_count(service: Service) -> None:
    context_id = service.create_context()
    service.index_folder(context_id, "FindSimilar")

    everything = find_similar(service, context_id, imageId="FindSimilar/2.jpg", maxCount=10)
    one = find_similar(service, context_id, imageId="FindSimilar/2.jpg", maxCount=1)
    strict = find_similar(service, context_id, imageId="FindSimilar/2.jpg",
                          similarityThreshold=99)

    assert one == everything[:1]
    assert [r["imageId"] for r in strict] == ["FindSimilar/2.jpg"]
    scores = [r["similarity"] for r in everything]
    assert scores == sorted(scores, reverse=True)


def test_compare_by_ids_and_with_uploaded_data(service: Service) -> None:
    context_id = service.create_context()
    compare = f"{SEARCH}/{context_id}/compare"

    edited = service.call("POST", compare, params={
        "imageId1": "ComparableImage.jpg", "imageId2": "ComparingImageSimilar75.jpg"})
    unrelated = service.call("POST", compare, params={
        "imageId1": "ComparableImage.jpg", "imageId2": "FindSimilar/5.jpg"})
    uploaded = service.call(
        "POST", compare, params={"imageId1": "ComparableImage.jpg"},
        files={"imageData": ("copy.jpg", (service.storage / "FindSimilar/2.jpg").read_bytes())})

    assert edited.status_code == unrelated.status_code == uploaded.status_code == 200
    edited_result = edited.json()["results"]
    assert edited_result[0]["imageId"] == "ComparingImageSimilar75.jpg"
    assert edited_result[0]["similarity"] >= 70
    assert unrelated.json()["results"][0]["similarity"] < edited_result[0]["similarity"]
    assert uploaded.json()["results"] == [{"imageId": "copy.jpg", "similarity": 100.0}]
    missing = service.call("POST", compare, params={"imageId1": "ComparableImage.jpg"})
    assert_error(missing, 400, "imageId2")


def test_find_duplicates_groups_identical_photos(service: Service) -> None:
    context_id = service.create_context()
    service.index_folder(context_id, "FindSimilar")
    added = service.call("POST", f"{SEARCH}/{context_id}/image",
                         params={"imageId": "ComparableImage.jpg"})
    assert added.status_code == 200

    response = service.call("GET", f"{SEARCH}/{context_id}/findDuplicates",
                            params={"similarityThreshold": 90})

    assert response.status_code == 200
    groups = response.json()["duplicates"]
    ids = [sorted(r["imageId"] for r in g["duplicateImages"]) for g in groups]
    assert ["ComparableImage.jpg", "FindSimilar/2.jpg"] in ids
    assert all(r["similarity"] >= 90 for g in groups for r in g["duplicateImages"])


def test_tags_add_find_and_list(service: Service) -> None:
    context_id = service.create_context()
    service.index_folder(context_id, "FindSimilar")
    reference = (service.storage / "ComparingImageSimilar75.jpg").read_bytes()

    for _ in range(2):
        added = service.call("POST", f"{SEARCH}/{context_id}/addTag",
                             params={"tagName": "temple"},
                             files={"imageData": ("ref.jpg", reference)})
        assert added.status_code == 200, added.text
    by_form = service.call("POST", f"{SEARCH}/{context_id}/findByTags",
                           params={"similarityThreshold": 50, "maxCount": 5},
                           files={"tags": (None, json.dumps(["temple", "no such tag"]))})
    by_json = service.call("POST", f"{SEARCH}/{context_id}/findByTags",
                           params={"similarityThreshold": 50, "maxCount": 5},
                           json=["temple"])
    listed = service.call("GET", f"{SEARCH}/{context_id}/tags")

    assert by_form.status_code == by_json.status_code == 200
    assert by_form.json() == by_json.json()
    assert by_form.json()["results"][0]["imageId"] == "FindSimilar/2.jpg"
    assert listed.json() == {"tags": [{"name": "temple", "referenceCount": 2}]}


def test_tags_sent_by_curl_dash_d_are_read_as_json(service: Service) -> None:
    """``curl -d '["temple"]'`` labels the JSON array as a urlencoded form."""
    context_id = service.create_context()
    service.index_folder(context_id, "FindSimilar")
    reference = (service.storage / "ComparableImage.jpg").read_bytes()
    service.call("POST", f"{SEARCH}/{context_id}/addTag", params={"tagName": "temple"},
                 data=reference)

    found = service.call("POST", f"{SEARCH}/{context_id}/findByTags",
                         params={"similarityThreshold": 50, "maxCount": 3},
                         data='["temple"]',
                         headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert found.status_code == 200, found.text
    assert found.json()["results"][0]["imageId"] == "FindSimilar/2.jpg"


def test_match_all_needs_every_tag(service: Service) -> None:
    context_id = service.create_context()
    service.index_folder(context_id, "FindSimilar")
    reference = (service.storage / "ComparableImage.jpg").read_bytes()
    service.call("POST", f"{SEARCH}/{context_id}/addTag", params={"tagName": "temple"},
                 files={"imageData": ("ref.jpg", reference)})
    params = {"similarityThreshold": 50, "maxCount": 5}

    any_tag = service.call("POST", f"{SEARCH}/{context_id}/findByTags", params=params,
                           json=["temple", "missing"])
    all_tags = service.call("POST", f"{SEARCH}/{context_id}/findByTags",
                            params={**params, "matchAll": "True"}, json=["temple", "missing"])

    assert [r["imageId"] for r in any_tag.json()["results"]][:1] == ["FindSimilar/2.jpg"]
    assert all_tags.json() == {"results": []}


def test_v3_prefix_answers_too(service: Service) -> None:
    created = service.call("POST", "/v3/imaging/ai/imageSearch/create")

    assert created.status_code == 200
    context_id = created.json()["id"]
    status = service.call("GET", f"{SEARCH}/{context_id}/status")
    assert status.json()["id"] == context_id


def test_web_site_features_are_refused_clearly(service: Service) -> None:
    context_id = service.create_context()

    response = service.call("POST", f"{SEARCH}/{context_id}/features/web",
                            params={"imagesSource": "http://127.0.0.1:9/x"})

    assert_error(response, 501, "offline")


def test_missing_and_invalid_parameters_are_400_naming_them(service: Service) -> None:
    context_id = service.create_context()

    no_threshold = service.call("GET", f"{SEARCH}/{context_id}/findSimilar",
                                params={"maxCount": 3, "imageId": "ComparableImage.jpg"})
    bad_count = service.call("GET", f"{SEARCH}/{context_id}/findSimilar",
                             params={"similarityThreshold": 0, "maxCount": "many"})
    too_high = service.call("GET", f"{SEARCH}/{context_id}/findDuplicates",
                            params={"similarityThreshold": 101})
    bad_tags = service.call("POST", f"{SEARCH}/{context_id}/findByTags",
                            params={"similarityThreshold": 0, "maxCount": 3},
                            files={"tags": (None, "temple")})

    assert_error(no_threshold, 400, "similarityThreshold")
    assert_error(bad_count, 400, "maxCount")
    assert_error(too_high, 400, "similarityThreshold")
    assert_error(bad_tags, 400, "tags")
