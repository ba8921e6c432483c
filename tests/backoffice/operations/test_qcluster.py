"""The whole path with a real ``manage.py qcluster``: operations queued through the ORM broker are
picked up by the cluster's workers, sent to the live sandbox once each, and marked succeeded."""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_q.conf import Conf
from django_q.models import OrmQ, Task

from backoffice.models import AgentIdentity, ApiCall, Operation, User, VendorAccount
from backoffice.operations.dispatch import RUN_TASK
from backoffice.operations.enqueue import operations_enqueue
from connectors.sandbox.seed import BONY_CONTACT_ID, THULIUM_TICKET_ID
from connectors.sandbox.testing import SandboxHandle
from tests.factories import ContactFactory, TicketFactory
from tests.worker import Worker, running_worker

DEADLINE_SECONDS = 60


def _tag(owner: User, contact: Any) -> int:
    (pk,) = operations_enqueue(
        actor=owner, action="add_tags", targets=[contact], params={"tags": [{"name": "vip"}]}
    ).operation_ids
    return int(pk)


def _wait_until(predicate: Callable[[], bool], worker: Worker, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        worker.assert_alive()
        assert time.monotonic() < deadline, (
            json.dumps(list(Operation.objects.values("pk", "state", "last_error")), default=str)
            + "\n"
            + worker.output()
        )
        time.sleep(0.1)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Worker]:
    """``manage.py qcluster`` on the test database (tests/worker.py)."""
    with running_worker(tmp_path / "qcluster.log") as worker:
        yield worker


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_runs_queued_operations_in_a_real_cluster_against_the_sandbox(
    monkeypatch: pytest.MonkeyPatch,
    cluster: Worker,
    sandbox: SandboxHandle,
    owner: User,
    thulium_agent: AgentIdentity,
    bony_sandbox: VendorAccount,
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # this process only enqueues; the cluster works
    ticket = TicketFactory(account=thulium_agent.account, vendor_id=str(THULIUM_TICKET_ID))
    contact = ContactFactory(account=bony_sandbox, vendor_id=BONY_CONTACT_ID)
    tags = [f"cluster {n}" for n in range(1, 13)]

    reply = operations_enqueue(
        actor=owner,
        action="reply_to_ticket",
        targets=[ticket],
        params={"body": "Wysłane przez workera.", "user_login": thulium_agent.login},
    )
    tagging = operations_enqueue(
        actor=owner,
        action="add_tags",
        targets=[contact],
        params={"tags": [{"name": n} for n in tags]},
    )
    ids = reply.operation_ids + tagging.operation_ids
    assert OrmQ.objects.count() == 2  # in the broker's table, committed with the operations

    unfinished = Operation.objects.filter(pk__in=ids).exclude(state=Operation.State.SUCCEEDED)
    # A task commits its operation's state; the cluster logs the task as processed a moment later.
    _wait_until(
        lambda: (
            not unfinished.exists()
            and cluster.output().count(f"Processed '{RUN_TASK}'") >= len(ids)
        ),
        cluster,
        seconds=DEADLINE_SECONDS,
    )

    ticket_messages = sandbox.state.thulium.tickets[THULIUM_TICKET_ID].messages
    assert [m.body for m in ticket_messages].count("Wysłane przez workera.") == 1
    assert [
        (r["method"], r["path"]) for r in sandbox.received("thulium") if r["method"] == "POST"
    ] == [("POST", f"/thulium/api/tickets/{THULIUM_TICKET_ID}/agent_response")]
    bony_requests = sandbox.received("bony")
    assert [json.loads(str(r["body"]))["tags"] for r in bony_requests] == [tags[:10], tags[10:]]
    assert sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].tags[-12:] == tags
    for op in Operation.objects.filter(pk__in=ids):
        assert op.attempts == 1
        assert op.api_calls.filter(status_code=200).count() == op.api_calls.count()
    assert set(contact.tags.values_list("name", flat=True)) == set(tags)
    # Each task delivered once; django-q2 keeps no copy of a success (the operation is the record).
    for pk in ids:
        assert cluster.output().count(f"Processed '{RUN_TASK}' (operation {pk})") == 1
    assert "not due" not in cluster.output()
    assert not Task.objects.filter(func=RUN_TASK).exists()

    assert cluster.stop() == 0, cluster.output()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_syncs_an_account_in_a_real_cluster(
    monkeypatch: pytest.MonkeyPatch,
    settings,
    cluster: Worker,
    sandbox: SandboxHandle,
    helpcrunch_sandbox: VendorAccount,
) -> None:
    from backoffice.actions.sync_from_vendor import account_syncs_enqueue
    from backoffice.models import ChatMessage, Contact

    monkeypatch.setattr(Conf, "SYNC", False)
    sandbox.set_limits(helpcrunch=0)
    VendorAccount.objects.filter(pk=helpcrunch_sandbox.pk).update(rate_limit_per_minute=100_000)

    queued = account_syncs_enqueue(actor=None, accounts=[helpcrunch_sandbox])

    (operation_id,) = queued.operation_ids
    _wait_until(
        lambda: Operation.objects.get(pk=operation_id).state == Operation.State.SUCCEEDED,
        cluster,
        seconds=DEADLINE_SECONDS,
    )

    world = sandbox.state.helpcrunch
    assert Contact.objects.filter(account=helpcrunch_sandbox).count() == len(world.customers)
    messages = sum(len(c.messages) for c in world.chats.values())
    assert ChatMessage.objects.filter(conversation__account=helpcrunch_sandbox).count() == messages
    assert cluster.stop() == 0, cluster.output()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_attempts_each_retry_at_the_vendors_retry_after_not_at_a_sweep(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: SandboxHandle,
    owner: User,
    bony_sandbox: VendorAccount,
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)
    sandbox.inject("rate_limit", vendor="bony", retry_after=1, times=3)
    contact = ContactFactory(account=bony_sandbox, vendor_id=BONY_CONTACT_ID)
    # No sweep after the first, at start: only the due-time dispatcher can bring each retry.
    env = {"SWEEP_INTERVAL_SECONDS": "3600"}
    with running_worker(tmp_path / "qcluster.log", env=env) as worker:
        pk = _tag(owner, contact)
        op = Operation.objects.filter(pk=pk)
        _wait_until(lambda: op.get().state == Operation.State.SUCCEEDED, worker, seconds=20)

    calls = list(op.get().api_calls.order_by("pk"))
    assert [c.status_code for c in calls] == [429, 429, 429, 200]
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(calls)]
    # Retry-After: 1 s, then at most a second of jitter and half a second of dispatcher poll.
    assert all(1.0 <= gap <= 3.0 for gap in gaps), gaps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_stops_within_its_grace_on_sigterm_to_its_group_and_releases_the_run_under_way(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: SandboxHandle,
    owner: User,
    bony_sandbox: VendorAccount,
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)
    # The vendor takes the change, then holds its answer well past the cluster's grace.
    sandbox.inject("slow", vendor="bony", seconds=40)
    contact = ContactFactory(account=bony_sandbox, vendor_id=BONY_CONTACT_ID)
    env = {"QCLUSTER_STOP_SECONDS": "4", "VENDOR_TIMEOUT_SECONDS": "60"}
    with running_worker(tmp_path / "first.log", env=env) as first:
        pk = _tag(owner, contact)
        in_flight = ApiCall.objects.filter(operation_id=pk, state=ApiCall.State.IN_FLIGHT)
        _wait_until(in_flight.exists, first, seconds=20)

        started = time.monotonic()
        os.killpg(first.process.pid, signal.SIGTERM)  # systemd's KillMode=control-group
        first.process.wait(timeout=10)
        stopped_after = time.monotonic() - started
        with pytest.raises(ProcessLookupError):
            os.killpg(first.process.pid, 0)  # no worker outlived it

    assert stopped_after <= 6, first.output()
    assert first.process.returncode == 0, first.output()
    assert "released for another worker" in first.output()
    released = Operation.objects.get(pk=pk)
    assert (released.state, released.lease_until, released.dispatched_at) == (
        Operation.State.QUEUED,
        None,
        None,
    )

    with running_worker(tmp_path / "second.log") as second:
        op = Operation.objects.filter(pk=pk)
        _wait_until(lambda: op.get().state == Operation.State.SUCCEEDED, second, seconds=20)
    calls = list(op.get().api_calls.order_by("pk"))
    assert [(c.error_class, c.status_code) for c in calls] == [("Interrupted", None), ("", 200)]
