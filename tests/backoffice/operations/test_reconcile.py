"""No silent duplicates: a worker that died mid-call, a redelivered task, a read timeout after
sending. Non-idempotent requests are reconciled through a vendor read or left ``unknown``;
nothing is resent blindly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from backoffice import tasks
from backoffice.actions.push_to_vendor import bony_fields, changed_fields
from backoffice.models import (
    ApiCall,
    ChatConversation,
    ChatMessage,
    Contact,
    Operation,
    TicketMessage,
    User,
    VendorAccount,
)
from backoffice.operations import audit_hooks, enqueue
from backoffice.operations.dispatch import operations_sweep
from connectors.sandbox.seed import (
    BONY_CONTACT_ID,
    HELPCRUNCH_AGENT_ID,
    HELPCRUNCH_CHAT_ID,
    THULIUM_AGENT_LOGIN,
    THULIUM_CHAT_QUEUE_ID,
    THULIUM_CUSTOMER_ID,
    THULIUM_TICKET_ID,
)
from connectors.sandbox.testing import SandboxHandle
from connectors.transport import CallRecord, CallStart
from tests.backoffice.operations import calls_of
from tests.factories import ChatConversationFactory, ContactFactory, TicketFactory

pytestmark = pytest.mark.django_db

State = Operation.State
REPLY = "Reklamację uznaliśmy, zwrot w ciągu 3 dni."
TICKET_PATH = f"/thulium/api/tickets/{THULIUM_TICKET_ID}/agent_response"
MESSAGE = "Kurier będzie jutro między 9 a 12."


class WorkerDied(BaseException):
    """The worker process was killed (OOM, deploy, power): nothing after this point ran."""


@pytest.fixture
def queue_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Operations are written but not handed to a worker: the test delivers their tasks."""
    monkeypatch.setattr(enqueue, "operations_dispatch", lambda **_: None)


def _queued(actor: User, action: str, target: models.Model, params: dict[str, Any]) -> Operation:
    enqueued = enqueue.operations_enqueue(
        actor=actor, action=action, targets=[target], params=params
    )
    return Operation.objects.get(pk=enqueued.operation_ids[0])


