"""Handing operations to the broker, never before the commit that makes them claimable.

Every hand-over first *claims* the rows it sends: in one transaction it locks them (``SELECT … FOR
UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's writers are serialised by ``BEGIN IMMEDIATE``) and
changes what made them eligible: a due retry becomes ``queued``, a never-dispatched operation gets
its ``dispatched_at``, a run whose lease lapsed goes back to ``queued``. Of several dispatchers on
several machines exactly one sends each row, and only the rows its own update changed.

The messages leave with that commit: on the ORM broker they are rows of the same transaction,
visible to the workers when it commits; on Redis they are pushed once it has committed. Either
way no worker can take a message before the state that lets it claim the operation is committed,
and a crash in between leaves the operation to the sweeper's lost pass, never to nobody.

Who hands over:

- a staff member's request, for the few operations it just queued (``operations_dispatch``);
- the due-time dispatcher of every ``qcluster`` (``backoffice.operations.dispatcher``), twice a
  second: retries and rate-limit deferrals whose time came, bulk actions' operations (it is their
  fan-out, in batches of ``CHUNK`` broker messages), runs whose lease lapsed (``dispatch_due``);
- the sweeper, in the same thread, single-flight across machines: queued operations whose
  message the broker lost (``operations_sweep``).

A run claims its operation before doing anything (see ``runner``), so a message delivered twice
does its work once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task

from backoffice.models import Operation, OperationState

logger = logging.getLogger(__name__)

RUN_TASK = "backoffice.tasks.operation_run"
# Up to this many operations are handed over within the staff member's request, as it commits; a
# larger bulk action leaves them to the dispatcher, which sends them in batches of CHUNK.
DIRECT_DISPATCH_LIMIT = 50
CHUNK = 1000
# The key of the PostgreSQL advisory lock that keeps the sweeper to one run at a time.
SWEEP_LOCK_KEY = 0x5357_4545_5000  # "SWEEP"

PASSES = ("due", "undispatched", "abandoned")


def operations_dispatch(*, operation_ids: Sequence[int], group_id: UUID | None = None) -> None:
    """Hand freshly queued operations to the workers, as the caller's transaction commits.

    A bulk action of more than ``DIRECT_DISPATCH_LIMIT`` operations is left to the dispatcher's
    next pass (half a second at most), which sends its messages in bulk; with django-q2's
    ``sync`` (the test suite) there is no dispatcher, and they are run here.
    """
    ids = list(operation_ids)
    if len(ids) > DIRECT_DISPATCH_LIMIT and not Conf.SYNC:
        return

    def hand_over() -> None:
        for start in range(0, len(ids), CHUNK):
            _hand_over(_undispatched().filter(pk__in=ids[start : start + CHUNK]), changes={})

    if Conf.SYNC:
        hand_over()  # no broker to race with: the task runs inline
    else:
        transaction.on_commit(hand_over)


def operation_group_dispatch(*, group_id: UUID) -> int:
    """Hand over every not-yet-dispatched operation of one bulk action now; return how many."""
    count = 0
    while sent := _hand_over(_undispatched().filter(group_id=group_id), changes={}):
        count += len(sent)
    return count


def dispatch_due(*, limit: int | None = None) -> dict[str, int]:
    """One pass of the due-time dispatcher: hand over what is due now; return the counts."""
    now = timezone.now()
    limit = int(settings.SWEEP_BATCH_LIMIT) if limit is None else limit
    passes: dict[str, tuple[QuerySet[Operation], dict[str, Any]]] = {
        # Retries, rate-limit deferrals and 429 pauses whose time came.
        "due": (
            Operation.objects.filter(state=OperationState.RETRYING, next_attempt_at__lte=now),
            {"state": OperationState.QUEUED},
        ),
        # Bulk actions' operations, and any whose commit hook died before handing them over.
        "undispatched": (_undispatched(), {}),
        # Runs whose worker died: the next run reconciles what this one left in flight.
        "abandoned": (
            Operation.objects.filter(state=OperationState.RUNNING, lease_until__lt=now),
            {"state": OperationState.QUEUED, "lease_until": None},
        ),
    }
    counts = dict.fromkeys(PASSES, 0)
    for name, (eligible, changes) in passes.items():
        while counts[name] < limit:
            sent = _hand_over(eligible, changes=changes, limit=min(CHUNK, limit - counts[name]))
            counts[name] += len(sent)
            if len(sent) < CHUNK:
                break
    return counts


def operations_sweep() -> dict[str, int]:
    """Everything that would otherwise wait: the dispatcher's passes, then the lost pass.

    The lost pass looks for ``queued`` operations handed to the broker more than
    ``SWEEP_LOST_AFTER_SECONDS`` ago while the broker holds fewer waiting messages than there are
    such operations: their messages went with a worker that died after taking them (Redis has no
    receipts; the ORM broker would only redeliver after django-q2's ``retry``). The oldest
    dispatched are sent again, as many as are missing. One sweep runs at a time, on any machine.
    """
    counts = {**dispatch_due(), "lost": 0}
    with _single_flight() as alone:
        if alone:
            counts["lost"] = _lost_pass()
    if any(counts.values()):
        logger.info("operations sweep: %s", counts)
    return counts


def _lost_pass() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.SWEEP_LOST_AFTER_SECONDS)
    stale = Operation.objects.filter(state=OperationState.QUEUED, dispatched_at__lt=cutoff)
    stale_count = stale.count()
    if not stale_count:
        return 0
    missing = stale_count - _broker_queue_size()
    if missing <= 0:
        return 0  # a busy queue: they are still waiting their turn
    limit = min(missing, int(settings.SWEEP_BATCH_LIMIT))
    return len(_hand_over(stale, changes={}, limit=limit, oldest_first="dispatched_at"))


@contextmanager
def _single_flight() -> Iterator[bool]:
    """True inside the block for the one sweeper that holds the lock (PostgreSQL: an advisory
    lock; SQLite is one machine's file, whose writers are serialised anyway)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
            (alone,) = cursor.fetchone()
        yield bool(alone)


def _undispatched() -> QuerySet[Operation]:
    return Operation.objects.filter(state=OperationState.QUEUED, dispatched_at__isnull=True)


def _hand_over(
    eligible: QuerySet[Operation],
    *,
    changes: dict[str, Any],
    limit: int = CHUNK,
    oldest_first: str = "pk",
) -> list[int]:
    """Claim up to ``limit`` eligible operations, mark them dispatched and send one message each.

    Returns the ids this call changed and sent. Nothing is read under lock when nothing is
    eligible: the dispatcher asks twice a second.
    """
    if not eligible.exists():
        return []
    with transaction.atomic():
        ids = list(
            eligible.select_for_update(skip_locked=True)
            .order_by(oldest_first)
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        now = timezone.now()
        Operation.objects.filter(pk__in=ids).update(**changes, dispatched_at=now, updated_at=now)
        if not Conf.SYNC:
            _send(ids)
    if Conf.SYNC:
        # The test suite's inline tasks (django-q2's ``sync``): no broker, no worker to race
        # with; each runs here once its claim is written.
        for pk in ids:
            async_task(RUN_TASK, pk, task_name=f"operation {pk}")
    return ids


def _send(operation_ids: list[int]) -> None:
    """One broker message per operation; called inside the claiming transaction."""
    broker: Broker = get_broker()
    key, packages = broker.list_key, _packages(operation_ids, broker)
    if isinstance(broker, ORM):
        # Rows of this very transaction: visible to the workers when it commits.
        now = timezone.now()
        OrmQ.objects.bulk_create([OrmQ(key=key, payload=package, lock=now) for package in packages])
    else:
        transaction.on_commit(lambda: _push(broker, packages))


def _push(broker: Broker, packages: list[str]) -> None:
    pipe = broker.connection.pipeline(transaction=False)
    for start in range(0, len(packages), CHUNK):
        pipe.rpush(broker.list_key, *packages[start : start + CHUNK])
    pipe.execute()


class _Collector(Broker):  # type: ignore[misc]
    """A stand-in broker that keeps the packages django-q2's ``async_task`` signs for it, so the
    messages are exactly django-q2's own and go to the real broker in one bulk write."""

    def __init__(self, list_key: str) -> None:
        self.list_key = list_key
        self.packages: list[str] = []

    def enqueue(self, task: str) -> int:
        self.packages.append(task)
        return len(self.packages)


def _packages(operation_ids: list[int], broker: Broker) -> list[str]:
    collector = _Collector(broker.list_key)
    for pk in operation_ids:
        async_task(RUN_TASK, pk, task_name=f"operation {pk}", broker=collector)
    return collector.packages


def _broker_queue_size() -> int:
    try:
        return int(get_broker().queue_size() or 0)
    except Exception:  # a broker that cannot count: assume nothing is waiting
        logger.warning("operations sweep: the broker could not report its queue size")
        return 0
