"""Aspose's image-search tutorial, step by step with plain HTTP (as its curl commands send it).

Token, create a context, index a folder (features POST with imagesFolder), poll the status until
Idle, add a tag whose reference image is the raw request body (``curl -X POST -T image.jpg``),
then find by tags with a JSON array body that also names a tag that does not exist.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from lookalike.client import LocalService

TIMEOUT = (5, 60)


def check(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@pytest.mark.parametrize(
    ("token_path", "prefix"),
    [("/connect/token", "/v3.0"), ("/oauth2/token", "/v3")],
    ids=["current", "older paths"],
)
def test_tutorial_flow_with_plain_http(
    service: LocalService, storage: Path, token_path: str, prefix: str
) -> None:
    base = service.base_url
    search = f"{base}{prefix}/imaging/ai/imageSearch"
    with requests.Session() as http:
        token = check(http.post(
            base + token_path,
            data={"grant_type": "client_credentials", "client_id": service.client_id,
                  "client_secret": service.client_secret},
            headers={"Accept": "application/json"}, timeout=TIMEOUT,
        ))
        assert token["token_type"].lower() == "bearer"
        assert token["expires_in"] > 0
        http.headers["Authorization"] = f"Bearer {token['access_token']}"

        created = check(http.post(f"{search}/create", timeout=TIMEOUT))
        context = created["id"]
        assert created["searchStatus"] == "Idle"

        check(http.post(f"{search}/{context}/features", params={"imagesFolder": "FindSimilar"},
                        timeout=TIMEOUT))
        deadline = time.monotonic() + 120
        while True:
            status = check(http.get(f"{search}/{context}/status", timeout=TIMEOUT))
            assert status["id"] == context
            if status["searchStatus"] == "Idle":
                break
            assert status["searchStatus"] == "InProgress"
            assert time.monotonic() < deadline, "indexing did not finish"
            time.sleep(0.1)

        # curl -T sends the file as the body, with no Content-Type of its own.
        reference = (storage / "ComparableImage.jpg").read_bytes()
        check(http.post(f"{search}/{context}/addTag", params={"tagName": "Temple"},
                        data=reference, timeout=TIMEOUT))

        found = check(http.post(
            f"{search}/{context}/findByTags",
            params={"similarityThreshold": 50, "maxCount": 5},
            json=["Temple", "NoSuchTag"], timeout=TIMEOUT,
        ))
        check(http.delete(f"{search}/{context}", timeout=TIMEOUT))

    assert found["results"][0]["imageId"] == "FindSimilar/2.jpg"  # the identical photo
    assert found["results"][0]["similarity"] >= 99
    assert all(r["similarity"] >= 50 for r in found["results"])


def test_calls_without_a_token_are_refused_with_an_aspose_error(service: LocalService) -> None:
    answer = requests.post(f"{service.base_url}/v3.0/imaging/ai/imageSearch/create",
                           timeout=TIMEOUT)

    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["message"]
    assert {"code", "message", "description", "innerError"} <= set(error)
