"""Thulium into the mirror, against the live sandbox: customers, tickets and their messages."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from backoffice.models import ApiCall, Contact, Ticket, TicketMessage, VendorAccount
from connectors.sandbox.seed import THULIUM_CUSTOMER_ID, THULIUM_TICKET_ID
from connectors.sandbox.state import utcnow
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.sync import sync
from tests.factories import TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db


def _queries(sandbox: SandboxHandle, path: str) -> list[dict[str, list[str]]]:
    return [
        parse_qs(str(r["query"]))
        for r in sandbox.received("thulium")
        if r["method"] == "GET" and r["path"] == f"/thulium/api/{path}"
    ]


def test_it_fills_the_mirror_with_customers_tickets_and_their_messages(
    open_sandbox: SandboxHandle, thulium: VendorAccount
) -> None:
    world = open_sandbox.state.thulium

    operation = sync(thulium)

    assert operation.state == "succeeded", operation.last_error
    assert Contact.objects.filter(account=thulium).count() == len(world.customers)
    first = Contact.objects.get(account=thulium, vendor_id=str(THULIUM_CUSTOMER_ID))
    vendor_first = world.customers[THULIUM_CUSTOMER_ID]
    assert (first.first_name, first.last_name, first.email, first.phone) == (
        vendor_first.name,
        vendor_first.surname,
        vendor_first.email,
        vendor_first.phone_number,
    )
    assert first.custom_fields == vendor_first.custom_fields
    assert first.last_synced_at is not None
    assert Ticket.objects.filter(account=thulium).count() == len(world.tickets)
    ticket = Ticket.objects.get(account=thulium, vendor_id=str(THULIUM_TICKET_ID))
    vendor_ticket = world.tickets[THULIUM_TICKET_ID]
    assert (ticket.subject, ticket.status, ticket.contact) == (
        vendor_ticket.subject,
        str(vendor_ticket.status_id),
        first,
    )
    assert [(m.vendor_id, m.kind, m.body) for m in ticket.messages.order_by("sent_at", "id")] == [
        (str(m.message_id), m.type, m.body) for m in vendor_ticket.messages
    ]
    messages = sum(len(t.messages) for t in world.tickets.values())
    assert TicketMessage.objects.filter(ticket__account=thulium).count() == messages
    resources = operation.result["resources"]
    assert resources["customers"]["created"] == len(world.customers)
    assert resources["tickets"]["created"] == len(world.tickets)
    assert resources["ticket_messages"]["created"] == messages
    # Every read is an audit row of the sync's operation: two lists and one read per ticket.
    calls = ApiCall.objects.filter(operation=operation)
    assert calls.count() == 2 + len(world.tickets)
    assert set(calls.values_list("method", "status_code")) == {("GET", 200)}


def test_it_reads_only_what_changed_since_the_last_sync(
    open_sandbox: SandboxHandle, thulium: VendorAccount
) -> None:
    sync(thulium)
    world = open_sandbox.state.thulium
    with open_sandbox.state.lock:
        customer = world.customers[THULIUM_CUSTOMER_ID]
        customer.surname = "Nowak-Zmieniona"
        customer.updated_at = utcnow()
        ticket = world.tickets[THULIUM_TICKET_ID]
        ticket.status_id = 4
        ticket.updated_at = utcnow()
    open_sandbox.sandbox.journal.clear()

    operation = sync(thulium)

    assert operation.state == "succeeded", operation.last_error
    contact = Contact.objects.get(account=thulium, vendor_id=str(THULIUM_CUSTOMER_ID))
    assert contact.last_name == "Nowak-Zmieniona"
    assert Ticket.objects.get(account=thulium, vendor_id=str(THULIUM_TICKET_ID)).status == "4"
    resources = operation.result["resources"]
    assert resources["customers"]["updated"] == 1
    assert resources["customers"]["created"] == 0
    assert resources["tickets"]["updated"] == 1
    # The lists asked for changes since the first sync (local time, minutes), and only the
    # changed ticket's messages were read again.
    for path in ("customers", "tickets"):
        (query,) = _queries(open_sandbox, path)
        assert len(query["date_from"][0]) == len("2026-06-01 11:00")
    assert [
        r["path"] for r in open_sandbox.received("thulium") if "tickets/" in str(r["path"])
    ] == [f"/thulium/api/tickets/{THULIUM_TICKET_ID}"]


def test_it_takes_over_a_reply_sent_from_here_instead_of_doubling_it(
    open_sandbox: SandboxHandle, thulium: VendorAccount
) -> None:
    vendor_ticket = open_sandbox.state.thulium.tickets[THULIUM_TICKET_ID]
    reply = next(m for m in vendor_ticket.messages if m.type == "REPLY")
    ticket = TicketFactory(account=thulium, vendor_id=str(THULIUM_TICKET_ID))
    sent_here = TicketMessageFactory(ticket=ticket, vendor_id=None, kind="REPLY", body=reply.body)

    sync(thulium)

    sent_here.refresh_from_db()
    assert sent_here.vendor_id == str(reply.message_id)
    assert ticket.messages.count() == len(vendor_ticket.messages)


def test_it_flags_tickets_and_customers_gone_from_a_full_listing(
    open_sandbox: SandboxHandle, thulium: VendorAccount
) -> None:
    sync(thulium)
    with open_sandbox.state.lock:
        del open_sandbox.state.thulium.customers[2]
        del open_sandbox.state.thulium.tickets[2]

    incremental = sync(thulium)
    assert not Contact.objects.filter(vanished_at__isnull=False).exists()

    full = sync(thulium, full=True)

    gone = Contact.objects.get(account=thulium, vendor_id="2")
    assert gone.vanished_at is not None
    assert Ticket.objects.get(account=thulium, vendor_id="2").vanished_at is not None
    assert Contact.objects.filter(account=thulium, vanished_at__isnull=False).count() == 1
    assert full.result["resources"]["customers"]["vanished"] == 1
    assert incremental.result["resources"]["customers"]["vanished"] == 0
    assert gone.vanished_at > full.created_at - timedelta(seconds=1)
