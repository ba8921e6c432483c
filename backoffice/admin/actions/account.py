"""Account actions in the admin.

``test_connection``: one cheap authenticated read per selected account, queued at once. There is
nothing to ask first, so no intermediate form. The worker keeps the outcome on the account
(``last_checked_at``, ``last_check_ok``, ``last_check_message``) and on the operation.

``sync_from_vendor``: one sync of each selected account, after a form asking whether to resync
in full and, for Bony.chat, which contacts to import (``backoffice.actions.sync_from_vendor``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.actions import sync_from_vendor as sync
from backoffice.actions import test_connection as connection
from backoffice.admin.actions.base import intermediate_action, report
from backoffice.models import User, VendorAccount
from backoffice.operations.enqueue import Enqueued


@admin.action(description=_("Test the connection"), permissions=[connection.ACTION.permission])
def test_connection(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[VendorAccount],
) -> None:
    user: User = request.user  # type: ignore[assignment]
    result = connection.connection_tests_enqueue(
        actor=user, accounts=queryset.prefetch_related(None)
    )
    report(modeladmin, request, result, (gettext("connection test"), gettext("connection tests")))


@admin.action(description=_("Sync from the vendor"), permissions=[sync.ACTION.permission])
def sync_from_vendor(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VendorAccount]
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]

    def submit(accounts: QuerySet[VendorAccount], form: forms.Form) -> Enqueued:
        assert isinstance(form, sync.SyncForm)
        return sync.account_syncs_enqueue(
            actor=user,
            accounts=accounts,
            full=bool(form.cleaned_data.get("full")),
            search=form.search(),
        )

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action=sync.ACTION.name,
        title=gettext("Sync from the vendor"),
        noun=(gettext("account sync"), gettext("account syncs")),
        form_class=sync.SyncForm,
        submit=submit,
        intro=gettext(
            "Reads the accounts' contacts, tags, tickets and chats into the back-office: what"
            " changed since the last sync, or everything with a full resync. An account already"
            " syncing is skipped."
        ),
    )
