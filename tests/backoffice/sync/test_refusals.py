"""A record the vendor refuses on its own read (a 4xx on that one record) is named in the sync's
result in the vendor's words and the sync goes on; refused credentials still stop it and a 429
still pauses it. Against the live sandbox, which answers the scripted refusal in each vendor's
own error format."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from backoffice.models import (
    ApiCall,
    ChatConversation,
    Contact,
    Operation,
    RateBucket,
    Ticket,
    TicketMessage,
    VendorAccount,
)
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.sync import sync
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _known_bony_contacts(sandbox: SandboxHandle, account: VendorAccount) -> list[str]:
    ids = list(sandbox.state.bony["sandbox"].contacts)[:6]
    for vendor_id in ids:
        ContactFactory(account=account, vendor_id=vendor_id, first_name="stale")
    return ids


def test_a_contact_bony_refuses_is_named_and_the_others_are_updated(
    open_sandbox: SandboxHandle, bony: VendorAccount, owner_client: Client
) -> None:
    ids = _known_bony_contacts(open_sandbox, bony)
    refused = ids[2]
    open_sandbox.inject(
        "refuse",
        vendor="bony",
        path_prefix=f"/contact/{refused}",
        message="Contact data could not be processed.",
    )

    operation = sync(bony)

    assert operation.state == "succeeded", operation.last_error
    channel = open_sandbox.state.bony["sandbox"]
    for vendor_id in ids:
        contact = Contact.objects.get(account=bony, vendor_id=vendor_id)
        if vendor_id == refused:
            assert (contact.first_name, contact.vanished_at) == ("stale", None)
        else:
            assert contact.first_name == channel.contacts[vendor_id].custom_fields["firstName"]
    words = "Contact data could not be processed. (HTTP 422)"
    assert operation.result["refused_items"] == [
        {"resource": "contacts", "vendor_id": refused, "reason": words}
    ]
    counts = operation.result["resources"]["contacts"]
    assert (counts["updated"], counts["refused"], counts["failed"]) == (5, 1, 0)
    # The operation's page shows the refused contact with the vendor's words.
    page = owner_client.get(reverse("admin:backoffice_operation_change", args=[operation.pk]))
    assert page.status_code == 200
    assert refused in page.content.decode()
    assert words in page.content.decode()


def test_a_thulium_ticket_refused_leaves_the_other_tickets_messages_stored(
    open_sandbox: SandboxHandle, thulium: VendorAccount
) -> None:
    world = open_sandbox.state.thulium
    refused = max(world.tickets)  # no other ticket's path starts with its own
    open_sandbox.inject(
        "refuse", vendor="thulium", path_prefix=f"/tickets/{refused}", message="Ticket is locked."
    )

    operation = sync(thulium)

    assert operation.state == "succeeded", operation.last_error
    assert Ticket.objects.filter(account=thulium).count() == len(world.tickets)
    assert not TicketMessage.objects.filter(ticket__vendor_id=str(refused)).exists()
    others = sum(len(t.messages) for i, t in world.tickets.items() if i != refused)
    assert TicketMessage.objects.filter(ticket__account=thulium).count() == others
    assert operation.result["refused_items"] == [
        {
            "resource": "ticket_messages",
            "vendor_id": str(refused),
            "reason": "Ticket is locked. (HTTP 422)",
        }
    ]
    assert operation.result["resources"]["ticket_messages"]["refused"] == 1


def test_a_helpcrunch_chat_whose_messages_are_refused_is_named_and_the_sync_goes_on(
    open_sandbox: SandboxHandle, helpcrunch: VendorAccount
) -> None:
    chats = open_sandbox.state.helpcrunch.chats
    refused = min(chats)
    open_sandbox.inject(
        "refuse",
        vendor="helpcrunch",
        path_prefix=f"/chats/{refused}/messages",
        status=400,
        message="Chat is archived.",
    )

    operation = sync(helpcrunch)

    assert operation.state == "succeeded", operation.last_error
    assert ChatConversation.objects.filter(account=helpcrunch).count() == len(chats)
    stored = ChatConversation.objects.filter(account=helpcrunch, messages__isnull=False)
    assert set(stored.values_list("vendor_id", flat=True)) == {
        str(i) for i, chat in chats.items() if chat.messages and i != refused
    }
    (item,) = operation.result["refused_items"]
    assert (item["resource"], item["vendor_id"]) == ("chat_messages", str(refused))
    assert "Chat is archived." in item["reason"]
    assert item["reason"].endswith("(HTTP 400)")


def test_refused_credentials_on_a_contacts_read_still_stop_the_sync(
    open_sandbox: SandboxHandle, bony: VendorAccount
) -> None:
    ids = _known_bony_contacts(open_sandbox, bony)
    open_sandbox.inject("refuse", vendor="bony", path_prefix=f"/contact/{ids[1]}", status=401)

    operation = sync(bony)

    assert operation.state == "failed"
    bony.refresh_from_db()
    assert bony.last_check_ok is False
    assert "HTTP 401" in bony.last_check_message
    assert operation.last_error == bony.last_check_message
    assert ApiCall.objects.filter(operation=operation).count() == 2  # nothing after the 401
    assert not Contact.objects.filter(account=bony, vendor_id__in=ids[1:]).exclude(
        first_name="stale"
    )


def test_a_429_on_a_contacts_read_still_pauses_the_sync(
    open_sandbox: SandboxHandle, bony: VendorAccount
) -> None:
    ids = _known_bony_contacts(open_sandbox, bony)
    open_sandbox.inject(
        "rate_limit", vendor="bony", path_prefix=f"/contact/{ids[1]}", retry_after=30
    )

    operation = sync(bony)

    assert operation.state == Operation.State.RETRYING
    assert "Too many requests" in operation.last_error
    assert RateBucket.objects.get(account=bony).paused_until is not None
    assert operation.result["refused_items"] == []
