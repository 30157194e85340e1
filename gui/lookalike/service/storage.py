"""The storage root: every image id, folder and file path the service touches stays inside it.

Clients name files by paths relative to the root (Aspose's storage API, image ids). A path is
checked twice: by its text (no "..", no absolute path, no backslash or drive letter), then by
where it really leads once symbolic links are resolved. Messages name the path as the client gave
it and never show where the root is on the server's disk.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
# The longest file name (one path segment) and relative path that common file systems take.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4000
_SHOWN_CHARS = 80


def shown(raw: str) -> str:
    """A client's path for a message: quoted, and cut short if it is very long."""
    if len(raw) <= _SHOWN_CHARS:
        return repr(raw)
    return f"{raw[:_SHOWN_CHARS]!r}... ({len(raw)} characters)"


class StorageError(Exception):
    """A storage request that can't be carried out; the message names the path."""


class UnsafePathError(StorageError):
    """A path that would leave the storage root, or that is malformed."""


class PathTooLongError(UnsafePathError):
    """A path, or one name in it, longer than the file system takes."""


class StorageNotFoundError(StorageError):
    """A file or folder that does not exist in the storage."""


class StorageConflictError(StorageError):
    """A file where a folder is expected, or the other way round, or a forbidden target."""


@dataclass(frozen=True, slots=True)
class StorageEntry:
    """One file or folder in a listing, with its path relative to the root."""

    name: str
    path: str
    is_folder: bool
    size: int
    modified: datetime


def clean_relative(raw: str, *, field: str, allow_root: bool = False) -> PurePosixPath:
    """Check a client's path by its text alone and return it normalised ("a//./b" -> "a/b").

    A leading "/" means the storage root, as Aspose writes storage paths ("/folder/a.jpg") and
    as this service answers them: it is dropped, never taken as the server's own root.

    Raises UnsafePathError naming ``field`` for NUL characters, backslashes, drive letters,
    ".." segments, and (unless ``allow_root``) a path that names the root itself.
    """
    if "\x00" in raw:
        raise UnsafePathError(f"{field} {raw!r} contains a NUL character")
    if "\\" in raw:
        raise UnsafePathError(f"{field} {raw!r} must use '/' as separator, not '\\'")
    if _DRIVE_LETTER.match(raw):
        raise UnsafePathError(
            f"{field} {raw!r} must be relative to the storage root, not a drive path"
        )
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafePathError(f"{field} {raw!r} must not contain '..'")
    if not parts and not allow_root:
        named = f"{field} {raw!r} names the storage root" if raw else f"{field} is empty"
        raise UnsafePathError(f"{named}: it must name a file in the storage")
    _check_length(raw, parts, field)
    return PurePosixPath(*parts)


def _check_length(raw: str, parts: list[str], field: str) -> None:
    """Refuse names the file system would refuse (ENAMETOOLONG) before touching it."""
    def size(text: str) -> int:
        return len(text.encode("utf-8", errors="surrogateescape"))

    longest = max(parts, key=size, default="")
    if size(longest) > MAX_NAME_BYTES:
        raise PathTooLongError(
            f"{field} {shown(raw)} is too long for the file system: the name {shown(longest)} "
            f"has {size(longest)} bytes, at most {MAX_NAME_BYTES} are allowed"
        )
    if size(raw) > MAX_PATH_BYTES:
        raise PathTooLongError(
            f"{field} {shown(raw)} is too long for the file system: {size(raw)} bytes, at "
            f"most {MAX_PATH_BYTES} are allowed"
        )


def not_found_message(kind: str, raw: str) -> str:
    """The 404 message; for a path with a leading "/" it also says what that "/" means, since
    the client may have sent a path on the server's disk rather than one in the storage."""
    message = f"{kind} {shown(raw)} not found in storage"
    if raw.startswith("/"):
        message += " (paths are relative to the storage root: a leading '/' means the root)"
    return message


def clean_image_id(raw: str, *, field: str = "imageId") -> str:
    """An image id in its one canonical form: a clean relative posix path."""
    return clean_relative(raw, field=field).as_posix()


