"""The sync of vendor data into the mirror."""

from __future__ import annotations

from backoffice.actions.sync_from_vendor import account_syncs_enqueue
from backoffice.models import Operation, User, VendorAccount


def sync(account: VendorAccount, *, full: bool = False, actor: User | None = None) -> Operation:
    """Queue one sync of the account (tasks run in-process in the suite, every slice of it) and
    return the operation as it ended."""
    result = account_syncs_enqueue(actor=actor, accounts=[account], full=full)
    assert result.count == 1, result.skipped
    return Operation.objects.get(pk=result.operation_ids[0])
