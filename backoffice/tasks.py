"""django-q2 task entry points. Each takes ids, never objects or secrets, and calls one service."""

from __future__ import annotations

from uuid import UUID

from backoffice.actions import sync_from_vendor
from backoffice.operations import dispatch, runner


def operation_run(operation_id: int) -> str:
    return runner.operation_run(operation_id=operation_id)


def operation_group_dispatch(group_id: str) -> int:
    # No longer enqueued (the dispatcher fans bulk actions out); kept for messages a broker may
    # still hold from before that change.
    return dispatch.operation_group_dispatch(group_id=UUID(group_id))


def operations_sweep() -> dict[str, int]:
    return dispatch.operations_sweep()


def account_sync_scheduled(account_id: int) -> str:
    return sync_from_vendor.account_sync_scheduled(account_id=account_id)
