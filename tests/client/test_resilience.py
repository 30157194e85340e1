"""Retries, backoff, token renewal, timeouts and error messages, against a scripted local server.

The server (tests/client/recorder.py) runs on 127.0.0.1 in a thread; each test scripts the
answers to API calls while the token endpoint keeps issuing numbered tokens.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from lookalike.client import (
    ApiError,
    AuthenticationError,
    ConnectionFailedError,
    ImagingClient,
    RequestTimeoutError,
    UnsupportedError,
    WaitTimeoutError,
)
from lookalike.client.api import Endpoint, retry_after_seconds
from tests.client.conftest import CLIENT_ID, CLIENT_SECRET
from tests.client.recorder import Recorded, RecordingServer, Reply, plausible_reply

STATUS_OK = {"id": "ctx", "searchStatus": "Idle"}


def aspose_error(status: int, message: str, code: str = "Error") -> Reply:
    body = {"error": {"code": code, "message": message, "description": "",
                      "innerError": {"requestId": "r1", "date": "2026-12-04T10:00:00Z"}}}
    return Reply(status=status, body=body)


class Script:
    """Answers API calls from a list (then plausibly); hands out token-1, token-2, ..."""

    def __init__(self, *replies: Reply, token_lifetime: int = 3600) -> None:
        self.replies = list(replies)
        self.tokens_issued = 0
        self.token_lifetime = token_lifetime
        self.token_reply: Reply | None = None
        self._lock = threading.Lock()

    def __call__(self, request: Recorded) -> Reply:
        with self._lock:
            if request.path == "/connect/token":
                if self.token_reply is not None:
                    return self.token_reply
                self.tokens_issued += 1
                return Reply(body={"access_token": f"token-{self.tokens_issued}",
                                   "token_type": "Bearer", "expires_in": self.token_lifetime})
            if self.replies:
                return self.replies.pop(0)
        return plausible_reply(request)


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def server(script: Script) -> Iterator[RecordingServer]:
    with RecordingServer(script) as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(
    server: RecordingServer, make_client: Callable[..., ImagingClient], sleeps: list[float]
) -> ImagingClient:
    return make_client(server.url, backoff=0.1, retries=3, sleep=sleeps.append)


def bearer(request: Recorded) -> str:
    return request.headers.get("authorization", "")


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- retries and backoff -------------------------------------------------------------------------


def test_get_is_retried_on_5xx_with_exponential_backoff(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    script.replies = [Reply(503), Reply(502), Reply(body=STATUS_OK)]

    status = client.get_search_context_status("ctx")

    assert status.context_id == "ctx"
    assert len(server.api_requests()) == 3
    assert sleeps == pytest.approx([0.1, 0.2])


def test_retries_give_up_with_the_servers_message(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    script.replies = [aspose_error(500, f"Engine overloaded #{n}") for n in range(5)]

    with pytest.raises(ApiError) as raised:
        client.find_duplicates("ctx", threshold=90)

    assert raised.value.status == 500
    assert raised.value.message == "Engine overloaded #3"  # the 4th and last attempt
    assert len(server.api_requests()) == 4
    assert sleeps == pytest.approx([0.1, 0.2, 0.4])


def test_a_post_that_changes_state_is_not_retried(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    script.replies = [aspose_error(503, "Busy"), Reply()]

    with pytest.raises(ApiError, match="Busy"):
        client.add_tag("ctx", "temple", b"jpeg")

    assert [r.path.rsplit("/", 1)[-1] for r in server.api_requests()] == ["addTag"]
    assert sleeps == []


def test_read_only_posts_are_retried(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    found_one = {"results": [{"imageId": "Photos/c.jpg", "similarity": 61.25}]}
    script.replies = [Reply(503), Reply(body=found_one), Reply(504)]

    found = client.find_by_tags("ctx", ["temple"], threshold=50, max_count=3)
    similarity = client.compare("ctx", "a.jpg", image_id2="b.jpg")

    assert [(r.image_id, r.similarity) for r in found] == [("Photos/c.jpg", 61.25)]
    assert similarity == 97.5
    assert [r.path.rsplit("/", 1)[-1] for r in server.api_requests()] == [
        "findByTags", "findByTags", "compare", "compare"]
    assert len(sleeps) == 2


def test_retry_after_is_honoured_and_capped(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=8), usegmt=True)
    script.replies = [
        Reply(429, headers={"Retry-After": "3"}),
        Reply(429, headers={"Retry-After": later}),
        Reply(503, headers={"Retry-After": "3600"}),
    ]

    assert client.object_exists("a.jpg") is True

    assert len(server.api_requests()) == 4
    assert sleeps[0] == 3
    assert 6 < sleeps[1] <= 8
    assert sleeps[2] == 30  # never more than MAX_RETRY_AFTER


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("2.5") == 2.5
    assert retry_after_seconds("-4") == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    past = email.utils.format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after_seconds(past) == 0


def test_a_dropped_connection_is_retried_only_for_idempotent_calls(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    script.replies = [Reply(drop=True), Reply(body=STATUS_OK), Reply(drop=True)]

    assert client.get_search_context_status("ctx").status == "Idle"
    with pytest.raises(ConnectionFailedError) as raised:
        client.create_search_context()

    assert raised.value.request_sent is True
    assert [r.method for r in server.api_requests()] == ["GET", "GET", "POST"]
    assert len(sleeps) == 1


def test_connection_refused_is_retried_even_for_posts(
    make_client: Callable[..., ImagingClient], sleeps: list[float]
) -> None:
    client = make_client(f"http://127.0.0.1:{free_port()}", client_id=None, client_secret=None,
                         retries=2, backoff=0.25, sleep=sleeps.append)

    with pytest.raises(ConnectionFailedError, match="connection refused") as raised:
        client.create_search_context()

    assert raised.value.request_sent is False
    assert sleeps == pytest.approx([0.25, 0.5])


def test_connection_refused_while_fetching_the_token(
    make_client: Callable[..., ImagingClient], sleeps: list[float]
) -> None:
    client = make_client(f"http://127.0.0.1:{free_port()}", retries=1, sleep=sleeps.append)

    with pytest.raises(ConnectionFailedError, match="connection refused"):
        client.get_search_context_status("ctx")
    assert len(sleeps) == 1


# --- timeouts ------------------------------------------------------------------------------------


def test_a_slow_answer_times_out_and_is_retried_once(
    script: Script, server: RecordingServer, make_client: Callable[..., ImagingClient],
    sleeps: list[float],
) -> None:
    script.replies = [Reply(body=STATUS_OK, delay=10), Reply(body=STATUS_OK, delay=10)]
    client = make_client(server.url, read_timeout=0.3, retries=1, sleep=sleeps.append)

    with pytest.raises(RequestTimeoutError, match=r"did not answer GET .*/status within 0\.3 s"):
        client.get_search_context_status("ctx")

    assert len(server.api_requests()) == 2
    assert len(sleeps) == 1


class TimeoutSpySession(requests.Session):
    """Notes the timeout of every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[Any] = []

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        self.timeouts.append(kwargs.get("timeout"))
        return super().request(*args, **kwargs)


