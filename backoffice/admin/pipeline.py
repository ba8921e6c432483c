"""The pipeline's own rows, for the engineers who run it: rate buckets, attached files and
sync cursors."""

from __future__ import annotations

from django.contrib import admin

from backoffice.admin.base import ReadOnlyAdminMixin
from backoffice.admin.scoping import AccountScopedAdminMixin
from backoffice.models import RateBucket, StoredFile, SyncCursor


@admin.register(RateBucket)
class RateBucketAdmin(AccountScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["account", "tokens", "refilled_at", "paused_until"]
    list_select_related = ["account"]


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "size", "content_type", "uploaded_by", "uploaded_at"]
    list_select_related = ["uploaded_by"]
    search_fields = ["filename", "sha256"]
    exclude = ["content"]


@admin.register(SyncCursor)
class SyncCursorAdmin(AccountScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "account",
        "resource",
        "last_pass_at",
        "last_full_pass_at",
        "since",
        "pass_started_at",
        "pass_full",
    ]
    list_filter = ["resource", "account"]
    list_select_related = ["account"]
