"""A tiny HTTP server on 127.0.0.1 that records every request and answers plausible JSON.

Used to compare what our client sends with what the official SDK sends, and to script failures
(503s, 401s, slow answers) for the retry tests.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "token-1"
FEATURES = b"\x01\x02\x03features"


@dataclass
class Recorded:
    method: str
    target: str  # raw path and query, as sent
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def form(self) -> dict[str, bytes]:
        """Fields of a multipart/form-data or urlencoded body, by name."""
        if self.content_type.startswith("application/x-www-form-urlencoded"):
            return {k: v[0].encode() for k, v in parse_qs(self.body.decode()).items()}
        if not self.content_type.startswith("multipart/form-data"):
            return {}
        raw = f"Content-Type: {self.content_type}\r\n\r\n".encode() + self.body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        fields: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields[str(name)] = payload if isinstance(payload, bytes) else b""
        return fields


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering (released at shutdown)
    drop: bool = False  # close the connection without answering


Responder = Callable[[Recorded], Reply]


def plausible_reply(request: Recorded) -> Reply:
    """What Aspose would answer, in shape, to each operation the client uses."""
    path, method = request.path, request.method
    result = {"imageId": "Photos/a.jpg", "similarity": 97.5}
    if path == "/connect/token":
        return Reply(body={"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})
    if path.endswith("/imageSearch/create") or path.endswith("/status"):
        return Reply(body={"id": "ctx1", "searchStatus": "Idle"})
    if path.endswith(("/findSimilar", "/findByTags", "/compare")):
        return Reply(body={"results": [result]})
    if path.endswith("/findDuplicates"):
        group = [result, {"imageId": "Photos/b.jpg", "similarity": 95.0}]
        return Reply(body={"duplicates": [{"duplicateImages": group}]})
    if (path.endswith("/features") and method == "GET") or path.endswith("/image2features"):
        return Reply(body={"imageId": "Photos/a.jpg", "featuresCount": 1,
                           "featureLengthInBits": 8 * len(FEATURES),
                           "features": base64.b64encode(FEATURES).decode()})
    if path.endswith("/image") and method == "GET":
        return Reply(body=b"JPEGDATA", headers={"Content-Type": "image/jpeg"})
    if "/storage/file/" in path and method == "GET":
        return Reply(body=b"FILEDATA", headers={"Content-Type": "application/octet-stream"})
    if "/storage/file/" in path and method == "PUT":
        return Reply(body={"uploaded": ["a.jpg"], "errors": []})
    if "/storage/exist/" in path:
        return Reply(body={"exists": True, "isFolder": False})
    if "/storage/folder/" in path and method == "GET":
        entry = {"name": "a.jpg", "isFolder": False, "modifiedDate": "2026-12-04T10:00:00Z",
                 "size": 8, "path": "/Photos/a.jpg"}
        return Reply(body={"value": [entry]})
    if path.endswith("/tags"):
        return Reply(body={"tags": [{"name": "temple", "referenceCount": 2}]})
    if path.endswith("/images"):
        return Reply(body={"imageIds": ["Photos/a.jpg", "Photos/b.jpg"]})
    return Reply()


class RecordingServer:
    """Answers with ``responder`` (plausible JSON by default) and keeps every request."""

    def __init__(self, responder: Responder = plausible_reply) -> None:
        self.responder = responder
        self.requests: list[Recorded] = []
        self.release = threading.Event()  # wakes handlers that stall with Reply.delay
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()  # joins the per-request threads
        self._thread.join(timeout=5)

    def api_requests(self) -> list[Recorded]:
        """Requests other than the token fetch."""
        with self._lock:
            return [r for r in self.requests if r.path != "/connect/token"]

    def token_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == "/connect/token"]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    self.command, self.path,
                    {k.lower(): v for k, v in self.headers.items()}, body,
                )
                with server._lock:
                    server.requests.append(recorded)
                reply = server.responder(recorded)
                if reply.delay:
                    server.release.wait(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                payload = reply.body
                headers = dict(reply.headers)
                if isinstance(payload, dict | list):
                    payload = json.dumps(payload).encode()
                    headers.setdefault("Content-Type", "application/json")
                payload = payload or b""
                try:
                    self.send_response(reply.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
