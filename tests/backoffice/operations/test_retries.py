"""Retries without sleeping: 429 and its Retry-After, 5xx with backoff, connection failures,
giving up after the account's attempts, and 4xx failing at once in the vendor's words."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from backoffice import tasks
from backoffice.models import ApiCall, Operation, RateBucket, User, VendorAccount
from backoffice.operations import enqueue
from backoffice.operations.dispatch import operations_sweep
from backoffice.operations.outcome import retry_delay
from connectors.sandbox.seed import (
    BONY_CONTACT_ID,
    HELPCRUNCH_CHAT_ID,
    HELPCRUNCH_CUSTOMER_ID,
    THULIUM_AGENT_LOGIN,
    THULIUM_TICKET_ID,
)
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.operations import calls_of, enqueue_one
from tests.factories import (
    ChatConversationFactory,
    ContactFactory,
    OperationFactory,
    StoredFileFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

State = Operation.State


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Move the back-office's clock forward by some seconds (the vendor sandbox keeps its own)."""
    real_now = timezone.now
    offset = timedelta()

    def moved() -> datetime:
        return real_now() + offset

    monkeypatch.setattr(timezone, "now", moved)

    def advance(seconds: float) -> None:
        nonlocal offset
        offset += timedelta(seconds=seconds)

    return advance


def _tag(owner: User, account: VendorAccount, vendor_id: str, name: str = "vip") -> Operation:
    contact = ContactFactory(account=account, vendor_id=vendor_id)
    return enqueue_one(
        actor=owner, action="add_tags", target=contact, params={"tags": [{"name": name}]}
    )


def _make_due(*operations: Operation) -> None:
    Operation.objects.filter(pk__in=[op.pk for op in operations]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


# --- 429 ---------------------------------------------------------------------------------------


def test_it_pauses_the_account_for_a_429s_retry_after_and_resumes_after_it(
    sandbox: SandboxHandle,
    owner: User,
    bony_sandbox: VendorAccount,
    helpcrunch_sandbox: VendorAccount,
    clock: Callable[[float], None],
) -> None:
    sandbox.inject("rate_limit", vendor="bony", retry_after=120)
    before = timezone.now()

    limited = _tag(owner, bony_sandbox, BONY_CONTACT_ID)

    assert limited.state == State.RETRYING
    assert limited.last_error == "Too many requests (HTTP 429)"
    assert limited.next_attempt_at is not None
    assert limited.next_attempt_at >= before + timedelta(seconds=120)
    assert limited.next_attempt_at <= timezone.now() + timedelta(seconds=126)
    bucket = RateBucket.objects.get(account=bony_sandbox)
    assert bucket.paused_until is not None
    assert before + timedelta(seconds=120) <= bucket.paused_until
    assert bucket.paused_until <= timezone.now() + timedelta(seconds=120)
    # Another operation of the paused account waits without calling the vendor ...
    second_contact_id = list(sandbox.state.bony["sandbox"].contacts)[1]
    waiting = _tag(owner, bony_sandbox, second_contact_id)
    assert waiting.state == State.RETRYING
    assert waiting.attempts == 0
    assert not calls_of(waiting)
    assert waiting.last_error.startswith(f"Waiting: {bony_sandbox.name} is paused by the vendor")
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at >= bucket.paused_until
    # ... while other accounts carry on.
    other = _tag(owner, helpcrunch_sandbox, str(HELPCRUNCH_CUSTOMER_ID))
    assert other.state == State.SUCCEEDED
    assert len(sandbox.received("bony")) == 1

    # Before the pause ends the sweeper has nothing due.
    clock(60)
    assert operations_sweep()["due"] == 0
    # After it, both are sent.
    clock(120)
    assert operations_sweep()["due"] == 2

    limited.refresh_from_db()
    waiting.refresh_from_db()
    assert (limited.state, waiting.state) == (State.SUCCEEDED, State.SUCCEEDED)
    assert [c.status_code for c in calls_of(limited)] == [429, 200]
    assert [c.status_code for c in calls_of(waiting)] == [200]
    assert limited.attempts == 2
    assert [r["status"] for r in sandbox.received("bony")] == [429, 200, 200]


# --- 5xx and backoff ----------------------------------------------------------------------------


def test_it_retries_a_5xx_later_with_backoff_and_succeeds_on_the_second_attempt(
    sandbox: SandboxHandle, owner: User, bony_sandbox: VendorAccount, settings: object
) -> None:
    sandbox.inject("error", vendor="bony", status=503)
    before = timezone.now()

    op = _tag(owner, bony_sandbox, BONY_CONTACT_ID)

    # First retry: half of the 30 s base step fixed, half random.
    assert op.state == State.RETRYING
    assert op.last_error == "HTTP 503 Service Unavailable"
    assert op.next_attempt_at is not None
    assert before + timedelta(seconds=15) <= op.next_attempt_at
    assert op.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    assert op.lease_until is None
    (failed,) = calls_of(op)
    assert (failed.status_code, failed.error_class) == (503, "ServerError")
    # Not due yet: the sweeper leaves it.
    assert operations_sweep()["due"] == 0
    assert len(sandbox.received("bony")) == 1

    _make_due(op)
    assert operations_sweep()["due"] == 1

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert op.attempts == 2
    assert op.last_error == ""
    assert [c.status_code for c in calls_of(op)] == [503, 200]
    assert sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].tags[-1] == "vip"


