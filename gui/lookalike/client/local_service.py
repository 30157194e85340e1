"""Run Lookalike's HTTP service as a child process for the desktop app (no Qt here).

The child is this same program (``python -m lookalike serve`` or, frozen, ``lookalike serve``),
bound to 127.0.0.1 on a free port, with a random secret per start passed in the environment so it
never shows in the process list. It prints ``LOOKALIKE_READY <url>`` on stdout once listening.
"""

from __future__ import annotations

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
from pathlib import Path
from typing import IO

from lookalike.client.api import ImagingClient
from lookalike.client.errors import ClientError

logger = logging.getLogger(__name__)

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

    def __init__(self, process: subprocess.Popen[str], log: IO[str] | None) -> None:
        self.process = process
        self.log = log
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
                    logger.info("service: %s", line)
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
                if self.log is not None:
                    self.log.write(line + "\n")
                    self.log.flush()
                else:
                    match = _LEVEL_IN_LINE.match(line)
                    level = _LEVELS.get(match.group(1), logging.INFO) if match else logging.INFO
                    logger.log(level, "service: %s", line)
        except (OSError, ValueError):
            pass

    def last_error_line(self) -> str:
        for line in reversed(self.stderr_tail):
            if line.strip():
                return line.strip()[:300]
        return "no error output"


class LocalService:
    """Start, watch, restart and stop the local service child process."""

    def __init__(
        self,
        *,
        storage_root: Path,
        data_dir: Path,
        log_file: Path | None = None,
        workers: int | None = None,
        start_timeout: float = 30,
    ) -> None:
        self.storage_root = Path(storage_root)
        self.data_dir = Path(data_dir)
        self.log_file = log_file
        self.workers = workers
        self.start_timeout = start_timeout
        self.base_url = ""
        self.client_id = CLIENT_ID
        self.client_secret = ""
        self._child: _Child | None = None
        self._lock = threading.RLock()

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
            if self.is_running():
                return
            self.stop()  # reap a dead child and its leftovers before starting anew
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.client_secret = secrets.token_urlsafe(32)
            child = self._spawn()
            self._child = child
            self.base_url = self._wait_ready(child)
            logger.info("Local service ready at %s (pid %d)", self.base_url, child.process.pid)

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
        log = None
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            log = open(self.log_file, "a", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        command = self.command()
        logger.debug("Starting local service: %s", " ".join(command))
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, text=True, encoding="utf-8", errors="replace", bufsize=1,
                **extra,  # type: ignore[call-overload]
            )
        except OSError as exc:
            if log is not None:
                log.close()
            raise LocalServiceError(f"Can't start the local service: {exc}") from exc
        return _Child(process, log)

    def _wait_ready(self, child: _Child) -> str:
        deadline = time.monotonic() + self.start_timeout
        while not child.ready.wait(0.1):
            if time.monotonic() > deadline:
                self.stop()
                raise LocalServiceError(
                    f"The local service did not start within {self.start_timeout:g} s"
                )
        url = child.url
        if url is None or not url.startswith("http://127.0.0.1:"):
            try:
                code = child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            for thread in child.threads:
                thread.join(timeout=2)
            reason = child.last_error_line()
            self.stop()
            if url is not None:
                raise LocalServiceError(f"The local service announced an unexpected URL {url!r}")
            raise LocalServiceError(
                f"The local service exited (code {code}) before it was ready: {reason}"
            )
        return url.rstrip("/")

    def is_running(self) -> bool:
        with self._lock:
            return self._child is not None and self._child.process.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id while one was started (for diagnostics and tests)."""
        with self._lock:
            return self._child.process.pid if self._child is not None else None

    def restart(self) -> None:
        """Stop the child (dead or alive) and start a new one on the same data dir.

        The port and secret change: make a new client with ``make_client()`` afterwards.
        """
        with self._lock:
            self.stop()
            self.start()

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then kill after ``timeout``; also kills leftovers in its group. Idempotent."""
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
                    logger.warning("Local service (pid %d) ignored SIGTERM; killing it",
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
            if child.log is not None:
                child.log.close()
            logger.debug("Local service (pid %d) stopped with code %s", process.pid,
                         process.returncode)
            self.base_url = ""

    @staticmethod
    def _kill_group(pid: int) -> None:
        """Kill what is left of the child's process group (its workers, if it died first)."""
        if sys.platform == "win32":
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left
            os.killpg(pid, signal.SIGKILL)

    def make_client(self, **kwargs: object) -> ImagingClient:
        """A client for the running child; extra keyword arguments go to ImagingClient."""
        with self._lock:
            if not self.is_running():
                raise LocalServiceError("The local service is not running")
            return ImagingClient(
                self.base_url, client_id=self.client_id, client_secret=self.client_secret,
                **kwargs,  # type: ignore[arg-type]
            )
