"""Thulium (contact center) REST API client.

Base URL per customer system, ``https://{system}.thulium.com/api/``; HTTP Basic auth with an API
user. Dates go out as ``YYYY-MM-DD HH:MM`` in the system's local time (``tz``, Europe/Warsaw
unless the account says otherwise): aware datetimes are converted into it, naive ones are taken
as already local. Pages referenced as "vendor-docs 00N" are the vendor's own pages kept with the
project's vendor contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import requests

from connectors.encoding import encode_json, path_segment
from connectors.pagination import DEFAULT_MAX_PAGES, Page, offset_pages, read_page, unique_by
from connectors.transport import (
    BasicAuth,
    BeforeSend,
    Hooks,
    RateLimiter,
    Recorder,
    Transport,
    hooks_from,
)
from connectors.types.common import as_mapping, list_items, unexpected, unwrap
from connectors.types.thulium import (
    FeedMessage,
    ThuliumCustomer,
    ThuliumTicket,
    ThuliumTicketMessage,
    ThuliumWebhook,
)

__all__ = [
    "FeedMessage",
    "ThuliumClient",
    "ThuliumCustomer",
    "ThuliumTicket",
    "ThuliumTicketMessage",
    "ThuliumWebhook",
]

BODY_TYPES = ("HTML", "PLAIN")
DEFAULT_TZ = "Europe/Warsaw"
# The list shape is not documented: accept a bare array or the array under one of these keys.
LIST_KEYS = ("data", "items", "customers", "tickets", "results")
# Secrets a body may carry besides the API credential: the Basic password of a webhook.
SENSITIVE_KEYS = ("http_auth_password",)


def _flag(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ThuliumClient:
    vendor = "thulium"

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 30.0,
        tz: tzinfo | None = None,
        session: requests.Session | None = None,
        hooks: Hooks | None = None,
        recorder: Recorder | None = None,
        before_send: BeforeSend | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.tz: tzinfo = tz if tz is not None else ZoneInfo(DEFAULT_TZ)
        self.transport = Transport(
            vendor=self.vendor,
            base_url=base_url,
            auth=BasicAuth(username, password),
            timeout=timeout,
            session=session,
            hooks=hooks_from(
                hooks, recorder=recorder, before_send=before_send, rate_limiter=rate_limiter
            ),
            sensitive_keys=SENSITIVE_KEYS,
        )

    def __repr__(self) -> str:
        return f"ThuliumClient(base_url={self.transport.base_url!r})"

    def _local(self, value: datetime, fmt: str) -> str:
        if value.tzinfo is not None:
            value = value.astimezone(self.tz)
        return value.strftime(fmt)

    # --- writes ---------------------------------------------------------------------------

    def add_feed_record(
        self,
        customer_id: int | str,
        messages: Sequence[FeedMessage | Mapping[str, Any]],
        *,
        type: str = "ZOWIE",  # the vendor's parameter name
    ) -> None:
        """vendor-docs 000: POST customers/:id/feed_records.

        ``payload`` is a *string* holding the compact JSON array of messages; the vendor's
        example body is reproduced byte for byte. The response body is empty.
        """
        if not messages:
            raise ValueError("a feed record needs at least one message")
        items = [self._feed_item(m) for m in messages]
        payload = encode_json(items).decode("utf-8")
        self.transport.request(
            "POST",
            f"customers/{path_segment(customer_id)}/feed_records",
            json_body={"type": type, "payload": payload},
            idempotent=False,
        )

    def _feed_item(self, message: FeedMessage | Mapping[str, Any]) -> dict[str, Any]:
        if isinstance(message, FeedMessage):
            return {
                "id": message.id,
                "type": "text",
                "payload": {"message": message.message},
                "author": message.author,
                "time": self._local(message.time, "%Y-%m-%dT%H:%M:%S"),
            }
        item = dict(message)  # passed through as given
        if isinstance(item.get("time"), datetime):
            item["time"] = self._local(item["time"], "%Y-%m-%dT%H:%M:%S")
        return item

    def reply_to_ticket(
        self,
        ticket_id: int | str,
        body: str,
        *,
        user_login: str,
        body_type: str = "HTML",
        date: datetime | None = None,
        attachments: Iterable[str] = (),
    ) -> None:
        """vendor-docs 001: POST tickets/:id/agent_response; the response is ``[]``.

        ``body_type`` defaults to HTML on the vendor's side, so it is sent only for PLAIN: the
        page's example body is then reproduced exactly. ``attachments`` are tokens from
        ``upload_temporary_file``.
        """
        if body_type not in BODY_TYPES:
            raise ValueError(f"body_type must be one of {', '.join(BODY_TYPES)}")
        if not body:
            raise ValueError("body must not be empty")
        if not user_login:
            raise ValueError("user_login must not be empty")
        if isinstance(attachments, str):
            raise TypeError("attachments must be a list of tokens, not a string")
        payload: dict[str, Any] = {"body": body}
        if body_type != "HTML":
            payload["body_type"] = body_type
        payload["user_login"] = user_login
        if date is not None:
            payload["date"] = self._local(date, "%Y-%m-%d %H:%M")
        tokens = list(attachments)
        if tokens:
            payload["attachments"] = tokens
        self.transport.request(
            "POST",
            f"tickets/{path_segment(ticket_id)}/agent_response",
            json_body=payload,
            idempotent=False,
        )

    def start_chat(
        self,
        chat_queue_id: int | str,
        *,
        customer_id: int | str | None = None,
        client_id: int | str | None = None,
        client_email: str | None = None,
        client_name: str | None = None,
        client_surname: str | None = None,
    ) -> str:
        """vendor-docs 002: POST chat_conversations/start; returns the conversation id.

        Every parameter travels in the query string, in the page's order, and the body is
        empty. Thulium matches the CRM customer by customer_id, then client_id, then e-mail.
        """
        params = (
            ("chat_queue_id", chat_queue_id),
            ("client_name", client_name),
            ("client_surname", client_surname),
            ("client_email", client_email),
            ("client_id", client_id),
            ("customer_id", customer_id),
        )
        query = [(k, str(v)) for k, v in params if v is not None]
        body = self.transport.request(
            "POST", "chat_conversations/start", query=query, idempotent=False
        )
        conversation_id = as_mapping(body, "chat start response").get("conversation_id")
        if not conversation_id:
            raise unexpected("no conversation_id")
        return str(conversation_id)

    def upload_temporary_file(self, filename: str, content: bytes) -> str:
        """Vendor docs, temporary files: POST temporary_files?filename=..., raw bytes.

        Returns the token to list in ``reply_to_ticket(attachments=...)``; it lives 24 hours.
        """
        if not filename:
            raise ValueError("filename must not be empty")
        body = self.transport.request(
            "POST",
            "temporary_files",
            query=[("filename", filename)],
            content=content,
            idempotent=False,
        )
        token = as_mapping(body, "upload response").get("token")
        if not token:
            raise unexpected("no token")
        return str(token)

    # --- webhooks -------------------------------------------------------------------------

    def list_webhooks(self) -> list[ThuliumWebhook]:
        """Vendor docs, webhooks: GET webhooks, a bare array of subscriptions.

        The passwords in the answer are redacted in what the recorder sees, like the one sent.
        """
        body = self.transport.request("GET", "webhooks", idempotent=True)
        return [ThuliumWebhook.from_api(item) for item in list_items(body, LIST_KEYS)]

    def create_webhook(
        self,
        actions: Sequence[str],
        subscription_url: str,
        *,
        http_auth_user: str = "",
        http_auth_password: str = "",
    ) -> ThuliumWebhook:
        """Vendor docs, webhooks: POST webhooks; returns the created element with its ``id``.

        The body is ``{"actions": [...], "subscription_url": "...", "http_auth_user": "...",
        "http_auth_password": "..."}``, the credential keys omitted when empty. Thulium sends
        them as HTTP Basic with each delivery; the password never reaches the recorder.
        """
        if isinstance(actions, str):
            raise TypeError("actions must be a list of action names, not a string")
        names = list(actions)
        if not names or any(not isinstance(a, str) or not a for a in names):
            raise ValueError("actions must list at least one action name")
        if not subscription_url:
            raise ValueError("subscription_url must not be empty")
        payload: dict[str, Any] = {"actions": names, "subscription_url": subscription_url}
        if http_auth_user:
            payload["http_auth_user"] = http_auth_user
        if http_auth_password:
            payload["http_auth_password"] = http_auth_password
        body = self.transport.request("POST", "webhooks", json_body=payload, idempotent=False)
        return ThuliumWebhook.from_api(unwrap(body, "webhook"))

    def delete_webhook(self, webhook_id: int | str) -> None:
        """DELETE webhooks/:id. **Assumed**: the vendor's pages show GET and POST webhooks only;
        a DELETE on the element, answering 2xx (any body) or 404 for an unknown id, is the REST
        shape the rest of the API follows, and what the sandbox implements."""
        self.transport.request("DELETE", f"webhooks/{path_segment(webhook_id)}", idempotent=True)

    # --- reads ----------------------------------------------------------------------------

    def _list(
        self, path: str, query: list[tuple[str, str]], page_size: int, max_pages: int
    ) -> Iterator[Any]:
        def fetch(offset: int, limit: int) -> tuple[list[Any], int | None]:
            return self._page(path, query, offset, limit), None

        return offset_pages(fetch, page_size=page_size, max_pages=max_pages, what=f"thulium {path}")

    def iter_customers(
        self,
        *,
        page_size: int = 100,
        max_pages: int = DEFAULT_MAX_PAGES,
        include_custom_fields: bool = True,
        **filters: object,
    ) -> Iterator[ThuliumCustomer]:
        """Vendor docs, CRM: GET customers?limit&offset&email&phone_number...

        ``filters`` are the vendor's query parameters (``email=``, ``phone_number=``, ...).
        """
        query = [(k, _flag(v)) for k, v in filters.items() if v is not None]
        if include_custom_fields:
            query.append(("include_custom_fields", "true"))
        items = self._list("customers", query, page_size, max_pages)
        customers = (ThuliumCustomer.from_api(item, self.tz) for item in items)
        yield from unique_by(customers, lambda c: c.customer_id)

    def get_customer(self, customer_id: int | str) -> ThuliumCustomer:
        """Vendor docs, CRM: GET customers/:id."""
        body = self.transport.request(
            "GET",
            f"customers/{path_segment(customer_id)}",
            query=[("include_custom_fields", "true")],
            idempotent=True,
        )
        return ThuliumCustomer.from_api(body, self.tz)

    def iter_tickets(
        self,
        *,
        date_from: datetime | None = None,
        customer_id: int | str | None = None,
        status_ids: Iterable[int | str] = (),
        page_size: int = 100,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[ThuliumTicket]:
        """Vendor docs, tickets: GET tickets?limit&offset&date_from&customer_id&status_id[]=...

        ``date_from`` is the minimum modification date.
        """
        query = self._since(date_from)
        if customer_id is not None:
            query.append(("customer_id", str(customer_id)))
        query.extend(("status_id[]", str(s)) for s in status_ids)
        items = self._list("tickets", query, page_size, max_pages)
        tickets = (ThuliumTicket.from_api(item, self.tz) for item in items)
        yield from unique_by(tickets, lambda t: t.ticket_id)

    def get_ticket(self, ticket_id: int | str) -> ThuliumTicket:
        """Vendor docs, tickets: GET tickets/:id, with its MAIL / REPLY / COMMENT messages."""
        body = self.transport.request("GET", f"tickets/{path_segment(ticket_id)}", idempotent=True)
        return ThuliumTicket.from_api(body, self.tz)

    # --- single pages, for a sync that stops and resumes at an offset ------------------------

    def _page(self, path: str, query: list[tuple[str, str]], offset: int, limit: int) -> list[Any]:
        """One page of a GET list (Thulium sends no total)."""
        page = [*query, ("limit", str(limit)), ("offset", str(offset))]
        return list_items(
            self.transport.request("GET", path, query=page, idempotent=True), LIST_KEYS
        )

    def _since(self, date_from: datetime | None) -> list[tuple[str, str]]:
        """``date_from``, the minimum modification date, in the system's time to the minute."""
        if date_from is None:
            return []
        return [("date_from", self._local(date_from, "%Y-%m-%d %H:%M"))]

    def customers_page(
        self, *, offset: int = 0, limit: int = 100, date_from: datetime | None = None
    ) -> Page[ThuliumCustomer]:
        """One page of GET customers (``date_from``: modified since, minute precision).

        A customer the vendor sends malformed (no id) is listed in ``malformed``, not raised.
        """
        query = [("include_custom_fields", "true"), *self._since(date_from)]
        return read_page(
            self._page("customers", query, offset, limit),
            lambda item: ThuliumCustomer.from_api(item, self.tz),
            key=lambda c: c.customer_id,
            id_keys=("customer_id", "id"),
            offset=offset,
            limit=limit,
        )

    def tickets_page(
        self, *, offset: int = 0, limit: int = 100, date_from: datetime | None = None
    ) -> Page[ThuliumTicket]:
        """One page of GET tickets (``date_from``: the minimum modification date)."""
        return read_page(
            self._page("tickets", self._since(date_from), offset, limit),
            lambda item: ThuliumTicket.from_api(item, self.tz),
            key=lambda t: t.ticket_id,
            id_keys=("ticket_id", "id"),
            offset=offset,
            limit=limit,
        )

    def check_connection(self) -> None:
        """One cheap authenticated read (GET customers?limit=1); raises a VendorError if refused."""
        self.transport.request("GET", "customers", query=[("limit", "1")], idempotent=True)
