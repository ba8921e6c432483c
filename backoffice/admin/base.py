from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import SEARCH_VAR
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from backoffice.admin.actions.selection import ValidSelectionMixin
from backoffice.admin.pagination import EstimatedCountPaginator


class ReadOnlyAdminMixin:
    """Rows the application writes; the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditTableAdmin(ValidSelectionMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail is read-only for everyone, superusers included."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    # Django's list with the rows rendered once per column (``admin.lean_rows``).
    change_list_template = "admin/backoffice/audit_change_list.html"

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Any:
        """The paginator, told whether the list is searched (see ``EstimatedCountPaginator``)."""
        paginator = super().get_paginator(
            request, queryset, per_page, orphans, allow_empty_first_page
        )
        if isinstance(paginator, EstimatedCountPaginator):
            paginator.searched = bool(request.GET.get(SEARCH_VAR, "").strip())
        return paginator

    def action_checkbox(self, obj: Any) -> SafeString:
        """Django's row checkbox, the same HTML written directly: Django renders a form widget
        through the template engine for each of the 50 rows, a fifth of a list page's time."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


def admin_link(obj: Any, label: str | None = None) -> str:
    """An HTML link to ``obj``'s admin change page."""
    if obj is None:
        return "—"
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label if label is not None else str(obj))
