"""Running the service: ``lookalike serve`` in the foreground, or a server thread for tests.

The socket is bound before uvicorn starts, so port 0 turns into a real port that can be announced.
The desktop app reads ``LOOKALIKE_READY <url>`` from stdout once connections are accepted; when
it started us with a pipe as stdin, the end of that pipe (the app has gone) stops the service.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import socket
import stat
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import platformdirs
import uvicorn
from fastapi import FastAPI

from lookalike.engine import Engine
from lookalike.service.app import create_app

log = logging.getLogger(__name__)

READY_PREFIX = "LOOKALIKE_READY "
GRACEFUL_SHUTDOWN_S = 5
EXIT_BAD_ARGUMENTS = 2
EXIT_CANT_LISTEN = 1


def default_data_dir() -> Path:
    """Where search contexts live unless --data says otherwise."""
    return Path(platformdirs.user_data_dir("lookalike", appauthor=False)) / "contexts"


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on ``host``:``port`` (0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says so, and without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if sys.platform != "win32":  # on Windows it would let two servers share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def make_server(app: FastAPI) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_config=None, access_log=log.isEnabledFor(logging.DEBUG), lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S, server_header=False,
    )
    return uvicorn.Server(config)


def wait_started(server: uvicorn.Server, timeout: float,
                 thread: threading.Thread | None = None) -> bool:
    """Wait until uvicorn accepts connections; False if it stopped or the time ran out."""
    deadline = time.monotonic() + timeout
    while not server.started:
        if server.should_exit or (thread is not None and not thread.is_alive()):
            return False
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def run_server(args: argparse.Namespace) -> int:
    """``lookalike serve``: returns the process exit code."""
    client_id, client_secret = args.client_id, args.client_secret
    if (client_id is None) != (client_secret is None):
        log.error("Give both --client-id and --client-secret (or $LOOKALIKE_CLIENT_SECRET), "
                  "or neither")
        return EXIT_BAD_ARGUMENTS
    if client_secret is None and not is_loopback(args.host):
        log.error("Refusing to serve on %s without a client id and secret: anyone on the network "
                  "could use it. Give --client-id and --client-secret, or use 127.0.0.1",
                  args.host)
        return EXIT_BAD_ARGUMENTS
    storage = Path(args.storage)
    if not storage.is_dir():
        log.error("Storage folder %s does not exist", storage)
        return EXIT_BAD_ARGUMENTS
    data_dir = Path(args.data) if args.data is not None else default_data_dir()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.error("Can't create the data folder %s: %s", data_dir, exc.strerror or exc)
        return EXIT_BAD_ARGUMENTS

    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        log.error("Can't listen on %s port %d: %s", args.host, args.port, exc.strerror or exc)
        return EXIT_CANT_LISTEN

    with sock, Engine(data_dir, workers=args.workers) as engine:
        app = create_app(engine, storage, client_id=client_id, client_secret=client_secret)
        server = make_server(app)
        url = url_of(sock)
        threading.Thread(
            target=_announce, args=(server, url, storage, data_dir, args.ready_line),
            name="lookalike-announce", daemon=True,
        ).start()
        if args.ready_line and _stdin_is_pipe():
            threading.Thread(target=_stop_at_end_of_stdin, args=(server,),
                             name="lookalike-stdin-watch", daemon=True).start()
        server.run(sockets=[sock])
    log.info("Lookalike service stopped")
    return 0


def _announce(server: uvicorn.Server, url: str, storage: Path, data_dir: Path,
              ready_line: bool) -> None:
    if not wait_started(server, timeout=float("inf")):
        return
    log.info("Lookalike service listening on %s (storage %s, contexts in %s)", url, storage,
             data_dir)
    if ready_line:
        # The protocol with the desktop app, not a log message: exactly one line on stdout.
        sys.stdout.write(f"{READY_PREFIX}{url}\n")
        sys.stdout.flush()


def _stdin_is_pipe() -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no stdin at all
        return False


def _stop_at_end_of_stdin(server: uvicorn.Server) -> None:
    """The parent holds our stdin open while it lives: EOF means it is gone."""
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    log.info("Standard input closed: the app that started the service is gone; stopping")
    server.should_exit = True


class ServerThread:
    """The app served by uvicorn in a thread on 127.0.0.1 and a free port (tests, benchmarks)."""

    def __init__(self, app: FastAPI, *, start_timeout: float = 30) -> None:
        self.server = make_server(app)
        self._sock = bind_socket("127.0.0.1", 0)
        self.url = url_of(self._sock)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, name="lookalike-server",
            daemon=True,
        )
        self._start_timeout = start_timeout

    def __enter__(self) -> ServerThread:
        self._thread.start()
        if not wait_started(self.server, self._start_timeout, self._thread):
            self.stop()
            raise RuntimeError(f"the service at {self.url} did not start")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self, timeout: float = 15) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._sock.close()
