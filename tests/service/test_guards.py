"""The service's guards: storage root, tokens, body size, stack traces, bad images, progress."""

from __future__ import annotations

import hmac
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from lookalike.engine import Engine
from lookalike.service import auth
from lookalike.service.auth import TokenIssuer
from lookalike.service.storage import StorageRoot, UnsafePathError
from tests.service.conftest import (
    BAD_IMAGES,
    CLIENT_ID,
    CLIENT_SECRET,
    SEARCH,
    STORAGE,
    Service,
    assert_error,
    fetch_token,
)

# Storage root ---------------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the storage root, with an image, reachable only through links."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.jpg").write_bytes(
        (Path(__file__).parents[3] / "shared/data/aspose-examples/ComparableImage.jpg")
        .read_bytes())
    return folder


@pytest.mark.parametrize("raw", ["../outside/secret.jpg", "/../etc/passwd", "a/../../x",
                                 "..\\outside\\secret.jpg", "C:/Windows/win.ini", "a\x00b"])
def test_storage_paths_are_checked_by_text(tmp_path: Path, raw: str) -> None:
    root = StorageRoot(tmp_path)

    with pytest.raises(UnsafePathError, match="imageId"):
        root.image_file(raw)


def test_links_out_of_the_root_are_refused(service: Service, outside: Path) -> None:
    (service.storage / "escape.jpg").symlink_to(outside / "secret.jpg")
    (service.storage / "escape_dir").symlink_to(outside, target_is_directory=True)
    context_id = service.create_context()

    add = service.call("POST", f"{SEARCH}/{context_id}/image", params={"imageId": "escape.jpg"})
    via_dir = service.call("POST", f"{SEARCH}/{context_id}/image",
                           params={"imageId": "escape_dir/secret.jpg"})
    folder = service.call("POST", f"{SEARCH}/{context_id}/features",
                          params={"imagesFolder": "escape_dir"})
    download = service.call("GET", f"{STORAGE}/file/escape_dir%2Fsecret.jpg")
    upload = service.call("PUT", f"{STORAGE}/file/escape_dir%2Fnew.jpg", data=b"x")
    listing = service.call("GET", f"{STORAGE}/folder/")

    for response in (add, via_dir, folder, download, upload):
        message = assert_error(response, 400, "outside the storage root")
        assert str(outside) not in message
    assert not (outside / "new.jpg").exists()
    assert {e["name"] for e in listing.json()["value"]} \
        == {"ComparableImage.jpg", "ComparingImageSimilar15.jpg", "ComparingImageSimilar75.jpg",
            "FindSimilar"}


def test_an_indexed_file_swapped_for_a_link_out_is_not_served(service: Service,
                                                               outside: Path) -> None:
    context_id = service.create_context()
    image = f"{SEARCH}/{context_id}/image"
    assert service.call("POST", image, params={"imageId": "ComparableImage.jpg"}) \
        .status_code == 200
    (service.storage / "ComparableImage.jpg").unlink()
    (service.storage / "ComparableImage.jpg").symlink_to(outside / "secret.jpg")

    response = service.call("GET", image, params={"imageId": "ComparableImage.jpg"})

    assert_error(response, 400, "ComparableImage.jpg", "outside the storage root")


@pytest.mark.parametrize("image_id", ["../outside/secret.jpg", "/../etc/hostname",
                                      "a/../../b.jpg"])
def test_image_ids_that_leave_the_root_are_400(service: Service, image_id: str) -> None:
    context_id = service.create_context()

    for method, path in [("POST", "image"), ("POST", "features"), ("GET", "image2features"),
                         ("GET", "findSimilar")]:
        response = service.call(method, f"{SEARCH}/{context_id}/{path}", params={
            "imageId": image_id, "similarityThreshold": 0, "maxCount": 1})
        assert_error(response, 400, "imageId")


def test_storage_calls_that_leave_the_root_are_refused(service: Service) -> None:
    victim = service.storage.parent / "victim.txt"
    victim.write_text("keep me")

    responses = [
        service.call("GET", f"{STORAGE}/file/..%2Fvictim.txt"),
        service.call("DELETE", f"{STORAGE}/file/..%2Fvictim.txt"),
        service.call("PUT", f"{STORAGE}/file/..%2Fvictim.txt", data=b"overwritten"),
        service.call("PUT", f"{STORAGE}/file/copy/ComparableImage.jpg",
                     params={"destPath": "../copied.jpg"}),
        service.call("DELETE", f"{STORAGE}/folder/a%2F..%2F..", params={"recursive": "true"}),
        service.call("GET", f"{STORAGE}/folder/..%2F.."),
    ]

    for response in responses:
        assert_error(response, 400, "'..'")
    assert victim.read_text() == "keep me"
    assert not (service.storage.parent / "copied.jpg").exists()
    exists = service.call("GET", f"{STORAGE}/exist/..%2Fvictim.txt")
    assert exists.json() == {"exists": False, "isFolder": False}


