"""Run Lookalike's HTTP service as a child process for the desktop app (no Qt here).

The child is this same program (``python -m lookalike serve`` or, frozen, ``lookalike serve``),
bound to 127.0.0.1 on a free port, with a random secret per start passed in the environment so it
never shows in the process list. It prints ``LOOKALIKE_READY <url>`` on stdout once listening.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from lookalike.client.api import Endpoint, ImagingClient
from lookalike.client.errors import ClientError

log = logging.getLogger(__name__)

SECRET_ENV = "LOOKALIKE_CLIENT_SECRET"  # the name lookalike.cli reads
READY_PREFIX = "LOOKALIKE_READY "
CLIENT_ID = "lookalike-desktop"
STDERR_TAIL_LINES = 20
_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING,
           "ERROR": logging.ERROR, "CRITICAL": logging.CRITICAL}
_LEVEL_IN_LINE = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


class LocalServiceError(ClientError):
    """The local service could not be started (the message says why in one line)."""


class _Child:
    """One started child process and the threads that drain its pipes."""

    def __init__(self, process: subprocess.Popen[str], log_stream: IO[str] | None) -> None:
        self.process = process
        self.log_stream = log_stream
        self.url: str | None = None
        self.ready = threading.Event()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self.threads = [
            threading.Thread(target=self._read_stdout, name="lookalike-service-stdout",
                             daemon=True),
            threading.Thread(target=self._read_stderr, name="lookalike-service-stderr",
                             daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        try:
            for raw in self.process.stdout:
                line = raw.rstrip()
                if self.url is None and line.startswith(READY_PREFIX):
                    self.url = line[len(READY_PREFIX):].strip()
                    self.ready.set()
                elif line:
                    log.info("service: %s", line)
        except (OSError, ValueError):
            pass  # the pipe was closed under us by stop()
        finally:
            self.ready.set()  # end of output: wake whoever waits for the ready line

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        try:
            for raw in self.process.stderr:
                line = raw.rstrip()
                if not line:
                    continue
                self.stderr_tail.append(line)
                if self.log_stream is not None:
                    self.log_stream.write(line + "\n")
                    self.log_stream.flush()
                else:
                    match = _LEVEL_IN_LINE.match(line)
                    level = _LEVELS.get(match.group(1), logging.INFO) if match else logging.INFO
                    log.log(level, "service: %s", line)
        except (OSError, ValueError):
            pass

    def last_error_line(self) -> str:
        for line in reversed(self.stderr_tail):
            if line.strip():
                return line.strip()[:300]
        return "no error output"


class LocalService:
    """Start, watch, restart and stop the local service child process.

    Thread-safe: one lock guards the child, so concurrent ``ensure_running()`` or recovering
    clients start at most one new child. If the child dies, no call need be lost: either the
    caller catches ConnectionFailedError, calls ``ensure_running()`` and repeats the call, or a
    client made with ``make_client(recover=True)`` does both itself. The data dir outlives the
    child, so search contexts survive a restart; the port and secret change with each start.
    """

    def __init__(
        self,
        *,
        storage_root: Path,
        data_dir: Path,
        log_file: Path | None = None,
        workers: int | None = None,
        start_timeout: float = 30,
        on_restart: Callable[[str], None] | None = None,
    ) -> None:
        """``on_restart`` is told, in one line, why a dead child had to be started again."""
        self.storage_root = Path(storage_root)
        self.data_dir = Path(data_dir)
        self.log_file = log_file
        self.workers = workers
        self.start_timeout = start_timeout
        self.base_url = ""
        self.client_id = CLIENT_ID
        self.client_secret = ""
        self.on_restart = on_restart
        self._child: _Child | None = None
        self._lock = threading.RLock()
        self._stop_at_exit = False
        self._wanted = False  # started and not stopped on purpose: reconnect may restart it

    def __enter__(self) -> LocalService:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def command(self) -> list[str]:
        """The child's argv: the secret is not in it (it travels in the environment)."""
        if getattr(sys, "frozen", False):
            program = [sys.executable]
        else:
            program = [sys.executable, "-m", "lookalike"]
        args = [
            "serve", "--host", "127.0.0.1", "--port", "0", "--ready-line",
            "--storage", str(self.storage_root), "--data", str(self.data_dir),
            "--client-id", self.client_id,
        ]
        if self.workers is not None:
            args += ["--workers", str(self.workers)]
        return program + args

    def start(self) -> None:
        """Spawn the child and wait for its ready line; LocalServiceError on failure or timeout."""
        with self._lock:
            self._wanted = True
            if self.is_running():
                return
            self._stop_child()  # reap a dead child and its leftovers before starting anew
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.client_secret = secrets.token_urlsafe(32)
            child = self._spawn()
            self._child = child
            if not self._stop_at_exit:
                atexit.register(self.stop)
                self._stop_at_exit = True
            self.base_url = self._wait_ready(child)
            log.info("Local service ready at %s (pid %d)", self.base_url, child.process.pid)

    def _spawn(self) -> _Child:
        env = dict(os.environ)
        env[SECRET_ENV] = self.client_secret
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("PYTHONIOENCODING", "utf-8")
        extra: dict[str, object] = {}
        if sys.platform == "win32":
            extra["creationflags"] = subprocess.CREATE_NO_WINDOW
            # TODO: put the child in a Job object so it dies with the app on Windows too.
        else:
            # Its own process group, so stop() can also reach the decoding workers it forks.
            extra["start_new_session"] = True
        log_stream = None
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            # Closed in stop().
            log_stream = open(self.log_file, "a", encoding="utf-8")  # noqa: SIM115
        command = self.command()
        log.debug("Starting local service: %s", " ".join(command))
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, text=True, encoding="utf-8", errors="replace", bufsize=1,
                **extra,  # type: ignore[call-overload]
            )
        except OSError as exc:
            if log_stream is not None:
                log_stream.close()
            raise LocalServiceError(f"Can't start the local service: {exc}") from exc
        return _Child(process, log_stream)

    def _wait_ready(self, child: _Child) -> str:
        deadline = time.monotonic() + self.start_timeout
        while not child.ready.wait(0.1):
            if time.monotonic() > deadline:
                self._stop_child()
                raise LocalServiceError(
                    f"The local service did not start within {self.start_timeout:g} s: "
                    f"{child.last_error_line()}"
                )
        url = child.url
        if url is not None and url.startswith("http://127.0.0.1:"):
            return url.rstrip("/")
        if url is not None:
            self._stop_child()
            raise LocalServiceError(f"The local service announced an unexpected URL {url!r}")

        # Its output ended without a ready line: it is exiting; wait for its last words.
        try:
            code = child.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        for thread in child.threads:
            thread.join(timeout=2)
        reason = child.last_error_line()
        self._stop_child()
        raise LocalServiceError(
            f"The local service exited (code {code}) before it was ready: {reason}"
        )

    def is_running(self) -> bool:
        with self._lock:
            return self._child is not None and self._child.process.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id while one was started (for diagnostics and tests)."""
        with self._lock:
            return self._child.process.pid if self._child is not None else None

    def ensure_running(self, *, grace: float = 0.25) -> bool:
        """Start the child if it is not running; True if it had to (``on_restart`` is told).

        Meant for after a connection failure: a child killed a moment ago can refuse
        connections a few milliseconds before it can be reaped, so a child that still looks
        alive gets ``grace`` seconds to finish dying. For a cheap check use ``is_running()``.
        Safe to call from any thread: concurrent callers start at most one child.
        """
        with self._lock:
            self._settle(grace)
            if self.is_running():
                return False
            reason = self._death_reason()
            self.start()
        if reason is not None:
            log.warning("The local service had stopped (%s); started it again", reason)
            if self.on_restart is not None:
                self.on_restart(reason)
        return True

    def endpoint(self) -> Endpoint:
        """Address and credentials of the running child."""
        with self._lock:
            if not self.is_running():
                raise LocalServiceError("The local service is not running")
            return Endpoint(self.base_url, self.client_id, self.client_secret)

    def reconnect(self, failed: Endpoint) -> Endpoint | None:
        """For ImagingClient: where to go after ``failed`` stopped answering.

        Restarts the child if it died; None if it is alive at the same address (then the
        client's own retries apply).
        """
        with self._lock:
            if not self._wanted:
                return None  # stopped on purpose (the app is quitting)
            self._settle(1.0)
            if self.is_running():
                current = self.endpoint()
                return None if current == failed else current
        self.ensure_running()
        return self.endpoint()

    def _settle(self, grace: float) -> None:
        """Give a child that looks alive up to ``grace`` seconds to turn out dead."""
        child = self._child
        if child is not None and grace > 0 and child.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=grace)

    def _death_reason(self) -> str | None:
        """Why the previous child ended, in one line; None if there was none."""
        child = self._child
        if child is None:
            return None
        for thread in child.threads:
            thread.join(timeout=1)  # let the last stderr lines arrive
        return f"exit code {child.process.returncode}: {child.last_error_line()}"

    def restart(self) -> None:
        """Stop the child (dead or alive) and start a new one on the same data dir.

        The port and secret change: make a new client with ``make_client()`` afterwards.
        """
        with self._lock:
            self._stop_child()
            self.start()

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then kill after ``timeout``; also kills leftovers in its group. Idempotent.

        A stopped service stays stopped: recovering clients no longer restart it.
        """
        with self._lock:
            self._wanted = False
            self._stop_child(timeout)

    def _stop_child(self, timeout: float = 10) -> None:
        with self._lock:
            child, self._child = self._child, None
            if child is None:
                return
            process = child.process
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    log.warning("Local service (pid %d) ignored SIGTERM; killing it",
                                   process.pid)
                    self._kill_group(process.pid)
                    process.kill()
                    process.wait()
            self._kill_group(process.pid)
            if process.stdin is not None:
                with contextlib.suppress(OSError):  # the child is gone: a broken pipe
                    process.stdin.close()
            for thread in child.threads:
                thread.join(timeout=5)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
            if child.log_stream is not None:
                child.log_stream.close()
            log.debug("Local service (pid %d) stopped with code %s", process.pid,
                         process.returncode)
            self.base_url = ""

    @staticmethod
    def _kill_group(pid: int) -> None:
        """Kill what is left of the child's process group (its workers, if it died first)."""
        if sys.platform == "win32":
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left
            os.killpg(pid, signal.SIGKILL)

    def make_client(self, *, recover: bool = False, **kwargs: object) -> ImagingClient:
        """A client for the running child; extra keyword arguments go to ImagingClient.

        With ``recover`` the client restarts a dead child itself and sends the failed request
        again to the new one (``on_restart`` is told); without it, the caller sees
        ConnectionFailedError and calls ``ensure_running()`` or ``restart()``.
        """
        endpoint = self.endpoint()
        return ImagingClient(
            endpoint.base_url, client_id=endpoint.client_id,
            client_secret=endpoint.client_secret,
            reconnect=self.reconnect if recover else None,
            **kwargs,  # type: ignore[arg-type]
        )
