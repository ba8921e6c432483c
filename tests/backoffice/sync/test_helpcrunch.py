"""HelpCrunch into the mirror, against the live sandbox: customers with tags, chats, messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from backoffice.models import ChatConversation, ChatMessage, Contact, Tag, VendorAccount
from connectors.helpcrunch import HelpCrunchClient
from connectors.sandbox.seed import HELPCRUNCH_CHAT_ID, HELPCRUNCH_CUSTOMER_ID
from connectors.sandbox.state import HelpCrunchTag, utcnow
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.sync import sync

pytestmark = pytest.mark.django_db

NORMALISED = {
    "new": "open",
    "opened": "open",
    "pending": "pending",
    "on hold": "pending",
    "closed": "closed",
}


def test_it_fills_the_mirror_with_customers_tags_chats_and_messages(
    open_sandbox: SandboxHandle, helpcrunch: VendorAccount
) -> None:
    world = open_sandbox.state.helpcrunch

    operation = sync(helpcrunch)

    assert operation.state == "succeeded", operation.last_error
    assert Contact.objects.filter(account=helpcrunch).count() == len(world.customers)
    for vendor in world.customers.values():
        contact = Contact.objects.get(account=helpcrunch, vendor_id=str(vendor.id))
        assert f"{contact.first_name} {contact.last_name}" == vendor.name
        assert set(contact.tags.values_list("name", "color")) == {
            (t.name, t.color) for t in vendor.tags
        }
    assert set(Tag.objects.filter(account=helpcrunch).values_list("name", flat=True)) == {
        t.name for c in world.customers.values() for t in c.tags
    }
    assert ChatConversation.objects.filter(account=helpcrunch).count() == len(world.chats)
    for chat in world.chats.values():
        mirrored = ChatConversation.objects.get(account=helpcrunch, vendor_id=str(chat.id))
        assert (mirrored.vendor_status, mirrored.status) == (chat.status, NORMALISED[chat.status])
        assert mirrored.contact == Contact.objects.get(
            account=helpcrunch, vendor_id=str(chat.customer_id)
        )
        assert mirrored.messages.count() == len(chat.messages)
    # Timestamps sent as strings with a fraction keep it.
    fractional = next(
        m for c in world.chats.values() for m in c.messages if "." in str(m.created_at)
    )
    stored = ChatMessage.objects.get(conversation__account=helpcrunch, vendor_id=str(fractional.id))
    assert stored.sent_at == datetime.fromtimestamp(float(fractional.created_at), tz=UTC)
    notes = ChatMessage.objects.filter(conversation__account=helpcrunch, sender="note").count()
    assert notes == sum(m.type == "private" for c in world.chats.values() for m in c.messages)


def test_it_reads_customers_seen_and_chats_written_since_the_last_sync(
    open_sandbox: SandboxHandle, helpcrunch: VendorAccount
) -> None:
    sync(helpcrunch)
    world = open_sandbox.state.helpcrunch
    with open_sandbox.state.lock:
        customer = world.customers[HELPCRUNCH_CUSTOMER_ID]
        customer.name = "Ольга Змінена"
        customer.tags = [HelpCrunchTag("vip-2026", "#c377e0")]
        customer.last_seen = f"{utcnow().timestamp():.3f}"
    client = HelpCrunchClient("sandbox", base_url=open_sandbox.helpcrunch_url)
    sent = client.send_message(HELPCRUNCH_CHAT_ID, "Нове повідомлення після синхронізації")
    open_sandbox.sandbox.journal.clear()

    operation = sync(helpcrunch)

    assert operation.state == "succeeded", operation.last_error
    contact = Contact.objects.get(account=helpcrunch, vendor_id=str(HELPCRUNCH_CUSTOMER_ID))
    assert (contact.first_name, contact.last_name) == ("Ольга", "Змінена")
    assert list(contact.tags.values_list("name", "color")) == [("vip-2026", "#c377e0")]
    message = ChatMessage.objects.get(
        conversation__vendor_id=str(HELPCRUNCH_CHAT_ID), vendor_id=str(sent.id)
    )
    assert (message.sender, message.text) == ("contact", "Нове повідомлення після синхронізації")
    resources = operation.result["resources"]
    assert resources["customers"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "failed": 0,
        "refused": 0,
        "vanished": 0,
    }
    assert resources["chat_messages"]["created"] == 1
    requests = open_sandbox.received("helpcrunch")
    search = next(r for r in requests if r["path"] == "/helpcrunch/v1/customers/search")
    body = json.loads(str(search["body"]))
    assert (body["sort"], body["filter"][0]["field"], body["filter"][0]["operator"]) == (
        "customers.lastSeen",
        "customers.lastSeen",
        ">=",
    )
    chats = [r for r in requests if r["path"] == "/helpcrunch/v1/chats"]
    assert len(chats) == 1
    assert "sort=chats.lastMessageAt&order=desc" in str(chats[0]["query"])
    # Only the chat with a new message had its messages read.
    assert [r["path"] for r in requests if str(r["path"]).endswith("/messages")] == [
        f"/helpcrunch/v1/chats/{HELPCRUNCH_CHAT_ID}/messages"
    ]


def test_it_flags_a_vanished_customer_and_clears_the_flag_when_it_is_back(
    open_sandbox: SandboxHandle, helpcrunch: VendorAccount
) -> None:
    sync(helpcrunch)
    with open_sandbox.state.lock:
        gone = open_sandbox.state.helpcrunch.customers.pop(HELPCRUNCH_CUSTOMER_ID)

    sync(helpcrunch, full=True)

    contact = Contact.objects.get(account=helpcrunch, vendor_id=str(HELPCRUNCH_CUSTOMER_ID))
    assert contact.vanished_at is not None
    assert contact.tags.exists()  # kept as it was, only flagged

    with open_sandbox.state.lock:
        open_sandbox.state.helpcrunch.customers[HELPCRUNCH_CUSTOMER_ID] = gone
    back = sync(helpcrunch, full=True)

    contact.refresh_from_db()
    assert contact.vanished_at is None
    assert back.result["resources"]["customers"]["updated"] == 1
