"""What fills the grid: the whole library, or the results of the search bar's query.

Results are fetched once per question and re-filtered here as the threshold or the max count moves
(:class:`ResultWindow`); the backend is asked again only for a lower threshold, a larger count or
a new question. Answers to superseded searches are dropped by the bridge's "search" channel.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from lookalike.ui import backend_jobs
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

    def __init__(
        self,
        bridge: BackendBridge,
        tags: TagStore,
        model: ThumbnailModel,
        search_bar: SearchBar,
        library_items: Callable[[], list[GridItem]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._tags = tags
        self._model = model
        self._bar = search_bar
        self._library_items = library_items
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

    def refilter(self) -> None:
        """Show what the bar asks for; a request only when held results can't answer it."""
        query = self._bar.query()
        if not (query.tags or query.image_path):
            self.show_library()
            return
        if self._window.covers(query):
            self._show(query, self._window.visible(query))
            return
        self._fetch(query)

    def show_library(self) -> None:
        items = self._library_items()
        self._model.set_items(items)
        self.status.emit(f"{len(items)} images in the library")

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
        query = self._bar.query()
        if self._window.covers(query):
            self._show(query, self._window.visible(query))
        else:
            self.refilter()  # the user moved on while we waited

    def _on_error(self, message: str) -> None:
        """The search failed: the grid must not keep the previous results under the new query's
        label, so it is emptied; the status bar says why."""
        self.searching.emit(False)
        self._window.clear()
        self._model.set_items([])
        self.status.emit(message)

    def _show(self, query: SearchQuery, hits: list[Hit]) -> None:
        self._model.set_items([GridItem(hit.path, hit.image_id, hit.similarity) for hit in hits])
        noun = "image" if len(hits) == 1 else "images"
        self.status.emit(
            f"{len(hits)} {noun} for {query.describe()} at {query.threshold}% or more"
        )
