"""The image-similarity engine: no Qt, no HTTP; the service and the tests sit on :class:`Engine`."""

from lookalike.engine.engine import Engine, ImageRef
from lookalike.engine.errors import (
    BusyError,
    ContextNotFoundError,
    EngineError,
    ImageDecodeError,
    ImageNotFoundError,
    InvalidArgumentError,
    NotFoundError,
)
from lookalike.engine.types import (
    ContextStatus,
    Failure,
    ImageInfo,
    Progress,
    SearchResult,
    SearchStatus,
    TagInfo,
)

__all__ = [
    "BusyError",
    "ContextNotFoundError",
    "ContextStatus",
    "Engine",
    "EngineError",
    "Failure",
    "ImageDecodeError",
    "ImageInfo",
    "ImageNotFoundError",
    "ImageRef",
    "InvalidArgumentError",
    "NotFoundError",
    "Progress",
    "SearchResult",
    "SearchStatus",
    "TagInfo",
]
