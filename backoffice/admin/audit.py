from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.operations import dismiss_operations, retry_operations
from backoffice.admin.audit_search import (
    DateNewestFirstMixin,
    LatestCallsFormSet,
    OperationOfCallFilter,
    api_call_search,
    operation_search,
)
from backoffice.admin.base import AuditTableAdmin, ReadOnlyInline, admin_link
from backoffice.admin.people import PersonOperationsFilter
from backoffice.admin.scoping import AccountScopedAdminMixin
from backoffice.models import ApiCall, Operation
from backoffice.operations.progress import operations_progress, progress_scope


def pretty_json(value: Any) -> str:
    if value in (None, "", {}, []):
        return "—"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return format_html("<pre>{}</pre>", value)
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class StatusClassFilter(admin.SimpleListFilter):
    """Outcome by status class: an index range scan, unlike a DISTINCT over millions of rows."""

    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("2xx", gettext("Success (2xx)")),
            ("429", gettext("Rate limited (429)")),
            ("4xx", gettext("Refused (4xx)")),
            ("5xx", gettext("Vendor error (5xx)")),
            ("none", gettext("No response")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiCall]) -> QuerySet[ApiCall]:
        ranges = {
            "2xx": Q(status_code__gte=200, status_code__lt=300),
            "429": Q(status_code=429),
            "4xx": Q(status_code__gte=400, status_code__lt=500) & ~Q(status_code=429),
            "5xx": Q(status_code__gte=500),
            "none": Q(status_code__isnull=True),
        }
        condition = ranges.get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


class ApiCallInline(ReadOnlyInline):
    """The operation's latest API calls; a sync's hundreds are one link away (``calls_link``)."""

    model = ApiCall
    formset = LatestCallsFormSet
    fields = readonly_fields = (
        "started_at",
        "method",
        "url",
        "status_code",
        "duration_ms",
        "vendor_request_id",
        "error_message",
    )
    ordering = ["-id"]


