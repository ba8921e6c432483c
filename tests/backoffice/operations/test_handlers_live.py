"""Each handler end to end against the live vendor sandbox: the vendor's state afterwards, the
audit rows, the mirror."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backoffice.actions.push_to_vendor import bony_fields, changed_fields
from backoffice.models import (
    AgentIdentity,
    ChatConversation,
    ChatMessage,
    Operation,
    TicketMessage,
    User,
    VendorAccount,
)
from connectors.sandbox.seed import (
    BONY_CONTACT_ID,
    BONY_VIBER_CONTACT_ID,
    HELPCRUNCH_AGENT_ID,
    HELPCRUNCH_CHAT_ID,
    HELPCRUNCH_CUSTOMER_ID,
    THULIUM_AGENT_LOGIN,
    THULIUM_CHAT_QUEUE_ID,
    THULIUM_CUSTOMER_ID,
    THULIUM_TICKET_ID,
)
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.operations import assert_audited, assert_no_secret, basic, enqueue_one
from tests.factories import (
    ChatConversationFactory,
    ContactFactory,
    StoredFileFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

# The sandbox's credentials, as they would travel; none may reach a row.
SECRETS = [basic("sandbox", "sandbox"), "Bearer sandbox", "Bearer sandbox-viber"]


def _journal(sandbox: SandboxHandle, vendor: str) -> list[tuple[object, object, object]]:
    return [(r["method"], r["path"], r["status"]) for r in sandbox.received(vendor)]


def test_it_replies_to_a_sandbox_ticket_with_an_attachment(
    sandbox: SandboxHandle, owner: User, thulium_agent: AgentIdentity
) -> None:
    ticket = TicketFactory(account=thulium_agent.account, vendor_id=str(THULIUM_TICKET_ID))
    stored = StoredFileFactory(filename="umowa.pdf", content=b"%PDF-1.4 umowa " * 100)

    op = enqueue_one(
        actor=owner,
        action="reply_to_ticket",
        target=ticket,
        params={
            "body": "<p>Dzień dobry, w załączniku umowa.</p>",
            "body_type": "HTML",
            "user_login": thulium_agent.login,
            "date": None,
            "attachments": [stored.pk],
        },
    )

    assert op.state == Operation.State.SUCCEEDED
    reply = sandbox.state.thulium.tickets[THULIUM_TICKET_ID].messages[-1]
    assert (reply.type, reply.body, reply.body_type, reply.user_login) == (
        "REPLY",
        "<p>Dzień dobry, w załączniku umowa.</p>",
        "HTML",
        THULIUM_AGENT_LOGIN,
    )
    assert [(a.filename, a.size) for a in reply.attachments] == [("umowa.pdf", 1500)]
    token = reply.attachments[0].token
    assert sandbox.state.thulium.files[token].content == b"%PDF-1.4 umowa " * 100
    assert _journal(sandbox, "thulium") == [
        ("POST", "/thulium/api/temporary_files", 200),
        ("POST", f"/thulium/api/tickets/{THULIUM_TICKET_ID}/agent_response", 200),
    ]
    base = sandbox.thulium_url
    assert_audited(
        op,
        [
            ("POST", f"{base}/temporary_files?filename=umowa.pdf", 200),
            ("POST", f"{base}/tickets/{THULIUM_TICKET_ID}/agent_response", 200),
        ],
    )
    assert_no_secret(op, SECRETS)
    mirrored = TicketMessage.objects.get(ticket=ticket)
    assert mirrored.kind == TicketMessage.Kind.REPLY
    assert mirrored.author == THULIUM_AGENT_LOGIN


def test_it_adds_and_removes_many_tags_at_bony_ten_at_a_time(
    sandbox: SandboxHandle, owner: User, bony_sandbox: VendorAccount
) -> None:
    contact = ContactFactory(account=bony_sandbox, vendor_id=BONY_CONTACT_ID)
    names = [f"kampania {n}" for n in range(1, 24)]
    tags = {"tags": [{"name": n} for n in names]}

    added = enqueue_one(actor=owner, action="add_tags", target=contact, params=tags)

    at_vendor = sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID]
    assert added.state == Operation.State.SUCCEEDED
    assert at_vendor.tags == ["Platform Updates", "Blog Updates", *names]
    path = f"/bony/api/v1/contact/{BONY_CONTACT_ID}/tags"
    assert _journal(sandbox, "bony") == [("POST", path, 200)] * 3
    assert [len(json.loads(str(r["body"]))["tags"]) for r in sandbox.received("bony")] == [
        10,
        10,
        3,
    ]
    assert added.api_calls.count() == 3
    assert set(contact.tags.values_list("name", flat=True)) == set(names)

    removed = enqueue_one(actor=owner, action="remove_tags", target=contact, params=tags)

    assert removed.state == Operation.State.SUCCEEDED
    assert at_vendor.tags == ["Platform Updates", "Blog Updates"]
    assert removed.api_calls.filter(method="DELETE", status_code=200).count() == 3
    assert not contact.tags.exists()
    assert_no_secret(removed, SECRETS)


def test_it_tags_and_untags_a_sandbox_helpcrunch_customer(
    sandbox: SandboxHandle, owner: User, helpcrunch_sandbox: VendorAccount
) -> None:
    contact = ContactFactory(account=helpcrunch_sandbox, vendor_id=str(HELPCRUNCH_CUSTOMER_ID))
    customer = sandbox.state.helpcrunch.customers[HELPCRUNCH_CUSTOMER_ID]

    added = enqueue_one(
        actor=owner,
        action="add_tags",
        target=contact,
        params={"tags": [{"name": "vip", "color": "#c377e0"}, {"name": "reklamacja"}]},
    )

    assert added.state == Operation.State.SUCCEEDED
    assert [(t.name, t.color) for t in customer.tags][-2:] == [
        ("vip", "#c377e0"),
        ("reklamacja", "#ccc"),
    ]

    removed = enqueue_one(
        actor=owner, action="remove_tags", target=contact, params={"tags": [{"name": "vip"}]}
    )

    assert removed.state == Operation.State.SUCCEEDED
    assert "vip" not in [t.name for t in customer.tags]
    assert list(contact.tags.values_list("name", flat=True)) == ["reklamacja"]
    assert _journal(sandbox, "helpcrunch") == [
        ("PUT", "/helpcrunch/v1/customers/1/tags", 200),
        ("DELETE", "/helpcrunch/v1/customers/1/tags", 200),
    ]


def _push(contact: Any) -> dict[str, object]:
    return {"fields": changed_fields(bony_fields(contact), contact.vendor_snapshot)}


def test_it_creates_a_sandbox_bony_contact_with_more_than_thirty_fields(
    sandbox: SandboxHandle, owner: User, bony_sandbox: VendorAccount
) -> None:
    custom = {f"pole_{n}": f"wartość {n}" for n in range(1, 33)}
    contact = ContactFactory(
        account=bony_sandbox,
        vendor_id=None,
        first_name="Łucja",
        last_name="Żak",
        email="lucja.zak@example.pl",
        phone="48600700800",
        custom_fields=custom,
    )

    op = enqueue_one(actor=owner, action="push_to_vendor", target=contact, params=_push)

    assert op.state == Operation.State.SUCCEEDED
    contact.refresh_from_db()
    assert contact.vendor_id
    at_vendor = sandbox.state.bony["sandbox"].contacts[contact.vendor_id]
    assert at_vendor.custom_fields == {
        "firstName": "Łucja",
        "lastName": "Żak",
        "email": "lucja.zak@example.pl",
        "phone": "48600700800",
        **custom,
    }
    assert _journal(sandbox, "bony") == [
        ("POST", "/bony/api/v1/contact", 200),
        ("PUT", f"/bony/api/v1/contact/{contact.vendor_id}", 200),
    ]
    assert contact.vendor_snapshot == at_vendor.custom_fields
    assert_no_secret(op, SECRETS)

    # Pushed again with nothing changed: the form's builder finds nothing to send.
    assert _push(contact) == {"fields": {}}


def test_it_updates_a_sandbox_bony_contact(
    sandbox: SandboxHandle, owner: User, viber_sandbox: VendorAccount
) -> None:
    contact = ContactFactory(
        account=viber_sandbox,
        vendor_id=BONY_VIBER_CONTACT_ID,
        first_name="Anna",
        last_name="Nowak-Kowalska",
        email="anna.nowak@gmail.com",
        phone="48601234567",
        vendor_snapshot={
            "firstName": "Anna",
            "lastName": "Nowak",
            "email": "anna.nowak@gmail.com",
            "phone": "48601234567",
        },
    )

    op = enqueue_one(actor=owner, action="push_to_vendor", target=contact, params=_push)

    assert op.state == Operation.State.SUCCEEDED
    at_vendor = sandbox.state.bony["sandbox-viber"].contacts[BONY_VIBER_CONTACT_ID]
    assert at_vendor.custom_fields["lastName"] == "Nowak-Kowalska"
    assert at_vendor.custom_fields["plan"] == "básico"  # untouched
    assert _journal(sandbox, "bony") == [
        ("PUT", "/bony/api/v1/contact/NVZKQVp6Y20ybHRkcWtJMFpIOHgxdz09", 200)
    ]


def test_it_patches_a_sandbox_helpcrunch_customer(
    sandbox: SandboxHandle, owner: User, helpcrunch_sandbox: VendorAccount
) -> None:
    contact = ContactFactory(account=helpcrunch_sandbox, vendor_id=str(HELPCRUNCH_CUSTOMER_ID))

    op = enqueue_one(
        actor=owner,
        action="push_to_vendor",
        target=contact,
        params={"fields": {"name": "Anna Kowalska", "customData": {"plan": "enterprise"}}},
    )

    assert op.state == Operation.State.SUCCEEDED
    customer = sandbox.state.helpcrunch.customers[HELPCRUNCH_CUSTOMER_ID]
    assert customer.name == "Anna Kowalska"
    assert customer.email == "anna.nowak@gmail.com"  # PATCH: what was not sent stays
    assert customer.custom_data is not None
    assert customer.custom_data["plan"] == "enterprise"
    assert customer.custom_data["number_of_payments"] == 1
    assert _journal(sandbox, "helpcrunch") == [("PATCH", "/helpcrunch/v1/customers/1", 200)]
    contact.refresh_from_db()
    assert contact.vendor_snapshot == {
        "name": "Anna Kowalska",
        "customData": {"plan": "enterprise"},
    }


def test_it_adds_a_feed_record_to_a_sandbox_customer(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    contact = ContactFactory(account=thulium_sandbox, vendor_id=str(THULIUM_CUSTOMER_ID))

    op = enqueue_one(
        actor=owner,
        action="add_feed_record",
        target=contact,
        params={
            "record_id": "switchboard-42",
            "message": "Klient prosi o kontakt po 16:00.",
            "author": "agent.demo",
            "time": "2026-05-18T11:56:05+00:00",
        },
    )

    assert op.state == Operation.State.SUCCEEDED
    record = sandbox.state.thulium.customers[THULIUM_CUSTOMER_ID].feed_records[-1]
    assert isinstance(record.payload, str)  # a string holding the JSON array (seed 000)
    assert record.entries == [
        {
            "id": "switchboard-42",
            "type": "text",
            "payload": {"message": "Klient prosi o kontakt po 16:00."},
            "author": "agent.demo",
            "time": "2026-05-18T13:56:05",  # Warsaw local time
        }
    ]
    assert_no_secret(op, SECRETS)


def test_it_starts_a_sandbox_chat_and_mirrors_the_conversation(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    contact = ContactFactory(
        account=thulium_sandbox,
        vendor_id=str(THULIUM_CUSTOMER_ID),
        first_name="Anna",
        last_name="Nowak",
        email="anna.nowak@gmail.com",
    )

    op = enqueue_one(
        actor=owner,
        action="start_chat",
        target=contact,
        params={"chat_queue_id": THULIUM_CHAT_QUEUE_ID},
    )

    assert op.state == Operation.State.SUCCEEDED
    (started,) = sandbox.state.thulium.conversations.values()
    assert (started.chat_queue_id, started.customer_id, started.client_email) == (
        THULIUM_CHAT_QUEUE_ID,
        THULIUM_CUSTOMER_ID,
        "anna.nowak@gmail.com",
    )
    (request,) = sandbox.received("thulium")
    assert request["body"] == ""
    assert str(request["query"]).startswith("chat_queue_id=1&client_name=Anna")
    conversation = ChatConversation.objects.get(account=thulium_sandbox)
    assert conversation.vendor_id == started.conversation_id
    assert conversation.contact == contact
    assert op.result == {"conversation_id": started.conversation_id}


@pytest.mark.parametrize(
    ("sender", "with_agent", "kind", "agent_at_vendor"),
    [
        ("agent", True, "message", HELPCRUNCH_AGENT_ID),
        ("contact", False, "message", None),
        ("note", True, "private", HELPCRUNCH_AGENT_ID),
    ],
)
def test_it_posts_a_message_in_a_sandbox_helpcrunch_chat(
    sandbox: SandboxHandle,
    owner: User,
    helpcrunch_agent: AgentIdentity,
    sender: str,
    with_agent: bool,
    kind: str,
    agent_at_vendor: int | None,
) -> None:
    conversation = ChatConversationFactory(
        account=helpcrunch_agent.account, vendor_id=str(HELPCRUNCH_CHAT_ID)
    )

    op = enqueue_one(
        actor=owner,
        action="send_message",
        target=conversation,
        params={
            "text": "Paczka wyszła dziś.",
            "markdown_text": "Paczka wyszła **dziś**.",
            "sender": sender,
            "agent_id": int(helpcrunch_agent.login) if with_agent else None,
        },
    )

    assert op.state == Operation.State.SUCCEEDED
    sent = sandbox.state.helpcrunch.chats[HELPCRUNCH_CHAT_ID].messages[-1]
    assert (sent.text, sent.type, sent.agent_id) == (
        "Paczka wyszła **dziś**.",
        kind,
        agent_at_vendor,
    )
    mirrored = ChatMessage.objects.get(conversation=conversation)
    assert mirrored.vendor_id == str(sent.id)
    assert mirrored.sender == sender
    assert op.result == {"message_id": sent.id}
    assert_no_secret(op, SECRETS)


@pytest.mark.parametrize(
    ("account_fixture", "token", "contact_id"),
    [("bony_sandbox", "sandbox", BONY_CONTACT_ID), ("viber_sandbox", "sandbox-viber", None)],
)
def test_it_sends_a_text_to_a_sandbox_bony_contact(
    request: pytest.FixtureRequest,
    sandbox: SandboxHandle,
    owner: User,
    account_fixture: str,
    token: str,
    contact_id: str | None,
) -> None:
    account: VendorAccount = request.getfixturevalue(account_fixture)
    vendor_id = contact_id or BONY_VIBER_CONTACT_ID
    conversation = ChatConversationFactory(
        account=account,
        vendor_id=vendor_id,
        contact=ContactFactory(account=account, vendor_id=vendor_id),
    )

    op = enqueue_one(
        actor=owner,
        action="send_message",
        target=conversation,
        params={"text": "Tu pedido está en camino.", "sender": "agent"},
    )

    assert op.state == Operation.State.SUCCEEDED
    at_vendor = sandbox.state.bony[token].contacts[vendor_id]
    assert [m.body for m in at_vendor.messages] == [
        [{"type": "text", "text": "Tu pedido está en camino."}]
    ]
    assert ChatMessage.objects.filter(conversation=conversation, sender="agent").count() == 1
    assert_no_secret(op, SECRETS)


@pytest.mark.parametrize(
    "account_fixture", ["thulium_sandbox", "helpcrunch_sandbox", "bony_sandbox"]
)
def test_it_checks_a_sandbox_connection(
    request: pytest.FixtureRequest, sandbox: SandboxHandle, owner: User, account_fixture: str
) -> None:
    account: VendorAccount = request.getfixturevalue(account_fixture)

    op = enqueue_one(actor=owner, action="test_connection", target=account, params={})

    assert op.state == Operation.State.SUCCEEDED
    account.refresh_from_db()
    assert account.last_check_ok is True
    assert len(sandbox.received()) == 1


@pytest.mark.parametrize(
    ("account_fixture", "words"),
    [
        ("thulium_sandbox", "Invalid API user or password. (HTTP 401, request id "),
        ("helpcrunch_sandbox", "Invalid request; Unauthorized (HTTP 401)"),
        ("bony_sandbox", "API Token is invalid. (HTTP 401)"),
    ],
)
def test_it_stores_a_refused_sandbox_connection_in_the_vendors_words(
    request: pytest.FixtureRequest,
    sandbox: SandboxHandle,
    owner: User,
    account_fixture: str,
    words: str,
) -> None:
    account: VendorAccount = request.getfixturevalue(account_fixture)
    account.api_secret = "a-revoked-credential"
    account.save()

    op = enqueue_one(actor=owner, action="test_connection", target=account, params={})

    assert op.state == Operation.State.FAILED
    account.refresh_from_db()
    assert account.last_check_ok is False
    assert account.last_check_message.startswith(words)
    assert op.last_error == account.last_check_message
    assert [r["status"] for r in sandbox.received()] == [401]
    assert_no_secret(op, ["a-revoked-credential", *SECRETS])
