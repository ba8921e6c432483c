"""Handing operations to the broker: directly, through a fan-out task, and from the sweeper.

Every delivery is harmless to repeat: a run first claims its operation (see ``runner``), so a
task delivered twice, or re-dispatched by the sweeper while its first message still waits in the
queue, does its work once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.tasks import async_task

from backoffice.models import Operation, OperationState

logger = logging.getLogger(__name__)

State = OperationState
RUN_TASK = "backoffice.tasks.operation_run"
GROUP_TASK = "backoffice.tasks.operation_group_dispatch"
# Up to this many operations are enqueued one task each within the staff member's request; a
# larger bulk action enqueues one fan-out task that does it in a worker.
DIRECT_DISPATCH_LIMIT = 50
CHUNK = 500
# The sweeper's django-q2 schedule (created by migration 0003, put back after every migrate).
SWEEPER_SCHEDULE = "Sweep operations"


def _orm_broker() -> bool:
    return "orm" in settings.Q_CLUSTER


def _enqueue_now(operation_ids: Sequence[int]) -> None:
    if not operation_ids:
        return
    Operation.objects.filter(pk__in=operation_ids).update(dispatched_at=timezone.now())
    for operation_id in operation_ids:
        async_task(RUN_TASK, operation_id, task_name=f"operation {operation_id}")


def _with_the_commit(send: Callable[[], None]) -> None:
    """With the ORM broker an enqueue joins the caller's transaction (committed together or not
    at all); with Redis it waits for the commit, and the sweeper covers a crash in between."""
    if _orm_broker() or not transaction.get_connection().in_atomic_block:
        send()
    else:
        transaction.on_commit(send)


def operations_dispatch(*, operation_ids: Sequence[int], group_id: UUID | None = None) -> None:
    """Hand freshly queued operations to the workers: directly, or through one fan-out task."""
    if len(operation_ids) <= DIRECT_DISPATCH_LIMIT or group_id is None:
        ids = list(operation_ids)
        _with_the_commit(lambda: _enqueue_now(ids))
    else:
        _with_the_commit(
            lambda: async_task(GROUP_TASK, str(group_id), task_name=f"dispatch {group_id}")
        )


def operation_group_dispatch(*, group_id: UUID) -> int:
    """The fan-out task: enqueue every not-yet-dispatched operation of a bulk action."""
    count = 0
    pending = Operation.objects.filter(
        group_id=group_id, state=State.QUEUED, dispatched_at__isnull=True
    )
    while True:
        ids = list(pending.order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return count
        with transaction.atomic():
            _enqueue_now(ids)
        count += len(ids)


def _redispatch(operation_ids: list[int], *, requeue: bool = False) -> int:
    """Enqueue again, in chunks; ``requeue``: due ``retrying`` operations become ``queued``."""
    for start in range(0, len(operation_ids), CHUNK):
        batch = operation_ids[start : start + CHUNK]
        with transaction.atomic():
            if requeue:
                Operation.objects.filter(pk__in=batch, state=State.RETRYING).update(
                    state=State.QUEUED, updated_at=timezone.now()
                )
            _enqueue_now(batch)
    return len(operation_ids)


def operations_sweep() -> dict[str, int]:
    """Re-dispatch what would otherwise wait forever. Scheduled every minute.

    - ``retrying`` operations whose next attempt is due (backoff, Retry-After, rate deferral);
    - ``queued`` operations never handed to the broker (a fan-out or a commit hook that died);
    - ``queued`` operations handed over long ago while the broker holds fewer messages than there
      are such operations (a lost message; with a busy queue they are simply still waiting);
    - ``running`` operations whose lease lapsed (a dead worker, a killed task): the next run
      reconciles what that one left in flight.
    """
    now = timezone.now()
    limit = int(settings.SWEEP_BATCH_LIMIT)
    counts = {"due": 0, "undispatched": 0, "lost": 0, "abandoned": 0}

    due = list(
        Operation.objects.filter(state=State.RETRYING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts["due"] = _redispatch(due, requeue=True)

    grace = now - timedelta(seconds=settings.SWEEP_UNDISPATCHED_AFTER_SECONDS)
    undispatched = list(
        Operation.objects.filter(
            state=State.QUEUED, dispatched_at__isnull=True, created_at__lt=grace
        ).values_list("pk", flat=True)[:limit]
    )
    counts["undispatched"] = _redispatch(undispatched)

    stale = Operation.objects.filter(
        state=State.QUEUED,
        dispatched_at__lt=now - timedelta(seconds=settings.SWEEP_LOST_AFTER_SECONDS),
    )
    stale_count = stale.count()
    if stale_count and _broker_queue_size() < stale_count:
        lost = list(stale.order_by("dispatched_at").values_list("pk", flat=True)[:limit])
        counts["lost"] = _redispatch(lost)

    abandoned = list(
        Operation.objects.filter(state=State.RUNNING, lease_until__lt=now).values_list(
            "pk", flat=True
        )[:limit]
    )
    counts["abandoned"] = _redispatch(abandoned)
    if any(counts.values()):
        logger.info("operations sweep: %s", counts)
    return counts


def _broker_queue_size() -> int:
    try:
        return int(get_broker().queue_size() or 0)
    except Exception:  # a broker that cannot count: assume nothing is waiting
        logger.warning("operations sweep: the broker could not report its queue size")
        return 0


def sweeper_schedule_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """Put the sweeper's every-minute schedule back if it is gone (``flush`` empties django-q2's
    tables, and so does ``make demo-reset``): without it, lost operations would stay lost."""
    from django_q.models import Schedule

    Schedule.objects.using(using).get_or_create(
        name=SWEEPER_SCHEDULE,
        defaults={
            "func": "backoffice.tasks.operations_sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