def test_folder_extraction_skips_links_inside_the_folder(service: Service,
                                                         outside: Path) -> None:
    (service.storage / "FindSimilar" / "linked.jpg").symlink_to(outside / "secret.jpg")
    (service.storage / "FindSimilar" / "linked_dir").symlink_to(outside)
    context_id = service.create_context()

    service.index_folder(context_id, "FindSimilar")

    ids = service.call("GET", f"{SEARCH}/{context_id}/images").json()["imageIds"]
    assert len(ids) == 10
    assert not any("linked" in image_id for image_id in ids)


# Tokens ---------------------------------------------------------------------------------------


def test_missing_wrong_or_forged_tokens_are_401(service: Service) -> None:
    path = service.url + f"{SEARCH}/create"
    good = service.session.headers["Authorization"]
    forged = str(good)[:-4] + ("0000" if not str(good).endswith("0000") else "1111")

    missing = requests.post(path, timeout=10)
    wrong = requests.post(path, headers={"Authorization": "Bearer nonsense"}, timeout=10)
    tampered = requests.post(path, headers={"Authorization": forged}, timeout=10)
    basic = requests.post(path, headers={"Authorization": "Basic dXNlcjpwYXNz"}, timeout=10)

    for response in (missing, wrong, tampered, basic):
        assert_error(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    assert requests.post(path, headers={"Authorization": good}, timeout=10).status_code == 200


def test_wrong_credentials_get_no_token(service: Service) -> None:
    wrong_secret = fetch_token(service.url, CLIENT_ID, CLIENT_SECRET + "x")
    wrong_id = fetch_token(service.url, "someone-else", CLIENT_SECRET)
    old_path = fetch_token(service.url, path="/oauth2/token")
    bad_grant = requests.post(service.url + "/connect/token", timeout=10, data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})

    assert_error(wrong_secret, 401, "wrong")
    assert_error(wrong_id, 401, "wrong")
    assert_error(bad_grant, 400, "client_credentials")
    assert old_path.status_code == 200
    assert old_path.json()["token_type"] == "bearer"


def test_tokens_expire() -> None:
    now = [1000.0]
    issuer = TokenIssuer("id", "secret", lifetime_s=60, clock=lambda: now[0])
    token = issuer.issue()

    assert issuer.problem_with(token) is None
    now[0] += 59
    assert issuer.problem_with(token) is None
    now[0] += 2
    assert "expired" in str(issuer.problem_with(token))
    other = TokenIssuer("id", "secret", clock=lambda: now[0])
    assert "not valid" in str(other.problem_with(token))


