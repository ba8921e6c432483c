"""Tickets, chats and their messages, upserted a batch at a time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TypeVar

from backoffice.models import ChatConversation, ChatMessage, Contact, Ticket, TicketMessage
from backoffice.sync.upsert import Upserted, rows_upsert
from connectors.pagination import Malformed


@dataclass(frozen=True)
class TicketRow:
    vendor_id: str
    subject: str
    status: str
    customer_vendor_id: str | None
    opened_at: datetime | None
    vendor_updated_at: datetime | None


@dataclass(frozen=True)
class TicketMessageRow:
    vendor_id: str
    kind: str
    body: str
    body_type: str
    author: str
    sent_at: datetime | None


@dataclass(frozen=True)
class ChatRow:
    vendor_id: str
    customer_vendor_id: str | None
    status: str
    vendor_status: str
    assignee: str
    started_at: datetime | None
    last_message_at: datetime | None


@dataclass(frozen=True)
class ChatMessageRow:
    vendor_id: str
    sender: str
    agent_ref: str
    text: str
    sent_at: datetime | None


def too_long(values: dict[str, object], limits: dict[str, int]) -> str | None:
    for name, limit in limits.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            return f"{name} is longer than {limit} characters"
    return None


R = TypeVar("R", TicketRow, TicketMessageRow, ChatRow, ChatMessageRow)


def rows_check(rows: Iterable[R], limits: dict[str, int]) -> tuple[list[R], list[Malformed]]:
    good: list[R] = []
    bad: list[Malformed] = []
    for row in rows:
        problem = too_long(asdict(row), limits)
        if problem is None:
            good.append(row)
        else:
            bad.append(Malformed(row.vendor_id[:191], problem))
    return good, bad


TICKET_LIMITS = {"vendor_id": 64, "subject": 500, "status": 64}
MESSAGE_LIMITS = {"vendor_id": 64, "author": 254}
CHAT_LIMITS = {"vendor_id": 191, "vendor_status": 64, "assignee": 191}
CHAT_MESSAGE_LIMITS = {"vendor_id": 191, "agent_ref": 191}


def _contacts(account_id: int, vendor_ids: Iterable[str | None]) -> dict[str, int]:
    wanted = {v for v in vendor_ids if v}
    if not wanted:
        return {}
    found = Contact.objects.filter(account_id=account_id, vendor_id__in=wanted)
    return {str(v): pk for v, pk in found.values_list("vendor_id", "pk")}


def tickets_upsert(*, account_id: int, rows: Sequence[TicketRow], seen_at: datetime) -> Upserted:
    """Tickets, linked to their customer's contact when it is in the mirror."""
    contacts = _contacts(account_id, (r.customer_vendor_id for r in rows))
    return rows_upsert(
        Ticket,
        scope={"account_id": account_id},
        rows=[
            {
                "vendor_id": r.vendor_id,
                "subject": r.subject,
                "status": r.status,
                "contact_id": contacts.get(r.customer_vendor_id or ""),
                "opened_at": r.opened_at,
                "vendor_updated_at": r.vendor_updated_at,
            }
            for r in rows
        ],
        seen_at=seen_at,
    )


def ticket_messages_upsert(*, ticket_id: int, rows: Sequence[TicketMessageRow]) -> Upserted:
    """A ticket's messages. A reply sent from here has no vendor id (Thulium answers ``[]``):
    the first synced message of the same kind and body takes that row instead of doubling it."""
    known = set(
        TicketMessage.objects.filter(
            ticket_id=ticket_id, vendor_id__in=[r.vendor_id for r in rows]
        ).values_list("vendor_id", flat=True)
    )
    unclaimed = list(
        TicketMessage.objects.filter(ticket_id=ticket_id, vendor_id__isnull=True).values_list(
            "pk", "kind", "body"
        )
    )
    for row in rows:
        if row.vendor_id in known:
            continue
        match = next((m for m in unclaimed if (m[1], m[2]) == (row.kind, row.body)), None)
        if match is not None:
            unclaimed.remove(match)
            TicketMessage.objects.filter(pk=match[0]).update(vendor_id=row.vendor_id)
    return rows_upsert(
        TicketMessage,
        scope={"ticket_id": ticket_id},
        rows=[
            {
                "vendor_id": r.vendor_id,
                "kind": r.kind,
                "body": r.body,
                "body_type": r.body_type,
                "author": r.author,
                "sent_at": r.sent_at,
            }
            for r in rows
        ],
    )


def chats_upsert(*, account_id: int, rows: Sequence[ChatRow], seen_at: datetime) -> Upserted:
    contacts = _contacts(account_id, (r.customer_vendor_id for r in rows))
    return rows_upsert(
        ChatConversation,
        scope={"account_id": account_id},
        rows=[
            {
                "vendor_id": r.vendor_id,
                "contact_id": contacts.get(r.customer_vendor_id or ""),
                "status": r.status,
                "vendor_status": r.vendor_status,
                "assignee": r.assignee,
                "started_at": r.started_at,
                "last_message_at": r.last_message_at,
            }
            for r in rows
        ],
        seen_at=seen_at,
    )


def chat_messages_upsert(*, conversation_id: int, rows: Sequence[ChatMessageRow]) -> Upserted:
    return rows_upsert(
        ChatMessage,
        scope={"conversation_id": conversation_id},
        rows=[
            {
                "vendor_id": r.vendor_id,
                "sender": r.sender,
                "agent_ref": r.agent_ref,
                "text": r.text,
                "sent_at": r.sent_at,
            }
            for r in rows
        ],
    )
