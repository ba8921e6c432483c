"""The Thulium contact actions: a contact-history record (vendor-docs 000), a chat start (002)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backoffice.models import ApiCall, ChatConversation, Contact, Operation, VendorAccount
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin.flow import (
    action_choices,
    apply,
    form_errors,
    messages,
    operations,
    run,
    staff_client,
    start,
)
from tests.factories import ContactFactory, HelpCrunchAccountFactory, ThuliumAccountFactory

pytestmark = pytest.mark.django_db

API = "https://your-system-name.thulium.com/api"
RECORD_ID = re.compile(r"switchboard-[0-9a-f]{32}")
CONVERSATION = "6ed7c941-2c8a-411e-95d2-338a9f64800a"


def feed_body(record_id: str, message: str, author: str, time: str) -> bytes:
    """vendor-docs 000's request body, with this record's values."""
    entry = [
        {
            "id": record_id,
            "type": "text",
            "payload": {"message": message},
            "author": author,
            "time": time,
        }
    ]
    payload = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(
        {"type": "ZOWIE", "payload": payload}, separators=(",", ":"), ensure_ascii=False
    ).encode()


@pytest.fixture
def account() -> VendorAccount:
    return ThuliumAccountFactory(name="Centrala", base_url=API)


@pytest.fixture
def customer(account: VendorAccount) -> Contact:
    return ContactFactory(
        account=account,
        vendor_id="23",
        first_name="Jan",
        last_name="Kowalski",
        email="jan.kowalski@example.org",
    )


# --- add_feed_record ---------------------------------------------------------------------------


def test_it_adds_a_record_as_the_vendor_page_shows_with_a_fresh_id_per_contact(
    owner_client: Client, owner, account: VendorAccount, customer: Contact, rsps
) -> None:
    other = ContactFactory(account=account, vendor_id="24")
    rsps.post(f"{API}/customers/23/feed_records", body="")
    rsps.post(f"{API}/customers/24/feed_records", body="")

    form_page = start(owner_client, Contact, "add_feed_record", [customer.pk, other.pk])
    assert form_page.context["form"]["author"].value() == "customer"
    response = run(
        owner_client,
        Contact,
        "add_feed_record",
        [customer.pk, other.pk],
        {"message": "Sample message", "author": "customer", "time": "2021-02-02T10:10:12"},
    )

    assert messages(response) == ["Queued 2 contact-history records (follow their progress)."]
    by_target = {op.target: op for op in operations("add_feed_record")}
    ids = {op.params["record_id"] for op in by_target.values()}
    assert len(ids) == 2
    assert all(RECORD_ID.fullmatch(i) for i in ids)
    op = by_target[customer]
    assert (op.state, op.actor) == ("succeeded", owner)
    assert op.params == {
        "record_id": op.params["record_id"],
        "message": "Sample message",
        "author": "customer",
        "time": "2021-02-02T10:10:12+01:00",
    }
    assert op.result == {"record_id": op.params["record_id"]}
    call = next(c for c in rsps.calls if c.request.url.endswith("/customers/23/feed_records"))
    assert call.request.body == feed_body(
        op.params["record_id"], "Sample message", "customer", "2021-02-02T10:10:12"
    )
    assert ApiCall.objects.get(operation=op).status_code == 200


def test_it_adds_a_record_at_the_sandbox(
    owner_client: Client, thulium_sandbox: VendorAccount, sandbox: SandboxHandle
) -> None:
    anna = ContactFactory(account=thulium_sandbox, vendor_id="1")
    before = timezone.now()

    run(
        owner_client,
        Contact,
        "add_feed_record",
        [anna.pk],
        {"message": "Klientka dzwoniła: „proszę o fakturę”. 🙂", "author": "agent", "time": ""},
    )

    op = Operation.objects.get()
    assert op.state == "succeeded", op.last_error
    assert before <= datetime.fromisoformat(op.params["time"]) <= timezone.now()
    (record,) = sandbox.state.thulium.customers[1].feed_records
    assert record.type == "ZOWIE"
    (entry,) = record.entries
    assert entry == {
        "id": op.params["record_id"],
        "type": "text",
        "payload": {"message": "Klientka dzwoniła: „proszę o fakturę”. 🙂"},
        "author": "agent",
        "time": timezone.localtime(datetime.fromisoformat(op.params["time"])).strftime(
            "%Y-%m-%dT%H:%M:%S"
        ),
    }


def test_it_shows_the_vendors_refusal_of_an_unknown_customer_on_the_operation(
    owner_client: Client, thulium_sandbox: VendorAccount
) -> None:
    gone = ContactFactory(account=thulium_sandbox, vendor_id="987654")

    run(owner_client, Contact, "add_feed_record", [gone.pk], {"message": "x", "author": "customer"})

    op = Operation.objects.get()
    assert op.state == "failed"
    assert "Customer 987654 not found." in op.last_error


def test_it_skips_contacts_at_other_vendors_and_not_at_thulium_yet(
    owner_client: Client, account: VendorAccount, customer: Contact, rsps
) -> None:
    elsewhere = ContactFactory(account=HelpCrunchAccountFactory(name="Czat"))
    unsynced = ContactFactory(account=account, vendor_id=None)
    rsps.post(f"{API}/customers/23/feed_records", body="")
    selected = [customer.pk, elsewhere.pk, unsynced.pk]

    response = run(
        owner_client, Contact, "add_feed_record", selected, {"message": "x", "author": "customer"}
    )

    assert messages(response) == [
        "Queued 1 contact-history record (follow their progress); 2 skipped:"
        f" {unsynced} — not at Thulium yet (no customer id);"
        f" {elsewhere} — HelpCrunch does not support this action."
    ]


def _future() -> str:
    return (timezone.localtime() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"message": "", "author": "customer"}, "message", "Message: This field is required."),
        (
            {"message": "ą" * 10_001, "author": "customer"},
            "message",
            "Message: Ensure this value has at most 10000 characters (it has 10001).",
        ),
        ({"message": "x", "author": "robot"}, "author", "Author: Select a valid choice."),
        ({"message": "x", "author": ""}, "author", "Author: This field is required."),
        ({"message": "x", "author": "customer", "time": "2021-02-30T10:00"}, "time", "Time: Enter"),
        ({"message": "x", "author": "customer", "time": "future"}, "time", "Time: Enter a valid"),
        (
            {"message": "x", "author": "customer", "time": "1999-12-31T23:59"},
            "time",
            "Time: 1999-12-31 23:59 is before 2000-01-01, the earliest date taken.",
        ),
        (
            {"message": "x", "author": "customer", "time": _future()},
            "time",
            "is in the future; give a past time, or leave it blank for now.",
        ),
    ],
)
def test_it_refuses_an_unusable_record_naming_the_field(
    owner_client: Client, customer: Contact, data: dict[str, str], field: str, error: str
) -> None:
    response = apply(owner_client, Contact, "add_feed_record", [customer.pk], data)

    assert response.status_code == 200
    assert any(error in e for e in form_errors(response)[field]), form_errors(response)
    assert not Operation.objects.exists()


@pytest.mark.parametrize(
    ("action", "permission", "data", "other"),
    [
        (
            "add_feed_record",
            "add_feed_record",
            {"message": "x", "author": "customer"},
            "start_chat",
        ),
        ("start_chat", "start_chat", {"chat_queue_id": "3"}, "add_feed_record"),
    ],
)
def test_it_lets_staff_with_only_that_permission_run_it_and_nothing_else(
    customer: Contact, action: str, permission: str, data: dict[str, str], other: str, rsps
) -> None:
    user, client = staff_client("view_contact", permission)
    rsps.post(f"{API}/customers/23/feed_records", body="")
    rsps.post(f"{API}/chat_conversations/start", json={"conversation_id": CONVERSATION})
    rsps.assert_all_requests_are_fired = False

    assert action_choices(client, Contact) == [action]
    crafted = apply(client, Contact, other, [customer.pk], {"chat_queue_id": "3", "message": "x"})
    assert messages(crafted) == ["No action selected."]
    assert not Operation.objects.exists()
    run(client, Contact, action, [customer.pk], data)

    (op,) = Operation.objects.all()
    assert (op.action, op.state, op.actor) == (action, "succeeded", user)
    assert len(rsps.calls) == 1


# --- start_chat --------------------------------------------------------------------------------


def test_it_starts_a_chat_with_the_contacts_details_in_the_query_string(
    owner_client: Client, account: VendorAccount, customer: Contact, rsps
) -> None:
    rsps.post(f"{API}/chat_conversations/start", json={"conversation_id": CONVERSATION})

    response = run(owner_client, Contact, "start_chat", [customer.pk], {"chat_queue_id": " 3 "})

    assert messages(response) == ["Queued 1 chat start (follow their progress)."]
    request = rsps.calls[0].request
    assert request.url == (
        f"{API}/chat_conversations/start?chat_queue_id=3&client_name=Jan&client_surname=Kowalski"
        "&client_email=jan.kowalski%40example.org&customer_id=23"
    )
    assert not request.body
    op = Operation.objects.get()
    assert (op.state, op.params, op.result) == (
        "succeeded",
        {"chat_queue_id": 3},
        {"conversation_id": CONVERSATION},
    )
    call = ApiCall.objects.get(operation=op)
    assert (call.method, call.url, call.status_code) == ("POST", request.url, 200)
    assert call.request_headers["Authorization"] == "[redacted]"
    conversation = ChatConversation.objects.get(vendor_id=CONVERSATION)
    assert (conversation.account, conversation.contact, conversation.status) == (
        account,
        customer,
        "open",
    )


def test_it_starts_a_chat_at_the_sandbox_matched_to_the_customer(
    owner_client: Client, thulium_sandbox: VendorAccount, sandbox: SandboxHandle
) -> None:
    anna = ContactFactory(
        account=thulium_sandbox,
        vendor_id=None,
        first_name="Anna",
        last_name="Nowak",
        email="ANNA.NOWAK@gmail.com",
    )

    run(owner_client, Contact, "start_chat", [anna.pk], {"chat_queue_id": "1"})

    op = Operation.objects.get()
    assert op.state == "succeeded", op.last_error
    conversation = sandbox.state.thulium.conversations[op.result["conversation_id"]]
    assert (conversation.chat_queue_id, conversation.customer_id) == (1, 1)
    assert (conversation.client_name, conversation.client_surname) == ("Anna", "Nowak")
    assert ChatConversation.objects.get(vendor_id=op.result["conversation_id"]).contact == anna


def test_it_shows_the_vendors_refusal_of_an_unknown_queue_on_the_operation(
    owner_client: Client, thulium_sandbox: VendorAccount, sandbox: SandboxHandle
) -> None:
    anna = ContactFactory(account=thulium_sandbox, vendor_id="1")

    run(owner_client, Contact, "start_chat", [anna.pk], {"chat_queue_id": "999"})

    op = Operation.objects.get()
    assert op.state == "failed"
    assert "Chat queue '999' does not exist." in op.last_error
    assert not sandbox.state.thulium.conversations
    assert not ChatConversation.objects.exists()


def test_it_skips_contacts_thulium_could_not_match(
    owner_client: Client, account: VendorAccount, customer: Contact, rsps
) -> None:
    nameless = ContactFactory(account=account, vendor_id=None, email="")
    elsewhere = ContactFactory(account=HelpCrunchAccountFactory(name="Czat"))
    rsps.post(f"{API}/chat_conversations/start", json={"conversation_id": CONVERSATION})

    response = run(
        owner_client,
        Contact,
        "start_chat",
        [customer.pk, nameless.pk, elsewhere.pk],
        {"chat_queue_id": "3"},
    )

    assert messages(response) == [
        "Queued 1 chat start (follow their progress); 2 skipped:"
        f" {elsewhere} — HelpCrunch does not support this action;"
        f" {nameless} — no Thulium customer id and no e-mail to match the customer by."
    ]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("", "Chat queue id: This field is required."),
        ("abc", "Chat queue id: give the queue's number, a whole number such as 3."),
        ("3.5", "Chat queue id: give the queue's number, a whole number such as 3."),
        ("0", "Chat queue id: a queue's number is at least 1."),
        ("-3", "Chat queue id: a queue's number is at least 1."),
        ("99999999999999999999999", "Chat queue id: a queue's number is at most 2147483647."),
        (
            "\uff11\uff12\uff13x",
            "Chat queue id: give the queue's number, a whole number such as 3.",
        ),
    ],
)
def test_it_refuses_a_queue_id_that_is_not_a_positive_number(
    owner_client: Client, customer: Contact, value: str, error: str
) -> None:
    response = apply(owner_client, Contact, "start_chat", [customer.pk], {"chat_queue_id": value})

    assert response.status_code == 200
    assert form_errors(response)["chat_queue_id"] == [error]
    assert not Operation.objects.exists()


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("start_chat", {"chat_queue_id": "3"}),
        ("add_feed_record", {"message": "x", "author": "customer"}),
    ],
)
def test_it_neither_offers_nor_runs_thulium_actions_for_staff_without_the_permission(
    customer: Contact, action: str, data: dict[str, str], rsps
) -> None:
    _, client = staff_client("view_contact", "tag_contact")

    assert action not in action_choices(client, Contact)
    crafted = apply(client, Contact, action, [customer.pk], data)

    assert messages(crafted) == ["No action selected."]
    assert not Operation.objects.exists()


def test_it_starts_chats_for_every_contact_matching_the_search_across_pages(
    owner_client: Client, account: VendorAccount, rsps, monkeypatch
) -> None:
    from django.contrib import admin

    monkeypatch.setattr(admin.site._registry[Contact], "list_per_page", 2)
    kowalscy = [ContactFactory(account=account, last_name="Kowalski") for _ in range(3)]
    ContactFactory.create_batch(2, account=account, last_name="Nowak")
    rsps.post(f"{API}/chat_conversations/start", json={"conversation_id": CONVERSATION})
    query = "q=Kowalski"
    shown = [
        c.pk
        for c in owner_client.get(f"/admin/backoffice/contact/?{query}").context["cl"].result_list
    ]

    run(
        owner_client,
        Contact,
        "start_chat",
        shown,
        {"chat_queue_id": "2"},
        query=query,
        select_across=True,
    )

    assert {op.target_id for op in operations("start_chat")} == {c.pk for c in kowalscy}
    assert len(rsps.calls) == 3
