"""Refresh from the vendor: one ticket (Thulium) or one chat (HelpCrunch) read again with its
messages, end to end against the live sandbox, into the mirror through the sync's writers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from backoffice.actions.refresh_from_vendor import refresh_from_vendor_enqueue
from backoffice.models import (
    ChatConversation,
    ChatMessage,
    Operation,
    Ticket,
    TicketMessage,
    User,
    VendorAccount,
)
from connectors.sandbox.seed import HELPCRUNCH_CHAT_ID, THULIUM_TICKET_ID
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin import flow
from tests.backoffice.operations import assert_audited, enqueue_one
from tests.factories import ChatConversationFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_ticket_is_read_again_with_its_messages(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    ticket = TicketFactory(
        account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID), subject="an old subject"
    )
    at_vendor = sandbox.state.thulium.tickets[THULIUM_TICKET_ID]

    op = enqueue_one(actor=owner, action="refresh_from_vendor", target=ticket, params={})

    assert op.state == Operation.State.SUCCEEDED, op.last_error
    ticket.refresh_from_db()
    assert ticket.subject == at_vendor.subject
    assert ticket.last_synced_at is not None
    mirrored = TicketMessage.objects.filter(ticket=ticket).order_by("vendor_id")
    assert sorted(m.vendor_id for m in mirrored) == sorted(
        str(m.message_id) for m in at_vendor.messages
    )
    assert op.result["messages"] == len(at_vendor.messages)
    base = sandbox.thulium_url
    assert_audited(op, [("GET", f"{base}/tickets/{THULIUM_TICKET_ID}", 200)])

    # Read again: nothing doubles.
    enqueue_one(actor=owner, action="refresh_from_vendor", target=ticket, params={})
    assert TicketMessage.objects.filter(ticket=ticket).count() == len(at_vendor.messages)


def test_a_ticket_the_vendor_no_longer_has_is_flagged_and_kept(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    ticket = TicketFactory(account=thulium_sandbox, vendor_id="987654")

    op = enqueue_one(actor=owner, action="refresh_from_vendor", target=ticket, params={})

    assert op.state == Operation.State.SUCCEEDED, op.last_error
    assert op.result["vanished"] is True
    ticket.refresh_from_db()
    assert ticket.vanished_at is not None


def test_a_chat_is_read_again_with_its_messages(
    sandbox: SandboxHandle, owner: User, helpcrunch_sandbox: VendorAccount
) -> None:
    chat = ChatConversationFactory(
        account=helpcrunch_sandbox, vendor_id=str(HELPCRUNCH_CHAT_ID), assignee="nobody"
    )
    at_vendor = sandbox.state.helpcrunch.chats[HELPCRUNCH_CHAT_ID]

    op = enqueue_one(actor=owner, action="refresh_from_vendor", target=chat, params={})

    assert op.state == Operation.State.SUCCEEDED, op.last_error
    chat.refresh_from_db()
    assert chat.vendor_status == at_vendor.status
    assert chat.last_synced_at is not None
    mirrored = ChatMessage.objects.filter(conversation=chat)
    assert sorted(m.vendor_id for m in mirrored) == sorted(str(m.id) for m in at_vendor.messages)
    assert {m.text for m in mirrored} == {m.text for m in at_vendor.messages}
    methods = [(c.method, c.url.split("?")[0]) for c in op.api_calls.order_by("id")]
    base = sandbox.helpcrunch_url
    assert methods[0] == ("GET", f"{base}/chats/{HELPCRUNCH_CHAT_ID}")
    assert set(methods[1:]) == {("GET", f"{base}/chats/{HELPCRUNCH_CHAT_ID}/messages")}


def test_what_cannot_be_read_again_is_skipped_with_why(
    owner: User,
    thulium_sandbox: VendorAccount,
    bony_sandbox: VendorAccount,
) -> None:
    thulium_chat = ChatConversationFactory(account=thulium_sandbox, vendor_id="c-1")
    bony_chat = ChatConversationFactory(account=bony_sandbox, vendor_id="b-1")
    ticket = TicketFactory(account=thulium_sandbox, vendor_id="17")

    result = refresh_from_vendor_enqueue(actor=owner, records=[thulium_chat, bony_chat])
    VendorAccount.objects.filter(pk=thulium_sandbox.pk).update(is_active=False)
    tickets = refresh_from_vendor_enqueue(
        actor=owner, records=Ticket.objects.filter(pk=ticket.pk).select_related("account")
    )

    assert result.count == tickets.count == 0
    assert [s.reason for s in result.skipped] == [
        "only tickets are read again from Thulium here, not its chats",
        "Bony.chat does not support this action",
    ]
    assert [s.reason for s in tickets.skipped] == [
        f"the account {thulium_sandbox.name} is inactive"
    ]
    assert not Operation.objects.exists()
    assert ChatConversation.objects.filter(vanished_at__isnull=True).count() == 2


# --- in the admin ------------------------------------------------------------------------------


def test_the_ticket_and_chat_lists_offer_it_and_report_what_was_queued(
    owner_client: Client,
    sandbox: SandboxHandle,
    thulium_sandbox: VendorAccount,
    helpcrunch_sandbox: VendorAccount,
) -> None:
    ticket = TicketFactory(account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID))
    chat = ChatConversationFactory(account=helpcrunch_sandbox, vendor_id=str(HELPCRUNCH_CHAT_ID))
    thulium_chat = ChatConversationFactory(account=thulium_sandbox, vendor_id="c-9")

    on_tickets = flow.start(owner_client, Ticket, "refresh_from_vendor", [ticket.pk])
    on_chats = flow.start(
        owner_client, ChatConversation, "refresh_from_vendor", [chat.pk, thulium_chat.pk]
    )

    assert flow.messages(on_tickets) == ["Queued 1 ticket refresh (follow their progress)."]
    message = flow.messages(on_chats)[-1]
    assert message.startswith("Queued 1 chat refresh (follow their progress); 1 skipped:")
    assert "only tickets are read again from Thulium here, not its chats" in message
    done = Operation.objects.filter(action="refresh_from_vendor", state="succeeded")
    assert done.count() == 2
    assert TicketMessage.objects.filter(ticket=ticket).exists()
    assert ChatMessage.objects.filter(conversation=chat).exists()


@pytest.mark.parametrize("model", [Ticket, ChatConversation])
def test_it_is_offered_only_to_staff_who_may_sync(model: type) -> None:
    user = UserFactory(username="reader")
    view = f"view_{model._meta.model_name}"
    user.user_permissions.add(Permission.objects.get(codename=view))
    client = Client()
    client.force_login(user)
    without = flow.action_choices(client, model)
    user.user_permissions.add(Permission.objects.get(codename="sync_from_vendor"))
    client.force_login(User.objects.get(pk=user.pk))  # permissions are cached on the instance

    assert "refresh_from_vendor" not in without
    assert "refresh_from_vendor" in flow.action_choices(client, model)
