"""The engine's facade: search contexts, images, features, tags and searches.

Everything above the engine (the HTTP service, tests, benchmarks) goes through :class:`Engine`.
It is thread-safe: the service calls it from several request threads at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from lookalike.engine.types import ContextStatus, ImageInfo, SearchResult

log = logging.getLogger(__name__)

# An image given to a search or a comparison: the id of an image in the context, or raw bytes.
ImageRef = str | bytes


class Engine:
    """Holds every search context kept under ``data_dir`` (one SQLite file each).

    Args:
        data_dir: where the contexts live; created if missing.
        workers: decoding processes (default: the number of cores).
    """

    def __init__(self, data_dir: Path, *, workers: int | None = None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Cancel background work, stop the worker processes and close the databases."""
        raise NotImplementedError

    # Contexts
    def create_context(self) -> str: ...
    def delete_context(self, context_id: str) -> None: ...
    def context_ids(self) -> list[str]: ...
    def status(self, context_id: str) -> ContextStatus: ...

    # Images (the features are extracted synchronously)
    def add_image(
        self, context_id: str, image_id: str, *, path: Path | None = None, data: bytes | None = None
    ) -> ImageInfo: ...
    def update_image(
        self, context_id: str, image_id: str, *, path: Path | None = None, data: bytes | None = None
    ) -> ImageInfo: ...
    def get_image(self, context_id: str, image_id: str) -> ImageInfo: ...
    def delete_image(self, context_id: str, image_id: str) -> None: ...
    def image_ids(self, context_id: str) -> list[str]: ...
    def features_blob(self, context_id: str, image_id: str) -> bytes: ...

    # Background extraction over a folder tree
    def extract_folder(
        self, context_id: str, folder: Path, *, id_prefix: str = "", recursive: bool = True
    ) -> None: ...
    def cancel(self, context_id: str) -> None: ...
    def wait_idle(self, context_id: str, timeout: float | None = None) -> ContextStatus: ...

    # Searches
    def compare(self, context_id: str, a: ImageRef, b: ImageRef) -> float: ...
    def find_similar(
        self, context_id: str, query: ImageRef, *, threshold: float = 0, max_count: int = 10
    ) -> list[SearchResult]: ...
    def find_duplicates(
        self, context_id: str, *, threshold: float = 90
    ) -> list[list[SearchResult]]: ...
    def add_tag(self, context_id: str, name: str, data: bytes) -> None: ...
    def find_by_tags(
        self,
        context_id: str,
        names: Sequence[str],
        *,
        threshold: float = 0,
        max_count: int = 10,
        match_all: bool = False,
    ) -> list[SearchResult]: ...