def test_it_gives_up_after_the_accounts_attempts_in_the_vendors_words(
    sandbox: SandboxHandle, owner: User, helpcrunch_sandbox: VendorAccount
) -> None:
    helpcrunch_sandbox.max_attempts = 3
    helpcrunch_sandbox.save()
    sandbox.inject("rate_limit", vendor="helpcrunch", retry_after=1, times=3)
    waits = []

    op = _tag(owner, helpcrunch_sandbox, str(HELPCRUNCH_CUSTOMER_ID))
    for _ in range(2):
        assert op.state == State.RETRYING
        assert op.next_attempt_at is not None
        waits.append((op.next_attempt_at - timezone.now()).total_seconds())
        RateBucket.objects.filter(account=helpcrunch_sandbox).update(paused_until=None)
        _make_due(op)
        operations_sweep()
        op.refresh_from_db()

    assert op.state == State.FAILED
    assert (
        op.last_error == "Gave up after 3 attempts: Invalid request; Too many requests (HTTP 429)"
    )
    assert op.attempts == 3
    assert op.finished_at is not None
    assert [c.status_code for c in calls_of(op)] == [429, 429, 429]
    # The vendor's Retry-After (1 s), not the exponential backoff, sets each wait.
    assert all(0.5 < wait <= 2.0 for wait in waits), waits
    assert len(sandbox.received("helpcrunch")) == 3


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 8, 12])
def test_it_backs_off_exponentially_with_jitter_up_to_the_cap(attempt: int) -> None:
    step = min(3600.0, 30.0 * 2 ** (attempt - 1))

    delays = [retry_delay(attempt=attempt) for _ in range(200)]

    assert all(step / 2 <= d <= step for d in delays)
    assert len({round(d, 3) for d in delays}) > 150  # spread, not one instant for everyone


def test_it_never_retries_before_the_vendors_retry_after() -> None:
    delays = [retry_delay(attempt=1, retry_after=120) for _ in range(200)]

    assert all(120 <= d <= 121 for d in delays)
    # The vendor's word replaces the backoff: no waiting past the window it named.
    assert 5 <= retry_delay(attempt=8, retry_after=5) <= 6


# --- 4xx: at once, in the vendor's words ----------------------------------------------------------


def test_it_fails_a_helpcrunch_400_at_once_with_the_vendors_errors(
    sandbox: SandboxHandle, owner: User, helpcrunch_sandbox: VendorAccount
) -> None:
    conversation = ChatConversationFactory(
        account=helpcrunch_sandbox, vendor_id=str(HELPCRUNCH_CHAT_ID)
    )

    op = enqueue_one(
        actor=owner,
        action="send_message",
        target=conversation,
        params={"text": "Hej", "markdown_text": "", "sender": "agent", "agent_id": 999},
    )

    assert op.state == State.FAILED
    assert op.last_error == "Invalid request; Agent 999 not found. (HTTP 400)"
    assert op.attempts == 1
    assert op.next_attempt_at is None
    assert not op.needs_reconcile
    (call,) = calls_of(op)
    assert (call.status_code, call.error_class) == (400, "InvalidRequest")
    assert "Agent 999 not found." in call.response_body
    assert len(sandbox.received("helpcrunch")) == 1
    assert operations_sweep() == {"due": 0, "undispatched": 0, "lost": 0, "abandoned": 0}


def test_it_fails_a_thulium_400_at_once_with_its_message_and_request_id(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    ticket = TicketFactory(account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID))

    op = enqueue_one(
        actor=owner,
        action="reply_to_ticket",
        target=ticket,
        params={"body": "Dzień dobry", "user_login": "nie.ma.takiego", "attachments": []},
    )

    (call,) = calls_of(op)
    assert call.vendor_request_id
    assert len(call.vendor_request_id) == 32
    assert op.state == State.FAILED
    assert op.last_error == (
        "user_login: Agent with login 'nie.ma.takiego' does not exist. "
        f"(HTTP 400, request id {call.vendor_request_id})"
    )
    assert not op.needs_reconcile
    assert len(sandbox.received("thulium")) == 1
    messages = sandbox.state.thulium.tickets[THULIUM_TICKET_ID].messages
    assert not [m for m in messages if m.body == "Dzień dobry"]


def test_it_fails_an_operation_that_cannot_be_sent_instead_of_leaving_it_running(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    ticket = TicketFactory(account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID))

    op = enqueue_one(
        actor=owner,
        action="reply_to_ticket",
        target=ticket,
        params={"body": "Dzień dobry", "user_login": ""},  # a staff member with no Thulium login
    )

    assert op.state == State.FAILED
    assert op.last_error == "ValueError: user_login must not be empty"
    assert op.lease_until is None
    assert op.finished_at is not None
    assert not sandbox.received()
    Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert operations_sweep() == {"due": 0, "undispatched": 0, "lost": 0, "abandoned": 0}