@admin.register(Operation)
class OperationAdmin(DateNewestFirstMixin, AccountScopedAdminMixin, AuditTableAdmin):
    list_display = [
        "id",
        "action",
        "target_label",
        "account",
        "state",
        "attempts",
        "actor",
        "created_at",
        "finished_at",
    ]
    list_filter = [
        "state",
        "action",
        "account",
        "actor",
        ("created_at", admin.DateFieldListFilter),
        PersonOperationsFilter,
    ]
    # Searched by operation_search: the id and bulk action exactly, the target by trigram, the
    # requester by name.
    search_fields = ["id", "group_id", "target_label", "actor__username"]
    search_help_text = _(
        "An operation id, a bulk action's id, part of the target's name, or who requested it."
    )
    date_field = "created_at"
    change_list_template = "admin/backoffice/operation/change_list.html"
    list_select_related = ["account", "actor"]
    inlines = [ApiCallInline]
    fields = readonly_fields = (
        "calls_link",
        "action",
        "account",
        "target_link",
        "actor",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "params_pretty",
        "result_pretty",
        "group_id",
        "created_at",
        "updated_at",
        "finished_at",
    )

    actions = [retry_operations, dismiss_operations]

    def has_retry_operation_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("backoffice.retry_operation")

    def get_urls(self) -> list[URLPattern]:
        progress = path(
            "progress/",
            self.admin_site.admin_view(self.progress_view),
            name="backoffice_operation_progress",
        )
        return [progress, *super().get_urls()]

    def progress_view(self, request: HttpRequest) -> JsonResponse:
        """A bulk action's progress as JSON, for the box above its filtered list."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        scope = progress_scope(request.GET)
        if scope is None:
            return JsonResponse({"error": "Give group_id=<uuid> or id__in=<ids>."}, status=400)
        progress = operations_progress(scope=scope, within=self.get_queryset(request))
        return JsonResponse(progress.as_json())

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        scope = progress_scope(request.GET) if request.method == "GET" else None
        if scope is not None and self.has_view_or_change_permission(request):
            url = f"{reverse('admin:backoffice_operation_progress')}?{scope.query}"
            extra_context = {
                **(extra_context or {}),
                "progress": operations_progress(scope=scope, within=self.get_queryset(request)),
                "progress_url": url,
            }
        return super().changelist_view(request, extra_context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Operation], search_term: str
    ) -> tuple[QuerySet[Operation], bool]:
        return operation_search(queryset, search_term), False

    @admin.display(description=_("API calls"))
    def calls_link(self, obj: Operation) -> str:
        count = ApiCall.objects.filter(operation=obj).count()
        if not count:
            return "—"
        url = reverse("admin:backoffice_apicall_changelist")
        label = ngettext(
            "%(count)d API call, the latest %(shown)d below",
            "%(count)d API calls, the latest %(shown)d below",
            count,
        ) % {"count": count, "shown": min(count, LatestCallsFormSet.shown)}
        link = gettext("list them all")
        return format_html(
            '{} (<a href="{}?{}={}">{}</a>)',
            label,
            url,
            OperationOfCallFilter.parameter_name,
            obj.pk,
            link,
        )

    @admin.display(description=_("target"))
    def target_link(self, obj: Operation) -> str:
        target = obj.target if obj.target_type_id else None
        return admin_link(target, obj.target_label) if target else obj.target_label or "—"

    @admin.display(description=_("parameters"))
    def params_pretty(self, obj: Operation) -> str:
        return pretty_json(obj.params)

    @admin.display(description=_("result"))
    def result_pretty(self, obj: Operation) -> str:
        return pretty_json(obj.result)


@admin.register(ApiCall)
class ApiCallAdmin(DateNewestFirstMixin, AccountScopedAdminMixin, AuditTableAdmin):
    list_display = [
        "id",
        "started_at",
        "account",
        "method",
        "url",
        "status_code",
        "duration_ms",
        "error_class",
        "operation_link",
    ]
    list_filter = [
        StatusClassFilter,
        "state",
        "account",
        ("started_at", admin.DateFieldListFilter),
        OperationOfCallFilter,
    ]
    # Searched by api_call_search: ids exactly, the URL and the error text by trigram.
    search_fields = ["vendor_request_id", "operation__id", "url", "error_message"]
    search_help_text = _(
        "A vendor request id, an operation id, or part of the URL or of the error message."
    )
    date_field = "started_at"
    # The list never shows bodies or headers: they are not read for it.
    list_deferred = ("request_headers", "request_body", "response_headers", "response_body")
    list_select_related = ["account"]
    fields = readonly_fields = (
        "operation_link",
        "account",
        "state",
        "method",
        "url",
        "request_headers_pretty",
        "request_body_pretty",
        "status_code",
        "response_headers_pretty",
        "response_body_pretty",
        "vendor_request_id",
        "duration_ms",
        "error_class",
        "error_message",
        "started_at",
        "finished_at",
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ApiCall], search_term: str
    ) -> tuple[QuerySet[ApiCall], bool]:
        return api_call_search(queryset, search_term), False

    @admin.display(description=_("operation"))
    def operation_link(self, obj: ApiCall) -> str:
        url = reverse("admin:backoffice_operation_change", args=[obj.operation_id])
        return format_html('<a href="{}">#{}</a>', url, obj.operation_id)

    @admin.display(description=_("request headers"))
    def request_headers_pretty(self, obj: ApiCall) -> str:
        return pretty_json(obj.request_headers)

    @admin.display(description=_("request body"))
    def request_body_pretty(self, obj: ApiCall) -> str:
        return pretty_json(obj.request_body)

    @admin.display(description=_("response headers"))
    def response_headers_pretty(self, obj: ApiCall) -> str:
        return pretty_json(obj.response_headers)

    @admin.display(description=_("response body"))
    def response_body_pretty(self, obj: ApiCall) -> str:
        return pretty_json(obj.response_body)
