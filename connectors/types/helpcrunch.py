"""HelpCrunch's typed objects: customers, chats, agents and chat messages.

HelpCrunch wraps a single object under ``data`` on some endpoints and not on others, and sends
timestamps as UNIX seconds (a number or a string): the parsers accept either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.types.common import Raw, opt_int, opt_str, require_int, unwrap

__all__ = [
    "HelpCrunchAgent",
    "HelpCrunchChat",
    "HelpCrunchCustomer",
    "HelpCrunchMessage",
    "unix_seconds",
]


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