# --- connection failures -------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_it_retries_a_reply_the_vendor_never_received_and_sends_it_once(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    sandbox_url = thulium_sandbox.base_url
    thulium_sandbox.base_url = f"http://127.0.0.1:{_closed_port()}/thulium/api"
    thulium_sandbox.save()
    ticket = TicketFactory(account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID))

    op = enqueue_one(
        actor=owner,
        action="reply_to_ticket",
        target=ticket,
        params={"body": "Przepraszamy za zwłokę.", "user_login": THULIUM_AGENT_LOGIN},
    )

    assert op.state == State.RETRYING
    assert op.last_error.startswith("connection failed (POST http://127.0.0.1:")
    assert not op.needs_reconcile  # refused before sending: nothing to reconcile
    (refused,) = calls_of(op)
    assert (refused.status_code, refused.error_class) == (None, "TransportError")

    thulium_sandbox.base_url = sandbox_url  # the vendor is reachable again
    thulium_sandbox.save()
    _make_due(op)
    operations_sweep()

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert [(c.method, c.status_code) for c in calls_of(op)] == [("POST", None), ("POST", 200)]
    replies = [
        m
        for m in sandbox.state.thulium.tickets[THULIUM_TICKET_ID].messages
        if m.body == "Przepraszamy za zwłokę."
    ]
    assert len(replies) == 1
    assert ApiCall.objects.filter(state=ApiCall.State.IN_FLIGHT).count() == 0


def test_it_never_sends_a_reply_without_an_attachment_that_is_gone(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    thulium_sandbox: VendorAccount,
) -> None:
    ticket = TicketFactory(account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID))
    kept, gone = StoredFileFactory(filename="umowa.pdf"), StoredFileFactory(filename="aneks.pdf")
    monkeypatch.setattr(enqueue, "operations_dispatch", lambda **_: None)
    op = enqueue_one(
        actor=owner,
        action="reply_to_ticket",
        target=ticket,
        params={
            "body": "W załączniku umowa i aneks.",
            "user_login": THULIUM_AGENT_LOGIN,
            "attachments": [kept.pk, gone.pk],
        },
    )
    gone_id = gone.pk
    gone.delete()

    assert tasks.operation_run(op.pk) == State.FAILED

    op.refresh_from_db()
    assert op.last_error == (
        f"An attached file is no longer stored (id {gone_id}); nothing was sent."
    )
    assert not sandbox.received()


def test_it_reads_the_ticket_before_resending_a_reply_that_met_a_500(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    ticket = TicketFactory(account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID))
    sandbox.inject("error", vendor="thulium", method="POST", status=500)

    op = enqueue_one(
        actor=owner,
        action="reply_to_ticket",
        target=ticket,
        params={"body": "Sprawdzimy to jeszcze dziś.", "user_login": THULIUM_AGENT_LOGIN},
    )

    # A 500 may come after the reply was stored: the next attempt checks before sending.
    assert (op.state, op.needs_reconcile) == (State.RETRYING, True)
    _make_due(op)
    operations_sweep()

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert [(c.method, c.status_code) for c in calls_of(op)] == [
        ("POST", 500),
        ("GET", 200),
        ("POST", 200),
    ]
    replies = [
        m
        for m in sandbox.state.thulium.tickets[THULIUM_TICKET_ID].messages
        if m.body == "Sprawdzimy to jeszcze dziś."
    ]
    assert len(replies) == 1


def test_it_sends_nothing_for_an_account_switched_off_after_the_request(
    sandbox: SandboxHandle, owner: User, bony_sandbox: VendorAccount
) -> None:
    sandbox.inject("error", vendor="bony", status=503)
    op = _tag(owner, bony_sandbox, BONY_CONTACT_ID)
    assert op.state == State.RETRYING
    VendorAccount.objects.filter(pk=bony_sandbox.pk).update(is_active=False)

    _make_due(op)
    operations_sweep()

    op.refresh_from_db()
    assert op.state == State.FAILED
    assert op.last_error == f"The account {bony_sandbox.name} was deactivated; nothing was sent."
    assert len(calls_of(op)) == 1  # only the first attempt, before the switch


def test_it_gives_up_on_runs_that_never_finished(
    sandbox: SandboxHandle, owner: User, bony_sandbox: VendorAccount
) -> None:
    contact = ContactFactory(account=bony_sandbox, vendor_id=BONY_CONTACT_ID)
    # Each earlier run was killed at the task timeout after sending: the attempts are spent.
    op = OperationFactory(
        account=bony_sandbox,
        action="add_tags",
        target_contact=contact,
        state=State.QUEUED,
        attempts=bony_sandbox.max_attempts,
    )

    tasks.operation_run(op.pk)

    op.refresh_from_db()
    assert op.state == State.FAILED
    assert op.last_error.startswith(f"Gave up after {bony_sandbox.max_attempts} attempts")
    assert sandbox.received("bony") == []
