"""Odd but real request forms: curl's boundary-less multipart label, cut-short multiparts,
and compare with two second images.

Findings 6 (`curl -T file -H "Content-Type: multipart/form-data"` refused), 19 (a truncated
multipart said the image was missing) and 14 (compare scored the body but labelled imageId2).
"""

from __future__ import annotations

import requests

from tests.service.conftest import SEARCH, STORAGE, Service, assert_error

NO_BOUNDARY = {"Content-Type": "multipart/form-data"}


def test_curl_t_with_a_multipart_label_is_read_as_the_raw_image(service: Service) -> None:
    context = service.create_context()
    service.index_folder(context, "FindSimilar")
    reference = (service.storage / "ComparingImageSimilar75.jpg").read_bytes()

    tagged = service.call("POST", f"{SEARCH}/{context}/addTag", params={"tagName": "temple"},
                          data=reference, headers=NO_BOUNDARY)
    found = service.call("POST", f"{SEARCH}/{context}/findByTags", data=b'["temple"]',
                         headers=NO_BOUNDARY, params={"similarityThreshold": 50, "maxCount": 3})
    similar = service.call("GET", f"{SEARCH}/{context}/findSimilar", data=reference,
                           headers=NO_BOUNDARY,
                           params={"similarityThreshold": 50, "maxCount": 3})

    assert tagged.status_code == 200, tagged.text
    assert found.json()["results"][0]["imageId"] == "FindSimilar/2.jpg"
    assert similar.json()["results"][0]["imageId"] == "FindSimilar/2.jpg"


def test_storage_upload_with_a_multipart_label_keeps_the_bytes(service: Service) -> None:
    data = (service.storage / "FindSimilar/3.jpg").read_bytes()

    uploaded = service.call("PUT", f"{STORAGE}/file/up/three.jpg", data=data,
                            headers=NO_BOUNDARY)

    assert uploaded.status_code == 200, uploaded.text
    assert (service.storage / "up/three.jpg").read_bytes() == data


def test_a_multipart_body_cut_short_is_named_as_malformed(service: Service) -> None:
    context = service.create_context()
    data = (service.storage / "FindSimilar/3.jpg").read_bytes()
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"imageData\"; filename=\"a.jpg\""
            b"\r\nContent-Type: image/jpeg\r\n\r\n" + data[:5000])

    tagged = service.call("POST", f"{SEARCH}/{context}/addTag", params={"tagName": "big"},
                          data=body, headers={"Content-Type": "multipart/form-data; boundary=XyZ"})

    assert_error(tagged, 400, "Malformed multipart body", "--XyZ--")
    assert service.call("GET", f"{SEARCH}/{context}/tags").json()["tags"] == []


def test_compare_refuses_both_imageid2_and_image_data(service: Service) -> None:
    context = service.create_context()
    service.index_folder(context, "FindSimilar")
    upload = (service.storage / "FindSimilar/7.jpg").read_bytes()
    ids = {"imageId1": "FindSimilar/2.jpg", "imageId2": "FindSimilar/2.jpg"}

    both = service.call("POST", f"{SEARCH}/{context}/compare", params=ids, data=upload)
    ids_only = service.call("POST", f"{SEARCH}/{context}/compare", params=ids)

    assert_error(both, 400, "imageId2 or image data (imageData), not both")
    assert ids_only.json()["results"] == [{"imageId": "FindSimilar/2.jpg", "similarity": 100.0}]


def test_find_similar_refuses_both_imageid_and_image_data(service: Service) -> None:
    context = service.create_context()
    service.index_folder(context, "FindSimilar")
    upload = (service.storage / "FindSimilar/7.jpg").read_bytes()
    params = {"imageId": "FindSimilar/2.jpg", "similarityThreshold": 90, "maxCount": 3}

    both = service.call("GET", f"{SEARCH}/{context}/findSimilar", params=params, data=upload)
    id_only = service.call("GET", f"{SEARCH}/{context}/findSimilar", params=params)

    assert_error(both, 400, "imageId or image data (imageData), not both")
    assert id_only.json()["results"][0] == {"imageId": "FindSimilar/2.jpg", "similarity": 100.0}


def test_tag_names_are_trimmed_and_invisible_characters_refused(service: Service) -> None:
    context = service.create_context()
    reference = (service.storage / "ComparingImageSimilar75.jpg").read_bytes()

    def add_tag(name: str) -> requests.Response:
        return service.call("POST", f"{SEARCH}/{context}/addTag", params={"tagName": name},
                            data=reference)

    padded = add_tag(" temple ")
    plain = add_tag("temple")
    zero_width = add_tag("tem\u200bple")
    right_to_left = add_tag("\u202eevil")

    assert padded.status_code == 200 and plain.status_code == 200
    assert service.call("GET", f"{SEARCH}/{context}/tags").json()["tags"] == [
        {"name": "temple", "referenceCount": 2}]
    assert_error(zero_width, 400, "invisible", "U+200B")
    assert_error(right_to_left, 400, "U+202E")


def test_a_get_without_image_says_why_the_data_may_be_missing(service: Service) -> None:
    context = service.create_context()

    similar = service.call("GET", f"{SEARCH}/{context}/findSimilar",
                           params={"similarityThreshold": 50, "maxCount": 3})
    features = service.call("GET", f"{SEARCH}/{context}/image2features")

    assert_error(similar, 400, "Missing query parameter 'imageId'", "drop the body of a GET")
    assert_error(features, 400, "Missing query parameter 'imageId'", "drop the body of a GET")
