"""Thulium's typed objects: customers, tickets and their messages, feed-record entries, webhooks.

Thulium sends dates as ``YYYY-MM-DD HH:MM`` in the system's local time, so every parser here takes
the account's ``tz``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from connectors.types.common import Raw, as_mapping, opt_int, opt_str, require_int

__all__ = [
    "FeedMessage",
    "ThuliumCustomer",
    "ThuliumTicket",
    "ThuliumTicketMessage",
    "ThuliumWebhook",
    "local_datetime",
]


def local_datetime(value: object, tz: tzinfo) -> datetime | None:
    """Thulium dates (``YYYY-MM-DD HH:MM`` in the system's local time) as aware datetimes."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


@dataclass(frozen=True)
class FeedMessage:
    """One entry of a contact-history record (vendor-docs 000). ``time`` naive = local time."""

    id: str
    message: str
    time: datetime
    author: str = "customer"


@dataclass(frozen=True)
class ThuliumCustomer:
    customer_id: int
    name: str | None = None
    surname: str | None = None
    email: str | None = None
    phone_number: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object, tz: tzinfo) -> ThuliumCustomer:
        d = as_mapping(data, "customer")
        custom = d.get("custom_fields")
        return cls(
            customer_id=require_int(d, "customer_id", "id"),
            name=opt_str(d.get("name")),
            surname=opt_str(d.get("surname")),
            email=opt_str(d.get("email")),
            phone_number=opt_str(d.get("phone_number")),
            custom_fields=dict(custom) if isinstance(custom, Mapping) else {},
            updated_at=local_datetime(d.get("updated_at"), tz),
            raw=d,
        )


@dataclass(frozen=True)
class ThuliumTicketMessage:
    """A ticket message: ``type`` MAIL (from the customer), REPLY (to them) or COMMENT.

    ``body`` is the message body, or for a comment its ``comment`` / ``system_comment`` text.
    """

    id: int | None
    type: str | None
    body: str
    created_at: datetime | None = None
    user_login: str | None = None
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object, tz: tzinfo) -> ThuliumTicketMessage:
        d = as_mapping(data, "ticket message")
        texts = (d.get("body"), d.get("comment"), d.get("system_comment"))
        return cls(
            id=opt_int(d.get("message_id", d.get("id"))),
            type=opt_str(d.get("type")),
            body=next((str(t) for t in texts if t), ""),
            created_at=local_datetime(d.get("created_at", d.get("date")), tz),
            user_login=opt_str(d.get("user_login")),
            raw=d,
        )


@dataclass(frozen=True)
class ThuliumTicket:
    ticket_id: int
    subject: str | None = None
    status_id: str | None = None  # arrives as a string ("2")
    customer_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    messages: list[ThuliumTicketMessage] = field(default_factory=list)
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object, tz: tzinfo) -> ThuliumTicket:
        d = as_mapping(data, "ticket")
        messages = d.get("messages")
        return cls(
            ticket_id=require_int(d, "ticket_id", "id"),
            subject=opt_str(d.get("subject", d.get("title"))),
            status_id=opt_str(d.get("status_id")),
            customer_id=opt_int(d.get("customer_id")),
            created_at=local_datetime(d.get("created_at"), tz),
            updated_at=local_datetime(d.get("updated_at"), tz),
            messages=[
                ThuliumTicketMessage.from_api(m, tz)
                for m in (messages if isinstance(messages, list) else [])
                if isinstance(m, Mapping)
            ],
            raw=d,
        )


@dataclass(frozen=True)
class ThuliumWebhook:
    """A webhook subscription (vendor docs, webhooks): the actions it is sent for, where, and the
    HTTP Basic credentials Thulium sends with each delivery (empty when none were given). The
    password is never shown in a repr."""

    id: int
    actions: list[str] = field(default_factory=list)
    subscription_url: str = ""
    http_auth_user: str = ""
    http_auth_password: str = field(default="", repr=False)
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object) -> ThuliumWebhook:
        d = as_mapping(data, "webhook")
        actions = d.get("actions")
        return cls(
            id=require_int(d, "id", "webhook_id"),
            actions=[str(a) for a in actions] if isinstance(actions, list) else [],
            subscription_url=opt_str(d.get("subscription_url")) or "",
            http_auth_user=opt_str(d.get("http_auth_user")) or "",
            http_auth_password=opt_str(d.get("http_auth_password")) or "",
            raw=d,
        )
