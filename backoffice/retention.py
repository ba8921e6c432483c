"""The one way audit rows leave the database: the retention window (``manage.py prune_audit``).

The audit tables hold millions of rows, so nothing is loaded into memory: rows are deleted in
short transactions, one primary-key range at a time, each range a single DELETE on the primary
key's index. Ids grow with the insert time (``started_at`` / ``created_at`` are set at insert),
so the ranges run from the oldest row up to the highest id older than the cutoff, and a daily
run touches about one day of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from backoffice.models import ApiCall, Operation, audit_retention

# Rows per transaction: small enough that each DELETE holds its locks for milliseconds and the
# PostgreSQL trigger's per-row check stays cheap, large enough that a million rows take ~200
# round trips.
PRUNE_BATCH_SIZE = 5000


@dataclass(frozen=True)
class AuditPruned:
    cutoff: datetime
    api_calls: int
    operations: int
    dry_run: bool


def _old_calls(cutoff: datetime) -> QuerySet[ApiCall]:
    return ApiCall.objects.filter(started_at__lt=cutoff)


def _old_operations(cutoff: datetime) -> QuerySet[Operation]:
    """Requested and finished before the cutoff. An operation with API calls younger than the
    cutoff is kept too: the callers leave those out."""
    return Operation.objects.filter(
        created_at__lt=cutoff,
        finished_at__lt=cutoff,
        state__in=Operation.State.FINISHED,
    )


def _pk_ranges(
    model: type[ApiCall] | type[Operation], time_field: str, cutoff: datetime, size: int
) -> list[tuple[int, int]]:
    """``[low, high)`` id ranges covering every row inserted before ``cutoff``.

    The highest such id is read exactly (an aggregate over the time index's old end, which a
    daily run keeps short) rather than guessed from the time order, so a row dated out of step
    with its id is not missed.
    """
    first = model.objects.order_by("pk").values_list("pk", flat=True).first()
    last = model.objects.filter(**{f"{time_field}__lt": cutoff}).aggregate(last=Max("pk"))["last"]
    if first is None or last is None:
        return []
    return [(low, min(low + size, last + 1)) for low in range(first, last + 1, size)]


def audit_prune(
    *,
    older_than_days: int,
    batch_size: int = PRUNE_BATCH_SIZE,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> AuditPruned:
    """Delete API calls started, then operations finished, more than ``older_than_days`` ago.

    Operations still queued, running or waiting to retry are never deleted, whatever their age;
    nor is an operation any of whose API calls is kept.
    """
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    if dry_run:
        kept_calls = ApiCall.objects.filter(operation=OuterRef("pk"), started_at__gte=cutoff)
        return AuditPruned(
            cutoff=cutoff,
            api_calls=_old_calls(cutoff).count(),
            operations=_old_operations(cutoff).exclude(Exists(kept_calls)).count(),
            dry_run=True,
        )

    calls = 0
    for low, high in _pk_ranges(ApiCall, "started_at", cutoff, batch_size):
        with audit_retention():
            # No signals, no rows pointing at an API call: Django deletes it in one statement.
            deleted, _ = _old_calls(cutoff).filter(pk__gte=low, pk__lt=high).delete()
        calls += deleted
        if progress is not None and deleted:
            progress(f"API calls with ids {low}-{high - 1}: {deleted} deleted")

    operations = 0
    any_call = ApiCall.objects.filter(operation=OuterRef("pk"))
    for low, high in _pk_ranges(Operation, "created_at", cutoff, batch_size):
        batch = (
            _old_operations(cutoff)
            .filter(Q(pk__gte=low) & Q(pk__lt=high))
            .exclude(Exists(any_call))
            .only("pk")
        )
        with audit_retention():
            deleted, _ = batch.delete()
        operations += deleted
        if progress is not None and deleted:
            progress(f"Operations with ids {low}-{high - 1}: {deleted} deleted")
    return AuditPruned(cutoff=cutoff, api_calls=calls, operations=operations, dry_run=False)