def test_every_call_carries_connect_and_read_timeouts(
    server: RecordingServer, make_client: Callable[..., ImagingClient]
) -> None:
    session = TimeoutSpySession()
    client = make_client(server.url, connect_timeout=2, read_timeout=7, session=session)
    seen = session.timeouts

    client.create_search_context()
    client.find_similar("ctx", image_id="a.jpg", threshold=0, max_count=2)
    client.upload_file("a.jpg", b"x")
    session.close()

    assert seen == [(2, 7)] * 4  # the token fetch and three calls


# --- tokens --------------------------------------------------------------------------------------


def test_token_is_fetched_once_and_reused(
    server: RecordingServer, client: ImagingClient
) -> None:
    client.create_search_context()
    client.get_search_context_status("ctx")
    client.list_tags("ctx")

    assert len(server.token_requests()) == 1
    assert {bearer(r) for r in server.api_requests()} == {"Bearer token-1"}


def test_threads_share_one_token_fetch(server: RecordingServer, client: ImagingClient) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.get_search_context_status("ctx")
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert errors == []
    assert len(server.token_requests()) == 1
    assert len(server.api_requests()) == 8


def test_a_401_fetches_a_new_token_and_repeats_the_call(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    script.replies = [aspose_error(401, "Access token has expired")]

    client.add_tag("ctx", "temple", b"jpeg")  # even a POST: the 401 means it was not run

    assert [bearer(r) for r in server.api_requests()] == ["Bearer token-1", "Bearer token-2"]
    assert len(server.token_requests()) == 2
    assert sleeps == []


def test_a_second_401_is_raised_with_the_servers_message(
    script: Script, server: RecordingServer, client: ImagingClient
) -> None:
    script.replies = [aspose_error(401, "Token refused"), aspose_error(401, "Token refused again")]

    with pytest.raises(AuthenticationError) as raised:
        client.get_search_context_status("ctx")

    assert raised.value.status == 401
    assert raised.value.message == "Token refused again"
    assert len(server.token_requests()) == 2


def test_wrong_credentials_raise_the_token_endpoints_message(
    script: Script, server: RecordingServer, client: ImagingClient
) -> None:
    script.token_reply = aspose_error(401, "Client id or client secret is wrong", "invalid_client")

    with pytest.raises(AuthenticationError, match="Client id or client secret is wrong"):
        client.create_search_context()

    assert server.api_requests() == []


def test_an_expiring_token_is_renewed_before_it_runs_out(
    script: Script, server: RecordingServer, client: ImagingClient
) -> None:
    script.token_lifetime = 30  # inside the 60 s safety margin: renewed on every call

    client.get_search_context_status("ctx")
    client.get_search_context_status("ctx")

    assert [bearer(r) for r in server.api_requests()] == ["Bearer token-1", "Bearer token-2"]


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "code", "message"),
    [
        (aspose_error(404, "Search context 'ctx' not found", "NotFound"), "NotFound",
         "Search context 'ctx' not found"),
        (Reply(422, body={"detail": [{"loc": ["query", "maxCount"],
                                      "msg": "Input should be a valid integer"}]}),
         None, "query.maxCount: Input should be a valid integer"),
        (Reply(400, body={"error": "invalid_request", "error_description": "bad grant"}),
         "invalid_request", "bad grant"),
        (Reply(409, body=b"Conflict: extraction running\nmore", headers={
            "Content-Type": "text/plain"}), None, "Conflict: extraction running"),
    ],
)
def test_errors_carry_the_servers_message(
    script: Script, client: ImagingClient, reply: Reply, code: str | None, message: str
) -> None:
    script.replies = [reply]

    with pytest.raises(ApiError) as raised:
        client.delete_search_context("ctx")

    assert raised.value.status == reply.status
    assert raised.value.code == code
    assert raised.value.message == message
    assert f"(HTTP {reply.status})" in str(raised.value)


