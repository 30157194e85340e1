"""The jobs the backend worker runs: plain functions of a :class:`Session` and immutable arguments.

They run on the worker thread, so they never touch a widget; they return plain values that the
main thread turns into rows and pixels. ``functools.partial`` over these makes a request snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lookalike.client import (
    IDLE,
    ApiError,
    AuthenticationError,
    ConnectionFailedError,
    UnsupportedError,
)
from lookalike.ui.backend_session import Session
from lookalike.ui.plain_errors import UserInputError, plain_reason
from lookalike.ui.result_filter import Hit

log = logging.getLogger(__name__)

COUNT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class IndexStatus:
    idle: bool
    done: int
    total: int
    failures: tuple[tuple[str, str], ...]  # (file path, reason)
    cancelled: bool = False


def _hits(session: Session, results: Iterable[object]) -> list[Hit]:
    hits = []
    for result in results:
        image_id = str(getattr(result, "image_id"))  # noqa: B009 - typed by the client
        path = session.path_for(image_id)
        hits.append(Hit(image_id, float(getattr(result, "similarity")), str(path or image_id)))  # noqa: B009
    return hits


def find_by_tags(
    session: Session, tags: tuple[str, ...], threshold: int, max_count: int, match_all: bool
) -> list[Hit]:
    results = session.client.find_by_tags(
        session.context_id, list(tags), threshold=threshold, max_count=max_count,
        match_all=match_all,
    )
    return _hits(session, results)


def find_similar(session: Session, image_path: str, threshold: int, max_count: int) -> list[Hit]:
    """Images like the file at ``image_path``; a file the service can't read is the user's
    problem (:class:`UserInputError` with a plain reason), not a failure of the app."""
    name = Path(image_path).name
    try:
        data = Path(image_path).read_bytes()
    except OSError as error:
        raise UserInputError(f"Can't search with {name}: {error.strerror or error}") from None
    if not data:
        raise UserInputError(f"Can't search with {name}: file is empty")
    try:
        results = session.client.find_similar(
            session.context_id, data=data, threshold=threshold, max_count=max_count
        )
    except ApiError as error:
        if error.status != 400:
            raise
        raise UserInputError(f"Can't search with {name}: {plain_reason(error.message)}") from None
    return _hits(session, results)


def add_references(
    session: Session, backend_name: str, files: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """Add each file as a reference image of the tag; returns (file, plain reason) of those
    refused. One refused image (unreadable, not an image) must not stop the others.
    """
    refused = []
    for file in files:
        try:
            data = Path(file).read_bytes()
            session.client.add_tag(session.context_id, backend_name, data)
        except OSError as error:
            refused.append((file, str(error.strerror or error)))
        except ApiError as error:
            refused.append((file, plain_reason(error.message)))
    return tuple(refused)


def rebuild_tags(session: Session, tags: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """Add every tag's references under its backend name (a new context, or a renamed tag)."""
    for backend_name, files in tags:
        for file, reason in add_references(session, backend_name, files):
            log.warning("Reference %s of %s refused: %s", file, backend_name, reason)
    return session.context_id


def tag_similarities(
    session: Session, names: tuple[tuple[str, str], ...], threshold: int
) -> dict[str, tuple[float, ...]]:
    """Each tag's matches at ``threshold`` (user name → similarities, high to low).

    The similarities, not just a count: the sidebar counts locally for any higher threshold.
    """
    found = {}
    for name, backend_name in names:
        results = session.client.find_by_tags(
            session.context_id, [backend_name], threshold=threshold, max_count=COUNT_LIMIT
        )
        found[name] = tuple(sorted((float(r.similarity) for r in results), reverse=True))
    return found


def start_indexing(session: Session, folder: str) -> bool:
    """Start extracting features of ``folder``; False if the context is busy with another."""
    status = session.client.get_search_context_status(session.context_id)
    if status.status != IDLE:
        return False
    folder_id = session.image_id_for(Path(folder))
    session.client.create_image_features(session.context_id, images_folder=folder_id)
    return True


def index_status(session: Session) -> IndexStatus:
    status = session.client.get_search_context_status(session.context_id)
    progress = status.progress
    if progress is None:  # Aspose Cloud reports no progress
        return IndexStatus(status.status == IDLE, 0, 0, ())
    failures = tuple(
        (str(session.path_for(f.source) or f.source) if not Path(f.source).is_absolute()
         else f.source, f.reason)
        for f in progress.failed
    )
    return IndexStatus(
        status.status == IDLE, progress.done, progress.total, failures, progress.cancelled
    )


def cancel_indexing(session: Session) -> bool:
    """Ask the server to stop extracting; False if it has no way to (Aspose Cloud)."""
    try:
        session.client.cancel_extraction(session.context_id)
    except UnsupportedError:
        return False
    return True


def forget_images(session: Session, image_ids: tuple[str, ...]) -> int:
    """Delete the features of images whose folder left the library, so searches stop finding
    them; returns how many were forgotten. An image the server never indexed is skipped."""
    forgotten = 0
    for image_id in image_ids:
        try:
            session.client.delete_image_features(session.context_id, image_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            log.debug("%s was not indexed; nothing to forget", image_id)
            continue
        forgotten += 1
    return forgotten


def upload_and_index(session: Session, files: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Cloud mode: upload changed files, then extract their features; returns the failures."""
    uploads = session.uploads
    failures = []
    for file in files:
        path = Path(file)
        try:
            image_id = session.image_id_for(path)
            if uploads is not None and uploads.is_current(path):
                continue
            session.client.upload_file(image_id, path.read_bytes())
            session.client.create_image_features(session.context_id, image_id=image_id)
            if uploads is not None:
                uploads.mark_uploaded(path)
        except (ConnectionFailedError, AuthenticationError):
            raise  # not the file's fault: the batch stops and the status bar says why
        except OSError as error:
            failures.append((file, f"Can't read {path.name}: {error.strerror or error}"))
        except Exception as error:  # noqa: BLE001 - the server's reason goes to the Problems panel
            failures.append((file, str(error).splitlines()[0] if str(error) else repr(error)))
    return tuple(failures)


def find_duplicates(session: Session, threshold: int) -> list[list[Hit]]:
    groups = session.client.find_duplicates(session.context_id, threshold=threshold)
    return [_hits(session, group.images) for group in groups]


def ping(session: Session) -> str:
    """A status call: proves the server answers (used by --smoke-test)."""
    status = session.client.get_search_context_status(session.context_id)
    return str(status.status)
