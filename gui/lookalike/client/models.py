"""Typed, immutable results of client calls, and their parsing from the server's JSON.

Aspose serialises models with camelCase keys ("searchStatus"); its SDK also accepts PascalCase, so
the parsers here accept both. Anything missing or malformed raises ProtocolError naming the field.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lookalike.client.errors import ProtocolError

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
    """How far a context's background extraction has come (Lookalike's service only)."""

    done: int = 0
    total: int = 0
    failed: tuple[Failure, ...] = ()
    skipped: int = 0
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class ContextStatus:
    """A search context's state: ``status`` is "Idle" or "InProgress" as Aspose spells them.

    ``progress`` is None when the server does not report it (Aspose Cloud never does).
    """

    context_id: str
    status: str
    progress: Progress | None = None

    @property
    def is_idle(self) -> bool:
        return self.status == IDLE


@dataclass(frozen=True, slots=True)
class ImageFeatures:
    """An image's features as the server stores them; ``features`` is the decoded blob."""

    image_id: str | None
    features_count: int
    feature_length_in_bits: int
    features: bytes


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Images that are near-duplicates of each other."""

    images: tuple[SearchResult, ...]


@dataclass(frozen=True, slots=True)
class StorageFile:
    """A file or folder in the server's storage."""

    name: str
    path: str
    is_folder: bool
    size: int
    modified: datetime | None


@dataclass(frozen=True, slots=True)
class TagInfo:
    """A tag and how many reference images define it (Lookalike's service only)."""

    name: str
    reference_count: int


# --- parsing -------------------------------------------------------------------------------


def field(obj: Mapping[str, Any], name: str, default: Any = ..., *, what: str = "response") -> Any:
    """Read ``name`` (camelCase) or its PascalCase twin from a JSON object."""
    if not isinstance(obj, Mapping):
        raise ProtocolError(f"Unexpected {what} from the server: expected an object")
    for key in (name, name[:1].upper() + name[1:]):
        if key in obj:
            return obj[key]
    if default is ...:
        raise ProtocolError(f"Unexpected {what} from the server: field {name!r} is missing")
    return default


def parse_search_result(obj: Mapping[str, Any]) -> SearchResult:
    try:
        similarity = float(field(obj, "similarity", what="search result"))
    except (TypeError, ValueError) as exc:
        raise ProtocolError("Unexpected search result: 'similarity' is not a number") from exc
    return SearchResult(str(field(obj, "imageId", what="search result")), similarity)


def parse_results(obj: Mapping[str, Any]) -> list[SearchResult]:
    """A SearchResultsSet: {"results": [...]}."""
    return [parse_search_result(item) for item in field(obj, "results", what="search results")]


def parse_progress(obj: Any) -> Progress | None:
    if not isinstance(obj, Mapping):
        return None
    failed = tuple(
        Failure(str(field(item, "source", "")), str(field(item, "reason", "")))
        for item in field(obj, "failed", [])
        if isinstance(item, Mapping)
    )
    return Progress(
        done=int(field(obj, "done", 0)),
        total=int(field(obj, "total", 0)),
        failed=failed,
        skipped=int(field(obj, "skipped", 0)),
        cancelled=bool(field(obj, "cancelled", False)),
    )


def parse_context_status(obj: Mapping[str, Any]) -> ContextStatus:
    """A SearchContextStatus: {"id", "searchStatus"} plus our optional "progress"."""
    return ContextStatus(
        context_id=str(field(obj, "id", what="search context status")),
        status=str(field(obj, "searchStatus", what="search context status")),
        progress=parse_progress(field(obj, "progress", None)),
    )


def decode_features(value: Any) -> bytes:
    """Aspose sends the feature blob as base64 text (a .NET byte[]); accept a list of ints too."""
    if value is None:
        return b""
    if isinstance(value, list):
        return bytes(value)
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("Unexpected image features: 'features' is not base64") from exc


def parse_image_features(obj: Mapping[str, Any]) -> ImageFeatures:
    image_id = field(obj, "imageId", None)
    return ImageFeatures(
        image_id=None if image_id is None else str(image_id),
        features_count=int(field(obj, "featuresCount", 0) or 0),
        feature_length_in_bits=int(field(obj, "featureLengthInBits", 0) or 0),
        features=decode_features(field(obj, "features", None)),
    )


def parse_duplicates(obj: Mapping[str, Any]) -> list[DuplicateGroup]:
    """An ImageDuplicatesSet: {"duplicates": [{"duplicateImages": [...]}, ...]}."""
    return [
        DuplicateGroup(
            tuple(parse_search_result(item) for item in field(group, "duplicateImages"))
        )
        for group in field(obj, "duplicates", what="duplicates")
    ]


def parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_storage_file(obj: Mapping[str, Any]) -> StorageFile:
    return StorageFile(
        name=str(field(obj, "name", what="storage file")),
        path=str(field(obj, "path", "")),
        is_folder=bool(field(obj, "isFolder", False)),
        size=int(field(obj, "size", 0) or 0),
        modified=parse_datetime(field(obj, "modifiedDate", None)),
    )


def parse_files_list(obj: Mapping[str, Any]) -> list[StorageFile]:
    """A FilesList: {"value": [...]}."""
    return [parse_storage_file(item) for item in field(obj, "value", what="folder listing")]


def parse_tags(obj: Any) -> list[TagInfo]:
    """Our service's tag list: {"tags": [{"name", "referenceCount"}]} or a bare list."""
    items = obj if isinstance(obj, list) else field(obj, "tags", what="tag list")
    return [
        TagInfo(
            name=str(field(item, "name", what="tag")),
            reference_count=int(field(item, "referenceCount", 0) or 0),
        )
        for item in items
    ]


def parse_image_ids(obj: Any) -> list[str]:
    """Our service's image list: {"imageIds": [...]}."""
    ids = field(obj, "imageIds", what="image list")
    if not isinstance(ids, list):
        raise ProtocolError("Unexpected image list from the server: 'imageIds' is not a list")
    return [str(image_id) for image_id in ids]
