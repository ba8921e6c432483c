"""Thulium: customers, then tickets with their MAIL / REPLY / COMMENT messages.

Both lists take ``date_from`` (modified since, in the system's local time, minute precision), so
after the first pass only what changed is read. A ticket's messages come from ``GET
tickets/{id}``, read for the tickets that are new or changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from backoffice.mirror.contacts import ContactRow
from backoffice.mirror.tickets import (
    MESSAGE_LIMITS,
    TICKET_LIMITS,
    TicketMessageRow,
    TicketRow,
    ticket_messages_upsert_by_vendor_id,
    tickets_upsert,
)
from backoffice.mirror.upsert import Counts, rows_check
from backoffice.models import SyncCursor, TicketMessage, VendorAccount
from backoffice.sync.passes import Listing, Stored, contacts_store, listings_slice
from backoffice.sync.run import SyncRun
from connectors.pagination import Malformed, Page
from connectors.thulium import ThuliumClient, ThuliumCustomer, ThuliumTicket

Resource = SyncCursor.Resource
KINDS = set(TicketMessage.Kind.values)
BODY_TYPES = set(TicketMessage.BodyType.values)


def customer_row(customer: ThuliumCustomer) -> ContactRow:
    fields = {
        "name": customer.name or "",
        "surname": customer.surname or "",
        "email": customer.email or "",
        "phone_number": customer.phone_number or "",
    }
    return ContactRow(
        vendor_id=str(customer.customer_id),
        first_name=fields["name"],
        last_name=fields["surname"],
        email=fields["email"],
        phone=fields["phone_number"],
        custom_fields=dict(customer.custom_fields),
        snapshot={**fields, "custom_fields": dict(customer.custom_fields)},
    )


def ticket_row(ticket: ThuliumTicket) -> TicketRow:
    return TicketRow(
        vendor_id=str(ticket.ticket_id),
        subject=ticket.subject or "",
        status=ticket.status_id or "",
        customer_vendor_id=str(ticket.customer_id) if ticket.customer_id is not None else None,
        opened_at=ticket.created_at,
        vendor_updated_at=ticket.updated_at,
    )


def message_rows(ticket: ThuliumTicket) -> tuple[list[TicketMessageRow], list[Malformed]]:
    rows: list[TicketMessageRow] = []
    bad: list[Malformed] = []
    for message in ticket.messages:
        where = f"ticket {ticket.ticket_id}"
        if message.id is None:
            bad.append(Malformed(None, f"a message of {where} has no message_id"))
            continue
        if message.type not in KINDS:
            reason = f"message type {message.type!r} of {where} is not MAIL, REPLY or COMMENT"
            bad.append(Malformed(str(message.id), reason))
            continue
        body_type = str(message.raw.get("body_type") or "HTML").upper()
        rows.append(
            TicketMessageRow(
                vendor_id=str(message.id),
                kind=str(message.type),
                body=message.body,
                body_type=body_type if body_type in BODY_TYPES else "HTML",
                author=message.user_login or str(message.raw.get("from_email") or ""),
                sent_at=message.created_at,
            )
        )
    good, too_long = rows_check(rows, MESSAGE_LIMITS)
    return good, bad + too_long


class ThuliumSync:
    def __init__(self, run: SyncRun, client: ThuliumClient) -> None:
        self.run = run
        self.client = client

    def __call__(self) -> bool:
        """One slice of the account's sync; True when every resource's pass has ended."""
        return listings_slice(self.run, (self.customers(), self.tickets()))

    def customers(self) -> Listing:
        def fetch(offset: int, since: datetime | None) -> Page[Any]:
            return self.client.customers_page(offset=offset, date_from=since)

        def store(page: Page[Any]) -> Stored:
            rows = [customer_row(c) for c in page.items]
            return Stored(contacts_store(self.run, Resource.CUSTOMERS, rows), [])

        return Listing(Resource.CUSTOMERS, fetch, store)

    def tickets(self) -> Listing:
        run, account = self.run, self.run.account

        def fetch(offset: int, since: datetime | None) -> Page[Any]:
            return self.client.tickets_page(offset=offset, date_from=since)

        def store(page: Page[Any]) -> Stored:
            good, bad = rows_check([ticket_row(t) for t in page.items], TICKET_LIMITS)
            upserted = tickets_upsert(account_id=account.pk, rows=good, seen_at=timezone.now())
            counts = upserted.counts
            counts += run.skipped(Resource.TICKETS, bad)
            # A full resync asked for rereads every ticket's messages; otherwise the new and
            # changed tickets' (a reply moves a ticket's updated_at).
            wanted = upserted.ids if run.full else upserted.changed
            return Stored(counts, sorted(wanted, key=int))

        def store_detail(vendor_id: str, ticket: ThuliumTicket) -> Counts:
            return ticket_messages_store(run, account, vendor_id, ticket)

        return Listing(
            Resource.TICKETS,
            fetch,
            store,
            detail_resource="ticket_messages",
            read_detail=self.client.get_ticket,
            store_detail=store_detail,
        )


def ticket_messages_store(
    run: SyncRun, account: VendorAccount, vendor_id: str, ticket: ThuliumTicket
) -> Counts:
    """A ticket's messages as read from Thulium into the mirror (those it cannot hold are
    recorded as skipped); nothing is stored for a ticket the mirror lacks."""
    rows, bad = message_rows(ticket)
    counts = run.skipped("ticket_messages", bad)
    stored = ticket_messages_upsert_by_vendor_id(
        account_id=account.pk, vendor_id=vendor_id, rows=rows
    )
    if stored is not None:
        counts += stored.counts
    return counts
