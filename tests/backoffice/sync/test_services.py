"""Account syncs: their schedules, kept in step with the accounts, and one at a time."""

from __future__ import annotations

import ast

import pytest
from django.db import IntegrityError, transaction
from django_q.conf import Conf
from django_q.models import Schedule

from backoffice import tasks
from backoffice.actions.sync_from_vendor import ALREADY_SYNCING, account_syncs_enqueue
from backoffice.models import Contact, Operation, VendorAccount
from backoffice.operations.enqueue import operations_retry
from backoffice.sync.schedule import schedule_name
from connectors.sandbox.testing import SandboxHandle
from tests.factories import BonyAccountFactory, HelpCrunchAccountFactory

pytestmark = pytest.mark.django_db


def schedule_of(account: VendorAccount) -> Schedule | None:
    return Schedule.objects.filter(name=schedule_name(account.pk)).first()


def test_it_keeps_the_schedule_in_step_with_the_account() -> None:
    account = BonyAccountFactory()
    schedule = schedule_of(account)
    assert schedule is not None
    assert (schedule.func, schedule.args, schedule.schedule_type, schedule.minutes) == (
        "backoffice.tasks.account_sync_scheduled",
        str(account.pk),
        Schedule.MINUTES,
        60,
    )
    assert schedule.repeats == -1

    account.sync_interval_minutes = 15
    account.save()
    assert schedule_of(account).minutes == 15
    assert Schedule.objects.filter(func="backoffice.tasks.account_sync_scheduled").count() == 1

    account.is_active = False
    account.save()
    assert schedule_of(account) is None

    account.is_active = True
    account.save()
    assert schedule_of(account) is not None

    account.sync_interval_minutes = None
    account.save()
    assert schedule_of(account) is None

    account.sync_interval_minutes = 5
    account.save()
    account_id = account.pk
    account.delete()
    assert not Schedule.objects.filter(name=schedule_name(account_id)).exists()


def test_it_syncs_an_account_when_its_schedule_fires(
    open_sandbox: SandboxHandle, helpcrunch: VendorAccount
) -> None:
    schedule = schedule_of(helpcrunch)

    outcome = getattr(tasks, schedule.func.rsplit(".", 1)[1])(*[ast.literal_eval(schedule.args)])

    assert outcome == "queued"
    operation = Operation.objects.get(account=helpcrunch)
    assert (operation.action, operation.actor, operation.state) == (
        "sync_from_vendor",
        None,
        "succeeded",
    )
    assert Contact.objects.filter(account=helpcrunch).count() == len(
        open_sandbox.state.helpcrunch.customers
    )


def test_it_never_queues_two_syncs_of_one_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # queued and left there, as if the workers were busy
    account = HelpCrunchAccountFactory()
    other = HelpCrunchAccountFactory()

    first = account_syncs_enqueue(actor=None, accounts=[account])
    second = account_syncs_enqueue(actor=None, accounts=[account, other], full=True)

    assert first.count == 1
    assert second.count == 1  # the other account only
    assert [(s.label, s.reason) for s in second.skipped] == [(str(account), ALREADY_SYNCING)]
    assert tasks.account_sync_scheduled(account.pk) == ALREADY_SYNCING
    assert Operation.objects.filter(account=account).count() == 1
    # The database holds the line too, whatever writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.create(account=account, action="sync_from_vendor", state="retrying")

    Operation.objects.filter(pk=first.operation_ids[0]).update(state="succeeded")
    assert account_syncs_enqueue(actor=None, accounts=[account]).count == 1


def test_it_leaves_a_failed_sync_alone_while_another_sync_of_the_account_is_queued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)
    account = HelpCrunchAccountFactory()
    failed = [
        Operation.objects.create(account=account, action="sync_from_vendor", state="failed")
        for _ in range(2)
    ]

    count, left = operations_retry(operations=failed)

    assert (count, [op.pk for op in left]) == (1, [failed[0].pk])  # the newest is retried
    count, left = operations_retry(operations=[failed[0]])
    assert (count, [op.pk for op in left]) == (0, [failed[0].pk])
    assert Operation.objects.filter(account=account, state="queued").count() == 1


def test_it_skips_an_inactive_account() -> None:
    account = HelpCrunchAccountFactory(is_active=False)

    result = account_syncs_enqueue(actor=None, accounts=[account])

    assert result.count == 0
    assert result.skipped[0].reason == f"the account {account.name} is inactive"
