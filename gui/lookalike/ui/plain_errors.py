"""Errors in the user's words: what went wrong with *their* file, without the API's vocabulary.

The service names what it could not read by its API parameter ("imageData", "'image'") and the
client adds the HTTP status; a user only needs the file's name and the reason ("file is
truncated"). A :class:`UserInputError` is a problem with what the user gave, not a bug: the worker
logs one warning line for it, without a traceback.
"""

from __future__ import annotations

import re

# Words of the API that mean nothing to a user; a reason still holding one is replaced.
_JARGON = re.compile(r"imageData|imageId|tagName|'image'|HTTP \d{3}|multipart", re.IGNORECASE)
_HTTP_STATUS = re.compile(r"\s*\(HTTP \d{3}\)\s*$")
FALLBACK_REASON = "it could not be read as an image"


class UserInputError(Exception):
    """A file the user chose was refused; ``str()`` is the whole message for the status bar."""


def plain_reason(message: str) -> str:
    """The reason at the end of a service error, e.g. "file is truncated"; jargon removed.

    The service's messages end with the decoder's reason after the last colon ("Can't read the
    uploaded image 'image' (imageData), the reference of tag 'fish': file is truncated").
    """
    text = _HTTP_STATUS.sub("", message.strip().splitlines()[0] if message.strip() else "")
    reason = text.rsplit(": ", 1)[-1].strip().rstrip(".")
    reason = re.sub(r"^the uploaded ", "", reason)
    if reason.startswith("file is empty") or reason == "empty file":
        reason = "file is empty"
    if not reason or _JARGON.search(reason):
        return FALLBACK_REASON
    return reason


def refused_summary(tag: str, refused: list[tuple[str, str]], added: int) -> str:
    """One message naming every refused file and its reason, and how many others were added.

    "2 images were not added to fish: a.jpg (file is truncated), b.heic (file is empty).
    1 other image was added."
    """
    named = ", ".join(f"{name} ({reason})" for name, reason in refused)
    if len(refused) == 1:
        text = f"1 image was not added to {tag}: {named}."
    else:
        text = f"{len(refused)} images were not added to {tag}: {named}."
    if added == 1:
        text += " 1 other image was added."
    elif added > 1:
        text += f" {added} other images were added."
    return text
