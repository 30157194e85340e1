"""Credentials and tokens: blank secrets refused, tokens that outlive a restart, HTTP Basic.

Findings 4 (an empty secret let anyone with the client id in), 7 (the SDK never refetches a
token, so every restart broke it) and 19 (client_secret_basic refused).
"""

from __future__ import annotations

import base64
import stat
import sys
from pathlib import Path

import pytest
import requests

from lookalike.engine import Engine
from lookalike.service.app import create_app
from lookalike.service.auth import SIGNING_KEY_FILE, TokenIssuer, load_signing_key
from lookalike.service.server import ServerThread
from tests.service.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    SEARCH,
    TIMEOUT,
    Service,
    assert_error,
    fetch_token,
)


@pytest.mark.parametrize(("client_id", "secret", "word"), [
    ("team", "", "secret is empty"),
    ("team", "  \t", "secret is empty"),
    ("", "s3cret", "id is empty"),
    (" ", "s3cret", "id is empty"),
])
def test_blank_credentials_are_refused(client_id: str, secret: str, word: str,
                                       engine: Engine, storage_root: Path) -> None:
    with pytest.raises(ValueError, match=word):
        TokenIssuer(client_id, secret)
    with pytest.raises(ValueError, match=word):
        create_app(engine, storage_root, client_id=client_id, client_secret=secret)


def test_the_signing_key_is_kept_private_and_stable(tmp_path: Path) -> None:
    first = load_signing_key(tmp_path)
    second = load_signing_key(tmp_path)

    assert len(first) == 32
    assert first == second
    assert (tmp_path / SIGNING_KEY_FILE).read_bytes() == first
    if sys.platform != "win32":
        mode = stat.S_IMODE((tmp_path / SIGNING_KEY_FILE).stat().st_mode)
        assert mode == 0o600, oct(mode)


def test_a_damaged_signing_key_is_replaced(tmp_path: Path) -> None:
    (tmp_path / SIGNING_KEY_FILE).write_bytes(b"cut short")

    key = load_signing_key(tmp_path)

    assert len(key) == 32
    assert load_signing_key(tmp_path) == key


def test_a_token_outlives_a_restart_on_the_same_data_folder(
        tmp_path: Path, engine: Engine, storage_root: Path) -> None:
    def start(key: bytes) -> ServerThread:
        return ServerThread(create_app(engine, storage_root, client_id=CLIENT_ID,
                                       client_secret=CLIENT_SECRET, signing_key=key))

    with start(load_signing_key(tmp_path)) as before:
        token = fetch_token(before.url).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    with start(load_signing_key(tmp_path)) as after:
        kept = requests.post(after.url + f"{SEARCH}/create", headers=bearer, timeout=TIMEOUT)
    (tmp_path / "other").mkdir()
    with start(load_signing_key(tmp_path / "other")) as elsewhere:
        foreign = requests.post(elsewhere.url + f"{SEARCH}/create", headers=bearer,
                                timeout=TIMEOUT)

    assert kept.status_code == 200, kept.text
    assert_error(foreign, 401, "not valid")


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def test_client_secret_basic_is_accepted(service: Service) -> None:
    form = {"grant_type": "client_credentials"}

    right = requests.post(service.url + "/connect/token", data=form, timeout=TIMEOUT,
                          headers=basic(CLIENT_ID, CLIENT_SECRET))
    wrong = requests.post(service.url + "/connect/token", data=form, timeout=TIMEOUT,
                          headers=basic(CLIENT_ID, "guess"))
    garbled = requests.post(service.url + "/connect/token", data=form, timeout=TIMEOUT,
                            headers={"Authorization": "Basic !!!"})

    assert right.status_code == 200, right.text
    token = right.json()["access_token"]
    created = requests.post(service.url + f"{SEARCH}/create", timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 200, created.text
    assert_error(wrong, 401, "wrong")
    assert_error(garbled, 401, "Malformed HTTP Basic")


def test_tokens_still_expire_after_their_lifetime() -> None:
    now = [1000.0]
    issuer = TokenIssuer(CLIENT_ID, CLIENT_SECRET, lifetime_s=3600, clock=lambda: now[0],
                         signing_key=b"k" * 32)
    token = issuer.issue()
    restarted = TokenIssuer(CLIENT_ID, CLIENT_SECRET, clock=lambda: now[0],
                            signing_key=b"k" * 32)

    assert restarted.problem_with(token) is None
    now[0] += 3601
    assert "expired" in str(restarted.problem_with(token))
