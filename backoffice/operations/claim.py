"""Holding an operation: the claim with its lease, and giving it back when the cluster stops.

The claim is one conditional UPDATE that moves the operation to ``running`` with a lease. A
second delivery of the same task (the broker's redelivery, the sweeper) finds it taken and
leaves; after the lease lapses (the worker died) the next delivery takes it over.

A stopping cluster whose grace is over sends its workers the release signal
(``release_on_signal``, installed by ``manage.py qcluster``): the run under way stops where it is
and hands its operation back, and so does every later delivery, without claiming it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from backoffice.models import Operation, OperationState

logger = logging.getLogger(__name__)

State = OperationState


class Released(BaseException):
    """The cluster is stopping and its grace is over: this run gives its operation back."""


# Set in a worker process by ``release_on_signal``; ``_running`` is the operation it works on.
_releasing = False
_running: int | None = None


def release_on_signal(signum: int, frame: object) -> None:
    """The handler ``manage.py qcluster`` installs in its workers for the release signal: the run
    under way (if any) stops where it is, and every later delivery is handed back unclaimed."""
    global _releasing
    _releasing = True
    if _running is not None:
        raise Released


def releasing() -> bool:
    """Whether this worker got the release signal: a delivery is then given back unclaimed."""
    return _releasing


@contextmanager
def running(operation_id: int) -> Iterator[None]:
    """The run of ``operation_id`` is under way: the release signal stops it with ``Released``.

    Wrap the handling of ``Released`` too: a signal that arrives while the operation is being
    given back stops that as well, as it stops the run.
    """
    global _running
    _running = operation_id
    try:
        yield
    finally:
        _running = None


def operation_claim(operation_id: int) -> Operation | None:
    """Take the operation with a fresh lease, or None when another run has it or it is done."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.OPERATION_LEASE_SECONDS)
    claimable = Q(state=State.QUEUED) | Q(state=State.RUNNING, lease_until__lt=now)
    claimed = (
        Operation.objects.filter(pk=operation_id)
        .filter(claimable)
        .update(state=State.RUNNING, lease_until=lease_until, updated_at=now)
    )
    if not claimed:
        return None
    return Operation.objects.select_related("account", "actor").get(pk=operation_id)


def operation_give_back(operation_id: int, *, claimed: bool) -> None:
    """Hand an operation back to the dispatcher (``dispatched_at`` cleared): another cluster's
    next pass sends it again. What a cut-short run left in flight is reconciled by that run."""
    now = timezone.now()
    mine = Q(state=State.RUNNING) if claimed else Q(state=State.QUEUED)
    for _ in range(2):
        try:
            Operation.objects.filter(mine, pk=operation_id).update(
                state=State.QUEUED, lease_until=None, dispatched_at=None, updated_at=now
            )
        except DatabaseError:
            connection.close()  # the signal may have cut a query short: start a fresh connection
        else:
            logger.warning(
                "operation %s: released for another worker (the cluster is stopping)", operation_id
            )
            return
