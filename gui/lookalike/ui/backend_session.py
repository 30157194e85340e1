"""Where the window's backend lives: the local service it starts, or Aspose Cloud.

No Qt here: a :class:`Backend` is driven by the backend worker thread only, so none of its
methods needs a lock. It hands out a :class:`Session` (a client plus the search context in use)
and knows how to tell whether its server is still alive and how to bring it back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lookalike.client import ApiError, ImagingClient, LocalService, path_to_image_id

log = logging.getLogger(__name__)

# Anything with the ImagingClient methods (the real one, or a fake in tests).
Client = Any


@dataclass(frozen=True, slots=True)
class Session:
    """What a backend job gets: the client, the search context and how ids map to files."""

    client: Client
    context_id: str
    kind: str  # "local" or "cloud"
    image_id_for: Callable[[Path], str]
    path_for: Callable[[str], Path | None]
    uploads: Any = None  # cloud mode's UploadMap


class Backend(Protocol):
    kind: str

    def connect(self) -> Session:
        """Start (or reach) the server and open the search context; may take seconds."""

    def is_alive(self) -> bool:
        """Cheap check, called every few seconds by the health timer."""

    def restart(self) -> Session:
        """Bring a dead server back and reopen the same search context."""

    def close(self) -> None: ...


def open_context(client: Client, saved_context_id: str | None) -> str:
    """Reuse the remembered search context if the server still has it, else create one."""
    if saved_context_id:
        try:
            client.get_search_context_status(saved_context_id)
        except ApiError as error:
            log.warning("Search context %s is gone (%s); creating a new one",
                        saved_context_id, error)
        else:
            return saved_context_id
    context_id: str = client.create_search_context().context_id
    log.info("Created search context %s", context_id)
    return context_id


def local_path_for(storage_root: Path) -> Callable[[str], Path | None]:
    def path_for(image_id: str) -> Path | None:
        return storage_root / image_id

    return path_for


def lower_priority(pid: int | None, niceness: int = 10) -> None:
    """Index in the background: the service and the workers it forks yield the CPU to the window.

    The service is its own process group (LocalService starts a new session), so the group's
    niceness covers the workers already running, and the ones forked later inherit it.
    """
    if pid is None or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PGRP, pid, niceness)
    except OSError:
        log.debug("Could not lower the priority of the service (pid %s)", pid)

    # Linux with autogroups (most desktops) shares the CPU between sessions first, and niceness
    # counts only inside one: the service's own session would get as much CPU as the window's,
    # and a scrolling grid stalled for 100-250 ms while it indexed. The session's niceness fixes
    # that; it needs no privilege to lower a session's priority.
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        try:
            autogroup.write_text(f"{niceness}\n")
        except OSError:
            log.debug("Could not lower the priority of the service's session (pid %s)", pid)


class LocalBackend:
    """The local engine: a ``lookalike serve`` child process on 127.0.0.1, restarted if it dies."""

    kind = "local"

    def __init__(
        self,
        data_dir: Path,
        log_file: Path | None,
        saved_context_id: str | None,
        storage_root: Path | None = None,
    ) -> None:
        self.storage_root = storage_root or Path(Path.home().anchor)
        self._service = LocalService(
            storage_root=self.storage_root, data_dir=data_dir, log_file=log_file
        )
        self._saved_context_id = saved_context_id
        self._session: Session | None = None

    @property
    def service(self) -> Any:
        return self._service

    def connect(self) -> Session:
        if not self._service.is_running():
            self._service.start()
            lower_priority(self._service.pid)
        client = self._service.make_client()
        context_id = open_context(client, self._saved_context_id)
        self._saved_context_id = context_id
        root = self.storage_root

        def image_id_for(path: Path) -> str:
            return str(path_to_image_id(path, root))

        self._session = Session(client, context_id, self.kind, image_id_for, local_path_for(root))
        return self._session

    def is_alive(self) -> bool:
        return bool(self._service.is_running())

    def restart(self) -> Session:
        log.warning("Restarting the local search service")
        self._service.restart()
        lower_priority(self._service.pid)
        return self.connect()

    def close(self) -> None:
        self._service.stop()


class CloudBackend:
    """Aspose Cloud (or a compatible server): images are uploaded, ids come from the upload map."""

    kind = "cloud"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        saved_context_id: str | None,
        upload_map: Any,
    ) -> None:
        self._client = ImagingClient(base_url, client_id=client_id, client_secret=client_secret)
        self._saved_context_id = saved_context_id
        self._upload_map = upload_map

    def connect(self) -> Session:
        context_id = open_context(self._client, self._saved_context_id)
        self._saved_context_id = context_id
        return Session(
            self._client,
            context_id,
            self.kind,
            self._upload_map.image_id_for,
            self._upload_map.path_for,
            self._upload_map,
        )

    def is_alive(self) -> bool:
        return True

    def restart(self) -> Session:
        return self.connect()

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if close is not None:
            close()
