"""Answers that carry a file: bytes or a file on disk, with a name the SDK can save them under.

The SDK saves a downloaded body under the name it finds with ``filename=['"]?([^'"\\s]+)`` in
``Content-Disposition``: a plain ASCII ``filename=`` must be there (Starlette sends only
``filename*=`` for non-ASCII names), so it gets an ASCII stand-in beside the exact RFC 5987 name.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import FileResponse


def content_disposition(name: str) -> str:
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in ' "\\;' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(name, safe='')}"


def media_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def bytes_download(name: str, data: bytes) -> Response:
    name = PurePosixPath(name).name or "file"
    return Response(data, media_type=media_type_of(name),
                    headers={"Content-Disposition": content_disposition(name)})


def file_download(path: Path) -> FileResponse:
    """Streams the file (with Range support) instead of reading it into memory."""
    return FileResponse(path, media_type=media_type_of(path.name),
                        headers={"Content-Disposition": content_disposition(path.name)})
