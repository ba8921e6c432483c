"""Services that turn a staff member's request into queued operations, and retry or dismiss them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from backoffice.models import Operation, OperationAction, OperationState, User, VendorAccount
from backoffice.operations.bulk_insert import operations_bulk_insert
from backoffice.operations.dispatch import operations_dispatch
from backoffice.operations.handlers import handler_for
from backoffice.scoping import account_ids_in_scope_of

State = OperationState
BULK_BATCH = 1000


OUTSIDE_SCOPE = "not at a vendor account you work with"


class SkipTarget(Exception):
    """This target does not fit the request; the message says why (shown to the staff member)."""


@dataclass(frozen=True)
class Skipped:
    label: str
    reason: str
    url_target: models.Model | None = None


@dataclass
class Enqueued:
    group_id: uuid.UUID
    count: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    operation_ids: list[int] = field(default_factory=list)


Params = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]]


def _account_of(target: models.Model) -> VendorAccount:
    if isinstance(target, VendorAccount):
        return target
    account: VendorAccount = target.account  # type: ignore[attr-defined]
    return account


def _label(target: models.Model) -> str:
    if isinstance(target, VendorAccount):
        return target.name[:255]
    return f"{target} · {_account_of(target).name}"[:255]


def operation_skip_reason(*, action: str, target: models.Model) -> str | None:
    """Why ``target`` cannot take ``action`` (no such action at its vendor, an inactive account,
    the handler's own rule), or None when it fits."""
    account = _account_of(target)
    handler = handler_for(action, account.vendor)
    if handler is None:
        return f"{account.get_vendor_display()} does not support this action"
    # A connection test is how an inactive account is checked before it is switched on.
    if not account.is_active and action != OperationAction.TEST_CONNECTION:
        return f"the account {account.name} is inactive"
    return handler.skip_reason(target)


def operations_enqueue(
    *,
    actor: User | None,
    action: str,
    targets: Iterable[models.Model],
    params: Params,
) -> Enqueued:
    """Write one queued ``Operation`` per fitting target and hand them to the workers.

    One transaction: the operations and their tasks (ORM broker) are committed together or not
    at all. Targets that do not fit (another vendor, no vendor id, a parameter builder's
    ``SkipTarget``) are returned in ``skipped`` and never sent. ``targets`` may be a queryset of
    any size; rows are read in chunks and written with bulk inserts.

    Targets at an account outside the actor's (``User.limited_to_accounts``) are skipped under
    their id alone: the admin never selects them, so only a crafted request gets this far, and
    it learns nothing about the rows.
    """
    result = Enqueued(group_id=uuid.uuid4())
    allowed = account_ids_in_scope_of(actor)
    content_types: dict[type[models.Model], ContentType] = {}
    pending: list[Operation] = []

    def flush() -> None:
        operations_bulk_insert(pending, batch_size=BULK_BATCH)
        pending.clear()

    if isinstance(targets, models.QuerySet):
        rows: Iterable[models.Model] = targets.iterator(chunk_size=2000)
    else:
        rows = targets
    with transaction.atomic():
        for target in rows:
            account = _account_of(target)
            if allowed is not None and account.pk not in allowed:
                result.skipped.append(Skipped(f"#{target.pk}", OUTSIDE_SCOPE))
                continue
            reason = operation_skip_reason(action=action, target=target)
            values: Mapping[str, Any] = {}
            if reason is None:
                try:
                    values = params(target) if callable(params) else params
                except SkipTarget as skip:
                    reason = str(skip)
            if reason is not None:
                result.skipped.append(Skipped(str(target), reason, target))
                continue
            model = type(target)
            if model not in content_types:
                content_types[model] = ContentType.objects.get_for_model(model)
            pending.append(
                Operation(
                    group_id=result.group_id,
                    actor=actor,
                    action=action,
                    account_id=account.pk,
                    target_type=content_types[model],
                    target_id=target.pk,
                    target_label=_label(target),
                    params=dict(values),
                )
            )
            if len(pending) >= BULK_BATCH:
                flush()
        if pending:
            flush()
        created = Operation.objects.filter(group_id=result.group_id).order_by("pk")
        result.operation_ids = list(created.values_list("pk", flat=True))
        result.count = len(result.operation_ids)
        if result.operation_ids:
            operations_dispatch(operation_ids=result.operation_ids, group_id=result.group_id)
    return result


CLOSED_UNDONE = (State.FAILED, State.UNKNOWN)  # what a retry or a dismissal takes


def _closed_undone(
    operations: Iterable[Operation], actor: User | None
) -> tuple[list[Operation], list[Operation]]:
    """Of the operations at the actor's accounts (a crafted request's others are dropped): the
    failed or unknown ones, and the others."""
    allowed = account_ids_in_scope_of(actor)
    ours = [op for op in operations if allowed is None or op.account_id in allowed]
    taken = [op for op in ours if op.state in CLOSED_UNDONE]
    return taken, [op for op in ours if op.state not in CLOSED_UNDONE]


def operations_retry(
    *, operations: Iterable[Operation], actor: User | None = None
) -> tuple[int, list[Operation]]:
    """Send failed or unknown operations again: new attempts, same operation.

    Where the vendor offers a read that tells whether an unsettled request arrived, the retry
    starts with it; elsewhere, retrying an ``unknown`` operation is a person's decision that the
    vendor did not get it. Returns the number queued and the operations left as they were (in
    another state).
    """
    taken, refused = _closed_undone(operations, actor)
    held = _account_syncs_held(op.pk for op in taken)
    refused += [op for op in taken if op.pk in held]
    ids_only = [op.pk for op in taken if op.pk not in held]
    retryable = Operation.objects.filter(pk__in=ids_only, state__in=CLOSED_UNDONE)
    checked_first = [
        pk
        for pk, action, vendor in retryable.values_list("pk", "action", "account__vendor")
        if (handler := handler_for(action, vendor)) is not None and handler.can_reconcile
    ]
    now = timezone.now()
    with transaction.atomic():
        retryable.exclude(pk__in=checked_first).update(needs_reconcile=False)
        count = retryable.update(
            state=State.QUEUED,
            attempts=0,
            next_attempt_at=None,
            finished_at=None,
            dispatched_at=None,
            updated_at=now,
        )
        operations_dispatch(operation_ids=ids_only)
    return count, refused


def _account_syncs_held(operation_ids: Iterable[int]) -> set[int]:
    """Account syncs a retry must leave alone: one account is synced by one operation at a time
    (a database constraint), so at most the newest selected sync of an account is retried, and
    none while another sync of it is queued or running."""
    whole_account = {"action": OperationAction.SYNC_FROM_VENDOR, "target_id__isnull": True}
    busy = set(
        Operation.objects.filter(
            **whole_account, state__in=[State.QUEUED, State.RUNNING, State.RETRYING]
        ).values_list("account_id", flat=True)
    )
    syncs = Operation.objects.filter(pk__in=list(operation_ids), **whole_account).order_by("-pk")
    held: set[int] = set()
    for pk, account_id in syncs.values_list("pk", "account_id"):
        if account_id in busy:
            held.add(pk)
        busy.add(account_id)
    return held


def operations_dismiss(
    *, operations: Iterable[Operation], actor: User | None = None
) -> tuple[int, list[Operation]]:
    """Close unknown (or failed) operations after a person checked the vendor by hand."""
    taken, refused = _closed_undone(operations, actor)
    count = Operation.objects.filter(
        pk__in=[op.pk for op in taken], state__in=CLOSED_UNDONE
    ).update(state=State.DISMISSED, updated_at=timezone.now(), finished_at=timezone.now())
    return count, refused