class StorageRoot:
    """A folder on disk that clients reach only through relative, checked paths."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(f"Storage root {root} is not a folder")

    # Locating paths ----------------------------------------------------------------------------

    def locate(self, raw: str, *, field: str, allow_root: bool = False) -> Path:
        """The path inside the root that ``raw`` names; UnsafePathError if it leads outside.

        The returned path is not resolved, so an operation on it acts on a link itself rather
        than on its target; but wherever the link leads has been checked to be inside the root.
        """
        relative = clean_relative(raw, field=field, allow_root=allow_root)
        candidate = self.root.joinpath(*relative.parts)
        if not self._inside(candidate):
            if _is_link_loop(candidate):
                raise UnsafePathError(
                    f"{field} {raw!r} can't be followed: its symbolic links form a loop"
                )
            raise UnsafePathError(
                f"{field} {raw!r} leads outside the storage root through a symbolic link"
            )
        return candidate

    def locate_storage_path(self, raw: str, *, field: str = "path") -> Path:
        """Like :meth:`locate` for the storage API, where Aspose writes "/folder/file.jpg"."""
        return self.locate(raw.lstrip("/"), field=field, allow_root=True)

    def relative(self, path: Path) -> str:
        """``path`` as the client sees it: relative to the root, posix separators."""
        return path.relative_to(self.root).as_posix()

    def client_path(self, server_path: str) -> str:
        """A server-side path as clients name it (relative to the root), if it is inside."""
        try:
            return Path(server_path).relative_to(self.root).as_posix()
        except ValueError:
            return server_path

    def is_inside(self, path: Path) -> bool:
        """Whether ``path``, with its links resolved, is the root or lies under it."""
        return self._inside(path)

    def _inside(self, path: Path) -> bool:
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop, or an unreadable component
            return False
        return resolved == self.root or resolved.is_relative_to(self.root)

    # Reading --------------------------------------------------------------------------------

    def image_file(self, raw: str, *, field: str = "imageId") -> Path:
        """The existing file an image id names."""
        path = self.locate(raw, field=field)
        if not path.is_file():
            raise StorageNotFoundError(not_found_message("Image file", raw))
        return path

    def image_folder(self, raw: str, *, field: str = "imagesFolder") -> tuple[Path, str]:
        """The existing folder ``raw`` names and the id prefix of the images found in it."""
        path = self.locate(raw, field=field, allow_root=True)
        if not path.is_dir():
            raise StorageNotFoundError(not_found_message("Folder", raw))
        # A folder reached through a link is named by where it really is: otherwise the same
        # files would be indexed again under a second set of ids.
        path = path.resolve()
        relative = self.relative(path)
        return path, ("" if relative == "." else relative + "/")

    def file_path(self, raw: str) -> Path:
        """The existing file a storage path names."""
        path = self.locate_storage_path(raw)
        if not path.is_file():
            raise StorageNotFoundError(f"File {raw!r} not found in storage")
        return path

    def file_entry(self, raw: str) -> StorageEntry:
        path = self.file_path(raw)
        stat = path.stat()
        return StorageEntry(name=path.name, path=self.relative(path), is_folder=False,
                            size=stat.st_size,
                            modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC))

    def exists(self, raw: str) -> tuple[bool, bool]:
        """(exists, is_folder) for ``raw``; a path that leads outside the root "does not exist"."""
        try:
            path = self.locate_storage_path(raw)
        except UnsafePathError:
            return False, False
        if path.is_dir():
            return True, True
        return path.is_file(), False

    def list_folder(self, raw: str) -> list[StorageEntry]:
        """The folder's entries, sorted by name; links that lead outside the root are left out."""
        folder = self.locate_storage_path(raw)
        if not folder.is_dir():
            raise StorageNotFoundError(f"Folder {raw!r} not found in storage")
        entries = []
        with os.scandir(folder) as scan:
            for entry in scan:
                path = Path(entry.path)
                if entry.is_symlink() and not self._inside(path):
                    continue
                try:
                    stat = entry.stat()
                except OSError:  # a dangling link
                    continue
                is_folder = entry.is_dir()
                entries.append(
                    StorageEntry(
                        name=entry.name,
                        path=self.relative(path),
                        is_folder=is_folder,
                        size=0 if is_folder else stat.st_size,
                        modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
                    )
                )
        entries.sort(key=lambda e: e.name)
        return entries

    # Writing ---------------------------------------------------------------------------------

    def write_file(self, raw: str, data: bytes) -> str:
        """Write ``data`` atomically at ``raw``, creating folders; returns the relative path."""
        path = self.locate_storage_path(raw)
        if path == self.root or path.is_dir():
            raise StorageConflictError(f"File path {raw!r} names a folder")
        self._make_folders(path.parent, raw)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return self.relative(path)

    def delete_file(self, raw: str) -> None:
        path = self.locate_storage_path(raw)
        if path.is_dir() and not path.is_symlink():
            raise StorageConflictError(f"{raw!r} is a folder: delete it as a folder")
        if not path.is_symlink() and not path.is_file():
            raise StorageNotFoundError(f"File {raw!r} not found in storage")
        path.unlink()

    def create_folder(self, raw: str) -> None:
        path = self.locate_storage_path(raw)
        if path.exists() and not path.is_dir():
            raise StorageConflictError(f"{raw!r} is a file, not a folder")
        self._make_folders(path, raw)

    def delete_folder(self, raw: str, *, recursive: bool) -> None:
        path = self.locate_storage_path(raw)
        if path == self.root:
            raise StorageConflictError("The storage root itself can't be deleted")
        if path.is_symlink():
            path.unlink()  # the link, never what it points to
            return
        if not path.is_dir():
            raise StorageNotFoundError(f"Folder {raw!r} not found in storage")
        if recursive:
            shutil.rmtree(path)
        else:
            try:
                path.rmdir()
            except OSError as exc:
                raise StorageConflictError(
                    f"Folder {raw!r} is not empty: delete it with recursive=true"
                ) from exc

    def copy_or_move(self, src_raw: str, dest_raw: str, *, folder: bool, move: bool) -> None:
        """Copy or move a file or folder; symbolic links are copied as links, never followed.

        One rule for all four: nothing that exists at ``destPath`` is replaced or merged into
        (409 naming it). The storage is usually someone's photo folder, where a silent
        overwrite loses a picture; an upload (PUT file) is the way to replace a file on purpose.
        """
        src = self.locate_storage_path(src_raw, field="srcPath")
        dest = self.locate_storage_path(dest_raw, field="destPath")
        kind = "Folder" if folder else "File"
        if not (src.is_dir() if folder else src.is_file()):
            raise StorageNotFoundError(f"{kind} {src_raw!r} not found in storage")
        if src == self.root or dest == self.root:
            raise StorageConflictError("The storage root itself can't be copied or moved")
        if folder and dest.is_relative_to(src):
            raise StorageConflictError(f"Can't put folder {src_raw!r} inside itself")
        if folder and (dest.is_file() or dest.is_symlink()) and not dest.is_dir():
            raise StorageConflictError(
                f"Can't copy or move folder {src_raw!r} onto {dest_raw!r}: that is a file"
            )
        if not folder and dest.is_dir():
            # shutil would quietly put the file inside the folder, under another path.
            raise StorageConflictError(
                f"Can't copy or move file {src_raw!r} onto {dest_raw!r}: that is a folder; "
                "name the new file, e.g. destPath=folder/name.jpg"
            )
        if dest.exists() or dest.is_symlink():
            raise StorageConflictError(
                f"destPath {shown(dest_raw)} already exists: copy and move never replace "
                "anything; delete it first or choose another destPath"
            )
        self._make_folders(dest.parent, dest_raw)
        # TODO: the check above and the copy are two steps; a file created between them by
        # another request is still replaced.
        try:
            if move:
                shutil.move(src, dest)
            elif folder:
                shutil.copytree(src, dest, symlinks=True)
            else:
                shutil.copy2(src, dest, follow_symlinks=False)
        except FileExistsError:  # copytree refuses a folder created meanwhile
            raise StorageConflictError(f"destPath {shown(dest_raw)} already exists") from None

    def disc_usage(self) -> tuple[int, int]:
        """(used, total) bytes of the disk that holds the root."""
        usage = shutil.disk_usage(self.root)
        return usage.used, usage.total

    def _make_folders(self, path: Path, raw: str) -> None:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StorageConflictError(
                f"Can't make the folders of {shown(raw)}: a file stands in the way"
            ) from None
        if not self._inside(path):  # a link swapped in meanwhile
            raise UnsafePathError(f"{raw!r} leads outside the storage root")


def _is_link_loop(path: Path) -> bool:
    """Whether resolving ``path`` fails because its symbolic links point at each other."""
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13: "Symlink loop from ..."
        return True
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False
