"""Plain value types the engine returns: no Qt, no HTTP, easy to serialise."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SearchStatus(StrEnum):
    """A search context's state, with the values Aspose's API uses."""

    IDLE = "Idle"
    IN_PROGRESS = "InProgress"


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One image found by a search, with its similarity (0-100)."""

    image_id: str
    similarity: float


@dataclass(frozen=True, slots=True)
class Failure:
    """A file that could not be indexed, and why (one short line)."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a context's background extraction has come."""

    done: int = 0
    total: int = 0
    failed: tuple[Failure, ...] = ()
    skipped: int = 0
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class ContextStatus:
    context_id: str
    status: SearchStatus
    progress: Progress = field(default_factory=Progress)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What the context knows of an image without loading its features."""

    image_id: str
    source_path: str | None
    width: int
    height: int
    has_features: bool


@dataclass(frozen=True, slots=True)
class TagInfo:
    name: str
    reference_count: int
