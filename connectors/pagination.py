"""Offset + limit paging shared by the Thulium and HelpCrunch readers."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from connectors.errors import PageLimitExceeded, TransportError

__all__ = [
    "DEFAULT_MAX_PAGES",
    "MAX_PAGE_SIZE",
    "Malformed",
    "Page",
    "offset_pages",
    "read_page",
    "unique_by",
]

T = TypeVar("T")

MAX_PAGE_SIZE = 100  # both vendors document limit <= 100
DEFAULT_MAX_PAGES = 1000

# fetch(offset, limit) -> (items, total or None when the vendor does not say)
PageFetcher = Callable[[int, int], tuple[list[Any], int | None]]


def check_paging(page_size: int, max_pages: int, *, largest: int = MAX_PAGE_SIZE) -> None:
    if not 1 <= page_size <= largest:
        raise ValueError(f"page_size must be between 1 and {largest}")
    if max_pages < 1:
        raise ValueError("max_pages must be at least 1")


def offset_pages(fetch: PageFetcher, *, page_size: int, max_pages: int, what: str) -> Iterator[Any]:
    """Yield every item, page after page, until the end.

    The end is a page reaching the vendor's ``total`` when it gives one, else a page shorter than
    asked for, or an empty page. Needing more than ``max_pages`` pages raises
    ``PageLimitExceeded`` (after yielding everything read so far).
    """
    check_paging(page_size, max_pages)
    offset = 0
    for _ in range(max_pages):
        items, total = fetch(offset, page_size)
        yield from items
        page = Page(items, [], offset, page_size, len(items), total)
        if page.is_last:
            return
        offset = page.next_offset
    raise PageLimitExceeded(
        f"{what}: stopped after {max_pages} pages of {page_size}; the vendor may have more"
    )


def unique_by(items: Iterable[T], key: Callable[[T], Hashable]) -> Iterator[T]:
    """Drop repeats: offsets shift when records are added while paging, repeating a few."""
    seen: set[Hashable] = set()
    for item in items:
        k = key(item)
        if k in seen:
            continue
        seen.add(k)
        yield item


@dataclass(frozen=True)
class Malformed:
    """A list item the vendor sent that could not be read: skipped, never guessed at."""

    vendor_id: str | None
    reason: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list read at ``offset``: the readable items, the unreadable ones, and
    whether the listing ends here.

    ``received`` counts every item the vendor sent (readable or not), so ``next_offset`` never
    skips or repeats a record because one of them was malformed.
    """

    items: list[T]
    malformed: list[Malformed]
    offset: int
    limit: int
    received: int
    total: int | None = None

    @property
    def next_offset(self) -> int:
        return self.offset + self.received

    @property
    def is_last(self) -> bool:
        """The end of the listing: an empty page, the vendor's total reached, else a short
        page."""
        if self.received == 0:
            return True
        if self.total is not None:
            return self.next_offset >= self.total
        return self.received < self.limit


def _raw_id(raw: object, id_keys: tuple[str, ...]) -> str | None:
    if isinstance(raw, Mapping):
        for key in id_keys:
            value = raw.get(key)
            if value is not None and value != "" and not isinstance(value, Mapping | list):
                return str(value)[:191]
    return None


def read_page(
    raw_items: list[Any],
    parse: Callable[[Any], T],
    *,
    key: Callable[[T], Hashable],
    id_keys: tuple[str, ...],
    offset: int,
    limit: int,
    total: int | None = None,
) -> Page[T]:
    """Parse each item on its own: one the parser refuses is listed in ``malformed`` (with its
    id when it has one) and the rest of the page is kept. Repeats within the page are dropped."""
    check_paging(limit, 1)
    items: list[T] = []
    malformed: list[Malformed] = []
    seen: set[Hashable] = set()
    for raw in raw_items:
        try:
            item = parse(raw)
        except TransportError as error:
            malformed.append(Malformed(_raw_id(raw, id_keys), str(error)))
            continue
        k = key(item)
        if k not in seen:
            seen.add(k)
            items.append(item)
    return Page(items, malformed, offset, limit, len(raw_items), total)
