"""Queueing an account's sync (never two at a time) and keeping its django-q2 schedule in step."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.models import Schedule

from backoffice.models import Operation, OperationAction, OperationState, User, VendorAccount
from backoffice.operations.dispatch import operations_dispatch
from backoffice.operations.enqueue import OUTSIDE_SCOPE, Enqueued, Skipped
from backoffice.scoping import account_ids_in_scope_of
from backoffice.vendors import Vendor

State = OperationState
PENDING = (State.QUEUED, State.RUNNING, State.RETRYING)
SCHEDULED_TASK = "backoffice.tasks.account_sync_scheduled"
ALREADY_SYNCING = "a sync of this account is already queued or running"


def schedule_name(account_id: int) -> str:
    return f"Sync account {account_id}"


def account_sync_pending(*, account: VendorAccount) -> Operation | None:
    return (
        Operation.objects.filter(
            account=account,
            action=OperationAction.SYNC_FROM_VENDOR,
            target_id__isnull=True,
            state__in=PENDING,
        )
        .order_by("pk")
        .first()
    )


def account_syncs_enqueue(
    *,
    actor: User | None,
    accounts: Iterable[VendorAccount],
    full: bool = False,
    search: Sequence[Mapping[str, str]] = (),
) -> Enqueued:
    """Queue one sync of each account, unless one is queued or running for it already.

    The database enforces "one at a time" (a partial unique index on operations): a sync that
    loses a race with another is reported as skipped, never queued twice. ``search`` (field and
    value pairs) imports Bony.chat contacts by a custom-field lookup; other vendors list all.
    """
    result = Enqueued(group_id=uuid.uuid4())
    with transaction.atomic():
        _enqueue_each(result, actor, accounts, full, search)
        result.count = len(result.operation_ids)
        if result.operation_ids:
            operations_dispatch(operation_ids=result.operation_ids, group_id=result.group_id)
    return result


def _enqueue_each(
    result: Enqueued,
    actor: User | None,
    accounts: Iterable[VendorAccount],
    full: bool,
    search: Sequence[Mapping[str, str]],
) -> None:
    allowed = account_ids_in_scope_of(actor)
    for account in accounts:
        if allowed is not None and account.pk not in allowed:
            # Only a crafted request gets here (the admin never lists the account).
            result.skipped.append(Skipped(f"#{account.pk}", OUTSIDE_SCOPE))
            continue
        reason = None
        if not account.is_active:
            reason = f"the account {account.name} is inactive"
        elif account_sync_pending(account=account) is not None:
            reason = ALREADY_SYNCING
        params: dict[str, Any] = {"full": full}
        if search and account.vendor == Vendor.BONY:
            params["search"] = [dict(s) for s in search]
        if reason is None:
            try:
                with transaction.atomic():
                    operation = Operation.objects.create(
                        group_id=result.group_id,
                        actor=actor,
                        action=OperationAction.SYNC_FROM_VENDOR,
                        account=account,
                        target_label=account.name[:255],
                        params=params,
                    )
            except IntegrityError:
                reason = ALREADY_SYNCING  # another request queued one a moment ago
            else:
                result.operation_ids.append(operation.pk)
        if reason is not None:
            result.skipped.append(Skipped(str(account), reason, account))


def account_sync_scheduled(*, account_id: int) -> str:
    """The scheduled sync of one account: queued, or skipped while another one runs."""
    account = VendorAccount.objects.filter(pk=account_id).first()
    if account is None:
        return "no such account"
    with transaction.atomic():
        result = account_syncs_enqueue(actor=None, accounts=[account])
    return "queued" if result.count else result.skipped[0].reason


def account_schedule_update(*, account: VendorAccount) -> Schedule | None:
    """The account's sync schedule as its settings say: every ``sync_interval_minutes`` while
    it is active; none otherwise. The first run is due at once."""
    name = schedule_name(account.pk)
    interval = account.sync_interval_minutes
    if not (account.is_active and interval):
        Schedule.objects.filter(name=name).delete()
        return None
    existing = Schedule.objects.filter(name=name).first()
    values: dict[str, Any] = {
        "func": SCHEDULED_TASK,
        "args": repr(account.pk),
        "kwargs": None,
        "schedule_type": Schedule.MINUTES,
        "minutes": interval,
        "repeats": -1,
    }
    if existing is None:
        return Schedule.objects.create(name=name, next_run=timezone.now(), **values)
    if existing.minutes != interval and existing.next_run is not None:
        # A new interval applies from now on, not from a far-off date the old one set.
        soon = timezone.now() + timedelta(minutes=interval)
        values["next_run"] = min(existing.next_run, soon)
    for field, value in values.items():
        setattr(existing, field, value)
    existing.save()
    return existing


def account_schedule_remove(*, account_id: int) -> None:
    Schedule.objects.filter(name=schedule_name(account_id)).delete()


def _account_saved(sender: type[VendorAccount], instance: VendorAccount, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures loading: no schedules
    account_schedule_update(account=instance)


def _account_deleted(sender: type[VendorAccount], instance: VendorAccount, **kwargs: Any) -> None:
    account_schedule_remove(account_id=instance.pk)


def account_schedules_connect() -> None:
    """Keep every account's schedule in step with its saves and its deletion."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_account_saved, sender=VendorAccount, dispatch_uid="account_schedule")
    post_delete.connect(_account_deleted, sender=VendorAccount, dispatch_uid="account_schedule")
