"""The one path from a staff member's (or a schedule's) request to queued operations, and the
retry or dismissal of finished ones.

Whom an action skips, and why, is asked here once per target, in this order: an account outside
the actor's scope; a vendor without the action; an inactive account; the vendor handler's rule
(no vendor id yet, say); the action's own rule (an account already syncing); the per-target
parameters, built by the action module with the actor (no agent identity there) — a builder
raises ``SkipTarget``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from backoffice.models import Operation, OperationState, User, VendorAccount
from backoffice.operations.action import Action, SkipTarget
from backoffice.operations.bulk_insert import operations_bulk_insert
from backoffice.operations.dispatch import operations_dispatch
from backoffice.operations.registry import ACTIONS, action_for, handler_for
from backoffice.scoping import account_ids_in_scope_of

BULK_BATCH = 1000
OUTSIDE_SCOPE = "not at a vendor account you work with"

__all__ = [
    "OUTSIDE_SCOPE",
    "Enqueued",
    "Params",
    "SkipTarget",
    "Skipped",
    "operation_skip_reason",
    "operations_dismiss",
    "operations_enqueue",
    "operations_retry",
]


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


# The operations' parameters: shared by every target, or built per target (may skip it).
Params = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]]


def account_of(target: models.Model) -> VendorAccount:
    if isinstance(target, VendorAccount):
        return target
    account: VendorAccount = target.account  # type: ignore[attr-defined]
    return account


def _label(target: models.Model) -> str:
    if isinstance(target, VendorAccount):
        return target.name[:255]
    return f"{target} · {account_of(target).name}"[:255]


def _action(name: str) -> Action:
    action = action_for(name)
    if action is None:
        raise LookupError(f"no action is named {name!r}")
    return action


def operation_skip_reason(*, action: str, target: models.Model) -> str | None:
    """Why ``target`` cannot take ``action`` (no such action at its vendor, an inactive account,
    the handler's or the action's own rule), or None when it fits."""
    return _target_skip_reason(_action(action), target)


def _target_skip_reason(action: Action, target: models.Model) -> str | None:
    account = account_of(target)
    handler = action.handler(account.vendor)
    if handler is None:
        return f"{account.get_vendor_display()} does not support this action"
    if not account.is_active and not action.on_inactive_accounts:
        return f"the account {account.name} is inactive"
    return handler.skip_reason(target) or action.skip_reason(target)


class _Writer:
    """The operations of one request, written in bulk (or one by one, in a savepoint each, for
    an action the database keeps to one pending operation per target)."""

    def __init__(self, action: Action, actor: User | None, result: Enqueued) -> None:
        self.action, self.actor, self.result = action, actor, result
        self.content_types: dict[type[models.Model], ContentType] = {}
        self.pending: list[Operation] = []

    def operation(self, target: models.Model, values: Mapping[str, Any]) -> Operation:
        stored = self.action.stored_target(target)
        target_type = None
        if stored is not None:
            model = type(stored)
            if model not in self.content_types:
                self.content_types[model] = ContentType.objects.get_for_model(model)
            target_type = self.content_types[model]
        return Operation(
            group_id=self.result.group_id,
            actor=self.actor,
            action=self.action.name,
            account_id=account_of(target).pk,
            target_type=target_type,
            target_id=None if stored is None else stored.pk,
            target_label=_label(target),
            params=dict(values),
        )

    def add(self, target: models.Model, values: Mapping[str, Any]) -> str | None:
        """Queue one; the reason it was refused when the database allows one at a time."""
        operation = self.operation(target, values)
        if self.action.one_at_a_time is None:
            self.pending.append(operation)
            if len(self.pending) >= BULK_BATCH:
                self.flush()
            return None
        try:
            with transaction.atomic():
                operation.save()
        except IntegrityError:
            return self.action.one_at_a_time  # another request queued one a moment ago
        return None

    def flush(self) -> None:
        if self.pending:
            operations_bulk_insert(self.pending, batch_size=BULK_BATCH)
            self.pending.clear()


def _rows(targets: Iterable[models.Model]) -> Iterator[models.Model]:
    if isinstance(targets, models.QuerySet):
        return targets.iterator(chunk_size=2000)
    return iter(targets)


def _skip_reason(
    action: Action, target: models.Model, params: Params
) -> tuple[str | None, Mapping[str, Any]]:
    reason = _target_skip_reason(action, target)
    if reason is not None:
        return reason, {}
    try:
        return None, params(target) if callable(params) else params
    except SkipTarget as skip:
        return str(skip), {}


def operations_enqueue(
    *,
    actor: User | None,
    action: str,
    targets: Iterable[models.Model],
    params: Params,
) -> Enqueued:
    """Write one queued ``Operation`` per fitting target and hand them to the workers.

    One transaction: the operations and their tasks (ORM broker) are committed together or not
    at all. Targets that do not fit (see the module's docstring) are returned in ``skipped`` and
    never sent. ``targets`` may be a queryset of any size; rows are read in chunks and written
    with bulk inserts.

    Targets at an account outside the actor's (``User.limited_to_accounts``) are skipped under
    their id alone: the admin never selects them, so only a crafted request gets this far, and
    it learns nothing about the rows.
    """
    result = Enqueued(group_id=uuid.uuid4())
    allowed = account_ids_in_scope_of(actor)
    definition = _action(action)
    writer = _Writer(definition, actor, result)
    with transaction.atomic():
        for target in _rows(targets):
            if allowed is not None and account_of(target).pk not in allowed:
                result.skipped.append(Skipped(f"#{target.pk}", OUTSIDE_SCOPE))
                continue
            reason, values = _skip_reason(definition, target, params)
            if reason is None:
                reason = writer.add(target, values)
            if reason is not None:
                result.skipped.append(Skipped(str(target), reason, target))
        writer.flush()
        created = Operation.objects.filter(group_id=result.group_id).order_by("pk")
        result.operation_ids = list(created.values_list("pk", flat=True))
        result.count = len(result.operation_ids)
        if result.operation_ids:
            operations_dispatch(operation_ids=result.operation_ids, group_id=result.group_id)
    return result


def _undone(
    operations: Iterable[Operation], actor: User | None
) -> tuple[list[Operation], list[Operation]]:
    """Of the operations at the actor's accounts (a crafted request's others are dropped): the
    failed or unknown ones, and the others."""
    allowed = account_ids_in_scope_of(actor)
    ours = [op for op in operations if allowed is None or op.account_id in allowed]
    taken = [op for op in ours if op.state in OperationState.UNDONE]
    return taken, [op for op in ours if op.state not in OperationState.UNDONE]


def operations_retry(
    *, operations: Iterable[Operation], actor: User | None = None
) -> tuple[int, list[Operation]]:
    """Send failed or unknown operations again: new attempts, same operation.

    Where the vendor offers a read that tells whether an unsettled request arrived, the retry
    starts with it; elsewhere, retrying an ``unknown`` operation is a person's decision that the
    vendor did not get it. Returns the number queued and the operations left as they were (in
    another state).
    """
    taken, refused = _undone(operations, actor)
    held = _one_at_a_time_held([op.pk for op in taken])
    refused += [op for op in taken if op.pk in held]
    ids_only = [op.pk for op in taken if op.pk not in held]
    retryable = Operation.objects.filter(pk__in=ids_only, state__in=OperationState.UNDONE)
    checked_first = [
        pk
        for pk, action, vendor in retryable.values_list("pk", "action", "account__vendor")
        if (handler := handler_for(action, vendor)) is not None and handler.can_reconcile
    ]
    now = timezone.now()
    with transaction.atomic():
        retryable.exclude(pk__in=checked_first).update(needs_reconcile=False)
        count = retryable.update(
            state=OperationState.QUEUED,
            attempts=0,
            next_attempt_at=None,
            finished_at=None,
            dispatched_at=None,
            updated_at=now,
        )
        operations_dispatch(operation_ids=ids_only)
    return count, refused


def _one_at_a_time_held(operation_ids: list[int]) -> set[int]:
    """Operations a retry must leave alone: where the database keeps an action to one pending
    operation per target (an account's sync), at most the newest selected one of a target is
    retried, and none while another of it is pending. (Only whole-account operations have the
    rule today: their target is the account.)"""
    exclusive = [name for name, a in ACTIONS.items() if a.one_at_a_time is not None]
    whole_account = {"action__in": exclusive, "target_id__isnull": True}
    busy = set(
        Operation.objects.filter(**whole_account, state__in=OperationState.PENDING).values_list(
            "action", "account_id"
        )
    )
    held: set[int] = set()
    chosen = Operation.objects.filter(pk__in=operation_ids, **whole_account).order_by("-pk")
    for pk, action, account_id in chosen.values_list("pk", "action", "account_id"):
        if (action, account_id) in busy:
            held.add(pk)
        busy.add((action, account_id))
    return held


def operations_dismiss(
    *, operations: Iterable[Operation], actor: User | None = None
) -> tuple[int, list[Operation]]:
    """Close unknown (or failed) operations after a person checked the vendor by hand."""
    taken, refused = _undone(operations, actor)
    now = timezone.now()
    count = Operation.objects.filter(
        pk__in=[op.pk for op in taken], state__in=OperationState.UNDONE
    ).update(state=OperationState.DISMISSED, updated_at=now, finished_at=now)
    return count, refused
