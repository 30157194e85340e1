"""The engine's facade: search contexts, images, features, tags and searches.

Everything above the engine (the HTTP service, tests, benchmarks) goes through :class:`Engine`. It
is thread-safe: the service calls it from several request threads at once.

How a search runs: the query's global vector (and its mirror image's) picks a shortlist from the
in-memory index; each candidate on it is then scored by keypoint matching with geometric
verification (:mod:`lookalike.engine.scoring`). Tags keep their matches in the database: a new
reference is scored against the library once, and a new image against every reference once, so
that a search by tags is a database query.
"""

from __future__ import annotations

import logging
import os
import re
import stat as stat_module
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lookalike.engine import tasks
from lookalike.engine.errors import (
    BusyError,
    ContextNotFoundError,
    ImageDecodeError,
    ImageNotFoundError,
    InvalidArgumentError,
)
from lookalike.engine.features import ImageFeatures
from lookalike.engine.index import GlobalIndex
from lookalike.engine.scoring import GLOBAL_FLOOR, similarity
from lookalike.engine.store import ContextStore
from lookalike.engine.types import (
    ContextStatus,
    Failure,
    ImageInfo,
    Progress,
    SearchResult,
    SearchStatus,
    TagInfo,
)
from lookalike.engine.workers import WorkerPool
from lookalike.imagefiles import is_image_file

log = logging.getLogger(__name__)

# An image given to a search or a comparison: the id of an image in the context, or raw bytes.
ImageRef = str | bytes


# Candidates verified per search, taken from the global shortlist.
SHORTLIST = 48
# Nearest neighbours (by global likeness) each image is verified against when looking for
# duplicates; copies beyond them are still grouped through the matches they have in common.
DUPLICATE_NEIGHBOURS = 8
# Tag scores below this are not stored: they can never be asked for in practice.
TAG_SCORE_FLOOR = 1.0
MAX_TAG_NAME = 100
_CONTEXT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class _Job:
    """A folder extraction running in the background."""

    thread: threading.Thread | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 0
    skipped: int = 0
    failed: list[Failure] = field(default_factory=list)


@dataclass
class _Context:
    context_id: str
    store: ContextStore
    index: GlobalIndex
    job: _Job | None = None
    last_progress: Progress = field(default_factory=Progress)
    busy: bool = False
    # Decoded tag references, None until needed and whenever a tag changes.
    references: list[tuple[int, ImageFeatures]] | None = None


