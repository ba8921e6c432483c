"""The one writer of ``Ticket`` and ``TicketMessage``: a sync's batches, a reply sent from here.

A reply sent from here is stored at once with no vendor id (Thulium answers ``[]``); the sync
that later reads the same message from Thulium gives that row its vendor id instead of storing
it twice. Both halves of that rule live in this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from backoffice.mirror.upsert import Upserted, pk_by_vendor_id, rows_gone_flag, rows_upsert
from backoffice.models import Contact, Ticket, TicketMessage

TICKET_LIMITS = {"vendor_id": 64, "subject": 500, "status": 64}
MESSAGE_LIMITS = {"vendor_id": 64, "author": 254}


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


def contact_ids(account_id: int, vendor_ids: Iterable[str | None]) -> dict[str, int]:
    """The mirror's contacts of the account by vendor id, for linking records to them."""
    wanted = {v for v in vendor_ids if v}
    if not wanted:
        return {}
    found = Contact.objects.filter(account_id=account_id, vendor_id__in=wanted)
    return {str(v): pk for v, pk in found.values_list("vendor_id", "pk")}


def tickets_upsert(*, account_id: int, rows: Sequence[TicketRow], seen_at: datetime) -> Upserted:
    """Tickets, linked to their customer's contact when it is in the mirror."""
    contacts = contact_ids(account_id, (r.customer_vendor_id for r in rows))
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


def ticket_messages_upsert_by_vendor_id(
    *, account_id: int, vendor_id: str, rows: Sequence[TicketMessageRow]
) -> Upserted | None:
    """The messages of the account's ticket ``vendor_id``; None when the mirror lacks it."""
    ticket_id = pk_by_vendor_id(Ticket, account_id=account_id, vendor_id=vendor_id)
    if ticket_id is None:
        return None
    return ticket_messages_upsert(ticket_id=ticket_id, rows=rows)


def ticket_reply_record(
    *, ticket: Ticket, body: str, body_type: str, author: str, sent_at: datetime | None
) -> TicketMessage:
    """A reply the vendor accepted, stored at once (a later sync gives it its vendor id)."""
    return TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.REPLY,
        body=body,
        body_type=body_type,
        author=author,
        sent_at=sent_at or timezone.now(),
    )


def tickets_vanished_flag(*, ticket_ids: list[int]) -> int:
    """Tickets whose read by id answered 404: flagged (kept), once."""
    return rows_gone_flag(Ticket, ticket_ids, now=timezone.now())
