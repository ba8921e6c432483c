"""The sweeper: what would otherwise wait forever is handed to a worker again; nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_q.brokers import get_broker

from backoffice import tasks
from backoffice.models import Operation, User, VendorAccount
from backoffice.operations import enqueue
from connectors.sandbox.testing import SandboxHandle
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

State = Operation.State


@pytest.fixture
def tagging(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: SandboxHandle,
    owner: User,
    bony_sandbox: VendorAccount,
) -> Any:
    """Queue a Bony tag operation without handing it to a worker, then put it in a given state."""
    monkeypatch.setattr(enqueue, "operations_dispatch", lambda **_: None)
    contact_ids = iter(sandbox.state.bony["sandbox"].contacts)

    def make(**state: Any) -> Operation:
        contact = ContactFactory(account=bony_sandbox, vendor_id=next(contact_ids))
        enqueued = enqueue.operations_enqueue(
            actor=owner, action="add_tags", targets=[contact], params={"tags": [{"name": "vip"}]}
        )
        Operation.objects.filter(pk=enqueued.operation_ids[0]).update(**state)
        return Operation.objects.get(pk=enqueued.operation_ids[0])

    return make


def test_it_redispatches_what_would_wait_forever_and_leaves_the_rest(
    tagging: Any, sandbox: SandboxHandle
) -> None:
    now = timezone.now()
    long_ago = now - timedelta(hours=1)
    due = tagging(state=State.RETRYING, next_attempt_at=now - timedelta(seconds=1))
    never_dispatched = tagging(created_at=now - timedelta(minutes=5))
    # Just written, never handed over: the claim makes the dispatcher and the request's commit
    # hook exclusive, so it is handed over at once rather than after a grace period.
    just_written = tagging()
    lost = tagging(created_at=long_ago, dispatched_at=now - timedelta(minutes=20))
    abandoned = tagging(state=State.RUNNING, lease_until=now - timedelta(seconds=1))
    left_alone = [
        tagging(state=State.RETRYING, next_attempt_at=now + timedelta(minutes=1)),
        tagging(created_at=long_ago, dispatched_at=now - timedelta(seconds=10)),  # in the queue
        tagging(state=State.RUNNING, lease_until=now + timedelta(minutes=1)),  # being worked on
        *(
            tagging(state=s, created_at=long_ago, finished_at=long_ago)
            for s in (State.SUCCEEDED, State.FAILED, State.UNKNOWN, State.DISMISSED)
        ),
    ]
    before = {op.pk: (op.state, op.attempts, op.dispatched_at) for op in left_alone}

    counts = tasks.operations_sweep()

    assert counts == {"due": 1, "undispatched": 2, "lost": 1, "abandoned": 1}
    for op in (due, never_dispatched, just_written, lost, abandoned):
        op.refresh_from_db()
        assert (op.state, op.attempts) == (State.SUCCEEDED, 1), op.target_label
        assert op.dispatched_at is not None
        assert op.dispatched_at >= now
    for op in left_alone:
        op.refresh_from_db()
        assert (op.state, op.attempts, op.dispatched_at) == before[op.pk]
    assert len(sandbox.received("bony")) == 5
    # Nothing is left to sweep.
    assert tasks.operations_sweep() == {"due": 0, "undispatched": 0, "lost": 0, "abandoned": 0}


def test_it_leaves_queued_operations_waiting_behind_a_busy_queue(
    tagging: Any, sandbox: SandboxHandle
) -> None:
    waiting = tagging(dispatched_at=timezone.now() - timedelta(minutes=20))
    get_broker().enqueue("a task still waiting for a worker")

    assert tasks.operations_sweep()["lost"] == 0

    waiting.refresh_from_db()
    assert waiting.state == State.QUEUED
    assert not sandbox.received()
