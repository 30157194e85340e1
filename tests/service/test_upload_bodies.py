"""Large request bodies: held in memory once, capped by a limit the 413 names, settable by CLI.

Service finding 17 (four concurrent 190 MB uploads used ~3.4x their size; nothing said what
the cap was). The stalled-body timeout (408) is tested in test_no_5xx.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import anyio
import requests
from starlette.requests import Request
from starlette.types import Message

from lookalike import cli
from lookalike.service import bodies
from lookalike.service.bodies import Upload, read_upload
from tests.service.conftest import EXAMPLES, SEARCH, assert_error

CHUNK = 64 * 1024


def multipart_request(chunks: list[bytes], boundary: str) -> Request:
    """A request whose body arrives in ``chunks``, as uvicorn hands it over."""
    pending = list(chunks)

    async def receive() -> Message:
        body = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"",
             "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())]}
    return Request(scope, receive)


def test_a_multipart_upload_is_held_in_memory_once() -> None:
    size = 16 * 2**20
    image = os.urandom(size)
    body = (b"--B0und\r\nContent-Disposition: form-data; name=\"imageData\"; filename=\"r.jpg\""
            b"\r\nContent-Type: image/jpeg\r\n\r\n" + image + b"\r\n--B0und--\r\n")
    chunks = [body[i:i + CHUNK] for i in range(0, len(body), CHUNK)]
    del body

    async def read_and_measure() -> tuple[Upload | None, int]:
        # Measured inside the event loop: the loop's own teardown is no part of a request.
        tracemalloc.start()
        try:
            read = await read_upload(multipart_request(chunks, "B0und"))
            return read, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    upload, peak = anyio.run(read_and_measure)

    assert upload is not None and upload.data == image and upload.filename == "r.jpg"
    # The part itself, plus little: not the body and the part, nor slices of either.
    assert peak < 1.3 * size, f"peak {peak / 2**20:.1f} MB for a 16 MB upload"


def test_the_cli_and_the_service_share_the_default_body_limit() -> None:
    args = cli.build_parser().parse_args(["serve", "--storage", "."])

    assert args.max_upload_mb == cli.DEFAULT_MAX_UPLOAD_MB == bodies.DEFAULT_MAX_UPLOAD_MB
    assert bodies.DEFAULT_MAX_BODY_BYTES == 200 * 2**20


def test_max_upload_mb_sets_the_limit_and_the_413_names_it(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("LOOKALIKE_CLIENT_SECRET", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "lookalike", "serve", "--storage", str(EXAMPLES), "--data",
         str(tmp_path / "data"), "--workers", "1", "--port", "0", "--ready-line",
         "--max-upload-mb", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().removeprefix("LOOKALIKE_READY ").strip()
        assert url.startswith("http://127.0.0.1:"), url
        context = requests.post(f"{url}{SEARCH}/create", timeout=30).json()["id"]

        too_big = requests.post(f"{url}{SEARCH}/{context}/addTag", params={"tagName": "t"},
                                data=b"x" * (2**20 + 1), timeout=30)
        fits = requests.post(f"{url}{SEARCH}/{context}/addTag", params={"tagName": "t"},
                             data=(EXAMPLES / "ComparableImage.jpg").read_bytes(), timeout=30)

        assert_error(too_big, 413, "limit of 1 MB (1048576 bytes)", "--max-upload-mb")
        assert fits.status_code == 200, fits.text
    finally:
        child.communicate(timeout=30)  # closing stdin stops the service
