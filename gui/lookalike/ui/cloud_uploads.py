"""Cloud mode's map from local files to the image ids they were uploaded as.

Aspose Cloud sees only its own storage, so each library file is uploaded under an id made from a
hash of its local path (no local folder names leak) plus its name, and this map, kept in
``cloud-uploads.json``, turns search results back into local files. A file is uploaded again when
its size or modification time changes. Used on the backend worker thread only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

REMOTE_FOLDER = "lookalike"


class UploadMap:
    def __init__(self, data_dir: Path) -> None:
        self._file = data_dir / "cloud-uploads.json"
        self._entries: dict[str, dict[str, object]] = {}
        self._by_id: dict[str, str] = {}
        if self._file.exists():
            try:
                self._entries = json.loads(self._file.read_text("utf-8"))
            except (OSError, ValueError):
                log.exception("Can't read %s; files will be uploaded again", self._file)
        for path, entry in self._entries.items():
            self._by_id[str(entry["id"])] = path

    def image_id_for(self, path: Path) -> str:
        text = str(path.resolve())
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        image_id = f"{REMOTE_FOLDER}/{digest}/{path.name}"
        self._by_id[image_id] = text
        return image_id

    def path_for(self, image_id: str) -> Path | None:
        path = self._by_id.get(image_id)
        return Path(path) if path is not None else None

    def is_current(self, path: Path) -> bool:
        entry = self._entries.get(str(path.resolve()))
        if entry is None:
            return False
        stat = path.stat()
        return entry.get("mtime_ns") == stat.st_mtime_ns and entry.get("size") == stat.st_size

    def mark_uploaded(self, path: Path) -> None:
        stat = path.stat()
        self._entries[str(path.resolve())] = {
            "id": self.image_id_for(path), "mtime_ns": stat.st_mtime_ns, "size": stat.st_size,
        }
        self._save()

    def _save(self) -> None:
        self._file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._entries), "utf-8")
        os.replace(temporary, self._file)
