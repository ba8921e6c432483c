"""``test_connection``: one cheap authenticated read, its result kept on the account."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from backoffice.models import OperationAction, VendorAccount
from backoffice.operations.handlers.base import Attempt, Done, Handler


class TestConnection(Handler):
    __test__ = False  # not a test class, whatever its name says
    action = OperationAction.TEST_CONNECTION
    target_model = VendorAccount
    retries = False  # the answer is the result: report it at once

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor  # type: ignore[misc]

    def perform(self, attempt: Attempt) -> Done:
        attempt.client.check_connection()
        account = attempt.account

        def apply() -> None:
            connection_result_store(
                account=account, ok=True, message="Connected: the vendor accepted the credentials."
            )

        return Done({"connected": True}, apply)

    def failed(self, attempt_account: VendorAccount, message: str) -> None:
        connection_result_store(account=attempt_account, ok=False, message=message)


def connection_result_store(*, account: VendorAccount, ok: bool, message: str) -> None:
    """Keep a connection's outcome on the account (a test, or a sync the vendor refused)."""
    values: dict[str, Any] = {
        "last_checked_at": timezone.now(),
        "last_check_ok": ok,
        "last_check_message": message,
    }
    VendorAccount.objects.filter(pk=account.pk).update(**values)
