"""Running the service: ``lookalike serve`` in the foreground, or a server thread for tests.

The socket is bound before uvicorn starts, so port 0 turns into a real port that can be announced.
The desktop app reads ``LOOKALIKE_READY <url>`` from stdout once connections are accepted; when
it started us with a pipe as stdin, the end of that pipe (the app has gone) stops the service.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import stat
import sys
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType

import platformdirs
import uvicorn
from fastapi import FastAPI

from lookalike.engine import Engine
from lookalike.service.app import create_app
from lookalike.service.auth import load_signing_key
from lookalike.service.datalock import DataFolderInUseError, DataFolderLock
from lookalike.service.loopback import is_loopback_host

log = logging.getLogger(__name__)

READY_PREFIX = "LOOKALIKE_READY "
GRACEFUL_SHUTDOWN_S = 5
ORPHAN_EXIT_MARGIN_S = 10
EXIT_BAD_ARGUMENTS = 2
EXIT_CANT_LISTEN = 1
EXIT_DATA_IN_USE = 1
SECRET_ENV = "LOOKALIKE_CLIENT_SECRET"


def default_data_dir() -> Path:
    """Where search contexts live unless --data says otherwise."""
    return Path(platformdirs.user_data_dir("lookalike", appauthor=False)) / "contexts"


def is_loopback(host: str) -> bool:
    """Whether --host is a loopback name or address (the only ones allowed without auth)."""
    return is_loopback_host(host)


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


def make_server(app: FastAPI, *, graceful_signals: bool = False) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_config=None, access_log=log.isEnabledFor(logging.DEBUG), lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S, server_header=False,
    )
    return GracefulServer(config) if graceful_signals else uvicorn.Server(config)


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


class GracefulServer(uvicorn.Server):
    """uvicorn that stops on SIGTERM/SIGINT and then returns, so the engine gets closed.

    Plain uvicorn re-raises the captured signal once it has stopped, which kills the process
    (SIGTERM) or throws KeyboardInterrupt (SIGINT) before ``Engine.close()`` can stop the worker
    processes. Here the signal only asks for the stop; a second Ctrl-C still forces it.
    """

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            log.info("Got %s: stopping", signal.Signals(sig).name)
            self.should_exit = True


def credentials_problem(client_id: str | None, client_secret: str | None) -> str | None:
    """Why the given --client-id/--client-secret can't be used, or None if they can."""
    if client_id is not None and not client_id.strip():
        return "--client-id is empty: give a non-blank client id"
    if client_secret is not None and not client_secret.strip():
        return (f"--client-secret (or ${SECRET_ENV}) is empty: an empty secret would let anyone "
                "in. Give a non-blank secret")
    if (client_id is None) != (client_secret is None):
        return f"Give both --client-id and --client-secret (or ${SECRET_ENV}), or neither"
    return None


def run_server(args: argparse.Namespace) -> int:
    """``lookalike serve``: returns the process exit code."""
    client_id, client_secret = args.client_id, args.client_secret
    problem = credentials_problem(client_id, client_secret)
    if problem is not None:
        log.error("%s", problem)
        return EXIT_BAD_ARGUMENTS
    if client_secret is None and not is_loopback(args.host):
        log.error("Refusing to serve on %s without a client id and secret: anyone on the network "
                  "could use it. Give --client-id and --client-secret, or use 127.0.0.1",
                  args.host)
        return EXIT_BAD_ARGUMENTS
    storage = Path(args.storage)
    if not storage.is_dir():
        what = "is not a folder" if storage.exists() else "does not exist"
        log.error("Storage folder %s %s", storage, what)
        return EXIT_BAD_ARGUMENTS
    data_dir = Path(args.data) if args.data is not None else default_data_dir()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.error("Can't create the data folder %s: %s", data_dir, exc.strerror or exc)
        return EXIT_BAD_ARGUMENTS

    lock = DataFolderLock(data_dir)
    try:
        lock.acquire()
    except DataFolderInUseError as exc:
        log.error("%s", exc)
        return EXIT_DATA_IN_USE
    except OSError as exc:
        log.error("Can't lock the data folder %s: %s", data_dir, exc.strerror or exc)
        return EXIT_BAD_ARGUMENTS
    try:
        return _serve_locked(args, storage, data_dir, client_id, client_secret)
    finally:
        lock.release()


def _serve_locked(args: argparse.Namespace, storage: Path, data_dir: Path,
                  client_id: str | None, client_secret: str | None) -> int:
    try:
        signing_key = load_signing_key(data_dir) if client_secret is not None else None
    except OSError as exc:
        log.error("Can't keep the token signing key in %s: %s", data_dir, exc.strerror or exc)
        return EXIT_BAD_ARGUMENTS
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        log.error("Can't listen on %s port %d: %s", args.host, args.port, exc.strerror or exc)
        return EXIT_CANT_LISTEN

    with sock, Engine(data_dir, workers=args.workers) as engine:
        app = create_app(engine, storage, client_id=client_id, client_secret=client_secret,
                         signing_key=signing_key, max_body_bytes=args.max_upload_mb * 2**20)
        server = make_server(app, graceful_signals=True)
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
    """The parent holds our stdin open while it lives: EOF means it is gone.

    Reads the file descriptor, not ``sys.stdin.buffer``: this daemon thread is still blocked
    in the read when a signal stops the service, and a buffered reader's lock held at
    interpreter shutdown aborts the process ("could not acquire lock ... at shutdown").
    """
    with contextlib.suppress(OSError, ValueError):
        fd = sys.stdin.fileno()
        while os.read(fd, 4096):
            pass
    log.info("Standard input closed: the app that started the service is gone; stopping")
    server.should_exit = True

    # A request busy in the engine (duplicates of a big library) can't be interrupted, and nobody
    # is left to read its answer: past the graceful stop, exit rather than run on as an orphan.
    # SQLite's journal keeps every context consistent through an exit at any point.
    time.sleep(GRACEFUL_SHUTDOWN_S + ORPHAN_EXIT_MARGIN_S)
    log.warning("Still busy %g s after the app went away; exiting now",
                GRACEFUL_SHUTDOWN_S + ORPHAN_EXIT_MARGIN_S)
    logging.shutdown()
    os._exit(0)


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