class Engine:
    """Holds every search context kept under ``data_dir`` (one SQLite file each).

    Args:
        data_dir: where the contexts live; created if missing.
        workers: decoding processes (default: the number of cores).
        task_timeout: seconds one image may take to decode before it is given up.
        memory_limit_mb: memory one decoding process may use.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int | None = None,
        task_timeout: float = 60.0,
        memory_limit_mb: int | None = 3072,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._pool = WorkerPool(
            workers, task_timeout=task_timeout, memory_limit_mb=memory_limit_mb
        )
        self._lock = threading.RLock()
        self._contexts: dict[str, _Context] = {}
        self._deleting: set[str] = set()
        self._closed = False

    def close(self) -> None:
        """Cancel background work, stop the worker processes and close the databases."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            contexts = list(self._contexts.values())
        for context in contexts:
            if context.job is not None:
                context.job.cancel.set()
        for context in contexts:
            job = context.job
            if job is not None and job.thread is not None:
                job.thread.join(timeout=30)
        self._pool.close()
        for context in contexts:
            context.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Contexts ----------------------------------------------------------------------------------

    def _path_of(self, context_id: str) -> Path:
        return self.data_dir / f"{context_id}.db"

    def create_context(self) -> str:
        context_id = str(uuid.uuid4())
        with self._lock:
            self._contexts[context_id] = _Context(
                context_id, ContextStore(self._path_of(context_id)), GlobalIndex()
            )
        log.info("created search context %s", context_id)
        return context_id

    def context_ids(self) -> list[str]:
        return sorted(path.stem for path in self.data_dir.glob("*.db"))

    def _context(self, context_id: str) -> _Context:
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is closed")
            context = self._contexts.get(context_id)
            if context is not None:
                return context
            if context_id in self._deleting:
                raise ContextNotFoundError(context_id)
            if not _CONTEXT_ID.match(context_id) or not self._path_of(context_id).is_file():
                raise ContextNotFoundError(context_id)
            context = _Context(
                context_id, ContextStore(self._path_of(context_id)), GlobalIndex()
            )
            self._load_index(context)
            self._contexts[context_id] = context
            return context

    def _load_index(self, context: _Context) -> None:
        started = time.perf_counter()
        outdated = []
        for row, image_id, blob in context.store.iter_features():
            try:
                features = ImageFeatures.from_bytes(blob)
            except ValueError:
                outdated.append(image_id)
                continue
            context.index.put(row, features.global_vector, features.mirror_vector)
        for image_id in outdated:
            self._renew_features(context, image_id)
        for ref, name, blob in context.store.references():
            try:
                ImageFeatures.from_bytes(blob)
            except ValueError:
                self._renew_reference(context, ref, name)
        log.info(
            "loaded search context %s: %d images in %.2f s",
            context.context_id, len(context.index), time.perf_counter() - started,
        )

    def _renew_features(self, context: _Context, image_id: str) -> None:
        """Features saved by an older release: extract them again from the upload, or drop the
        image so that the next scan of its folder indexes it afresh (its file is unchanged, so a
        scan would otherwise skip it)."""
        found = context.store.image(image_id)
        if found is None:
            return
        upload = context.store.upload(found.row)
        if upload is not None:
            try:
                blob, _width, _height = self._extract(upload, image_id)
            except ImageDecodeError as exc:
                log.warning("can't renew the features of %s: %s", image_id, exc.reason)
            else:
                context.store.set_features(image_id, blob)
                features = ImageFeatures.from_bytes(blob)
                context.index.put(found.row, features.global_vector, features.mirror_vector)
                return
        log.info("features of %s are from an older release; it will be indexed again", image_id)
        context.store.delete_image(image_id)

    def _renew_reference(self, context: _Context, ref: int, name: str) -> None:
        """A tag reference saved by an older release: extract its features again from its image."""
        image = context.store.reference_image(ref)
        try:
            if image is None:
                raise ImageDecodeError(f"reference {ref} of tag {name!r}", "its image was not kept")
            blob, _width, _height = self._extract(image, f"reference {ref} of tag {name!r}")
        except ImageDecodeError as exc:
            log.warning("dropping a reference of tag %r: %s", name, exc)
            context.store.delete_reference(ref)
            return
        context.store.set_reference_features(ref, blob)

    def delete_context(self, context_id: str) -> None:
        """Delete a context and its file. Requests that race the delete get ContextNotFoundError.

        The id is marked as being deleted first (under the engine's lock), so a second delete or
        a request arriving meanwhile cannot reopen the file while it is removed.
        """
        with self._lock:
            context = self._context(context_id)
            self._deleting.add(context_id)
            self._contexts.pop(context_id, None)
        try:
            self._delete(context)
        finally:
            with self._lock:
                self._deleting.discard(context_id)

    def _delete(self, context: _Context) -> None:
        context_id = context.context_id
        if context.job is not None:
            context.job.cancel.set()
            if context.job.thread is not None:
                context.job.thread.join(timeout=30)
        context.store.close()
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(self._path_of(context_id)) + suffix)
            path.unlink(missing_ok=True)
        log.info("deleted search context %s", context_id)

    def status(self, context_id: str) -> ContextStatus:
        context = self._context(context_id)
        job = context.job
        if context.busy and job is not None:
            progress = Progress(
                done=job.done, total=job.total, failed=tuple(job.failed), skipped=job.skipped,
                cancelled=job.cancel.is_set(),
            )
            return ContextStatus(context_id, SearchStatus.IN_PROGRESS, progress)
        return ContextStatus(context_id, SearchStatus.IDLE, context.last_progress)

    def failures(self, context_id: str) -> list[Failure]:
        """Every file of the context that could not be indexed, with its reason."""
        return [Failure(s, r) for s, r in self._context(context_id).store.failures()]

    # Images ------------------------------------------------------------------------------------

    def _extract(self, source: Path | bytes, name: str) -> tuple[bytes, int, int]:
        return self._pool.run(tasks.extract, source, name, source=name)

    def add_image(
        self, context_id: str, image_id: str, *, path: Path | None = None, data: bytes | None = None
    ) -> ImageInfo:
        """Add (or replace) an image and extract its features now.

        Raises:
            ImageDecodeError: the file or the bytes are not a readable image.
        """
        context = self._context(context_id)
        _check_image_id(image_id)
        if (path is None) == (data is None):
            raise InvalidArgumentError("Give either a file path or image data, not both or none")
        if path is not None:
            stat = _stat(path, image_id)
            blob, width, height = self._extract(Path(path), image_id)
            row = context.store.put_image(
                image_id, source_path=str(path), file_size=stat.st_size,
                file_mtime_ns=stat.st_mtime_ns, width=width, height=height, features=blob,
            )
        else:
            assert data is not None
            if not data:
                raise ImageDecodeError(image_id, "no image data was sent")
            blob, width, height = self._extract(data, image_id)
            row = context.store.put_image(
                image_id, source_path=None, file_size=len(data), file_mtime_ns=None,
                width=width, height=height, features=blob, upload=data,
            )
        self._indexed(context, row, ImageFeatures.from_bytes(blob))
        return self.get_image(context_id, image_id)

    def update_image(
        self, context_id: str, image_id: str, *, path: Path | None = None, data: bytes | None = None
    ) -> ImageInfo:
        self.get_image(context_id, image_id)
        return self.add_image(context_id, image_id, path=path, data=data)

    def get_image(self, context_id: str, image_id: str) -> ImageInfo:
        found = self._context(context_id).store.image(image_id)
        if found is None:
            raise ImageNotFoundError(image_id)
        return ImageInfo(
            found.image_id, found.source_path, found.width, found.height, found.has_features
        )

    def read_image(self, context_id: str, image_id: str) -> bytes:
        """The image's bytes: the uploaded data, or the file it was indexed from."""
        context = self._context(context_id)
        found = context.store.image(image_id)
        if found is None:
            raise ImageNotFoundError(image_id)
        upload = context.store.upload(found.row)
        if upload is not None:
            return upload
        if found.source_path is None:
            raise ImageNotFoundError(image_id)
        try:
            return Path(found.source_path).read_bytes()
        except OSError as exc:
            raise ImageDecodeError(image_id, f"the file can't be read ({exc.strerror})") from exc

    def delete_image(self, context_id: str, image_id: str) -> None:
        context = self._context(context_id)
        found = context.store.image(image_id)
        if found is None:
            raise ImageNotFoundError(image_id)
        context.store.delete_image(image_id)
        context.index.remove(found.row)

    def delete_features(self, context_id: str, image_id: str) -> None:
        """Forget an image's features (it is no longer found) but keep the image."""
        context = self._context(context_id)
        found = context.store.image(image_id)
        if found is None:
            raise ImageNotFoundError(image_id)
        context.store.clear_features(image_id)
        context.store.clear_matches_of_row(found.row)
        context.index.remove(found.row)

    def image_ids(self, context_id: str) -> list[str]:
        return self._context(context_id).store.image_ids()

    def features_blob(self, context_id: str, image_id: str) -> bytes:
        blob = self._context(context_id).store.features(image_id)
        if blob is None:
            raise ImageNotFoundError(image_id)
        return blob

    def image_features(self, data: bytes, name: str = "uploaded data") -> bytes:
        """Features of image bytes, without storing anything (Aspose's image2features)."""
        if not data:
            raise ImageDecodeError(name, "no image data was sent")
        return self._extract(data, name)[0]

    def _references(self, context: _Context) -> list[tuple[int, ImageFeatures]]:
        """Every tag reference's features, decoded once and kept until a tag changes (a folder
        of new images is scored against them image after image)."""
        with self._lock:
            cached = context.references
        if cached is None:
            cached = [
                (ref, ImageFeatures.from_bytes(blob))
                for ref, _name, blob in context.store.references()
            ]
            with self._lock:
                context.references = cached
        return cached

    def _indexed(self, context: _Context, row: int, features: ImageFeatures) -> None:
        """Put a new or changed image in the index and score it against every tag reference."""
        context.index.put(row, features.global_vector, features.mirror_vector)
        context.store.clear_matches_of_row(row)
        matches = []
        for ref, reference in self._references(context):
            score = similarity(reference, features)  # globally unlike pairs cost nothing there
            if score >= TAG_SCORE_FLOOR:
                matches.append((ref, row, score))
        if matches:
            context.store.put_matches(matches)

    # Background extraction over a folder tree -------------------------------------------------

    def extract_folder(
        self, context_id: str, folder: Path, *, id_prefix: str = "", recursive: bool = True
    ) -> None:
        """Index every image under ``folder`` in the background, skipping unchanged files.

        The context reports ``InProgress`` from before this returns until the work ends. Image ids
        are ``id_prefix`` plus the path relative to ``folder``, with forward slashes. After a
        complete scan, images indexed from this folder whose files are gone are removed.

        Raises:
            BusyError: the context is already extracting.
            InvalidArgumentError: ``folder`` is not a folder.
        """
        context = self._context(context_id)
        folder = Path(folder)
        if not folder.is_dir():
            raise InvalidArgumentError(f"Folder {str(folder)!r} does not exist")
        with self._lock:
            if context.busy:
                raise BusyError(f"Search context {context_id!r} is already extracting features")
            job = _Job()
            context.job = job
            context.busy = True
        job.thread = threading.Thread(
            target=self._run_job,
            args=(context, job, folder, id_prefix, recursive),
            name=f"extract-{context_id[:8]}",
            daemon=True,
        )
        job.thread.start()

    def _run_job(
        self, context: _Context, job: _Job, folder: Path, id_prefix: str, recursive: bool
    ) -> None:
        started = time.perf_counter()
        try:
            self._extract_files(context, job, folder, id_prefix, recursive)
        except Exception as exc:
            log.exception("feature extraction in %s failed", folder)
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            job.failed.append(Failure(str(folder), f"extraction stopped: {first_line}"))
        finally:
            progress = Progress(
                done=job.done, total=job.total, failed=tuple(job.failed), skipped=job.skipped,
                cancelled=job.cancel.is_set(),
            )
            with self._lock:
                context.last_progress = progress
                context.busy = False
            log.info(
                "extraction of %s: %d done (%d unchanged), %d failed of %d in %.1f s%s",
                folder, job.done, job.skipped, len(job.failed), job.total,
                time.perf_counter() - started, " (cancelled)" if job.cancel.is_set() else "",
            )

    def _extract_files(
        self, context: _Context, job: _Job, folder: Path, id_prefix: str, recursive: bool
    ) -> None:
        files = _image_files(folder, recursive)
        job.total = len(files)
        known = context.store.file_states()
        uploaded = context.store.uploaded_ids()
        kept_uploads = 0
        pending: list[tuple[str, tuple[Path, str]]] = []
        stats: dict[str, os.stat_result] = {}
        for path in files:
            shown = _display_path(path)
            if shown != str(path):
                # Image ids and paths travel as UTF-8 (SQLite, JSON): a name in another encoding
                # (old archives, Windows shares) is reported rather than stopping the batch.
                job.failed.append(Failure(shown, "the file name is not valid UTF-8; rename it"))
                job.done += 1
                continue
            try:
                stat = path.stat()
            except OSError as exc:
                job.failed.append(Failure(str(path), f"can't read the file ({exc.strerror})"))
                job.done += 1
                continue
            if not stat_module.S_ISREG(stat.st_mode):
                # A named pipe or a device would hold a decoder until its time limit.
                job.failed.append(Failure(str(path), "not a regular file"))
                job.done += 1
                continue
            if known.get(str(path)) == (stat.st_size, stat.st_mtime_ns):
                job.skipped += 1
                job.done += 1
                continue
            image_id = id_prefix + path.relative_to(folder).as_posix()
            if image_id in uploaded:
                # Bytes uploaded under this id (POST/PUT image) were sent on purpose: a scan
                # that read the file instead would undo that without a word.
                log.debug("keeping the uploaded image %s rather than its file %s", image_id, path)
                kept_uploads += 1
                job.skipped += 1
                job.done += 1
                continue
            stats[image_id] = stat
            pending.append((image_id, (path, image_id)))

        if kept_uploads:
            log.info("%s: kept %d uploaded images over the files of the same ids", folder,
                     kept_uploads)

        results = self._pool.map_unordered(_extract_item, pending, cancel=job.cancel)
        for image_id, outcome, failure in results:
            stat = stats[image_id]
            path = folder / image_id[len(id_prefix):]
            if failure is not None and job.cancel.is_set() and failure.reason == "cancelled":
                # Never looked at: neither done nor failed, and not remembered as a failure
                # (that would skip the file as "unchanged" on the next run).
                continue
            if failure is not None:
                job.failed.append(Failure(str(path), failure.reason))
                context.store.record_failure(
                    str(path), failure.reason, stat.st_size, stat.st_mtime_ns
                )
            elif outcome is not None:
                blob, width, height = outcome
                row = context.store.put_image(
                    image_id, source_path=str(path), file_size=stat.st_size,
                    file_mtime_ns=stat.st_mtime_ns, width=width, height=height, features=blob,
                )
                self._indexed(context, row, ImageFeatures.from_bytes(blob))
            job.done += 1

        if not job.cancel.is_set():
            self._forget_missing(context, folder, {str(p) for p in files})

    def _forget_missing(self, context: _Context, folder: Path, present: set[str]) -> None:
        prefix = str(folder).rstrip(os.sep) + os.sep
        for row, image_id, source_path in context.store.files_under(prefix):
            # LIKE ignores case for ASCII letters: startswith keeps the match exact.
            if source_path.startswith(prefix) and source_path not in present:
                log.info("forgetting %s: its file is gone", source_path)
                context.store.delete_image(image_id)
                context.index.remove(row)

    def cancel(self, context_id: str) -> None:
        job = self._context(context_id).job
        if job is not None:
            job.cancel.set()

    def wait_idle(self, context_id: str, timeout: float | None = None) -> ContextStatus:
        """Block until background extraction ends (or the timeout passes); return the status."""
        context = self._context(context_id)
        job = context.job
        if job is not None and job.thread is not None:
            job.thread.join(timeout)
        return self.status(context_id)

    # Searches ----------------------------------------------------------------------------------

    def _features_of(self, context: _Context, ref: ImageRef, name: str) -> ImageFeatures:
        if isinstance(ref, bytes):
            if not ref:
                raise ImageDecodeError(name, "no image data was sent")
            return ImageFeatures.from_bytes(self._extract(ref, name)[0])
        blob = context.store.features(ref)
        if blob is None:
            raise ImageNotFoundError(ref)
        return ImageFeatures.from_bytes(blob)

    def compare(self, context_id: str, a: ImageRef, b: ImageRef) -> float:
        """Similarity of two images (0-100); either can be an image id or raw bytes."""
        context = self._context(context_id)
        first = self._features_of(context, a, "the first image")
        second = self._features_of(context, b, "the second image")
        return similarity(first, second)

    def find_similar(
        self, context_id: str, query: ImageRef, *, threshold: float = 0, max_count: int = 10
    ) -> list[SearchResult]:
        """Images of the context that look like ``query``, best first."""
        _check_threshold(threshold)
        _check_max_count(max_count)
        context = self._context(context_id)
        features = self._features_of(context, query, "the query image")
        scored = self._verified_neighbours(context, features, minimum=max(threshold, 1e-9),
                                           wanted=max_count, skip_gone=True)
        results = [SearchResult(image_id, score) for _row, image_id, score in scored]
        return _best(results, max_count)

    def _verified_neighbours(
        self, context: _Context, features: ImageFeatures, *, minimum: float, wanted: int,
        skip_gone: bool = False,
    ) -> list[tuple[int, str, float]]:
        """Score the context's images in order of global likeness, a batch at a time.

        The next batch is looked at only while the last one still held matches and fewer than
        ``wanted`` were found: a query with hundreds of copies finds them all, a query with a
        few stops after the first batch. Returns (row, image id, score) reaching ``minimum``;
        with ``skip_gone``, not those whose file has gone since they were indexed.
        """
        found: list[tuple[int, str, float]] = []
        seen = 0
        while True:
            shortlist = context.index.nearest(
                [features.global_vector, features.mirror_vector], seen + SHORTLIST, GLOBAL_FLOOR
            )[seen:]
            if not shortlist:
                return found
            seen += len(shortlist)
            blobs = context.store.features_of_rows([row for row, _ in shortlist])
            batch = []
            for row, _likeness in shortlist:
                if row not in blobs:
                    continue
                image_id, blob = blobs[row]
                score = similarity(features, ImageFeatures.from_bytes(blob))
                if score >= minimum:
                    batch.append((row, image_id, score))
            matched = len(batch)
            if skip_gone and batch:
                gone = self._files_gone(context, [image_id for _row, image_id, _ in batch])
                batch = [found_one for found_one in batch if found_one[1] not in gone]
            found += batch
            if matched == 0 or len(found) >= wanted or len(shortlist) < SHORTLIST:
                return found

    def find_duplicates(
        self, context_id: str, *, threshold: float = 90
    ) -> list[list[SearchResult]]:
        """Groups of images that all reach ``threshold`` against each other.

        Each image is verified against its nearest neighbours by global likeness; images linked
        by matches form a component, and each component is split into groups whose members all
        match each other (pairs not verified yet are scored then). Each group lists its images
        with their similarity to the group's first image.
        """
        _check_threshold(threshold)
        minimum = max(threshold, 1e-9)
        context = self._context(context_id)
        candidates = context.index.pairs_above(GLOBAL_FLOOR, per_row=DUPLICATE_NEIGHBOURS)
        rows = sorted({r for a, b, _ in candidates for r in (a, b)})
        blobs = context.store.features_of_rows(rows)
        features = {row: ImageFeatures.from_bytes(blob) for row, (_, blob) in blobs.items()}
        ids = {row: blobs[row][0] for row in blobs}
        gone = self._files_gone(context, list(ids.values()))
        features = {row: f for row, f in features.items() if ids[row] not in gone}

        scores: dict[tuple[int, int], float] = {}

        def score(a: int, b: int) -> float:
            pair = (min(a, b), max(a, b))
            if pair not in scores:
                scores[pair] = similarity(features[a], features[b])
            return scores[pair]

        components = _Components()
        for a, b, _likeness in candidates:
            if a in features and b in features and score(a, b) >= minimum:
                components.join(a, b)

        groups = []
        for members in components.groups():
            groups += _cliques(sorted(members, key=ids.__getitem__), score, minimum, ids)
        groups.sort(key=lambda g: (-len(g), g[0].image_id))
        return groups

    # Tags --------------------------------------------------------------------------------------

    def add_tag(self, context_id: str, name: str, data: bytes) -> None:
        """Add a reference image to a tag (creating the tag) and score it against the library."""
        context = self._context(context_id)
        _check_tag_name(name)
        reference = self._features_of(context, data, f"the reference image of tag {name!r}")
        ref = context.store.add_reference(name, reference.to_bytes(), data)
        with self._lock:
            context.references = None

        scored = self._verified_neighbours(
            context, reference, minimum=TAG_SCORE_FLOOR, wanted=len(context.index)
        )
        matches = [(ref, row, score) for row, _image_id, score in scored]
        context.store.put_matches(matches)
        log.info("tag %r: reference %d matches %d images", name, ref, len(matches))

    def tags(self, context_id: str) -> list[TagInfo]:
        return [TagInfo(name, count) for name, count in self._context(context_id).store.tags()]

    def find_by_tags(
        self,
        context_id: str,
        names: Sequence[str],
        *,
        threshold: float = 0,
        max_count: int = 10,
        match_all: bool = False,
    ) -> list[SearchResult]:
        """Images whose similarity to any reference of the tags reaches ``threshold``.

        With ``match_all``, an image must reach it for every tag, and its score is its lowest.
        A tag that does not exist matches nothing (and, with ``match_all``, so does the search).
        """
        _check_threshold(threshold)
        _check_max_count(max_count)
        for name in names:
            _check_tag_name(name)
        context = self._context(context_id)
        unique = list(dict.fromkeys(names))
        if not unique:
            return []
        per_tag = context.store.tag_scores(unique)

        combined: dict[str, float] = {}
        if match_all:
            common = set.intersection(*(set(scores) for scores in per_tag.values()))
            for image_id in common:
                combined[image_id] = min(per_tag[name][image_id] for name in unique)
        else:
            for scores in per_tag.values():
                for image_id, score in scores.items():
                    combined[image_id] = max(score, combined.get(image_id, 0.0))
        results = [SearchResult(i, s) for i, s in combined.items() if s >= threshold and s > 0]
        return self._best_present(context, results, max_count)

    def _files_gone(self, context: _Context, image_ids: Sequence[str]) -> set[str]:
        """Which of ``image_ids`` were indexed from a file that is no longer there.

        Searches leave those out rather than forget them: the file may be on a disk that is
        only unplugged. The next scan of its folder forgets the image if it is still gone.
        """
        paths = context.store.source_paths(image_ids)
        gone = {image_id for image_id, path in paths.items() if not os.path.exists(path)}
        if gone:
            log.debug("left out of the results, their files are gone: %s", sorted(gone)[:10])
        return gone

    def _best_present(self, context: _Context, results: list[SearchResult], max_count: int
                      ) -> list[SearchResult]:
        """The best ``max_count`` results whose files are still there, checking only as many
        files as it takes (a tag may match the whole library)."""
        results.sort(key=lambda r: (-r.similarity, r.image_id))
        kept: list[SearchResult] = []
        step = max(max_count, 100)
        for start in range(0, len(results), step):
            chunk = results[start : start + step]
            gone = self._files_gone(context, [r.image_id for r in chunk])
            kept += [r for r in chunk if r.image_id not in gone]
            if len(kept) >= max_count:
                break
        return kept[:max_count]


