"""One search context on disk: a SQLite database in WAL mode.

Each context is one file, so deleting a context is deleting a file, and a crash or a restart loses
nothing that a call had returned. Connections are per thread (SQLite's rule); writes are serialised
by a lock so that background extraction and request threads do not trip over each other.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookalike.engine.errors import ContextNotFoundError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
    row INTEGER PRIMARY KEY,
    image_id TEXT NOT NULL UNIQUE,
    source_path TEXT,
    file_size INTEGER,
    file_mtime_ns INTEGER,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    features BLOB
);
CREATE TABLE IF NOT EXISTS uploads (
    row INTEGER PRIMARY KEY REFERENCES images(row) ON DELETE CASCADE,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    source TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    file_size INTEGER,
    file_mtime_ns INTEGER
);
CREATE TABLE IF NOT EXISTS tags (
    tag INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS tag_references (
    ref INTEGER PRIMARY KEY,
    tag INTEGER NOT NULL REFERENCES tags(tag) ON DELETE CASCADE,
    features BLOB NOT NULL,
    image BLOB
);
CREATE TABLE IF NOT EXISTS tag_matches (
    ref INTEGER NOT NULL REFERENCES tag_references(ref) ON DELETE CASCADE,
    row INTEGER NOT NULL REFERENCES images(row) ON DELETE CASCADE,
    score REAL NOT NULL,
    PRIMARY KEY (ref, row)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tag_matches_by_row ON tag_matches(row);
"""


@dataclass(frozen=True, slots=True)
class ImageRow:
    row: int
    image_id: str
    source_path: str | None
    file_size: int | None
    file_mtime_ns: int | None
    width: int
    height: int
    has_features: bool


