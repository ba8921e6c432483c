"""``manage.py prune_audit``: the one way rows leave the audit trail."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from backoffice.models import ApiCall, Operation
from backoffice.retention import audit_prune
from tests.factories import ApiCallFactory, OperationFactory

pytestmark = pytest.mark.django_db


def aged_operation(days: int, state: str = Operation.State.SUCCEEDED) -> Operation:
    """An operation requested, and (when finished) finished, ``days`` ago."""
    operation = OperationFactory(state=state)
    when = timezone.now() - timedelta(days=days)
    finished = when if state in Operation.State.FINISHED else None
    # Operations may be updated; their dates are set at insert, hence the update.
    Operation.objects.filter(pk=operation.pk).update(created_at=when, finished_at=finished)
    return operation


def aged_call(operation: Operation, days: int) -> ApiCall:
    """A finished call started ``days`` ago (dated while still in flight: finished is final)."""
    call = ApiCallFactory(operation=operation, state=ApiCall.State.IN_FLIGHT)
    when = timezone.now() - timedelta(days=days)
    ApiCall.objects.filter(pk=call.pk).update(
        started_at=when, finished_at=when, state=ApiCall.State.DONE
    )
    return call


def prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_audit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def trail() -> dict[str, Operation]:
    old_done = aged_operation(400)
    aged_call(old_done, 400)
    aged_call(old_done, 399)
    old_failed = aged_operation(500, Operation.State.FAILED)
    aged_call(old_failed, 500)
    old_dismissed = aged_operation(380, Operation.State.DISMISSED)
    # Requested long ago, retried last week: its recent call keeps it, and its old call goes.
    retried = aged_operation(400)
    aged_call(retried, 400)
    aged_call(retried, 7)
    Operation.objects.filter(pk=retried.pk).update(finished_at=timezone.now())
    recent = aged_operation(10)
    aged_call(recent, 10)
    # Never finished, whatever their age: still the pipeline's.
    old_queued = aged_operation(400, Operation.State.QUEUED)
    old_retrying = aged_operation(400, Operation.State.RETRYING)
    old_running = aged_operation(400, Operation.State.RUNNING)
    aged_call(old_running, 400)
    return {
        "old_done": old_done,
        "old_failed": old_failed,
        "old_dismissed": old_dismissed,
        "retried": retried,
        "recent": recent,
        "old_queued": old_queued,
        "old_retrying": old_retrying,
        "old_running": old_running,
    }


def test_it_deletes_old_calls_and_finished_operations_and_keeps_the_rest(
    trail: dict[str, Operation], settings
) -> None:
    settings.AUDIT_RETENTION_DAYS = 365

    output = prune()

    assert "Deleted 5 API calls and 3 operations older than 365 days" in output
    kept = set(Operation.objects.values_list("pk", flat=True))
    assert kept == {
        trail[name].pk
        for name in ("retried", "recent", "old_queued", "old_retrying", "old_running")
    }
    remaining = ApiCall.objects.order_by("operation_id").values_list("operation_id", flat=True)
    assert list(remaining) == sorted([trail["retried"].pk, trail["recent"].pk])


def test_it_deletes_in_batches_across_id_ranges(trail: dict[str, Operation]) -> None:
    output = prune("--older-than-days", "365", "--batch-size", "1", "-v", "2")

    assert "Deleted 5 API calls and 3 operations" in output
    assert output.count(": 1 deleted") == 8  # one row per one-id batch
    assert Operation.objects.count() == 5


def test_it_follows_the_days_it_is_given(trail: dict[str, Operation]) -> None:
    output = prune("--older-than-days", "5")

    assert "Deleted 7 API calls and 4 operations older than 5 days" in output
    # The running operation's old call goes; the operation itself stays with the pipeline. The
    # retried one finished today: it stays until today falls out of the window.
    assert not ApiCall.objects.exists()
    assert set(Operation.objects.values_list("pk", flat=True)) == {
        trail[name].pk for name in ("retried", "old_queued", "old_retrying", "old_running")
    }


def test_it_counts_without_deleting_on_a_dry_run(trail: dict[str, Operation]) -> None:
    calls, operations = ApiCall.objects.count(), Operation.objects.count()

    output = prune("--dry-run")

    assert "Would delete 5 API calls and 3 operations older than 365 days" in output
    assert "Nothing was deleted (dry run)" in output
    assert (ApiCall.objects.count(), Operation.objects.count()) == (calls, operations)


def test_it_has_nothing_to_do_on_a_young_trail() -> None:
    aged_call(aged_operation(3), 3)

    assert "Deleted 0 API calls and 0 operations" in prune()
    assert ApiCall.objects.count() == 1


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_it_refuses_an_age_below_one_day(days: str) -> None:
    aged_call(aged_operation(400), 400)

    with pytest.raises(CommandError, match="is not a whole number of at least 1"):
        prune("--older-than-days", days)
    assert ApiCall.objects.count() == 1


def test_it_prunes_from_code_with_a_clock_it_is_given() -> None:
    call = aged_call(aged_operation(2), 2)

    pruned = audit_prune(older_than_days=30, now=timezone.now() + timedelta(days=30))

    assert (pruned.api_calls, pruned.operations, pruned.dry_run) == (1, 1, False)
    assert not ApiCall.objects.filter(pk=call.pk).exists()
