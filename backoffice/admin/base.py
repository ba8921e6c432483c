from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

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
