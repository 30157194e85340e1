"""Without auth, only this machine's programs are answered: DNS rebinding and cross-site pages.

Finding 4b: a page on attacker.example re-pointed to 127.0.0.1 was same-origin with the service
and could list and delete the storage; cross-site "simple" POSTs went through.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lookalike.service.loopback import host_of_authority, is_loopback_host, is_loopback_origin
from tests.service.conftest import SEARCH, STORAGE, Service, assert_error


@pytest.fixture
def open_service(make_service: Callable[..., Service]) -> Service:
    return make_service(client_id=None, client_secret=None)


def port_of(service: Service) -> str:
    return service.url.rsplit(":", 1)[1]


def test_a_foreign_host_is_refused_without_auth(open_service: Service) -> None:
    host = {"Host": f"attacker.example:{port_of(open_service)}"}

    listing = open_service.call("GET", f"{STORAGE}/folder/FindSimilar", headers=host)
    deleted = open_service.call("DELETE", f"{STORAGE}/file/FindSimilar/1.jpg", headers=host)

    assert_error(listing, 421, "'attacker.example:", "127.0.0.1")
    assert_error(deleted, 421, "attacker.example")
    assert (open_service.storage / "FindSimilar" / "1.jpg").is_file()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}",
                                  "LOCALHOST", "127.0.0.1"])
def test_loopback_hosts_are_served_without_auth(open_service: Service, host: str) -> None:
    header = {"Host": host.format(port=port_of(open_service))}

    listing = open_service.call("GET", f"{STORAGE}/folder/FindSimilar", headers=header)

    assert listing.status_code == 200, listing.text
    assert "1.jpg" in [entry["name"] for entry in listing.json()["value"]]


def test_a_cross_site_post_is_refused_without_auth(open_service: Service) -> None:
    before = open_service.engine.context_ids()

    created = open_service.call("POST", f"{SEARCH}/create", data="x", headers={
        "Origin": "http://evil.example", "Content-Type": "text/plain"})
    sandboxed = open_service.call("POST", f"{SEARCH}/create", headers={"Origin": "null"})

    assert_error(created, 403, "Cross-site", "http://evil.example")
    assert_error(sandboxed, 403, "Cross-site")
    assert open_service.engine.context_ids() == before


def test_a_page_served_from_this_machine_may_call(open_service: Service) -> None:
    created = open_service.call("POST", f"{SEARCH}/create",
                                headers={"Origin": "http://localhost:5173"})

    assert created.status_code == 200, created.text
    assert created.json()["id"] in open_service.engine.context_ids()


def test_with_auth_the_host_is_not_restricted(service: Service) -> None:
    listing = service.call("GET", f"{STORAGE}/folder/FindSimilar",
                           headers={"Host": "photos.team.example:8080"})
    anonymous = service.call("GET", f"{STORAGE}/folder/FindSimilar",
                             headers={"Host": "photos.team.example", "Authorization": ""})

    assert listing.status_code == 200, listing.text
    assert_error(anonymous, 401, "bearer token")


def test_host_and_origin_parsing() -> None:
    assert host_of_authority("127.0.0.1:8080") == "127.0.0.1"
    assert host_of_authority("[::1]:80") == "[::1]"
    assert host_of_authority("localhost") == "localhost"
    assert is_loopback_host("127.0.0.2") and is_loopback_host("[::1]")
    assert is_loopback_host("localhost.") and not is_loopback_host("app.localhost")
    assert not is_loopback_host("127.0.0.1.nip.example") and not is_loopback_host("0.0.0.0")
    assert not is_loopback_host("localhost.evil.example")
    assert is_loopback_origin("http://127.0.0.1:3000")
    assert not is_loopback_origin("null") and not is_loopback_origin("file://")
    assert not is_loopback_origin("https://127.0.0.1.evil.example")
