"""The app's own list of tags: name → reference images, kept in ``tags.json`` in the data dir.

Why the app keeps its own list: the image search API can add a reference image to a tag
(``addTag``) and search by tags, but it cannot rename a tag, delete one, or take a reference image
back. So the truth lives here, and the backend's tags are a cache built from it:

- each tag has a *backend name*, the name its references were added under on the server. A new tag
  uses its own name, so other clients see the same tag;
- renaming a tag, or removing one of its references, retires the backend name (never reused, since
  the server still holds its old references) and rebuilds the tag under a fresh backend name from
  the references kept here; deleting a tag just forgets it;
- reference images are copied into ``tag-references/`` (named by content hash), so a tag can be
  rebuilt even after the original file moved, and on a new search context (another backend, or a
  context the server lost): ``synced_context`` says which context holds the current backend names.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Reference:
    file: str  # the kept copy
    source: str  # where the user dropped it from


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    backend_name: str
    references: tuple[Reference, ...] = ()


class TagStoreError(Exception):
    """A tag operation the store refuses; the message says why in one line."""


def tag_name_problem(name: str, existing: list[str], current: str | None = None) -> str | None:
    """Why ``name`` can't be a tag name, or None if it can.

    Names are compared case-insensitively: "Calla" next to "calla" would look like one tag in the
    sidebar and in the search box. ``current`` (the tag being renamed) may change its own case.
    """
    if not name.strip():
        return "A tag name can't be empty"
    if any(unicodedata.category(char) == "Cc" for char in name):
        return "A tag name can't contain control characters"
    if len(name) > MAX_NAME_LENGTH:
        return f"A tag name can't be longer than {MAX_NAME_LENGTH} characters"
    if name != name.strip():
        return "A tag name can't start or end with spaces"
    if "," in name:
        # The search bar separates tag names with commas.
        return "A tag name can't contain a comma"
    folded = name.casefold()
    for other in existing:
        if other != current and other.casefold() == folded:
            return f"There is already a tag named {other!r}"
    return None


class TagStore:
    def __init__(self, data_dir: Path) -> None:
        self._file = data_dir / "tags.json"
        self._references_dir = data_dir / "tag-references"
        self._tags: dict[str, Tag] = {}
        self._retired: set[str] = set()
        self.synced_context: str | None = None
        self._load()

    # Reading
    def tags(self) -> list[Tag]:
        return sorted(self._tags.values(), key=lambda tag: (tag.name.casefold(), tag.name))

    def names(self) -> list[str]:
        return [tag.name for tag in self.tags()]

    def get(self, name: str) -> Tag:
        resolved = self.resolve(name)
        if resolved is None:
            raise TagStoreError(f"No tag named {name!r}")
        return self._tags[resolved]

    def resolve(self, name: str) -> str | None:
        """The tag's own name for ``name`` typed in any case ("CALLA" -> "calla"), or None.

        An exact match wins, for tag lists saved before names were compared without case.
        """
        if name in self._tags:
            return name
        folded = name.casefold()
        return next((known for known in self._tags if known.casefold() == folded), None)

    def backend_names(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """The server-side names for the user's tag names; unknown names pass through."""
        resolved = [self.resolve(name) for name in names]
        return [self._tags[known].backend_name if known is not None else name
                for known, name in zip(resolved, names, strict=True)]

    # Changes (each one saved at once)
    def create(self, name: str) -> Tag:
        problem = tag_name_problem(name, list(self._tags))
        if problem:
            raise TagStoreError(problem)
        tag = Tag(name, self._fresh_backend_name(name))
        self._tags[name] = tag
        self._save()
        return tag

    def add_references(self, name: str, paths: list[Path]) -> list[Reference]:
        """Copy ``paths`` in as references of ``name``; returns those that were new."""
        tag = self.get(name)
        known = {Path(ref.file).name for ref in tag.references}
        added: list[Reference] = []
        self._references_dir.mkdir(parents=True, exist_ok=True)
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as error:
                raise TagStoreError(f"Can't read {path.name}: {error.strerror or error}") from error
            stored = self._references_dir / (
                hashlib.sha256(data).hexdigest()[:32] + path.suffix.lower()
            )
            if stored.name in known:
                continue
            if not stored.exists():
                shutil.copyfile(path, stored)
            known.add(stored.name)
            added.append(Reference(str(stored), str(path)))
        self._tags[tag.name] = replace(tag, references=tag.references + tuple(added))
        self._save()
        return added

    def remove_reference(self, name: str, file: str) -> Tag:
        """Drop one reference; the tag gets a fresh backend name and must be rebuilt."""
        tag = self.get(name)
        references = tuple(ref for ref in tag.references if ref.file != file)
        self._retired.add(tag.backend_name)
        rebuilt = Tag(tag.name, self._fresh_backend_name(tag.name), references)
        self._tags[tag.name] = rebuilt
        self._save()
        return rebuilt

    def forget_references(self, name: str, files: list[str]) -> None:
        """Drop references the backend refused: it never had them, so the backend name stays."""
        tag = self.get(name)
        kept = tuple(ref for ref in tag.references if ref.file not in set(files))
        self._tags[tag.name] = replace(tag, references=kept)
        self._save()

    def rename(self, old: str, new: str) -> Tag:
        """Rename; the tag gets a fresh backend name and must be rebuilt."""
        tag = self.get(old)
        problem = tag_name_problem(new, list(self._tags), current=tag.name)
        if problem:
            raise TagStoreError(problem)
        self._retired.add(tag.backend_name)
        del self._tags[tag.name]
        renamed = Tag(new, self._fresh_backend_name(new), tag.references)
        self._tags[new] = renamed
        self._save()
        return renamed

    def delete(self, name: str) -> None:
        resolved = self.resolve(name)
        if resolved is None:
            return
        tag = self._tags.pop(resolved)
        self._retired.add(tag.backend_name)
        self._save()

    def mark_synced(self, context_id: str) -> None:
        self.synced_context = context_id
        self._save()

    # Storage
    def _fresh_backend_name(self, name: str) -> str:
        used = self._retired | {tag.backend_name for tag in self._tags.values()}
        candidate, number = name, 1
        while candidate in used:
            number += 1
            candidate = f"{name} ~{number}"
        return candidate

    def _load(self) -> None:
        if not self._file.exists():
            return
        try:
            document: dict[str, Any] = json.loads(self._file.read_text("utf-8"))
            self._tags = {
                item["name"]: Tag(
                    item["name"],
                    item["backend_name"],
                    tuple(Reference(ref["file"], ref["source"]) for ref in item["references"]),
                )
                for item in document.get("tags", [])
            }
            self._retired = set(document.get("retired", []))
            self.synced_context = document.get("synced_context")
        except (OSError, ValueError, KeyError, TypeError):
            log.exception("Can't read the tag list %s; starting with no tags", self._file)
            broken = self._file.with_suffix(".broken.json")
            os.replace(self._file, broken)

    def _save(self) -> None:
        document = {
            "schema_version": SCHEMA_VERSION,
            "synced_context": self.synced_context,
            "retired": sorted(self._retired),
            "tags": [
                {
                    "name": tag.name,
                    "backend_name": tag.backend_name,
                    "references": [{"file": r.file, "source": r.source} for r in tag.references],
                }
                for tag in self.tags()
            ],
        }
        self._file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._file.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=1, ensure_ascii=False), "utf-8")
        os.replace(temporary, self._file)