def _killed(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    """Kill the worker during its request: ``before_send`` (row written, nothing sent),
    ``answered`` (the vendor answered, the answer not recorded yet) or ``recorded`` (the answer
    recorded on the ApiCall, the operation not finished yet)."""
    before_send, recorder = audit_hooks.AuditHooks.before_send, audit_hooks.AuditHooks.recorder

    def dying_before_send(self: audit_hooks.AuditHooks, start: CallStart) -> None:
        before_send(self, start)
        if when == "before_send":
            raise WorkerDied

    def dying_recorder(self: audit_hooks.AuditHooks, record: CallRecord) -> None:
        if when == "recorded":
            recorder(self, record)
        raise WorkerDied

    monkeypatch.setattr(audit_hooks.AuditHooks, "before_send", dying_before_send)
    monkeypatch.setattr(audit_hooks.AuditHooks, "recorder", dying_recorder)


def _crash(monkeypatch: pytest.MonkeyPatch, op: Operation, when: str) -> None:
    """Run the operation in a worker that dies, then let its lease lapse."""
    with monkeypatch.context() as patch:
        _killed(patch, when)
        with pytest.raises(WorkerDied):
            tasks.operation_run(op.pk)
    op.refresh_from_db()
    assert op.state == State.RUNNING
    assert op.needs_reconcile
    assert op.lease_until is not None
    assert op.lease_until > timezone.now()
    _lapse(op)


def _lapse(op: Operation) -> None:
    Operation.objects.filter(pk=op.pk).update(lease_until=timezone.now() - timedelta(seconds=1))


def _posts(sandbox: SandboxHandle, vendor: str, path: str) -> int:
    return sum(1 for r in sandbox.received(vendor) if r["method"] == "POST" and r["path"] == path)


def _replies(sandbox: SandboxHandle) -> list[object]:
    messages = sandbox.state.thulium.tickets[THULIUM_TICKET_ID].messages
    return [m for m in messages if m.body == REPLY]


def _reply(owner: User, account: VendorAccount) -> Operation:
    ticket = TicketFactory(account=account, vendor_id=str(THULIUM_TICKET_ID))
    return _queued(
        owner,
        "reply_to_ticket",
        ticket,
        {"body": REPLY, "body_type": "PLAIN", "user_login": THULIUM_AGENT_LOGIN, "date": None},
    )


def _helpcrunch_message(owner: User, account: VendorAccount) -> Operation:
    conversation = ChatConversationFactory(account=account, vendor_id=str(HELPCRUNCH_CHAT_ID))
    return _queued(
        owner,
        "send_message",
        conversation,
        {"text": MESSAGE, "markdown_text": "", "sender": "agent", "agent_id": HELPCRUNCH_AGENT_ID},
    )


# --- a worker died mid-call ----------------------------------------------------------------------


@pytest.mark.usefixtures("queue_only")
def test_it_finds_a_reply_that_reached_thulium_and_never_sends_it_again(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    thulium_sandbox: VendorAccount,
) -> None:
    op = _reply(owner, thulium_sandbox)
    _crash(monkeypatch, op, "answered")
    assert len(_replies(sandbox)) == 1
    assert [c.state for c in calls_of(op)] == [ApiCall.State.IN_FLIGHT]

    assert tasks.operation_run(op.pk) == State.SUCCEEDED

    op.refresh_from_db()
    assert op.result is not None
    assert op.result["reconciled"] is True
    assert not op.needs_reconcile
    assert len(_replies(sandbox)) == 1
    assert _posts(sandbox, "thulium", TICKET_PATH) == 1
    interrupted, read = calls_of(op)
    assert (interrupted.state, interrupted.error_class) == (ApiCall.State.DONE, "Interrupted")
    assert (read.method, read.status_code) == ("GET", 200)
    assert TicketMessage.objects.filter(body=REPLY).count() == 1


@pytest.mark.usefixtures("queue_only")
def test_it_sends_a_reply_that_never_left_exactly_once(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    thulium_sandbox: VendorAccount,
) -> None:
    op = _reply(owner, thulium_sandbox)
    _crash(monkeypatch, op, "before_send")
    assert not sandbox.received("thulium")

    assert tasks.operation_run(op.pk) == State.SUCCEEDED

    assert len(_replies(sandbox)) == 1
    assert [(r["method"], r["path"]) for r in sandbox.received("thulium")] == [
        ("GET", f"/thulium/api/tickets/{THULIUM_TICKET_ID}"),
        ("POST", TICKET_PATH),
    ]
    op.refresh_from_db()
    assert "reconciled" not in (op.result or {})
    assert op.attempts == 2


@pytest.mark.usefixtures("queue_only")
def test_it_keeps_reconciling_when_the_reconciling_read_fails(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    thulium_sandbox: VendorAccount,
) -> None:
    op = _reply(owner, thulium_sandbox)
    _crash(monkeypatch, op, "answered")
    sandbox.inject("error", vendor="thulium", method="GET", status=503)

    assert tasks.operation_run(op.pk) == State.RETRYING

    op.refresh_from_db()
    assert op.needs_reconcile  # the reply's fate is still unknown
    Operation.objects.filter(pk=op.pk).update(next_attempt_at=timezone.now())
    operations_sweep()

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert op.result is not None
    assert op.result["reconciled"] is True
    assert len(_replies(sandbox)) == 1
    assert _posts(sandbox, "thulium", TICKET_PATH) == 1


@pytest.mark.usefixtures("queue_only")
@pytest.mark.parametrize(("when", "expected"), [("answered", 1), ("before_send", 1)])
def test_it_reconciles_a_helpcrunch_message_through_the_chats_messages(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    helpcrunch_sandbox: VendorAccount,
    when: str,
    expected: int,
) -> None:
    op = _helpcrunch_message(owner, helpcrunch_sandbox)
    _crash(monkeypatch, op, when)

    assert tasks.operation_run(op.pk) == State.SUCCEEDED

    chat = sandbox.state.helpcrunch.chats[HELPCRUNCH_CHAT_ID]
    sent = [m for m in chat.messages if m.text == MESSAGE]
    assert len(sent) == expected
    assert _posts(sandbox, "helpcrunch", "/helpcrunch/v1/messages") == 1
    op.refresh_from_db()
    assert op.result is not None
    assert op.result["message_id"] == sent[0].id
    assert ("reconciled" in op.result) is (when == "answered")
    assert ChatMessage.objects.get(text=MESSAGE).vendor_id == str(sent[0].id)


def _bony_text(owner: User, account: VendorAccount) -> Operation:
    contact = ContactFactory(account=account, vendor_id=BONY_CONTACT_ID)
    conversation = ChatConversationFactory(
        account=account, vendor_id=BONY_CONTACT_ID, contact=contact
    )
    return _queued(owner, "send_message", conversation, {"text": MESSAGE, "sender": "agent"})


def _feed_record(owner: User, account: VendorAccount) -> Operation:
    contact = ContactFactory(account=account, vendor_id=str(THULIUM_CUSTOMER_ID))
    return _queued(
        owner,
        "add_feed_record",
        contact,
        {
            "record_id": "sb-7",
            "message": MESSAGE,
            "author": "agent.demo",
            "time": "2026-05-18T11:56:05+00:00",
        },
    )


def _chat_start(owner: User, account: VendorAccount) -> Operation:
    contact = ContactFactory(account=account, vendor_id=str(THULIUM_CUSTOMER_ID))
    return _queued(owner, "start_chat", contact, {"chat_queue_id": THULIUM_CHAT_QUEUE_ID})


UNRECONCILABLE: list[tuple[Callable[[User, VendorAccount], Operation], str, str, str]] = [
    (_bony_text, "bony_sandbox", "bony", f"/bony/api/v1/message/sendContent/{BONY_CONTACT_ID}"),
    (
        _feed_record,
        "thulium_sandbox",
        "thulium",
        f"/thulium/api/customers/{THULIUM_CUSTOMER_ID}/feed_records",
    ),
    (_chat_start, "thulium_sandbox", "thulium", "/thulium/api/chat_conversations/start"),
]


@pytest.mark.usefixtures("queue_only")
@pytest.mark.parametrize(("make", "account_fixture", "vendor", "path"), UNRECONCILABLE)
def test_it_leaves_an_unanswered_request_without_a_vendor_read_unknown(
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    sandbox: SandboxHandle,
    owner: User,
    make: Callable[[User, VendorAccount], Operation],
    account_fixture: str,
    vendor: str,
    path: str,
) -> None:
    op = make(owner, request.getfixturevalue(account_fixture))
    _crash(monkeypatch, op, "answered")

    assert tasks.operation_run(op.pk) == State.UNKNOWN

    op.refresh_from_db()
    assert op.last_error.startswith("The request may have reached the vendor")
    assert op.finished_at is not None
    assert [(r["method"], r["path"]) for r in sandbox.received(vendor)] == [("POST", path)]
    # Nothing resends it behind a person's back.
    _lapse(op)
    assert tasks.operation_run(op.pk) == "not due"
    assert operations_sweep() == {"due": 0, "undispatched": 0, "lost": 0, "abandoned": 0}
    assert len(sandbox.received(vendor)) == 1


@pytest.mark.usefixtures("queue_only")
@pytest.mark.parametrize(("make", "account_fixture", "vendor", "path"), UNRECONCILABLE)
def test_it_completes_from_the_recorded_answer_when_the_worker_died_after_it(
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    sandbox: SandboxHandle,
    owner: User,
    make: Callable[[User, VendorAccount], Operation],
    account_fixture: str,
    vendor: str,
    path: str,
) -> None:
    account = request.getfixturevalue(account_fixture)
    op = make(owner, account)
    _crash(monkeypatch, op, "recorded")
    (recorded,) = calls_of(op)
    assert (recorded.state, recorded.status_code) == (ApiCall.State.DONE, 200)

    assert tasks.operation_run(op.pk) == State.SUCCEEDED

    op.refresh_from_db()
    assert op.result is not None
    assert op.result["reconciled"] is True
    assert len(sandbox.received(vendor)) == 1  # nothing sent again, nothing read
    assert len(calls_of(op)) == 1
    if make is _chat_start:
        (started,) = sandbox.state.thulium.conversations
        assert op.result["conversation_id"] == started
        assert ChatConversation.objects.get(account=account).vendor_id == started
    if make is _bony_text:
        assert ChatMessage.objects.filter(text=MESSAGE).count() == 1


@pytest.mark.usefixtures("queue_only")
def test_it_completes_a_helpcrunch_message_from_its_recorded_answer_without_a_read(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    helpcrunch_sandbox: VendorAccount,
) -> None:
    op = _helpcrunch_message(owner, helpcrunch_sandbox)
    _crash(monkeypatch, op, "recorded")

    assert tasks.operation_run(op.pk) == State.SUCCEEDED

    sent = sandbox.state.helpcrunch.chats[HELPCRUNCH_CHAT_ID].messages[-1]
    assert sent.text == MESSAGE
    assert [r["method"] for r in sandbox.received("helpcrunch")] == ["POST"]
    assert ChatMessage.objects.get(text=MESSAGE).vendor_id == str(sent.id)


@pytest.mark.usefixtures("queue_only")
def test_it_finds_a_bony_contact_a_dead_worker_created_and_never_creates_it_twice(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    bony_sandbox: VendorAccount,
) -> None:
    contact = ContactFactory(
        account=bony_sandbox, vendor_id=None, email="nowy.klient@example.pl", phone=""
    )
    op = _queued(
        owner,
        "push_to_vendor",
        contact,
        {"fields": {"firstName": "Nowy", "email": "nowy.klient@example.pl", "plan": "pro"}},
    )
    channel = sandbox.state.bony["sandbox"]
    before = len(channel.contacts)
    _crash(monkeypatch, op, "answered")

    assert tasks.operation_run(op.pk) == State.SUCCEEDED

    assert len(channel.contacts) == before + 1
    created = list(channel.contacts.values())[-1]
    contact.refresh_from_db()
    assert contact.vendor_id == created.id
    assert created.custom_fields["plan"] == "pro"
    assert [r["method"] for r in sandbox.received("bony")] == ["POST", "GET", "PUT"]


@pytest.mark.usefixtures("queue_only")
def test_it_finds_a_bony_contact_created_with_many_short_fields_after_a_crash(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    bony_sandbox: VendorAccount,
) -> None:
    # More than 30 fields, many with names shorter than "email": the create request must still
    # carry the e-mail and phone a lookup finds the contact by.
    custom = {f"k{n:02}": str(n) for n in range(1, 33)}
    contact = ContactFactory(
        account=bony_sandbox,
        vendor_id=None,
        first_name="Ola",
        last_name="Lis",
        email="ola.lis@example.pl",
        phone="48500600700",
        custom_fields=custom,
    )
    op = _queued(
        owner,
        "push_to_vendor",
        contact,
        {"fields": changed_fields(bony_fields(contact), contact.vendor_snapshot)},
    )
    channel = sandbox.state.bony["sandbox"]
    before = len(channel.contacts)
    _crash(monkeypatch, op, "answered")
    created = list(channel.contacts.values())[-1]
    assert created.custom_fields["email"] == "ola.lis@example.pl"

    assert tasks.operation_run(op.pk) == State.SUCCEEDED

    assert len(channel.contacts) == before + 1
    contact.refresh_from_db()
    assert contact.vendor_id == created.id
    assert created.custom_fields == {
        "firstName": "Ola",
        "lastName": "Lis",
        "email": "ola.lis@example.pl",
        "phone": "48500600700",
        **custom,
    }


def test_it_resumes_a_bony_create_whose_follow_up_failed_with_an_update(
    sandbox: SandboxHandle, owner: User, bony_sandbox: VendorAccount
) -> None:
    fields = {f"pole_{n}": n for n in range(1, 36)}
    contact = ContactFactory(account=bony_sandbox, vendor_id=None)
    sandbox.inject("error", vendor="bony", method="PUT", status=503)
    channel = sandbox.state.bony["sandbox"]
    before = len(channel.contacts)

    op = _queued(owner, "push_to_vendor", contact, {"fields": fields})

    assert op.state == State.RETRYING
    contact.refresh_from_db()
    assert contact.vendor_id  # kept at once: the next attempt must not create another
    Operation.objects.filter(pk=op.pk).update(next_attempt_at=timezone.now())
    operations_sweep()

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert len(channel.contacts) == before + 1
    assert channel.contacts[contact.vendor_id].custom_fields == fields
    assert [r["method"] for r in sandbox.received("bony")] == ["POST", "PUT", "PUT", "PUT"]


# --- redelivery while another run holds the operation ---------------------------------------------


@pytest.mark.usefixtures("queue_only")
def test_it_ignores_a_redelivered_task_while_another_run_holds_the_operation(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    op = _reply(owner, thulium_sandbox)
    held_until = timezone.now() + timedelta(seconds=60)
    Operation.objects.filter(pk=op.pk).update(state=State.RUNNING, lease_until=held_until)

    assert tasks.operation_run(op.pk) == "not due"

    op.refresh_from_db()
    assert (op.state, op.lease_until, op.attempts) == (State.RUNNING, held_until, 0)
    assert not sandbox.received()
    assert not calls_of(op)


@pytest.mark.usefixtures("queue_only")
def test_it_runs_a_task_delivered_twice_once(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    op = _reply(owner, thulium_sandbox)

    assert tasks.operation_run(op.pk) == State.SUCCEEDED
    assert tasks.operation_run(op.pk) == "not due"

    assert len(_replies(sandbox)) == 1


# --- a read timeout after sending ----------------------------------------------------------------


@pytest.fixture
def short_timeout(settings: Any) -> None:
    settings.VENDOR_TIMEOUT_SECONDS = 0.3


@pytest.mark.usefixtures("short_timeout")
def test_it_reconciles_a_reply_whose_answer_timed_out_instead_of_resending_it(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    sandbox.inject("slow", vendor="thulium", method="POST", seconds=1.0)
    ticket = TicketFactory(account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID))

    op = _queued(
        owner, "reply_to_ticket", ticket, {"body": REPLY, "user_login": THULIUM_AGENT_LOGIN}
    )

    assert op.state == State.RETRYING
    assert op.needs_reconcile
    assert op.last_error.startswith("no response within 0.3s (POST ")
    (timed_out,) = calls_of(op)
    assert (timed_out.status_code, timed_out.error_class) == (None, "TransportError")
    assert len(_replies(sandbox)) == 1  # it did arrive

    Operation.objects.filter(pk=op.pk).update(next_attempt_at=timezone.now())
    operations_sweep()

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert op.result is not None
    assert op.result["reconciled"] is True
    assert _posts(sandbox, "thulium", TICKET_PATH) == 1
    assert len(_replies(sandbox)) == 1


@pytest.mark.usefixtures("short_timeout")
def test_it_reconciles_a_helpcrunch_message_whose_connection_dropped_after_the_write(
    sandbox: SandboxHandle, owner: User, helpcrunch_sandbox: VendorAccount
) -> None:
    sandbox.inject("drop_after_write", vendor="helpcrunch", method="POST")

    op = _helpcrunch_message(owner, helpcrunch_sandbox)

    assert op.state == State.RETRYING
    assert op.needs_reconcile
    Operation.objects.filter(pk=op.pk).update(next_attempt_at=timezone.now())
    operations_sweep()

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    chat = sandbox.state.helpcrunch.chats[HELPCRUNCH_CHAT_ID]
    assert [m.text for m in chat.messages].count(MESSAGE) == 1
    assert _posts(sandbox, "helpcrunch", "/helpcrunch/v1/messages") == 1


@pytest.mark.usefixtures("short_timeout")
@pytest.mark.parametrize(("make", "account_fixture", "vendor", "path"), UNRECONCILABLE)
def test_it_marks_a_timed_out_request_without_a_vendor_read_unknown_at_once(
    request: pytest.FixtureRequest,
    sandbox: SandboxHandle,
    owner: User,
    make: Callable[[User, VendorAccount], Operation],
    account_fixture: str,
    vendor: str,
    path: str,
) -> None:
    sandbox.inject("slow", vendor=vendor, method="POST", seconds=1.0)

    op = make(owner, request.getfixturevalue(account_fixture))

    assert op.state == State.UNKNOWN
    assert op.last_error.startswith("no response within 0.3s")
    assert "Check at the vendor, then retry or dismiss" in op.last_error
    assert operations_sweep()["due"] == 0
    assert [(r["method"], r["path"]) for r in sandbox.received(vendor)] == [("POST", path)]


@pytest.mark.usefixtures("short_timeout")
def test_it_simply_retries_a_timed_out_tag_request(
    sandbox: SandboxHandle, owner: User, bony_sandbox: VendorAccount
) -> None:
    sandbox.inject("slow", vendor="bony", method="POST", seconds=1.0)
    contact = ContactFactory(account=bony_sandbox, vendor_id=BONY_CONTACT_ID)

    op = _queued(owner, "add_tags", contact, {"tags": [{"name": "vip"}]})

    assert op.state == State.RETRYING
    assert not op.needs_reconcile
    Operation.objects.filter(pk=op.pk).update(next_attempt_at=timezone.now())
    operations_sweep()

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert len(sandbox.received("bony")) == 2
    assert sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].tags.count("vip") == 1
    assert list(Contact.objects.get(pk=contact.pk).tags.values_list("name", flat=True)) == ["vip"]


# --- giving up, and a person's retry -----------------------------------------------------------


@pytest.mark.usefixtures("short_timeout")
def test_it_gives_up_on_an_unsettled_reply_as_unknown_and_a_retry_checks_the_vendor_first(
    sandbox: SandboxHandle, owner: User, thulium_sandbox: VendorAccount
) -> None:
    thulium_sandbox.max_attempts = 1
    thulium_sandbox.save()
    sandbox.inject("slow", vendor="thulium", method="POST", seconds=1.0)
    ticket = TicketFactory(account=thulium_sandbox, vendor_id=str(THULIUM_TICKET_ID))

    op = _queued(
        owner, "reply_to_ticket", ticket, {"body": REPLY, "user_login": THULIUM_AGENT_LOGIN}
    )

    # The reply did arrive: "failed" would invite a person to send it again.
    assert op.state == State.UNKNOWN
    assert op.last_error.startswith("Gave up after 1 attempt: no response within 0.3s")
    assert op.needs_reconcile

    assert enqueue.operations_retry(operations=[op]) == (1, [])

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert op.result is not None
    assert op.result["reconciled"] is True
    assert len(_replies(sandbox)) == 1
    assert _posts(sandbox, "thulium", TICKET_PATH) == 1


@pytest.mark.usefixtures("queue_only")
def test_it_resends_an_unknown_bony_text_when_a_person_retries_it(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    bony_sandbox: VendorAccount,
) -> None:
    op = _bony_text(owner, bony_sandbox)
    _crash(monkeypatch, op, "answered")
    assert tasks.operation_run(op.pk) == State.UNKNOWN
    op.refresh_from_db()

    # Bony.chat has no read to check: retrying is the person's word that it did not arrive.
    monkeypatch.undo()
    assert enqueue.operations_retry(operations=[op]) == (1, [])

    op.refresh_from_db()
    assert op.state == State.SUCCEEDED
    assert op.attempts == 1
    assert len(sandbox.received("bony")) == 2
