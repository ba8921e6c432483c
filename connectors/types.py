"""The small typed objects the clients return, and their tolerant parsers.

Shapes the vendors document are read into fields; anything else the vendor sends is kept, as
received, in ``raw``. Missing optional keys become None (or an empty collection); only a missing
identifier makes a record unusable, and that raises ``TransportError`` (not retryable: the same
response would come back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from connectors.errors import TransportError

__all__ = [
    "BonyContact",
    "FeedMessage",
    "HelpCrunchAgent",
    "HelpCrunchChat",
    "HelpCrunchCustomer",
    "HelpCrunchMessage",
    "ThuliumCustomer",
    "ThuliumTicket",
    "ThuliumTicketMessage",
]

Raw = dict[str, Any]


def unexpected(what: str) -> TransportError:
    return TransportError(
        f"unexpected response from the vendor: {what}", sent=True, retryable=False
    )


def as_mapping(value: object, what: str) -> Raw:
    if not isinstance(value, Mapping):
        raise unexpected(f"{what} is not an object")
    return dict(value)


def unwrap(body: object, what: str, key: str = "data") -> Raw:
    """An object, or the object under ``data`` when the vendor wraps it."""
    data = as_mapping(body, what)
    inner = data.get(key)
    return dict(inner) if isinstance(inner, Mapping) else data


def list_items(body: object, keys: tuple[str, ...]) -> list[Any]:
    """The items of a list response: a bare array, or the array under one of ``keys``."""
    if isinstance(body, list):
        return body
    if isinstance(body, Mapping):
        for key in keys:
            if isinstance(body.get(key), list):
                return list(body[key])
        if not body:
            return []
    if body is None:
        return []
    raise unexpected(f"no list under any of {', '.join(keys)}")


def opt_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def opt_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def require_int(data: Mapping[str, Any], *keys: str) -> int:
    for key in keys:
        value = opt_int(data.get(key))
        if value is not None:
            return value
    raise unexpected(f"no numeric {' or '.join(keys)}")


def unix_seconds(value: object) -> float | None:
    """HelpCrunch timestamps: UNIX seconds as a number or a string, maybe with a fraction."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def local_datetime(value: object, tz: tzinfo) -> datetime | None:
    """Thulium dates (``YYYY-MM-DD HH:MM`` in the system's local time) as aware datetimes."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


# --- Thulium ---------------------------------------------------------------------------------


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


# --- HelpCrunch ------------------------------------------------------------------------------


def _nested_id(value: object) -> int | None:
    if isinstance(value, Mapping):
        return opt_int(value.get("id"))
    return opt_int(value)


@dataclass(frozen=True)
class HelpCrunchCustomer:
    id: int
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    user_id: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_data: dict[str, Any] = field(default_factory=dict)
    last_seen: float | None = None
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object) -> HelpCrunchCustomer:
        d = unwrap(data, "customer")
        tags = d.get("tags", d.get("tagsData"))
        custom = d.get("customData", d.get("custom_data"))
        return cls(
            id=require_int(d, "id"),
            name=opt_str(d.get("name")),
            email=opt_str(d.get("email")),
            phone=opt_str(d.get("phone")),
            user_id=opt_str(d.get("userId", d.get("user_id"))),
            tags=[
                str(t["name"]) if isinstance(t, Mapping) else str(t)
                for t in (tags if isinstance(tags, list) else [])
                if (isinstance(t, Mapping) and t.get("name")) or isinstance(t, str)
            ],
            custom_data=dict(custom) if isinstance(custom, Mapping) else {},
            last_seen=unix_seconds(d.get("lastSeen")),
            raw=d,
        )


@dataclass(frozen=True)
class HelpCrunchChat:
    id: int
    customer_id: int | None = None
    status: Any = None  # as sent: "new", "opened", "on hold", ... (sometimes a number)
    assignee_id: int | None = None
    last_message_at: float | None = None
    created_at: float | None = None
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object) -> HelpCrunchChat:
        d = unwrap(data, "chat")
        return cls(
            id=require_int(d, "id"),
            customer_id=_nested_id(d.get("customer")),
            status=d.get("status"),
            assignee_id=_nested_id(d.get("assignee")),
            last_message_at=unix_seconds(d.get("lastMessageAt")),
            created_at=unix_seconds(d.get("createdAt")),
            raw=d,
        )


@dataclass(frozen=True)
class HelpCrunchAgent:
    id: int
    name: str | None = None
    email: str | None = None
    role: str | None = None
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object) -> HelpCrunchAgent:
        d = unwrap(data, "agent")
        return cls(
            id=require_int(d, "id"),
            name=opt_str(d.get("name")),
            email=opt_str(d.get("email")),
            role=opt_str(d.get("role")),
            raw=d,
        )


@dataclass(frozen=True)
class HelpCrunchMessage:
    """A chat message; also readable as a mapping of the vendor's keys (``msg["id"]``)."""

    id: int
    chat: int | None = None
    text: str | None = None
    type: str | None = None
    from_: str | None = None  # "agent" or "customer" (the vendor's "from")
    agent: dict[str, Any] | None = None
    created_at: float | None = None
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object) -> HelpCrunchMessage:
        d = unwrap(data, "message")
        agent = d.get("agent")
        return cls(
            id=require_int(d, "id"),
            chat=_nested_id(d.get("chat")),
            text=opt_str(d.get("text")),
            type=opt_str(d.get("type")),
            from_=opt_str(d.get("from")),
            agent=dict(agent) if isinstance(agent, Mapping) else None,
            created_at=unix_seconds(d.get("createdAt")),
            raw=d,
        )

    def __getitem__(self, key: str) -> Any:
        if key in self.raw:
            return self.raw[key]
        if key in ("id", "chat", "text", "type", "agent"):
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


# --- Bony.chat -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BonyContact:
    id: str
    custom_fields: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    created_at: int | None = None  # UNIX seconds
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object) -> BonyContact:
        d = as_mapping(data, "contact")
        contact_id = opt_str(d.get("id"))
        if contact_id is None:
            raise unexpected("contact without an id")
        custom = d.get("custom_fields")
        tags = d.get("tags")
        return cls(
            id=contact_id,
            custom_fields=dict(custom) if isinstance(custom, Mapping) else {},
            tags=[str(t) for t in (tags if isinstance(tags, list) else []) if t is not None],
            created_at=opt_int(d.get("created_at")),
            raw=d,
        )
