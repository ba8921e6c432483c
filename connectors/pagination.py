"""Offset + limit paging shared by the Thulium and HelpCrunch readers."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

from connectors.errors import PageLimitExceeded

__all__ = ["DEFAULT_MAX_PAGES", "MAX_PAGE_SIZE", "offset_pages", "unique_by"]

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
        if not items:
            return
        offset += len(items)
        if total is not None:
            if offset >= total:
                return
        elif len(items) < page_size:
            return
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
