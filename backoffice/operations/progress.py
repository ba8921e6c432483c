"""How far a bulk action has got: its operations counted by state, in one grouped query."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from backoffice.models import Operation, OperationState

# Closed without the change being made (or with nobody knowing whether it was).
NOT_DONE = frozenset({OperationState.FAILED, OperationState.UNKNOWN, OperationState.DISMISSED})
# A retry of operations from several bulk actions is followed by their ids, up to this many.
MAX_IDS = 500


@dataclass(frozen=True)
class Progress:
    by_state: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def succeeded(self) -> int:
        return self.by_state.get(OperationState.SUCCEEDED, 0)

    @property
    def failed(self) -> int:
        return sum(n for state, n in self.by_state.items() if state in NOT_DONE)

    @property
    def pending(self) -> int:
        return sum(n for state, n in self.by_state.items() if state in OperationState.PENDING)

    def _percent(self, part: int) -> float:
        return round(100 * part / self.total, 1) if self.total else 0.0

    @property
    def succeeded_percent(self) -> float:
        return self._percent(self.succeeded)

    @property
    def failed_percent(self) -> float:
        return self._percent(self.failed)

    @property
    def pending_percent(self) -> float:
        return self._percent(self.pending)

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "pending": self.pending,
            "by_state": dict(self.by_state),
        }


@dataclass(frozen=True)
class Scope:
    """Which operations a progress box follows: one bulk action, or a short list of ids."""

    group_id: uuid.UUID | None = None
    ids: tuple[int, ...] = ()

    @property
    def condition(self) -> Q:
        if self.group_id is not None:
            return Q(group_id=self.group_id)
        return Q(pk__in=self.ids)

    @property
    def query(self) -> str:
        if self.group_id is not None:
            return f"group_id={self.group_id}"
        return "id__in=" + ",".join(map(str, self.ids))


def progress_scope(params: Mapping[str, Any]) -> Scope | None:
    """The scope named by a changelist's query string (``group_id`` or ``id__in``), if any."""
    group = params.get("group_id")
    if group:
        try:
            return Scope(group_id=uuid.UUID(str(group)))
        except ValueError:
            return None
    raw = params.get("id__in")
    if raw:
        parts = [p.strip() for p in str(raw).split(",")]
        if parts and len(parts) <= MAX_IDS and all(p.isdigit() for p in parts):
            return Scope(ids=tuple(int(p) for p in parts))
    return None


def scope_of(operations: Collection[Operation]) -> Scope | None:
    """How to follow these operations: their bulk action when they share one, else their ids."""
    groups = {op.group_id for op in operations}
    if len(groups) == 1 and None not in groups:
        return Scope(group_id=next(iter(groups)))
    if 0 < len(operations) <= MAX_IDS:
        return Scope(ids=tuple(sorted(op.pk for op in operations)))
    return None


def operations_progress(*, scope: Scope, within: QuerySet[Operation] | None = None) -> Progress:
    """One grouped COUNT over the operations in scope (the ``operation_group`` index, or the
    primary key), cheap however many millions of rows the table holds. ``within``: the
    operations the reader may see (their vendor accounts); the others are not counted."""
    operations = Operation.objects.all() if within is None else within
    rows = (
        operations.filter(scope.condition).order_by().values_list("state").annotate(n=Count("pk"))
    )
    return Progress(by_state={state: n for state, n in rows})
