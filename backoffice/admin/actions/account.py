"""``test_connection``: one cheap authenticated read per selected account, queued at once.

There is nothing to ask first, so no intermediate form. The worker keeps the outcome on the
account (``last_checked_at``, ``last_check_ok``, ``last_check_message``) and on the operation.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.base import report
from backoffice.models import OperationAction, User, VendorAccount
from backoffice.operations.enqueue import operations_enqueue


@admin.action(description=_("Test the connection"), permissions=["test_connection"])
def test_connection(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[VendorAccount],
) -> None:
    user: User = request.user  # type: ignore[assignment]
    result = operations_enqueue(
        actor=user,
        action=OperationAction.TEST_CONNECTION,
        targets=queryset.prefetch_related(None),
        params={},
    )
    report(modeladmin, request, result, (gettext("connection test"), gettext("connection tests")))
