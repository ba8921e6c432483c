"""The one writer of a vendor account's connection status (its other fields are staff's edits)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from backoffice.models import VendorAccount


def connection_result_store(*, account: VendorAccount, ok: bool, message: str) -> None:
    """Keep a connection's outcome on the account (a test, or a sync the vendor refused)."""
    values: dict[str, Any] = {
        "last_checked_at": timezone.now(),
        "last_check_ok": ok,
        "last_check_message": message,
    }
    VendorAccount.objects.filter(pk=account.pk).update(**values)
