"""Mapping between files on disk and image ids, which are paths relative to a storage root.

The desktop app runs its service with the storage root at the home folder's anchor ("/" or
"C:\\"), so an image id is the file's absolute path without its anchor, in posix form.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def path_to_image_id(path: Path, storage_root: Path) -> str:
    """The posix path of ``path`` relative to ``storage_root``; ValueError if it lies outside.

    Paths are made absolute and normalised (".." removed) but symlinks are kept, so the id is
    the path the user chose.
    """
    absolute = Path(os.path.normpath(os.path.abspath(path)))
    root = Path(os.path.normpath(os.path.abspath(storage_root)))
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        raise ValueError(f"{path} is outside the storage folder {storage_root}") from None
    if not relative.parts:
        raise ValueError(f"{path} is the storage folder itself, not a file in it")
    return relative.as_posix()


def image_id_to_path(image_id: str, storage_root: Path) -> Path:
    """The file an image id names; ValueError if the id would leave ``storage_root``."""
    relative = PurePosixPath(image_id)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ValueError(f"Image id {image_id!r} is not a path inside the storage folder")
    return Path(storage_root, *relative.parts)
