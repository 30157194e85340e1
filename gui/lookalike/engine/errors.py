"""Errors the engine raises; each message names the context, image, tag or file concerned."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class NotFoundError(EngineError):
    """A search context, image or tag that does not exist."""


class ContextNotFoundError(NotFoundError):
    def __init__(self, context_id: str) -> None:
        super().__init__(f"Search context {context_id!r} not found")
        self.context_id = context_id


class ImageNotFoundError(NotFoundError):
    def __init__(self, image_id: str) -> None:
        super().__init__(f"Image {image_id!r} not found in the search context")
        self.image_id = image_id


class InvalidArgumentError(EngineError):
    """A parameter out of range or malformed (a tag name, a threshold, an image id)."""


class ImageDecodeError(EngineError):
    """A file or byte string that could not be read as an image.

    ``source`` names the file (or "uploaded data"), ``reason`` says why in a few words.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"Can't read {source}: {reason}")
        self.source = source
        self.reason = reason


class BusyError(EngineError):
    """The context is already extracting features from a folder."""
