"""The app's own map of the library: the folders the user added and the files that failed in them.

Why the app keeps it: the image search API cannot list the images of a search context, so the
grid's contents come from listing the added folders here (the same rules as the engine's folder
scan: image suffixes, or image signatures for files without one; recursive; hidden files,
hidden folders and symbolic links skipped). Problems are kept too,
because the engine remembers a failed file and does not report it again until the file changes.
Everything is saved at once to ``library.json`` in the data dir; the GUI thread owns the store.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookalike.imagefiles import is_image_file

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1



# How the client words a server it can't reach (ConnectionFailedError's messages).
CONNECTION_MARKS = ("can't reach", "connection refused", "connection reset", "timed out")


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that could not be indexed; ``mtime_ns`` tells a fixed file from the same one."""

    path: str
    reason: str
    mtime_ns: int | None = None


def list_images(folder: Path) -> list[str]:
    """Every image under ``folder``, sorted the way the engine walks it; unreadable parts skipped.

    Runs on a worker thread: a large folder takes seconds on a slow disk.
    """
    found: list[str] = []
    for root, dirs, names in os.walk(folder, followlinks=False, onerror=_log_walk_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if not name.startswith(".") and not path.is_symlink() and is_image_file(path):
                found.append(str(path))
    return found


def _log_walk_error(error: OSError) -> None:
    log.warning("Can't list %s: %s", error.filename, error.strerror)


def _mtime_ns(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class Library:
    """Added folders (in the order added) and current problems, saved in ``library.json``."""

    def __init__(self, data_dir: Path) -> None:
        self._file = data_dir / "library.json"
        self._folders: list[str] = []
        self._problems: dict[str, Problem] = {}
        self._load()

    # Folders
    def folders(self) -> list[str]:
        return list(self._folders)

    def add_folder(self, folder: Path) -> bool:
        """Remember ``folder``; False if it (or a folder holding it) is already there."""
        text = str(Path(os.path.abspath(folder)))
        if any(_contains(existing, text) for existing in self._folders):
            return False
        # A new folder that holds added ones replaces them: the engine scans recursively.
        self._folders = [f for f in self._folders if not _contains(text, f)] + [text]
        self._save()
        return True

    def remove_folder(self, folder: str) -> None:
        self._folders = [f for f in self._folders if f != folder]
        self._problems = {
            path: problem for path, problem in self._problems.items()
            if not _contains(folder, path)
        }
        self._save()

    def is_empty(self) -> bool:
        return not self._folders

    # Problems
    def problems(self) -> list[Problem]:
        return sorted(self._problems.values(), key=lambda problem: problem.path)

    def record_problems(self, failures: Iterable[tuple[str, str]]) -> None:
        for path, reason in failures:
            self._problems[path] = Problem(path, reason, _mtime_ns(path))
        self._save()

    def prune_problems(self, present: Iterable[str], folder: str | None = None) -> None:
        """Forget problems of files that are gone or changed (the next scan tries them again).

        With ``folder``, only that folder's problems are judged: ``present`` is its listing, and
        the other folders' problems stay whether or not they have been listed yet.
        """
        present_set = set(present)
        inside = folder.rstrip(os.sep) + os.sep if folder else None
        kept = {
            path: problem for path, problem in self._problems.items()
            if (inside is not None and not path.startswith(inside))
            or (path in present_set and _mtime_ns(path) == problem.mtime_ns)
        }
        if len(kept) != len(self._problems):
            self._problems = kept
            self._save()

    def forget_connection_problems(self, folder: str, files: Iterable[str] = ()) -> None:
        """Forget rows that were about the connection, not about a file: the folder's own row
        (an older release put "Uploading … failed: Can't reach …" there) and, among ``files``,
        those whose reason is a connection error. Called once the backend answers again."""
        named = set(files)
        kept = {
            path: problem for path, problem in self._problems.items()
            if path != folder and not (path in named and is_connection_reason(problem.reason))
        }
        if len(kept) != len(self._problems):
            self._problems = kept
            self._save()

    def clear_problems(self) -> None:
        self._problems = {}
        self._save()

    # Storage
    def _load(self) -> None:
        if not self._file.exists():
            return
        try:
            document: dict[str, Any] = json.loads(self._file.read_text("utf-8"))
            self._folders = [str(folder) for folder in document.get("folders", [])]
            self._problems = {
                item["path"]: Problem(item["path"], item["reason"], item.get("mtime_ns"))
                for item in document.get("problems", [])
            }
        except (OSError, ValueError, KeyError, TypeError):
            log.exception("Can't read the library list %s; starting with an empty one", self._file)
            os.replace(self._file, self._file.with_suffix(".broken.json"))
            self._folders, self._problems = [], {}

    def _save(self) -> None:
        document = {
            "schema_version": SCHEMA_VERSION,
            "folders": self._folders,
            "problems": [
                {"path": p.path, "reason": p.reason, "mtime_ns": p.mtime_ns}
                for p in self.problems()
            ],
        }
        self._file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._file.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=1, ensure_ascii=False), "utf-8")
        os.replace(temporary, self._file)


def is_connection_reason(reason: str) -> bool:
    """Whether a problem's reason is about reaching the server rather than about the file."""
    lowered = reason.lower()
    return any(mark in lowered for mark in CONNECTION_MARKS)


def _contains(folder: str, path: str) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it (by name; no disk access)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def iter_chunks(items: list[str], size: int) -> Iterator[tuple[str, ...]]:
    for start in range(0, len(items), size):
        yield tuple(items[start:start + size])
