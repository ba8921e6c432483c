"""Test an account's connection: the whole story of the action.

- **Parameters**: none.
- **Skipped**: accounts outside the staff member's scope only; an inactive account is tested
  too (a test is how it is checked before it is switched on).
- **Sent**: one cheap authenticated read per vendor (each connector's ``check_connection``);
  never retried: the answer is the result.
- **Mirror**: the outcome on the account (``mirror.accounts.connection_result_store``): checked
  at, OK or not, and the vendor's words when it refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from backoffice.mirror.accounts import connection_result_store
from backoffice.models import OperationAction, User, VendorAccount
from backoffice.operations.action import Action, Done, Handler, Run
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.vendors import Vendor


class ConnectionTest(Handler):
    retries = False  # the answer is the result: report it at once

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor  # type: ignore[misc]

    def perform(self, run: Run) -> Done:
        run.client.check_connection()
        account = run.account

        def apply() -> None:
            connection_result_store(
                account=account, ok=True, message="Connected: the vendor accepted the credentials."
            )

        return Done({"connected": True}, apply)

    def failed(self, account: VendorAccount, message: str) -> None:
        connection_result_store(account=account, ok=False, message=message)


class TestConnection(Action):
    __test__ = False  # not a test class, whatever its name says
    name = OperationAction.TEST_CONNECTION
    permission = "test_connection"
    target_model = VendorAccount
    handlers = tuple(ConnectionTest(vendor) for vendor in Vendor.values)
    on_inactive_accounts = True


ACTION = register(TestConnection())


def connection_tests_enqueue(
    *, actor: User, accounts: QuerySet[VendorAccount] | Sequence[VendorAccount]
) -> Enqueued:
    """Queue one connection test per account."""
    return operations_enqueue(actor=actor, action=ACTION.name, targets=accounts, params={})