class ContextStore:
    """The SQLite file of one search context."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._closed = False
        self._write_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        with self.write() as db:
            db.executescript(_SCHEMA)
            db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            # The context was deleted (or the engine closed) while a request was using it.
            raise ContextNotFoundError(self.path.stem)
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction; committed when the block ends, rolled back if it raises."""
        with self._write_lock:
            db = self._connection()
            try:
                yield db
                db.commit()
            except sqlite3.ProgrammingError as exc:
                if self._closed:
                    raise ContextNotFoundError(self.path.stem) from exc
                db.rollback()
                raise
            except BaseException:
                db.rollback()
                raise

    def read(self) -> sqlite3.Connection:
        return self._connection()

    def close(self) -> None:
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for db in connections:
            try:
                db.close()
            except sqlite3.ProgrammingError:
                # Closed from another thread than its own: SQLite still releases it at exit.
                log.debug("connection of %s closed late", self.path)

    # Images ------------------------------------------------------------------------------------

    def put_image(
        self,
        image_id: str,
        *,
        source_path: str | None,
        file_size: int | None,
        file_mtime_ns: int | None,
        width: int,
        height: int,
        features: bytes | None,
        upload: bytes | None = None,
    ) -> int:
        """Insert or replace an image; returns its row number (kept across updates)."""
        with self.write() as db:
            db.execute(
                """INSERT INTO images(image_id, source_path, file_size, file_mtime_ns, width,
                                      height, features)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(image_id) DO UPDATE SET
                     source_path=excluded.source_path, file_size=excluded.file_size,
                     file_mtime_ns=excluded.file_mtime_ns, width=excluded.width,
                     height=excluded.height, features=excluded.features""",
                (image_id, source_path, file_size, file_mtime_ns, width, height, features),
            )
            row = db.execute("SELECT row FROM images WHERE image_id=?", (image_id,)).fetchone()[0]
            db.execute("DELETE FROM uploads WHERE row=?", (row,))
            if upload is not None:
                db.execute("INSERT INTO uploads(row, data) VALUES (?, ?)", (row, upload))
            if source_path is not None:
                db.execute("DELETE FROM failures WHERE source=?", (source_path,))
            return int(row)

    def image(self, image_id: str) -> ImageRow | None:
        found = self.read().execute(
            """SELECT row, image_id, source_path, file_size, file_mtime_ns, width, height,
                      features IS NOT NULL FROM images WHERE image_id=?""",
            (image_id,),
        ).fetchone()
        if found is None:
            return None
        row, found_id, source_path, size, mtime, width, height, has_features = found
        return ImageRow(row, found_id, source_path, size, mtime, width, height, bool(has_features))

    def delete_image(self, image_id: str) -> bool:
        with self.write() as db:
            return db.execute("DELETE FROM images WHERE image_id=?", (image_id,)).rowcount > 0

    def set_features(self, image_id: str, features: bytes) -> None:
        with self.write() as db:
            db.execute("UPDATE images SET features=? WHERE image_id=?", (features, image_id))

    def clear_features(self, image_id: str) -> bool:
        with self.write() as db:
            cursor = db.execute("UPDATE images SET features=NULL WHERE image_id=?", (image_id,))
            return cursor.rowcount > 0

    def image_ids(self) -> list[str]:
        return [r[0] for r in self.read().execute("SELECT image_id FROM images ORDER BY row")]

    def upload(self, row: int) -> bytes | None:
        found = self.read().execute("SELECT data FROM uploads WHERE row=?", (row,)).fetchone()
        return bytes(found[0]) if found else None

    def features(self, image_id: str) -> bytes | None:
        found = self.read().execute(
            "SELECT features FROM images WHERE image_id=?", (image_id,)
        ).fetchone()
        return bytes(found[0]) if found and found[0] is not None else None

    def features_of_rows(self, rows: Sequence[int]) -> dict[int, tuple[str, bytes]]:
        """Features of several images at once: row -> (image id, blob)."""
        found = self._select_in(
            "SELECT row, image_id, features FROM images WHERE row IN ({marks}) "
            "AND features IS NOT NULL", rows,
        )
        return {row: (image_id, bytes(blob)) for row, image_id, blob in found}

    def iter_features(self, batch: int = 2000) -> Iterator[tuple[int, str, bytes]]:
        """Every image with features, in row order, without holding them all at once."""
        last = -1
        db = self.read()
        while True:
            rows = db.execute(
                "SELECT row, image_id, features FROM images WHERE row>? AND features IS NOT NULL "
                "ORDER BY row LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            for row, image_id, blob in rows:
                yield row, image_id, bytes(blob)
            last = rows[-1][0]

    def files_under(self, prefix: str) -> list[tuple[int, str, str]]:
        """(row, image id, source path) of the images indexed from files whose path starts with
        ``prefix``, in one query (a scan's clean-up looks at every file of a folder)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return list(self.read().execute(
            "SELECT row, image_id, source_path FROM images "
            "WHERE source_path LIKE ? ESCAPE '\\'",
            (pattern,),
        ))

    def uploaded_ids(self) -> set[str]:
        """Ids of the images whose bytes were uploaded (kept here) rather than read from a file."""
        return {r[0] for r in self.read().execute(
            "SELECT i.image_id FROM images i JOIN uploads u ON u.row = i.row"
        )}

    def source_paths(self, image_ids: Sequence[str]) -> dict[str, str]:
        """image id -> the file it was indexed from, for those of ``image_ids`` read from files."""
        return dict(self._select_in(
            "SELECT image_id, source_path FROM images WHERE image_id IN ({marks}) "
            "AND source_path IS NOT NULL", image_ids,
        ))

    def _select_in(self, query: str, values: Sequence[object]) -> list[tuple[Any, ...]]:
        """``query`` with its ``{marks}`` filled for ``values``, 500 at a time (SQLite caps the
        number of parameters of one statement)."""
        db = self.read()
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(values), 500):
            chunk = list(values[start : start + 500])
            found += db.execute(query.format(marks=",".join("?" * len(chunk))), chunk)
        return found

    def file_states(self) -> dict[str, tuple[int | None, int | None]]:
        """source path -> (size, mtime) of indexed files and of remembered failures."""
        db = self.read()
        states = {
            path: (size, mtime)
            for path, size, mtime in db.execute(
                "SELECT source_path, file_size, file_mtime_ns FROM images "
                "WHERE source_path IS NOT NULL AND features IS NOT NULL"
            )
        }
        for path, size, mtime in db.execute(
            "SELECT source, file_size, file_mtime_ns FROM failures"
        ):
            states.setdefault(path, (size, mtime))
        return states

    def record_failure(self, source: str, reason: str, size: int | None, mtime: int | None
                       ) -> None:
        with self.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO failures(source, reason, file_size, file_mtime_ns) "
                "VALUES (?, ?, ?, ?)",
                (source, reason, size, mtime),
            )

    def failures(self) -> list[tuple[str, str]]:
        return list(self.read().execute("SELECT source, reason FROM failures ORDER BY source"))

    # Tags --------------------------------------------------------------------------------------

    def add_reference(self, name: str, features: bytes, image: bytes | None = None) -> int:
        """Add a reference to a tag; its image is kept so its features can be made again."""
        with self.write() as db:
            db.execute("INSERT OR IGNORE INTO tags(name) VALUES (?)", (name,))
            tag = db.execute("SELECT tag FROM tags WHERE name=?", (name,)).fetchone()[0]
            cursor = db.execute(
                "INSERT INTO tag_references(tag, features, image) VALUES (?, ?, ?)",
                (tag, features, image),
            )
            return int(cursor.lastrowid or 0)

    def reference_image(self, ref: int) -> bytes | None:
        found = self.read().execute(
            "SELECT image FROM tag_references WHERE ref=?", (ref,)
        ).fetchone()
        return bytes(found[0]) if found and found[0] is not None else None

    def set_reference_features(self, ref: int, features: bytes) -> None:
        with self.write() as db:
            db.execute("UPDATE tag_references SET features=? WHERE ref=?", (features, ref))

    def delete_reference(self, ref: int) -> None:
        with self.write() as db:
            db.execute("DELETE FROM tag_references WHERE ref=?", (ref,))

    def references(self) -> list[tuple[int, str, bytes]]:
        """(reference, tag name, features) of every tag reference."""
        return [
            (ref, name, bytes(blob))
            for ref, name, blob in self.read().execute(
                "SELECT r.ref, t.name, r.features FROM tag_references r JOIN tags t USING(tag) "
                "ORDER BY r.ref"
            )
        ]

    def tags(self) -> list[tuple[str, int]]:
        return list(
            self.read().execute(
                "SELECT t.name, COUNT(r.ref) FROM tags t LEFT JOIN tag_references r USING(tag) "
                "GROUP BY t.tag ORDER BY t.name"
            )
        )

    def put_matches(self, matches: Iterable[tuple[int, int, float]]) -> None:
        """Store (reference, image row, score) triples, replacing older scores."""
        with self.write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO tag_matches(ref, row, score) VALUES (?, ?, ?)", matches
            )

    def clear_matches_of_row(self, row: int) -> None:
        with self.write() as db:
            db.execute("DELETE FROM tag_matches WHERE row=?", (row,))

    def tag_scores(self, names: Sequence[str]) -> dict[str, dict[str, float]]:
        """tag name -> {image id: best score over the tag's references}."""
        if not names:
            return {}
        marks = ",".join("?" * len(names))
        query = (
            "SELECT t.name, i.image_id, MAX(m.score) FROM tag_matches m "
            "JOIN tag_references r USING(ref) JOIN tags t USING(tag) "
            "JOIN images i ON i.row = m.row "
            f"WHERE t.name IN ({marks}) AND i.features IS NOT NULL "
            "GROUP BY t.name, i.image_id"
        )
        scores: dict[str, dict[str, float]] = {name: {} for name in names}
        for name, image_id, score in self.read().execute(query, list(names)):
            scores[name][image_id] = float(score)
        return scores