def test_credentials_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both the id and the secret go through hmac.compare_digest, even when the id is wrong."""
    compared: list[tuple[bytes, bytes]] = []
    real_compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    issuer = TokenIssuer("the-id", "the-secret")

    assert not issuer.credentials_match("wrong-id", "the-secret")
    assert compared == [(b"wrong-id", b"the-id"), (b"the-secret", b"the-secret")]
    compared.clear()
    assert issuer.credentials_match("the-id", "the-secret")
    assert len(compared) == 2
    compared.clear()
    token = issuer.issue()
    assert issuer.problem_with(token[:-1] + "x") is not None
    assert len(compared) == 1


def test_without_auth_the_token_call_still_answers(make_service: Callable[..., Service]) -> None:
    open_service = make_service(client_id=None, client_secret=None)

    token = fetch_token(open_service.url, "", "")
    created = requests.post(open_service.url + f"{SEARCH}/create", timeout=10)

    assert token.status_code == 200
    assert token.json()["access_token"]
    assert created.status_code == 200


# Body size --------------------------------------------------------------------------------------


def test_bodies_over_the_limit_are_413(make_service: Callable[..., Service]) -> None:
    small = make_service(max_body_bytes=10_000)
    context_id = small.create_context()
    big = (small.storage / "ComparableImage.jpg").read_bytes()
    assert len(big) > 10_000

    declared = small.call("POST", f"{SEARCH}/{context_id}/image", params={"imageId": "a.jpg"},
                          files={"imageData": ("a.jpg", big)})
    streamed = small.call("POST", f"{SEARCH}/{context_id}/image", params={"imageId": "a.jpg"},
                          data=iter([big[:6000], big[6000:]]))  # chunked: no Content-Length

    assert_error(declared, 413, "10000 bytes")
    assert_error(streamed, 413, "10000 bytes")
    assert small.call("GET", f"{SEARCH}/{context_id}/images").json() == {"imageIds": []}
    ok = small.call("POST", f"{SEARCH}/{context_id}/image",
                    params={"imageId": "FindSimilar/1.jpg"})
    assert ok.status_code == 200


# Errors -----------------------------------------------------------------------------------------


def test_no_stack_trace_reaches_a_response(service: Service,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"internal detail {service.storage}")

    monkeypatch.setattr(service.engine, "find_duplicates", broken)
    context_id = service.create_context()

    response = service.call("GET", f"{SEARCH}/{context_id}/findDuplicates",
                            params={"similarityThreshold": 90})

    message = assert_error(response, 500, "failed")
    assert "internal detail" not in response.text
    assert str(service.storage) not in response.text
    assert "RuntimeError" not in response.text
    assert message == "The service failed to handle the request; see its log"
    assert service.call("GET", f"{SEARCH}/{context_id}/status").status_code == 200


def test_unknown_routes_and_methods_get_the_error_body(service: Service) -> None:
    assert_error(service.call("GET", "/v3.0/imaging/nothing"), 404, "No such operation")
    assert_error(service.call("PATCH", f"{SEARCH}/create"), 405, "PATCH")


@pytest.mark.parametrize("name", ["pillow__truncated_image.png", "pillow__broken.png",
                                  "pillow__decompression_bomb.gif", "heif__empty.heic"])
def test_a_bad_image_is_400_naming_it_and_the_service_stays_up(service: Service,
                                                               name: str) -> None:
    shutil.copy(BAD_IMAGES / name, service.storage / name)
    context_id = service.create_context()

    from_storage = service.call("POST", f"{SEARCH}/{context_id}/image", params={"imageId": name})
    uploaded = service.call("GET", f"{SEARCH}/{context_id}/findSimilar",
                            params={"similarityThreshold": 0, "maxCount": 1},
                            files={"imageData": (name, (BAD_IMAGES / name).read_bytes())})

    queried = service.call("GET", f"{SEARCH}/{context_id}/findSimilar",
                           params={"similarityThreshold": 0, "maxCount": 1, "imageId": name})
    compared = service.call("POST", f"{SEARCH}/{context_id}/compare",
                            params={"imageId1": "ComparableImage.jpg", "imageId2": name})

    first = assert_error(from_storage, 400, name)
    second = assert_error(uploaded, 400, name, "imageData")
    third = assert_error(queried, 400, name, "(imageId)")
    fourth = assert_error(compared, 400, name, "(imageId2)")
    for message in (first, second, third, fourth):
        reason = message.split(": ", 1)[1]
        assert len(reason) > 3
    fine = service.call("POST", f"{SEARCH}/{context_id}/image",
                        params={"imageId": "FindSimilar/1.jpg"})
    assert fine.status_code == 200


def test_bad_images_in_a_folder_are_reported_not_fatal(service: Service) -> None:
    folder = service.storage / "mixed"
    folder.mkdir()
    for name in ("pillow__truncated_image.png", "pillow__broken.png"):
        shutil.copy(BAD_IMAGES / name, folder / name)
    shutil.copy(service.storage / "FindSimilar/1.jpg", folder / "good.jpg")
    context_id = service.create_context()

    status = service.index_folder(context_id, "mixed")

    assert status["progress"]["done"] == 3
    failed = {f["source"]: f["reason"] for f in status["progress"]["failed"]}
    assert set(failed) == {"mixed/pillow__truncated_image.png", "mixed/pillow__broken.png"}
    assert all(failed.values())
    ids = service.call("GET", f"{SEARCH}/{context_id}/images").json()["imageIds"]
    assert ids == ["mixed/good.jpg"]


# Background extraction ------------------------------------------------------------------------


class GatedEngine(Engine):
    """An engine whose folder extraction waits for the test to open a gate."""

    gate: threading.Event

    def _extract_files(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        assert self.gate.wait(30), "the test never opened the gate"
        super()._extract_files(*args, **kwargs)  # type: ignore[arg-type]


def test_folder_extraction_is_in_progress_once_answered(tmp_path: Path,
                                                        storage_root: Path) -> None:
    from lookalike.service.app import create_app
    from lookalike.service.server import ServerThread

    with GatedEngine(tmp_path / "data", workers=1) as engine:
        engine.gate = threading.Event()
        with ServerThread(create_app(engine, storage_root)) as server:
            base = server.url + SEARCH
            context_id = requests.post(base + "/create", timeout=10).json()["id"]

            started = requests.post(f"{base}/{context_id}/features", timeout=10,
                                    params={"imagesFolder": "FindSimilar"})
            during = requests.get(f"{base}/{context_id}/status", timeout=10).json()
            again = requests.post(f"{base}/{context_id}/features", timeout=10,
                                  params={"imagesFolder": "FindSimilar"})
            engine.gate.set()
            engine.wait_idle(context_id, timeout=60)
            after = requests.get(f"{base}/{context_id}/status", timeout=10).json()

    assert started.status_code == 200
    assert during["searchStatus"] == "InProgress"
    assert_error(again, 409, "already")
    assert after["searchStatus"] == "Idle"
    assert after["progress"]["done"] == 10


def test_service_refuses_a_storage_root_that_is_missing(tmp_path: Path, engine: Engine) -> None:
    from lookalike.service.app import create_app

    with pytest.raises(FileNotFoundError):
        create_app(engine, tmp_path / "missing")


def test_loopback_addresses_are_told_apart() -> None:
    from lookalike.service.server import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.0.0.2") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    assert not is_loopback("::") and not is_loopback("example.invalid")
