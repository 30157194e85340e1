"""Search results fetched once and re-filtered locally as the threshold moves.

A search is fetched with the lowest threshold asked so far for the same question (same tags and
mode, or same query image) and the highest max count. Since results come sorted high to low, the
answer for any higher threshold or smaller max count is a filter and a cut of what is held: the
top ``n`` above ``t`` of a list that holds the top ``N >= n`` above ``T <= t``. Only a lower
threshold or a larger max count needs the server again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What the user asked: tags (with any/all) or an image, a threshold and a max count."""

    tags: tuple[str, ...] = ()
    match_all: bool = False
    image_path: str | None = None
    threshold: int = 50
    max_count: int = 100

    @property
    def key(self) -> tuple[Any, ...]:
        """What must match for held results to answer this query."""
        if self.image_path is not None:
            return ("image", self.image_path)
        return ("tags", self.tags, self.match_all)

    def describe(self) -> str:
        if self.image_path is not None:
            return f"images like {self.image_path.rsplit('/', 1)[-1]}"
        joiner = " and " if self.match_all else " or "
        return joiner.join(self.tags)


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result, with the local file it stands for."""

    image_id: str
    similarity: float
    path: str


class ResultWindow:
    """Holds the last fetched results and answers narrower queries from them."""

    def __init__(self) -> None:
        self._fetched: SearchQuery | None = None
        self._hits: tuple[Hit, ...] = ()
        self._lowest_asked: dict[tuple[Any, ...], int] = {}

    @property
    def fetched(self) -> SearchQuery | None:
        return self._fetched

    def covers(self, query: SearchQuery) -> bool:
        fetched = self._fetched
        return (
            fetched is not None
            and fetched.key == query.key
            and query.threshold >= fetched.threshold
            and query.max_count <= fetched.max_count
        )

    def fetch_query(self, query: SearchQuery) -> SearchQuery:
        """The query to send: the lowest threshold and the highest max count asked so far."""
        lowest = min(query.threshold, self._lowest_asked.get(query.key, query.threshold))
        self._lowest_asked = {query.key: lowest}
        max_count = query.max_count
        if self._fetched is not None and self._fetched.key == query.key:
            max_count = max(max_count, self._fetched.max_count)
        return replace(query, threshold=lowest, max_count=max_count)

    def store(self, fetched: SearchQuery, hits: Sequence[Hit]) -> None:
        self._fetched = fetched
        self._hits = tuple(sorted(hits, key=lambda hit: hit.similarity, reverse=True))

    def clear(self) -> None:
        self._fetched = None
        self._hits = ()
        self._lowest_asked = {}

    def visible(self, query: SearchQuery) -> list[Hit]:
        """The held results that answer ``query`` (call only when :meth:`covers` is true)."""
        hits = [hit for hit in self._hits if hit.similarity >= query.threshold]
        return hits[: query.max_count]
