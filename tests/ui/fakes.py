"""A fake backend for the window's tests: the ImagingClient methods the UI uses, in memory.

Its answers follow simple rules a test can predict without the engine: an image's similarity to a
tag or a query image comes from a table the test fills (``scores``), and indexing a folder moves on
by ``step`` files per status call, failing the files whose name starts with "broken".
Every call is recorded in ``calls`` (name, keyword arguments), from the worker thread, under a lock.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lookalike.client import (
    IDLE,
    IN_PROGRESS,
    ApiError,
    ConnectionFailedError,
    ContextStatus,
    DuplicateGroup,
    Failure,
    Progress,
    SearchResult,
    UnsupportedError,
    path_to_image_id,
)
from lookalike.ui.backend_session import Session


@dataclass
class _Extraction:
    files: list[str]
    done: int = 0
    cancelled: bool = False
    failed: list[Failure] = field(default_factory=list)


class FakeClient:
    def __init__(self, storage_root: Path, *, step: int = 1000, can_cancel: bool = True) -> None:
        self.storage_root = storage_root
        self.step = step
        self.lock = threading.Lock()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.contexts: set[str] = set()
        self.indexed: list[str] = []  # image ids in the context
        self.tags: dict[str, list[bytes]] = {}
        self.scores: dict[tuple[str, str], float] = {}  # (tag or query file name, image id)
        self.refuse_data: set[bytes] = set()
        # The service's own words for a refused upload (default: the decoder's reason alone).
        self.refusal_messages: dict[bytes, str] = {}
        self.data_names: dict[bytes, str] = {}  # uploaded query image -> key in ``scores``
        self.down = False  # simulates a dead service: every call fails to connect
        self._extraction: _Extraction | None = None
        self._last_progress: Progress | None = None
        self.can_cancel = can_cancel

    # Recording
    def _record(self, name: str, **kwargs: Any) -> None:
        if self.down:
            raise ConnectionFailedError("Can't reach the fake service: connection refused")
        with self.lock:
            self.calls.append((name, kwargs))

    def calls_to(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [kwargs for call, kwargs in self.calls if call == name]

    # Contexts
    def create_search_context(self) -> ContextStatus:
        self._record("create_search_context")
        context_id = uuid.uuid4().hex
        self.contexts.add(context_id)
        return ContextStatus(context_id, IDLE)

    def get_search_context_status(self, context_id: str) -> ContextStatus:
        self._record("get_search_context_status", context_id=context_id)
        if context_id not in self.contexts:
            raise ApiError(404, "NotFound", f"Search context {context_id} not found")
        with self.lock:
            job = self._extraction
            if job is None:
                return ContextStatus(context_id, IDLE, self._last_progress)
            if not job.cancelled:
                for file in job.files[job.done:job.done + self.step]:
                    if Path(file).name.startswith("broken"):
                        job.failed.append(Failure(file, "cannot identify image file"))
                    else:
                        self.indexed.append(path_to_image_id(Path(file), self.storage_root))
                job.done = min(len(job.files), job.done + self.step)
            progress = Progress(job.done, len(job.files), tuple(job.failed), 0, job.cancelled)
            if job.done < len(job.files) and not job.cancelled:
                return ContextStatus(context_id, IN_PROGRESS, progress)
            self._extraction = None
            self._last_progress = progress
            return ContextStatus(context_id, IDLE, progress)

    # Features
    def delete_image_features(self, context_id: str, image_id: str) -> None:
        self._record("delete_image_features", image_id=image_id)
        with self.lock:
            if image_id in self.indexed:
                self.indexed.remove(image_id)

    def create_image_features(
        self, context_id: str, *, image_id: str | None = None,
        images_folder: str | None = None, data: bytes | None = None,
    ) -> None:
        self._record("create_image_features", image_id=image_id, images_folder=images_folder)
        if images_folder is not None:
            folder = self.storage_root / images_folder
            files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
            with self.lock:
                self._extraction = _Extraction(files)
        elif image_id is not None:
            self.indexed.append(image_id)

    def cancel_extraction(self, context_id: str) -> None:
        if not self.can_cancel:  # a server without Lookalike's extension
            raise UnsupportedError("this server can't cancel a feature extraction")
        self._record("cancel_extraction", context_id=context_id)
        with self.lock:
            if self._extraction is not None:
                self._extraction.cancelled = True

    # Tags and searches
    def add_tag(self, context_id: str, tag_name: str, data: bytes) -> None:
        self._record("add_tag", tag_name=tag_name, data=data)
        self._refuse(data)
        self.tags.setdefault(tag_name, []).append(data)

    def _refuse(self, data: bytes | None) -> None:
        if data is not None and data in self.refuse_data:
            message = self.refusal_messages.get(data, "cannot identify image file")
            raise ApiError(400, "BadRequest", message)

    def _ranked(
        self, scored: dict[str, float], threshold: float, max_count: int
    ) -> list[SearchResult]:
        results = [SearchResult(image_id, s) for image_id, s in scored.items() if s >= threshold]
        results.sort(key=lambda r: (-r.similarity, r.image_id))
        return results[:max_count]

    def find_by_tags(
        self, context_id: str, tags: list[str], *, threshold: float, max_count: int,
        match_all: bool = False,
    ) -> list[SearchResult]:
        self._record("find_by_tags", tags=list(tags), threshold=threshold, max_count=max_count,
                     match_all=match_all)
        known = [tag for tag in tags if tag in self.tags]
        combine: Callable[[list[float]], float] = min if match_all else max
        scored = {}
        for image_id in self.indexed:
            per_tag = [self.scores.get((tag, image_id), 0.0) for tag in known]
            if known and (not match_all or len(known) == len(tags)):
                scored[image_id] = combine(per_tag)
        return self._ranked(scored, threshold, max_count)

    def find_similar(
        self, context_id: str, *, image_id: str | None = None, data: bytes | None = None,
        threshold: float, max_count: int,
    ) -> list[SearchResult]:
        self._record("find_similar", image_id=image_id, data=data, threshold=threshold,
                     max_count=max_count)
        self._refuse(data)
        query = self.data_names.get(data or b"", image_id or "")
        scored = {i: self.scores.get((query, i), 0.0) for i in self.indexed}
        return self._ranked(scored, threshold, max_count)

    def find_duplicates(self, context_id: str, *, threshold: float) -> list[DuplicateGroup]:
        self._record("find_duplicates", threshold=threshold)
        pairs = [(a, b) for (a, b), s in self.scores.items() if a.startswith("dup:")
                 and s >= threshold]
        return [
            DuplicateGroup((SearchResult(a[4:], 100.0), SearchResult(b, s)))
            for (a, b), s in ((pair, self.scores[pair]) for pair in pairs)
        ]

    def upload_file(self, path: str, data: bytes) -> None:
        self._record("upload_file", path=path, size=len(data))

    def object_exists(self, path: str) -> bool:
        self._record("object_exists", path=path)
        return False

    def close(self) -> None:
        pass


class FakeBackend:
    """A Backend (see backend_session) over a FakeClient; ``alive`` false simulates a crash."""

    def __init__(self, client: FakeClient, kind: str = "local") -> None:
        self.kind = kind
        self.client = client
        self.alive = True
        self.restarts = 0
        self.can_restart = True  # False: the service won't come back (a broken install)
        self.closed = False
        self._context_id: str | None = None

    def connect(self) -> Session:
        if self._context_id is None:
            self._context_id = self.client.create_search_context().context_id
        root = self.client.storage_root

        def image_id_for(path: Path) -> str:
            return path_to_image_id(path, root)

        return Session(self.client, self._context_id, self.kind, image_id_for,
                       lambda image_id: root / image_id)

    def is_alive(self) -> bool:
        return self.alive

    def restart(self) -> Session:
        if not self.can_restart:
            raise ConnectionFailedError("Can't start the fake service: it exits at once")
        self.restarts += 1
        self.alive = True
        self.client.down = False
        return self.connect()

    def close(self) -> None:
        self.closed = True
