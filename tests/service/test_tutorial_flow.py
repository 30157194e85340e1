"""Aspose's curl tutorial, step by step with plain HTTP: /oauth2/token, /v3 paths, raw bodies."""

from __future__ import annotations

import time

import requests

from tests.service.conftest import CLIENT_ID, CLIENT_SECRET, Service


def test_the_tutorial_flow(service: Service) -> None:
    base = service.url + "/v3/imaging"
    token = requests.post(service.url + "/oauth2/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}

    # curl -T: the images go up as raw bodies.
    for number in (1, 2, 3, 4):
        data = (service.storage / f"FindSimilar/{number}.jpg").read_bytes()
        uploaded = requests.put(f"{base}/storage/file/tutorial/{number}.jpg", data=data,
                                headers=auth, timeout=10)
        assert uploaded.status_code == 200, uploaded.text
    context_id = requests.post(f"{base}/ai/imageSearch/create", headers=auth,
                               timeout=10).json()["id"]
    indexing = requests.post(f"{base}/ai/imageSearch/{context_id}/features",
                             params={"imagesFolder": "tutorial"}, headers=auth, timeout=10)
    assert indexing.status_code == 200
    deadline = time.monotonic() + 60
    while True:
        status = requests.get(f"{base}/ai/imageSearch/{context_id}/status", headers=auth,
                              timeout=10).json()
        if status["searchStatus"] == "Idle" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status["searchStatus"] == "Idle"

    reference = (service.storage / "ComparingImageSimilar75.jpg").read_bytes()
    tagged = requests.post(f"{base}/ai/imageSearch/{context_id}/addTag",
                           params={"tagName": "temple"}, data=reference, headers=auth,
                           timeout=30)
    found = requests.post(f"{base}/ai/imageSearch/{context_id}/findByTags",
                          params={"similarityThreshold": 50, "maxCount": 10},
                          json=["temple", "no-such-tag"], headers=auth, timeout=30)

    assert tagged.status_code == 200, tagged.text
    assert found.status_code == 200, found.text
    results = found.json()["results"]
    assert results[0]["imageId"] == "tutorial/2.jpg"
    assert all(r["similarity"] >= 50 for r in results)
