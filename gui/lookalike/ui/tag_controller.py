"""Tags as the user handles them: drops onto tags, new, rename, delete, references, counts.

The tag list itself lives in :class:`TagStore` (the API cannot list, rename or delete tags); the
backend learns each change through ``addTag`` under the tag's backend name. The sidebar's counts
come from each tag's matches at the lowest threshold fetched so far, counted here for any higher
threshold without another request.
"""

from __future__ import annotations

import bisect
import functools
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from lookalike.ui import backend_jobs
from lookalike.ui.backend_worker import BackendBridge
from lookalike.ui.plain_errors import refused_summary
from lookalike.ui.prompts import Prompts
from lookalike.ui.search_wording import plural
from lookalike.ui.tag_sidebar import TagRow, TagSidebar
from lookalike.ui.tag_store import Tag, TagStore, TagStoreError

log = logging.getLogger(__name__)

COUNT_CHANNEL = "tag-counts"


def count_at(similarities: tuple[float, ...], threshold: int) -> int:
    """How many of ``similarities`` (high to low) are at least ``threshold``."""
    ascending = [-value for value in similarities]
    return bisect.bisect_right(ascending, -threshold)


class TagController(QObject):
    tags_changed = Signal()  # a tag's references changed on the backend: searches are stale
    status = Signal(str)
    # A change the user made that has no undo: said for a few seconds over whatever the status
    # line says, since the search that follows the change replaces the status line at once.
    confirmed = Signal(str)
    renamed = Signal(str, str)  # old name, new name: a search for the old name follows it

    def __init__(
        self,
        bridge: BackendBridge,
        store: TagStore,
        sidebar: TagSidebar,
        prompts: Prompts,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._store = store
        self._sidebar = sidebar
        self._prompts = prompts
        self._threshold = 50
        self._matches: dict[str, tuple[float, ...]] = {}
        self._fetched_threshold: int | None = None
        # Tags that just got references: if they match nothing, the user hears why at once.
        self._just_added: dict[str, int] = {}  # name -> how many references were added
        sidebar.files_dropped.connect(self.add_files)
        sidebar.new_tag_requested.connect(lambda: self.add_files("", []))
        sidebar.rename_requested.connect(self.rename)
        sidebar.delete_requested.connect(self.delete)
        self.show_tags()

    def set_bridge(self, bridge: BackendBridge) -> None:
        self._bridge = bridge
        self._forget_counts()

    def names(self) -> list[str]:
        return self._store.names()

    # Syncing with the backend's search context
    def sync_context(self, context_id: str) -> None:
        """A context other than the one holding our tags: add every tag's references to it."""
        if self._store.synced_context == context_id:
            self.refresh_counts()
            return
        tags = tuple(
            (tag.backend_name, tuple(ref.file for ref in tag.references))
            for tag in self._store.tags() if tag.references
        )
        log.info("Adding %d tags to search context %s", len(tags), context_id)
        self._bridge.submit(
            "Adding the tags to the search context",
            functools.partial(backend_jobs.rebuild_tags, tags=tags),
            on_result=self._on_synced,
        )

    def _on_synced(self, context_id: object) -> None:
        self._store.mark_synced(str(context_id))
        self._after_backend_change()

    # Drops and menu actions
    def add_files(self, name: str, paths: list[str]) -> None:
        """Make ``paths`` references of tag ``name``; "" asks for a new tag's name first."""
        if not name:
            name = self._ask_new_name() or ""
            if not name:
                return
        if not paths:
            self.show_tags()
            self.tags_changed.emit()  # a new, empty tag: menus and completion offer it now
            return
        try:
            added = self._store.add_references(name, [Path(p) for p in paths])
        except TagStoreError as error:
            self._prompts.error("Add to tag", str(error))
            return
        self.show_tags()
        if not added:
            self.status.emit(f"Those images are already references of {name}")
            return
        tag = self._store.get(name)
        files = tuple(ref.file for ref in added)
        self.status.emit(f"Adding {plural(len(files), 'reference image')} to {name}…")
        self._bridge.submit(
            f"Adding images to {name}",
            functools.partial(backend_jobs.add_references, backend_name=tag.backend_name,
                              files=files),
            on_result=functools.partial(
                self._on_added, name, {ref.file: ref.source for ref in added}
            ),
        )

    def _on_added(self, name: str, sources: dict[str, str], refused: object) -> None:
        refused_files = dict(refused)  # type: ignore[call-overload]
        added = len(sources) - len(refused_files)
        if refused_files:
            self._store.forget_references(name, list(refused_files))
            named = [(Path(sources.get(file, file)).name, reason)
                     for file, reason in refused_files.items()]
            self._prompts.error("Add to tag", refused_summary(name, named, added))
        if added:
            self._just_added[name] = added
        self._after_backend_change(f"Added {plural(added, 'reference image')} to {name}")

    def _ask_new_name(self) -> str | None:
        text = ""
        while True:
            answer = self._prompts.ask_text("New tag", "Name of the new tag:", text)
            if answer is None:
                return None
            answer = answer.strip()  # spaces typed around a name are no part of it
            try:
                self._store.create(answer)
            except TagStoreError as error:
                self._prompts.error("New tag", str(error))
                text = answer
                continue
            return answer

    def rename(self, old: str) -> None:
        text = old
        while True:
            answer = self._prompts.ask_text("Rename tag", f"New name for {old}:", text)
            if answer is None or answer.strip() == old:
                return
            answer = answer.strip()
            try:
                tag = self._store.rename(old, answer)
            except TagStoreError as error:  # say why, then let the user correct the name
                self._prompts.error("Rename tag", str(error))
                text = answer
                continue
            break
        self.renamed.emit(old, tag.name)
        self._rebuild(tag, f"Renamed {old} to {answer}")

    def delete(self, name: str) -> None:
        if not self._prompts.confirm("Delete tag", f"Delete the tag {name}?"):
            return
        self._store.delete(name)
        self._matches.pop(name, None)
        self.show_tags()
        self.tags_changed.emit()

    def remove_reference(self, name: str, file: str) -> None:
        source = next((ref.source for ref in self._store.get(name).references
                       if ref.file == file), file)
        tag = self._store.remove_reference(name, file)
        self.status.emit(f"Removing {Path(source).name} from the reference images of {name}…")
        done = f"Removed {Path(source).name} from the reference images of {name}"
        self._rebuild(tag, done, on_done=lambda: self.confirmed.emit(done))

    def references(self, name: str) -> list[str]:
        return [ref.file for ref in self._store.get(name).references]

    def _rebuild(self, tag: Tag, done: str, on_done: Callable[[], None] | None = None) -> None:
        self.show_tags()
        files = tuple(ref.file for ref in tag.references)

        def finished(_context: object) -> None:
            self._after_backend_change(done)
            if on_done is not None:
                on_done()

        self._bridge.submit(
            f"Updating {tag.name}",
            functools.partial(backend_jobs.rebuild_tags, tags=((tag.backend_name, files),)),
            on_result=finished,
        )

    def _after_backend_change(self, message: str | None = None) -> None:
        if message:
            self.status.emit(message)
        self._forget_counts()
        self.refresh_counts()
        self.tags_changed.emit()

    # Counts
    def set_threshold(self, threshold: int) -> None:
        self._threshold = threshold
        if self._fetched_threshold is not None and threshold >= self._fetched_threshold:
            self.show_tags()
        else:
            self.refresh_counts()

    def refresh_counts(self) -> None:
        names = tuple((tag.name, tag.backend_name) for tag in self._store.tags() if tag.references)
        if not names:
            self.show_tags()
            return
        threshold = self._threshold
        self._bridge.submit(
            "Counting the tags' images",
            functools.partial(backend_jobs.tag_similarities, names=names, threshold=threshold),
            on_result=functools.partial(self._on_counts, threshold),
            on_error=lambda message: log.warning("%s", message), channel=COUNT_CHANNEL,
        )

    def forget_counts(self) -> None:
        """The library changed: counts fetched so far no longer hold."""
        self._forget_counts()

    def _forget_counts(self) -> None:
        self._matches = {}
        self._fetched_threshold = None

    def _on_counts(self, threshold: int, matches: object) -> None:
        self._matches = dict(matches)  # type: ignore[call-overload]
        self._fetched_threshold = threshold
        self.show_tags()
        self._hint_if_nothing_matches()

    def _hint_if_nothing_matches(self) -> None:
        """A reference that finds nothing (often a small crop of a smooth area) gets a hint
        instead of a silent 0 in the sidebar."""
        just_added, self._just_added = self._just_added, {}
        for name, added in just_added.items():
            similarities = self._matches.get(name)
            if similarities is None or count_at(similarities, self._threshold) > 0:
                continue
            this = "this reference" if added == 1 else "these references"
            level = f" at {self._threshold} % or more" if self._threshold > 0 else ""
            self.status.emit(f"No image looks like {this} of {name}{level}; "
                             "try a larger or less cropped one")

    def show_tags(self) -> None:
        rows = []
        for tag in self._store.tags():
            similarities = self._matches.get(tag.name)
            count = None if similarities is None else count_at(similarities, self._threshold)
            if not tag.references:
                count = 0
            icon = tag.references[0].file if tag.references else None
            rows.append(TagRow(tag.name, count, icon))
        self._sidebar.set_tags(rows)
