"""Lookalike's extension: cancelling a folder extraction, through HTTP and through the client."""

from __future__ import annotations

import shutil

import pytest

from lookalike.client import ApiError, ImagingClient
from tests.service.conftest import CLIENT_ID, CLIENT_SECRET, SEARCH, TIMEOUT, Service

COPIES = 120


@pytest.fixture
def big_folder(service: Service) -> str:
    """COPIES small photos: enough that a cancel sent at once lands while the work runs."""
    folder = service.storage / "many"
    folder.mkdir()
    sources = sorted((service.storage / "FindSimilar").glob("*.jpg"))
    for index in range(COPIES):
        shutil.copy(sources[index % len(sources)], folder / f"copy{index:03d}.jpg")
    return "many"


def test_cancel_stops_a_running_extraction(service: Service, big_folder: str) -> None:
    context_id = service.create_context()
    started = service.call("POST", f"{SEARCH}/{context_id}/features",
                           params={"imagesFolder": big_folder})
    cancelled = service.call("POST", f"{SEARCH}/{context_id}/features/cancel")
    service.engine.wait_idle(context_id, timeout=TIMEOUT)
    status = service.call("GET", f"{SEARCH}/{context_id}/status").json()

    assert (started.status_code, cancelled.status_code) == (200, 200)
    assert status["searchStatus"] == "Idle"
    assert status["progress"]["cancelled"] is True
    assert status["progress"]["done"] < COPIES
    assert len(service.engine.image_ids(context_id)) == status["progress"]["done"]


def test_the_client_cancels_a_running_extraction(service: Service, big_folder: str) -> None:
    with ImagingClient(service.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        context_id = client.create_search_context().context_id
        client.create_image_features(context_id, images_folder=big_folder)
        client.cancel_extraction(context_id)
        final = client.wait_idle(context_id, timeout=TIMEOUT, poll=0.1)
        # Nothing runs any more: a second cancel is harmless.
        client.cancel_extraction(context_id)

        with pytest.raises(ApiError, match="not found") as missing:
            client.cancel_extraction("no-such-context")

    assert missing.value.status == 404
    assert final.progress is not None and final.progress.cancelled
    assert final.progress.done < COPIES
