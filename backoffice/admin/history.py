"""The staff-action history: Django's admin log, read-only, for auditors.

Every add, change and delete made in the admin is on record there: vendor accounts and their
credentials (named, never their values: the credential fields are write-only form fields, and the
log keeps only the changed fields' labels), agent identities, users with their groups,
permissions and accounts, and groups. What the staff asked of the vendors is in ``Operation``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice.admin.base import ReadOnlyAdminMixin
from backoffice.admin.scoping import visible_account_ids
from backoffice.models import VendorAccount

TITLE = _("Staff-action history")


@admin.register(LogEntry)
class StaffActionHistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Shown to staff with ``admin.view_logentry`` (the Auditor role). Staff limited to some
    vendor accounts see their own entries and those about their accounts only."""

    list_display = [
        "action_time",
        "user",
        "action_flag",
        "content_type",
        "object_link",
        "change_summary",
    ]
    list_filter = [
        ("action_time", admin.DateFieldListFilter),
        "action_flag",
        ("content_type", admin.RelatedOnlyFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    fields = readonly_fields = (
        "action_time",
        "user",
        "action_flag",
        "content_type",
        "object_link",
        "change_summary",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[LogEntry]:
        entries = super().get_queryset(request)
        ids = visible_account_ids(request)
        if ids is None:
            return entries
        accounts = ContentType.objects.get_for_model(VendorAccount)
        about_accounts = Q(content_type=accounts, object_id__in=[str(pk) for pk in sorted(ids)])
        return entries.filter(Q(user=request.user) | about_accounts)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, {"title": TITLE, **(extra_context or {})})

    @admin.display(description=_("object"))
    def object_link(self, entry: LogEntry) -> str:
        content_type = entry.content_type
        if content_type is None or entry.action_flag == DELETION:
            return entry.object_repr
        try:
            url = reverse(
                f"admin:{content_type.app_label}_{content_type.model}_change",
                args=[entry.object_id],
            )
        except NoReverseMatch:
            return entry.object_repr
        return format_html('<a href="{}">{}</a>', url, entry.object_repr)

    @admin.display(description=_("change"))
    def change_summary(self, entry: LogEntry) -> str:
        return entry.get_change_message()