def test_the_secret_never_shows_in_logs_reprs_or_errors(
    script: Script, server: RecordingServer, client: ImagingClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    script.replies = [aspose_error(401, "expired"), Reply(body=STATUS_OK), Reply(503),
                      aspose_error(400, "bad"), aspose_error(401, "expired again")]
    errors: list[str] = []

    client.create_search_context()
    with pytest.raises(ApiError) as raised:
        client.get_search_context_status("ctx")
    errors.append(str(raised.value))
    script.token_reply = aspose_error(401, "Client id or client secret is wrong")
    with pytest.raises(AuthenticationError) as refused:
        client.get_search_context_status("ctx")
    errors.append(str(refused.value))

    assert any("/connect/token" in record.getMessage() for record in caplog.records)
    assert CLIENT_SECRET not in caplog.text
    assert CLIENT_SECRET not in repr(client)
    assert CLIENT_SECRET not in repr(client.endpoint)
    assert all(CLIENT_SECRET not in text for text in errors)
    assert CLIENT_ID in repr(client)


# --- a server that moves (the local service restarted) -------------------------------------------


def test_reconnect_points_the_client_at_the_restarted_server(
    server: RecordingServer, make_client: Callable[..., ImagingClient], sleeps: list[float]
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    asked: list[Endpoint] = []

    def reconnect(failed: Endpoint) -> Endpoint:
        asked.append(failed)
        return Endpoint(server.url, "new-id", "new-secret")

    client = make_client(dead, reconnect=reconnect, sleep=sleeps.append)
    status = client.create_search_context()

    assert status.context_id == "ctx1"
    assert [e.base_url for e in asked] == [dead]
    assert client.base_url == server.url
    assert [r.method for r in server.api_requests()] == ["POST"]  # sent once, not lost
    (token,) = server.token_requests()
    assert token.form()["client_id"] == b"new-id"
    assert sleeps == []


def test_reconnect_that_finds_nothing_new_leaves_the_normal_retries(
    make_client: Callable[..., ImagingClient], sleeps: list[float]
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    calls: list[Endpoint] = []

    def reconnect(failed: Endpoint) -> Endpoint:
        calls.append(failed)
        return failed

    client = make_client(dead, client_id=None, client_secret=None, reconnect=reconnect,
                         retries=2, sleep=sleeps.append)
    with pytest.raises(ConnectionFailedError):
        client.get_search_context_status("ctx")

    assert len(calls) == 3  # asked after each of the 3 attempts
    assert len(sleeps) == 2


# --- waiting for background work -----------------------------------------------------------------


def test_wait_idle_polls_until_the_context_is_idle(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    busy = Reply(body={"id": "ctx", "searchStatus": "InProgress",
                       "progress": {"done": 4, "total": 10}})
    script.replies = [busy, busy, Reply(body={"id": "ctx", "searchStatus": "Idle"})]

    status = client.wait_idle("ctx", timeout=60, poll=0.25)

    assert status.is_idle
    assert len(server.api_requests()) == 3
    assert sleeps == [0.25, 0.25]


def test_wait_idle_gives_up_after_its_timeout(
    script: Script, make_client: Callable[..., ImagingClient], server: RecordingServer
) -> None:
    script.replies = [Reply(body={"id": "ctx", "searchStatus": "InProgress"})] * 100
    client = make_client(server.url)

    with pytest.raises(WaitTimeoutError, match=r"'ctx' still busy after 0\.3 s"):
        client.wait_idle("ctx", timeout=0.3, poll=0.05)

    assert 2 <= len(server.api_requests()) <= 10


def test_an_overloaded_token_endpoint_is_retried_then_reported(
    script: Script, server: RecordingServer, client: ImagingClient, sleeps: list[float]
) -> None:
    script.token_reply = aspose_error(503, "Token service is restarting")

    with pytest.raises(ApiError) as raised:
        client.create_search_context()  # a POST, but only the token fetch was ever sent

    assert not isinstance(raised.value, AuthenticationError)
    assert (raised.value.status, raised.value.message) == (503, "Token service is restarting")
    assert len(server.token_requests()) == 4
    assert server.api_requests() == []
    assert sleeps == pytest.approx([0.1, 0.2, 0.4])


# --- Lookalike's extensions on a server without them ---------------------------------------------


def test_extensions_missing_on_the_server_raise_unsupported(
    script: Script, server: RecordingServer, client: ImagingClient
) -> None:
    script.replies = [Reply(404), Reply(body=STATUS_OK), Reply(405), Reply(body=STATUS_OK)]

    with pytest.raises(UnsupportedError, match="can't list tags"):
        client.list_tags("ctx 1")
    with pytest.raises(UnsupportedError, match="can't list a context's images"):
        client.list_images("ctx 1")

    assert [(r.method, r.path) for r in server.api_requests()] == [
        ("GET", "/v3.0/imaging/ai/imageSearch/ctx%201/tags"),
        ("GET", "/v3.0/imaging/ai/imageSearch/ctx%201/status"),
        ("GET", "/v3.0/imaging/ai/imageSearch/ctx%201/images"),
        ("GET", "/v3.0/imaging/ai/imageSearch/ctx%201/status"),
    ]


def test_extensions_on_a_missing_context_raise_not_found(
    script: Script, client: ImagingClient
) -> None:
    gone = aspose_error(404, "Search context 'ctx' not found", "NotFound")
    script.replies = [Reply(404), gone]

    with pytest.raises(ApiError) as raised:
        client.list_tags("ctx")

    assert not isinstance(raised.value, UnsupportedError)
    assert (raised.value.status, raised.value.message) == (404, "Search context 'ctx' not found")


def test_extensions_parse_their_answers(client: ImagingClient) -> None:
    assert [(t.name, t.reference_count) for t in client.list_tags("ctx")] == [("temple", 2)]
    assert client.list_images("ctx") == ["Photos/a.jpg", "Photos/b.jpg"]
