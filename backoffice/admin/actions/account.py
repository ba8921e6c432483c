"""Account actions.

``test_connection``: one cheap authenticated read per selected account, queued at once. There is
nothing to ask first, so no intermediate form. The worker keeps the outcome on the account
(``last_checked_at``, ``last_check_ok``, ``last_check_message``) and on the operation.

``sync_from_vendor``: one sync of each selected account (see ``backoffice.sync``), after a form
asking whether to resync in full and, for Bony.chat, which contacts to import.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.base import intermediate_action, report
from backoffice.admin.actions.sync import SyncForm
from backoffice.models import OperationAction, User, VendorAccount
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.sync.services import account_syncs_enqueue


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


@admin.action(description=_("Sync from the vendor"), permissions=["sync_from_vendor"])
def sync_from_vendor(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VendorAccount]
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]

    def enqueue(accounts: QuerySet[Any], form: forms.Form) -> Enqueued:
        assert isinstance(form, SyncForm)
        return account_syncs_enqueue(
            actor=user,
            accounts=accounts,
            full=bool(form.cleaned_data.get("full")),
            search=form.search(),
        )

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action="sync_from_vendor",
        title=gettext("Sync from the vendor"),
        noun=(gettext("account sync"), gettext("account syncs")),
        form_class=SyncForm,
        params=lambda form: {},
        enqueue=enqueue,
        intro=gettext(
            "Reads the accounts' contacts, tags, tickets and chats into the back-office: what"
            " changed since the last sync, or everything with a full resync. An account already"
            " syncing is skipped."
        ),
    )
