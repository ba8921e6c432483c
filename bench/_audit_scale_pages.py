"""The pages ``audit_scale.py`` times, the stock ``ModelAdmin`` it times them beside, and how it
prints a row of its table.

Kept apart from the timing and the build so that the list of pages, which grows with every
filter and search staff use, reads as one list: calls first, then operations, in the order the
table prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from _audit_scale_data import Built

PAGE_TARGET_MS = 150
RATIO_TARGET = 5


@dataclass
class Page:
    name: str
    path: str  # under /admin/ and /stock/
    ours: dict[str, str]
    stock: dict[str, str] | None  # None: stock has no such page
    is_list: bool = True


def stock_site() -> Any:
    """What a stock ModelAdmin on the audit tables looks like: Django's defaults (exact counts,
    ``=`` searches, filters on the raw fields), the same columns, read-only, and the one line of
    scoping a limited staff member needs."""
    from django.contrib import admin

    from backoffice.admin.audit import ApiCallAdmin, OperationAdmin
    from backoffice.models import ApiCall, Operation

    site = admin.AdminSite(name="stock")

    class Scoped(admin.ModelAdmin):
        def has_change_permission(self, request: Any, obj: Any = None) -> bool:
            return False  # an audit trail is read-only (and a change form would list, in a
            # select, every one of millions of operations)

        def get_queryset(self, request: Any) -> Any:
            queryset = super().get_queryset(request)
            user = request.user
            if user.is_superuser or not user.limited_to_accounts:
                return queryset
            return queryset.filter(account__in=user.vendor_accounts.all())

    class Calls(admin.TabularInline):
        model = ApiCall
        fields = readonly_fields = ["started_at", "method", "url", "status_code", "duration_ms"]
        extra = 0

    @admin.register(ApiCall, site=site)
    class StockApiCall(Scoped):
        # Our columns, with the plain foreign key where ours links the operation.
        list_display = [
            "operation" if name == "operation_link" else name for name in ApiCallAdmin.list_display
        ]
        list_filter = ["status_code", "state", "account", "started_at"]
        search_fields = ["=vendor_request_id", "=operation__id", "url", "error_message"]

    @admin.register(Operation, site=site)
    class StockOperation(Scoped):
        list_display = OperationAdmin.list_display
        list_filter = ["state", "action", "account", "actor", "created_at"]
        search_fields = ["=id", "=group_id", "target_label", "actor__username"]
        inlines = [Calls]

    return site


def urlconf(stock: Any) -> type:
    from django.urls import path

    from backoffice import urls

    class BenchUrls:
        urlpatterns = [path("stock/", stock.urls), *urls.urlpatterns]

    return BenchUrls


def samples(built: Built) -> dict[str, str]:
    """Values staff would type, taken from the middle of the trail at the scoped account."""
    from backoffice.models import ApiCall

    middle = (
        ApiCall.objects.filter(account_id=built.scoped_account, id__gte=built.rows // 2)
        .exclude(vendor_request_id="")
        .order_by("id")
        .values("id", "vendor_request_id", "operation_id", "url")
        .first()
    )
    assert middle is not None
    return {
        "call": str(middle["id"]),
        "vendor_request_id": middle["vendor_request_id"],
        "operation": str(middle["operation_id"]),
        "url_part": middle["url"].split("/api/")[1][:16],  # "customers/712345"
    }


def pages(built: Built, typed: dict[str, str]) -> list[Page]:
    """Every page of the table, in its order: the API calls' pages, then the operations'."""
    return [*_call_pages(built, typed), *_operation_pages(built, typed)]


def _call_pages(built: Built, typed: dict[str, str]) -> list[Page]:
    # Page 500, or a deep page a smaller run still has for the scoped staff (1/8 of the rows).
    deep = str(min(500, built.rows // 800))
    account = {"account__id__exact": str(built.scoped_account)}
    month = {"started_at__gte": "2026-05-01", "started_at__lt": "2026-06-01"}
    two = {"status_code__gte": "200", "status_code__lt": "300"}
    calls = "backoffice/apicall/"
    return [
        Page("calls: list", calls, {}, {}),
        Page(f"calls: page {deep}", calls, {"p": deep}, {"p": deep}),
        Page("calls: 2xx", calls, {"outcome": "2xx"}, two),
        Page("calls: 5xx", calls, {"outcome": "5xx"}, {"status_code__gte": "500"}),
        Page("calls: 429", calls, {"outcome": "429"}, {"status_code__exact": "429"}),
        Page("calls: no response", calls, {"outcome": "none"}, {"status_code__isnull": "True"}),
        Page(
            "calls: in flight", calls, {"state__exact": "in_flight"}, {"state__exact": "in_flight"}
        ),
        Page("calls: one account", calls, account, account),
        Page("calls: a month 6 back", calls, month, month),
        Page(
            "calls: 2xx+acct+month",
            calls,
            {"outcome": "2xx", **account, **month},
            {**two, **account, **month},
        ),
        Page(
            "calls: q vendor req id",
            calls,
            {"q": typed["vendor_request_id"]},
            {"q": typed["vendor_request_id"]},
        ),
        Page("calls: q operation id", calls, {"q": typed["operation"]}, {"q": typed["operation"]}),
        Page("calls: q URL path", calls, {"q": typed["url_part"]}, {"q": typed["url_part"]}),
        Page("calls: q error text", calls, {"q": "not found"}, {"q": "not found"}),
        Page("calls: detail", f"{calls}{typed['call']}/change/", {}, {}, is_list=False),
    ]


def _operation_pages(built: Built, typed: dict[str, str]) -> list[Page]:
    # As for the calls: page 500, or the deepest a smaller run has for the scoped staff.
    deep_ops = str(min(500, built.operations // 800))
    account = {"account__id__exact": str(built.scoped_account)}
    created = {"created_at__gte": "2026-05-01", "created_at__lt": "2026-06-01"}
    ops = "backoffice/operation/"
    return [
        Page("ops: list", ops, {}, {}),
        Page(f"ops: page {deep_ops}", ops, {"p": deep_ops}, {"p": deep_ops}),
        Page("ops: failed", ops, {"state__exact": "failed"}, {"state__exact": "failed"}),
        Page(
            "ops: feed records",
            ops,
            {"action__exact": "add_feed_record"},
            {"action__exact": "add_feed_record"},
        ),
        Page("ops: one account", ops, account, account),
        Page("ops: a month 6 back", ops, created, created),
        Page(
            "ops: failed+feed+acct",
            ops,
            {"state__exact": "failed", "action__exact": "add_feed_record", **account},
            {"state__exact": "failed", "action__exact": "add_feed_record", **account},
        ),
        Page("ops: of one person", ops, {"person": str(built.person_id)}, None),
        Page("ops: q Nowak", ops, {"q": "Nowak"}, {"q": "Nowak"}),
        Page("ops: q operation id", ops, {"q": typed["operation"]}, {"q": typed["operation"]}),
        Page("ops: q actor", ops, {"q": "agent3"}, {"q": "agent3"}),
        Page("ops: detail", f"{ops}{typed['operation']}/change/", {}, {}, is_list=False),
        Page(
            "ops: sync + its calls", f"{ops}{built.sync_operation}/change/", {}, {}, is_list=False
        ),
    ]


COUNT_SHOWN = re.compile(r"((?:about )?[\d,.]+(?: million| billion)?) (?:API calls?|operations?)")


def shown_count(response: Any) -> str:
    """The count a list page shows at its foot ("about 1.2 million API calls", "37 ...")."""
    html = response.content.decode()
    if 'class="paginator"' not in html:
        return ""
    foot = html.split('class="paginator"', 1)[1].split("</p>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", foot).split())
    found = COUNT_SHOWN.findall(text)
    return found[-1] if found else text[-40:]


def verdict(row: dict[str, Any]) -> str:
    fast = row["ours"] <= PAGE_TARGET_MS
    ratio = row["stock"] / row["ours"] if row["stock"] else None
    fails = [] if fast else [f"> {PAGE_TARGET_MS} ms"]
    if row["page"].is_list and ratio is not None and ratio < RATIO_TARGET:
        fails.append(f"< {RATIO_TARGET}x")
    return "ok" if not fails else "MISSED " + ", ".join(fails)


def print_row(row: dict[str, Any]) -> None:
    stock = f"{row['stock']:9.1f}" if row["stock"] is not None else "        —"
    ratio = f"{row['stock'] / row['ours']:6.1f}x" if row["stock"] else "      —"
    print(
        f"{row['page'].name:24} {row['who']:7} {row['ours']:8.1f} {stock} {ratio}  "
        f"{verdict(row):24} {row['count']}"
    )
