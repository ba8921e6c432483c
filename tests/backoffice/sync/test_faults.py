"""A sync meeting the vendors' faults: a 429 mid-way, a refused key, malformed items, and a
large account worked in slices."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from django.utils import timezone
from django_q.conf import Conf

from backoffice.actions.sync_from_vendor import account_syncs_enqueue
from backoffice.models import (
    ApiCall,
    ChatConversation,
    ChatMessage,
    Contact,
    Operation,
    RateBucket,
    VendorAccount,
)
from backoffice.operations.dispatch import operations_sweep
from backoffice.operations.runner import operation_run
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.sync import sync
from tests.factories import HelpCrunchAccountFactory

pytestmark = pytest.mark.django_db

HC = "https://api.helpcrunch.com/v1"


def _customer_offsets(sandbox: SandboxHandle) -> list[tuple[str, object]]:
    return [
        (parse_qs(str(r["query"]))["offset"][0], r["status"])
        for r in sandbox.received("helpcrunch")
        if r["path"] == "/helpcrunch/v1/customers"
    ]


def test_it_resumes_after_a_429_with_nothing_missing_or_doubled(
    open_sandbox: SandboxHandle, helpcrunch: VendorAccount
) -> None:
    open_sandbox.reset(contacts=250)
    # The vendor's own limit: two calls a minute, so the third page is refused.
    open_sandbox.set_limits(helpcrunch=2, window_seconds=60)

    operation = sync(helpcrunch)

    assert operation.state == "retrying"
    assert "Too many requests" in operation.last_error
    assert operation.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert RateBucket.objects.get(account=helpcrunch).paused_until > timezone.now()
    assert Contact.objects.filter(account=helpcrunch).count() == 200  # two pages committed

    # The Retry-After has passed: the sweeper hands the operation back to a worker.
    open_sandbox.set_limits(helpcrunch=0)
    Operation.objects.filter(pk=operation.pk).update(next_attempt_at=timezone.now())
    past = timezone.now() - timedelta(seconds=1)
    RateBucket.objects.filter(account=helpcrunch).update(paused_until=past, refilled_at=past)
    operations_sweep()

    operation.refresh_from_db()
    assert operation.state == "succeeded", operation.last_error
    assert Contact.objects.filter(account=helpcrunch).count() == 250
    assert ChatConversation.objects.filter(account=helpcrunch).count() == 250
    assert operation.result["resources"]["customers"] == {
        "created": 250,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "refused": 0,
        "vanished": 0,
    }
    # The resumed run asked for the refused page again, and for no page twice otherwise.
    assert _customer_offsets(open_sandbox) == [
        ("0", 200),
        ("100", 200),
        ("200", 429),
        ("200", 200),
    ]
    assert ApiCall.objects.filter(operation=operation, status_code=429).count() == 1
    assert operation.attempts == 1  # the run that got somewhere used up no attempt


def test_it_works_a_large_account_in_slices_each_continuing_from_the_cursor(
    monkeypatch: pytest.MonkeyPatch, settings, open_sandbox: SandboxHandle, thulium: VendorAccount
) -> None:
    settings.SYNC_SLICE_SECONDS = 0  # one batch per run
    monkeypatch.setattr(Conf, "SYNC", False)  # queued, not run inline: each run driven here
    open_sandbox.reset(contacts=150)
    operation_id = account_syncs_enqueue(actor=None, accounts=[thulium]).operation_ids[0]

    runs = 0
    while Operation.objects.get(pk=operation_id).state == "queued":
        operation_run(operation_id=operation_id)
        runs += 1
        assert runs < 100

    operation = Operation.objects.get(pk=operation_id)
    assert operation.state == "succeeded", operation.last_error
    # Two pages of customers; the customers' pass ends and a first page of tickets follows in
    # one run; a second page; 150 tickets' messages read five at a time; the tickets' end.
    assert runs == 2 + 1 + 1 + 30 + 1
    assert operation.attempts == 1
    assert Contact.objects.filter(account=thulium).count() == 150
    assert operation.result["resources"]["ticket_messages"]["created"] == sum(
        len(t.messages) for t in open_sandbox.state.thulium.tickets.values()
    )
    reads = [r["path"] for r in open_sandbox.received("thulium")]
    assert len(reads) == len(set(reads)) + 2  # only the two list paths repeat, per page


def test_it_stops_at_a_refused_key_and_marks_the_connection_failing(
    sandbox: SandboxHandle,
) -> None:
    account = HelpCrunchAccountFactory(base_url=sandbox.helpcrunch_url, api_secret="revoked")

    operation = sync(account)

    assert operation.state == "failed"
    account.refresh_from_db()
    assert account.last_check_ok is False
    assert account.last_check_message == "Invalid request; Unauthorized (HTTP 401)"
    assert operation.last_error == account.last_check_message
    assert ApiCall.objects.filter(operation=operation).count() == 1  # nothing after the 401


def test_it_skips_malformed_items_records_why_and_keeps_the_rest(
    rsps: responses.RequestsMock,
) -> None:
    account = HelpCrunchAccountFactory(rate_limit_per_minute=100_000)
    rsps.get(
        f"{HC}/customers?offset=0&limit=100",
        json={
            "data": [
                {"id": 1, "name": "Oksana Kovalenko", "email": "oksana@example.com.ua"},
                {"name": "Without an id"},
                {"id": 7, "name": "Too long", "email": "x" * 300 + "@example.com"},
            ],
            "total": 3,
        },
    )
    rsps.get(
        f"{HC}/chats?offset=0&limit=100",
        json={
            "data": [
                {
                    "id": 11,
                    "customer": {"id": 1},
                    "status": "on hold",
                    "createdAt": "1594139170.913",
                },
                {"customer": {"id": 1}, "status": "opened"},
            ],
            "meta": {"total": 2},
        },
    )
    rsps.get(
        f"{HC}/chats/11/messages?offset=0&limit=100",
        json={
            "data": [
                {"id": 5, "text": "Добрий день", "from": "customer", "createdAt": "1594139170.913"},
                {"text": "a message without an id", "from": "agent"},
            ],
            "total": 2,
        },
    )

    operation = sync(account)

    assert operation.state == "succeeded", operation.last_error
    assert list(Contact.objects.filter(account=account).values_list("vendor_id", flat=True)) == [
        "1"
    ]
    chat = ChatConversation.objects.get(account=account)
    assert (chat.vendor_id, chat.status, chat.vendor_status) == ("11", "pending", "on hold")
    assert list(ChatMessage.objects.values_list("vendor_id", "text")) == [("5", "Добрий день")]
    no_id = "unexpected response from the vendor: no numeric id"
    assert operation.result["failed_items"] == [
        {
            "resource": "customers",
            "vendor_id": "7",
            "reason": "email is longer than 254 characters",
        },
        {"resource": "customers", "vendor_id": None, "reason": no_id},
        {"resource": "chats", "vendor_id": None, "reason": no_id},
        {"resource": "chat_messages", "vendor_id": None, "reason": no_id},
    ]
    resources = operation.result["resources"]
    assert (resources["customers"]["created"], resources["customers"]["failed"]) == (1, 2)
    assert (resources["chats"]["created"], resources["chats"]["failed"]) == (1, 1)
    assert (resources["chat_messages"]["created"], resources["chat_messages"]["failed"]) == (1, 1)
