"""HelpCrunch (live chat) REST API v1 client.

``Authorization: Bearer <api key>``; 120 requests a minute per organisation, then 429. Pages
referenced as "vendor-docs 003" are the vendor's own pages kept with the project's vendor
contract; "vendor docs" are HelpCrunch's public REST API v1 documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

import requests

from connectors.encoding import path_segment
from connectors.pagination import DEFAULT_MAX_PAGES, Page, offset_pages, read_page, unique_by
from connectors.transport import (
    BearerAuth,
    BeforeSend,
    Hooks,
    RateLimiter,
    Recorder,
    Transport,
    hooks_from,
)
from connectors.types.common import list_items, opt_int
from connectors.types.helpcrunch import (
    HelpCrunchAgent,
    HelpCrunchChat,
    HelpCrunchCustomer,
    HelpCrunchMessage,
)

__all__ = [
    "HelpCrunchAgent",
    "HelpCrunchChat",
    "HelpCrunchClient",
    "HelpCrunchCustomer",
    "HelpCrunchMessage",
]

DEFAULT_BASE_URL = "https://api.helpcrunch.com/v1"
MESSAGE_TYPES = ("message", "private")
ORDERS = ("asc", "desc")
# A tag: a name, a (name, color) pair, or a mapping with "name" and optionally "color".
Tag = str | tuple[str, str] | Mapping[str, str]


def _tag(tag: Tag) -> dict[str, str]:
    if isinstance(tag, str):
        name, color = tag, None
    elif isinstance(tag, tuple):
        name, color = tag
    else:
        name, color = tag.get("name", ""), tag.get("color")
    if not name:
        raise ValueError("a tag needs a name")
    return {"name": name, "color": color} if color else {"name": name}


def _numeric(value: int | str, what: str) -> int:
    number = opt_int(value)
    if number is None:
        raise ValueError(f"{what} must be numeric")
    return number


def _page(body: object) -> tuple[list[Any], int | None]:
    """A list page: items under ``data`` (``messages`` on some accounts), total at the top level
    (customers, messages) or under ``meta`` (chats, agents)."""
    items = list_items(body, ("data", "messages", "customers", "chats", "agents"))
    total = None
    if isinstance(body, Mapping):
        total = opt_int(body.get("total"))
        meta = body.get("meta")
        if total is None and isinstance(meta, Mapping):
            total = opt_int(meta.get("total"))
    return items, total


class _WithId(Protocol):
    @property
    def id(self) -> int: ...


_Item = TypeVar("_Item", bound=_WithId)


def _read(
    items: list[Any],
    parse: Callable[[Any], _Item],
    *,
    offset: int,
    limit: int,
    total: int | None,
) -> Page[_Item]:
    """A page of records keyed by their ``id``, a malformed one set aside (``read_page``)."""
    return read_page(
        items, parse, key=lambda i: i.id, id_keys=("id",), offset=offset, limit=limit, total=total
    )


class HelpCrunchClient:
    vendor = "helpcrunch"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        hooks: Hooks | None = None,
        recorder: Recorder | None = None,
        before_send: BeforeSend | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        self.transport = Transport(
            vendor=self.vendor,
            base_url=base_url,
            auth=BearerAuth(api_key),
            timeout=timeout,
            session=session,
            hooks=hooks_from(
                hooks, recorder=recorder, before_send=before_send, rate_limiter=rate_limiter
            ),
        )

    def __repr__(self) -> str:
        return f"HelpCrunchClient(base_url={self.transport.base_url!r})"

    # --- writes ---------------------------------------------------------------------------

    def send_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        agent_id: int | str | None = None,
        markdown_text: str | None = None,
        type: str = "message",  # the vendor's parameter name
    ) -> HelpCrunchMessage:
        """vendor-docs 003: POST /messages; returns the created message.

        From an agent when ``agent_id`` is given; a message from the contact omits ``agent``.
        ``type="private"`` is an internal note. The response has no ``markdownText``: the
        formatted text comes back in ``text``.
        """
        if type not in MESSAGE_TYPES:
            raise ValueError(f"type must be one of {', '.join(MESSAGE_TYPES)}")
        if not text:
            raise ValueError("text must not be empty")
        payload: dict[str, Any] = {"chat": _numeric(chat_id, "chat_id"), "text": text}
        if markdown_text is not None:
            payload["markdownText"] = markdown_text
        if agent_id is not None:
            payload["agent"] = _numeric(agent_id, "agent_id")
        payload["type"] = type
        body = self.transport.request("POST", "messages", json_body=payload, idempotent=False)
        return HelpCrunchMessage.from_api(body)

    def add_tags(self, customer_id: int | str, tags: Iterable[Tag]) -> HelpCrunchCustomer | None:
        """Vendor docs, tag a customer: PUT /customers/:id/tags; unknown tags are created."""
        return self._tags("PUT", customer_id, tags)

    def remove_tags(self, customer_id: int | str, tags: Iterable[Tag]) -> HelpCrunchCustomer | None:
        """Vendor docs, untag a customer: DELETE /customers/:id/tags."""
        return self._tags("DELETE", customer_id, tags)

    def _tags(
        self, method: str, customer_id: int | str, tags: Iterable[Tag]
    ) -> HelpCrunchCustomer | None:
        if isinstance(tags, str):
            raise TypeError("tags must be a list of tags, not a string")
        payload = {"tags": [_tag(t) for t in tags]}
        if not payload["tags"]:
            raise ValueError("no tags given")
        body = self.transport.request(
            method,
            f"customers/{path_segment(customer_id)}/tags",
            json_body=payload,
            idempotent=True,
        )
        return HelpCrunchCustomer.from_api(body) if isinstance(body, Mapping) else None

    def update_customer(
        self, customer_id: int | str, fields: Mapping[str, object]
    ) -> HelpCrunchCustomer | None:
        """Vendor docs, update a customer: PATCH /customers/:id changes only what is sent.

        Never PUT: a PUT nulls every field it does not mention.
        """
        if not fields:
            raise ValueError("no fields to update")
        body = self.transport.request(
            "PATCH",
            f"customers/{path_segment(customer_id)}",
            json_body=dict(fields),
            idempotent=True,
        )
        return HelpCrunchCustomer.from_api(body) if isinstance(body, Mapping) else None

    # --- reads ----------------------------------------------------------------------------

    def _list(
        self,
        path: str,
        query: list[tuple[str, str]],
        page_size: int,
        max_pages: int,
    ) -> Iterator[Any]:
        def fetch(offset: int, limit: int) -> tuple[list[Any], int | None]:
            return self._get_page(path, query, offset=offset, limit=limit)

        return offset_pages(
            fetch, page_size=page_size, max_pages=max_pages, what=f"helpcrunch {path}"
        )

    def _get_page(
        self, path: str, query: list[tuple[str, str]], *, offset: int, limit: int
    ) -> tuple[list[Any], int | None]:
        """One page of a GET list: its items and the vendor's total."""
        page = [*query, ("offset", str(offset)), ("limit", str(limit))]
        return _page(self.transport.request("GET", path, query=page, idempotent=True))

    def _search_page(
        self,
        clauses: list[dict[str, Any]],
        *,
        comparison: str,
        sort: str | None,
        order: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[Any], int | None]:
        """One page of POST /customers/search (a read; safe to repeat)."""
        payload: dict[str, Any] = {"filter": clauses, "comparison": comparison}
        if sort is not None:
            payload["sort"] = sort
        if order is not None:
            payload["order"] = order.upper()
        payload.update(limit=limit, offset=offset)
        return _page(
            self.transport.request("POST", "customers/search", json_body=payload, idempotent=True)
        )

    @staticmethod
    def _sorting(sort: str | None, order: str | None) -> list[tuple[str, str]]:
        if order is not None and order.lower() not in ORDERS:
            raise ValueError("order must be asc or desc")
        query = []
        if sort is not None:
            query.append(("sort", sort))
        if order is not None:
            query.append(("order", order.lower()))
        return query

    def iter_customers(
        self,
        *,
        sort: str | None = None,
        order: str | None = None,
        page_size: int = 100,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[HelpCrunchCustomer]:
        """Vendor docs: GET /customers?offset&limit (total at the top level)."""
        items = self._list("customers", self._sorting(sort, order), page_size, max_pages)
        yield from unique_by((HelpCrunchCustomer.from_api(i) for i in items), lambda c: c.id)

    def get_customer(self, customer_id: int | str) -> HelpCrunchCustomer:
        """Vendor docs: GET /customers/:id."""
        body = self.transport.request(
            "GET", f"customers/{path_segment(customer_id)}", idempotent=True
        )
        return HelpCrunchCustomer.from_api(body)

    def search_customers(
        self,
        filters: Iterable[Mapping[str, object]],
        *,
        comparison: str = "AND",
        sort: str | None = None,
        order: str | None = None,
        page_size: int = 100,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[HelpCrunchCustomer]:
        """Vendor docs: POST /customers/search (a read; safe to repeat).

        ``filters`` are the vendor's ``{"field", "operator", "value"}`` objects, e.g.
        ``{"field": "customers.email", "operator": "=", "value": "jan@example.org"}``.
        """
        if comparison not in ("AND", "OR"):
            raise ValueError("comparison must be AND or OR")
        clauses = [dict(f) for f in filters]
        if not clauses:
            raise ValueError("no search filters given")

        def fetch(offset: int, limit: int) -> tuple[list[Any], int | None]:
            return self._search_page(
                clauses, comparison=comparison, sort=sort, order=order, offset=offset, limit=limit
            )

        items = offset_pages(
            fetch, page_size=page_size, max_pages=max_pages, what="helpcrunch customers/search"
        )
        yield from unique_by((HelpCrunchCustomer.from_api(i) for i in items), lambda c: c.id)

    def iter_chats(
        self,
        *,
        sort: str | None = None,
        order: str | None = None,
        page_size: int = 100,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[HelpCrunchChat]:
        """Vendor docs: GET /chats?sort&order&offset&limit (total under ``meta``).

        ``sort`` is one of chats.createdAt, chats.lastCustomerMessageAt, chats.lastMessageAt,
        chats.closedAt; ``sort="chats.lastMessageAt", order="desc"`` suits an incremental sync
        that stops at the first chat it has already seen.
        """
        items = self._list("chats", self._sorting(sort, order), page_size, max_pages)
        yield from unique_by((HelpCrunchChat.from_api(i) for i in items), lambda c: c.id)

    def get_chat(self, chat_id: int | str) -> HelpCrunchChat:
        """Vendor docs: GET /chats/:id."""
        body = self.transport.request("GET", f"chats/{path_segment(chat_id)}", idempotent=True)
        return HelpCrunchChat.from_api(body)

    def iter_chat_messages(
        self,
        chat_id: int | str,
        *,
        page_size: int = 100,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[HelpCrunchMessage]:
        """Vendor docs: GET /chats/:id/messages — newest first, as the vendor sends them."""
        path = f"chats/{path_segment(chat_id)}/messages"
        items = self._list(path, [], page_size, max_pages)
        yield from unique_by((HelpCrunchMessage.from_api(i) for i in items), lambda m: m.id)

    def iter_agents(
        self, *, page_size: int = 100, max_pages: int = DEFAULT_MAX_PAGES
    ) -> Iterator[HelpCrunchAgent]:
        """Vendor docs: GET /agents (total under ``meta``)."""
        items = self._list("agents", [], page_size, max_pages)
        yield from unique_by((HelpCrunchAgent.from_api(i) for i in items), lambda a: a.id)

    # --- single pages, for a sync that stops and resumes at an offset ------------------------

    def customers_page(
        self, *, offset: int = 0, limit: int = 100, last_seen_from: float | None = None
    ) -> Page[HelpCrunchCustomer]:
        """One page of customers: GET /customers, or with ``last_seen_from`` (UNIX seconds) the
        customers seen since then, oldest first (POST /customers/search on ``customers.lastSeen``,
        the vendor's own incremental order)."""
        if last_seen_from is None:
            items, total = self._get_page("customers", [], offset=offset, limit=limit)
        else:
            since = {"field": "customers.lastSeen", "operator": ">=", "value": int(last_seen_from)}
            items, total = self._search_page(
                [since],
                comparison="AND",
                sort="customers.lastSeen",
                order="ASC",
                offset=offset,
                limit=limit,
            )
        return _read(items, HelpCrunchCustomer.from_api, offset=offset, limit=limit, total=total)

    def chats_page(
        self,
        *,
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        order: str | None = None,
    ) -> Page[HelpCrunchChat]:
        """One page of GET /chats (see ``iter_chats`` for the sort keys)."""
        query = self._sorting(sort, order)
        items, total = self._get_page("chats", query, offset=offset, limit=limit)
        return _read(items, HelpCrunchChat.from_api, offset=offset, limit=limit, total=total)

    def chat_messages_page(
        self, chat_id: int | str, *, offset: int = 0, limit: int = 100
    ) -> Page[HelpCrunchMessage]:
        """One page of GET /chats/:id/messages, newest first."""
        path = f"chats/{path_segment(chat_id)}/messages"
        items, total = self._get_page(path, [], offset=offset, limit=limit)
        return _read(items, HelpCrunchMessage.from_api, offset=offset, limit=limit, total=total)

    def check_connection(self) -> None:
        """One cheap authenticated read (GET /agents?limit=1); raises a VendorError if refused."""
        self.transport.request("GET", "agents", query=[("limit", "1")], idempotent=True)