# Helpers ---------------------------------------------------------------------------------------


def _extract_item(item: tuple[Path, str]) -> tuple[bytes, int, int]:
    path, name = item
    return tasks.extract(path, name)


def _best(results: list[SearchResult], max_count: int) -> list[SearchResult]:
    results.sort(key=lambda r: (-r.similarity, r.image_id))
    return results[:max_count]


class _Components:
    """Union-find over image rows: which images are linked by a chain of matches."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}

    def _root(self, row: int) -> int:
        parent = self._parent.setdefault(row, row)
        while parent != self._parent[parent]:
            self._parent[parent] = self._parent[self._parent[parent]]
            parent = self._parent[parent]
        return parent

    def join(self, a: int, b: int) -> None:
        self._parent[self._root(a)] = self._root(b)

    def groups(self) -> list[list[int]]:
        by_root: dict[int, list[int]] = {}
        for row in self._parent:
            by_root.setdefault(self._root(row), []).append(row)
        return list(by_root.values())


def _cliques(
    members: list[int],
    score: Callable[[int, int], float],
    minimum: float,
    ids: dict[int, str],
) -> list[list[SearchResult]]:
    """Split a component into groups whose members all reach ``minimum`` against each other.

    Greedy and deterministic: members are taken in id order; each joins the first group it
    matches entirely, or starts a new one.
    """
    groups: list[list[int]] = []
    for member in members:
        for group in groups:
            if all(score(member, other) >= minimum for other in group):
                group.append(member)
                break
        else:
            groups.append([member])
    results = []
    for group in groups:
        if len(group) < 2:
            continue
        first = group[0]
        results.append(
            [SearchResult(ids[first], 100.0)]
            + [SearchResult(ids[m], score(first, m)) for m in group[1:]]
        )
    return results


def _image_files(folder: Path, recursive: bool) -> list[Path]:
    """Image files under ``folder``, sorted; hidden folders and links are skipped.

    Files are taken by suffix; a file without one is taken when its first bytes are an image
    format's signature (cameras and downloads leave such files), so it is indexed or reported.
    """
    found: list[Path] = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if path.is_symlink() or name.startswith("."):
                continue
            if is_image_file(path):
                found.append(path)
        if not recursive:
            break
    return found


def _display_path(path: Path) -> str:
    """The path as text that can be stored and sent: undecodable bytes shown as escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _stat(path: Path, image_id: str) -> os.stat_result:
    try:
        stat = Path(path).stat()
    except FileNotFoundError as exc:
        raise ImageNotFoundError(image_id) from exc
    except OSError as exc:
        raise ImageDecodeError(image_id, f"the file can't be read ({exc.strerror})") from exc
    if not stat_module.S_ISREG(stat.st_mode):
        raise ImageDecodeError(image_id, "not a regular file")
    return stat


def _check_image_id(image_id: str) -> None:
    if not image_id or len(image_id) > 1024 or _CONTROL.search(image_id):
        raise InvalidArgumentError(f"Image id {image_id!r} is empty, too long or has control "
                                   "characters")


def _check_tag_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError("Tag name is empty")
    if len(name) > MAX_TAG_NAME:
        raise InvalidArgumentError(
            f"Tag name {name[:20]!r}... is {len(name)} characters long; the limit is "
            f"{MAX_TAG_NAME}"
        )
    if _CONTROL.search(name):
        raise InvalidArgumentError(f"Tag name {name!r} contains control characters")


def _check_threshold(threshold: float) -> None:
    if not 0 <= threshold <= 100:
        raise InvalidArgumentError(
            f"similarityThreshold must be between 0 and 100, not {threshold}"
        )


def _check_max_count(max_count: int) -> None:
    if max_count < 1:
        raise InvalidArgumentError(f"maxCount must be at least 1, not {max_count}")
