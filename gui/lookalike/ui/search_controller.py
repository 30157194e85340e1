"""What fills the grid: the whole library, or the results of the search bar's query.

Results are fetched once per question and re-filtered here as the threshold or the max count moves
(:class:`ResultWindow`); the backend is asked again only for a lower threshold, a larger count or
a new question. Answers to superseded searches are dropped by the bridge's "search" channel.

Typed tag names are matched to the tags without regard to case; names that are no tag are named in
the status bar rather than searched for silently (the server would just find nothing for them).
Whenever the grid ends up empty, ``placeholder`` says why and what to try.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from lookalike.ui import backend_jobs
from lookalike.ui import search_wording as wording
from lookalike.ui.backend_worker import BackendBridge
from lookalike.ui.result_filter import Hit, ResultWindow, SearchQuery
from lookalike.ui.search_bar import SearchBar
from lookalike.ui.tag_store import TagStore
from lookalike.ui.thumbnail_model import GridItem, ThumbnailModel

log = logging.getLogger(__name__)

SEARCH_CHANNEL = "search"


class SearchController(QObject):
    status = Signal(str)  # one line for the status bar
    searching = Signal(bool)
    showing_tags = Signal(list)  # the tags whose matches the grid shows ([]: library, an image)
    placeholder = Signal(str)  # what the grid says when it is empty

    def __init__(
        self,
        bridge: BackendBridge,
        tags: TagStore,
        model: ThumbnailModel,
        search_bar: SearchBar,
        library_items: Callable[[], list[GridItem]],
        parent: QObject | None = None,
        library_text: Callable[[int], str] | None = None,
        library_placeholder: Callable[[], str] = wording.empty_library_placeholder,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._tags = tags
        self._model = model
        self._bar = search_bar
        self._library_items = library_items
        # The status line for the library view, given the number of images shown.
        self._library_text = library_text or (lambda count: f"{count} images in the library")
        self._library_placeholder = library_placeholder  # what an empty library view says
        self._window = ResultWindow()
        self.requests_sent = 0  # for the status line and for tests
        search_bar.search_requested.connect(self.search)
        search_bar.image_dropped.connect(lambda _path: self.search())
        search_bar.threshold_changed.connect(lambda _value: self.refilter())
        search_bar.options_changed.connect(self.refilter)

    def set_bridge(self, bridge: BackendBridge) -> None:
        self._bridge = bridge
        self._window.clear()

    def is_showing_results(self) -> bool:
        query = self._bar.query()
        return bool(query.tags or query.image_path)

    def search(self) -> None:
        """Run the bar's query now, asking the backend again (new data may have come in)."""
        self._window.clear()
        self.refilter()

    def refresh(self) -> None:
        """The library or the tags changed: show the current view again with fresh data."""
        if self.is_showing_results():
            self.search()
        else:
            self.show_library()

    def current_query(self) -> tuple[SearchQuery, tuple[str, ...]]:
        """The bar's query with its tag names as the tags spell them, and the names that are no
        tag (in the order typed)."""
        query = self._bar.query()
        known: dict[str, None] = {}
        unknown: list[str] = []
        for name in query.tags:
            resolved = self._tags.resolve(name)
            if resolved is None:
                unknown.append(name)
            else:
                known.setdefault(resolved, None)
        return replace(query, tags=tuple(known)), tuple(unknown)

    def refilter(self) -> None:
        """Show what the bar asks for; a request only when held results can't answer it."""
        query, unknown = self.current_query()
        if not (query.tags or query.image_path or unknown):
            self.show_library()
            return
        self.showing_tags.emit(list(query.tags))
        if unknown and (query.match_all or not query.tags):
            self._show_unknown_only(query, unknown)
            return
        if self._window.covers(query):
            self._show(query, self._window.visible(query), unknown)
            return
        self._fetch(query)

    def show_library(self) -> None:
        items = self._library_items()
        self.showing_tags.emit([])
        self._model.set_items(items)
        self.placeholder.emit(self._library_placeholder())
        self.status.emit(self._library_text(len(items)))

    def _show_unknown_only(self, query: SearchQuery, unknown: tuple[str, ...]) -> None:
        """Nothing to ask the server: no typed name is a tag, or "all tags" names one that
        isn't (no image can have a tag that does not exist)."""
        self._model.set_items([])
        self.placeholder.emit(wording.unknown_tags_placeholder(unknown, query.match_all))
        self.status.emit(wording.unknown_tags_status(unknown, query.match_all, False))

    # Fetching
    def _fetch(self, query: SearchQuery) -> None:
        fetch = self._window.fetch_query(query)
        if fetch.image_path is not None:
            job = functools.partial(
                backend_jobs.find_similar, image_path=fetch.image_path,
                threshold=fetch.threshold, max_count=fetch.max_count,
            )
        else:
            backend_tags = tuple(self._tags.backend_names(list(fetch.tags)))
            job = functools.partial(
                backend_jobs.find_by_tags, tags=backend_tags, threshold=fetch.threshold,
                max_count=fetch.max_count, match_all=fetch.match_all,
            )
        self.requests_sent += 1
        self.searching.emit(True)
        self.status.emit(f"Searching for {query.describe()}…")
        self._bridge.submit(
            f"Search for {query.describe()}", job,
            on_result=functools.partial(self._on_results, fetch),
            on_error=self._on_error, channel=SEARCH_CHANNEL,
        )

    def _on_results(self, fetched: SearchQuery, hits: object) -> None:
        self.searching.emit(False)
        self._window.store(fetched, list(hits))  # type: ignore[call-overload]
        query, unknown = self.current_query()
        if self._window.covers(query):
            self._show(query, self._window.visible(query), unknown)
        else:
            self.refilter()  # the user moved on while we waited

    def _on_error(self, message: str) -> None:
        """The search failed: the grid must not keep the previous results under the new query's
        label, so it is emptied; the status bar says why."""
        self.searching.emit(False)
        self._window.clear()
        self._model.set_items([])
        self.placeholder.emit(wording.failed_placeholder())
        self.status.emit(message)

    def _show(self, query: SearchQuery, hits: list[Hit], unknown: tuple[str, ...] = ()) -> None:
        self._model.set_items([GridItem(hit.path, hit.image_id, hit.similarity) for hit in hits])
        if not hits:
            bare = [name for name in query.tags if not self._tags.get(name).references]
            self.placeholder.emit(wording.no_results_placeholder(query, bare))
        text = wording.result_status(len(hits), query)
        if unknown:
            text += " · " + wording.unknown_tags_status(unknown, query.match_all, True)
        self.status.emit(text)
