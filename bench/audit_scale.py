"""Every audit page at ten million API calls, beside a stock ModelAdmin on the same tables.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/audit_scale.py
    ... python bench/audit_scale.py --rows 1000000      # a quicker run (300 000 operations)
    ... python bench/audit_scale.py --keep / --reuse    # keep the built tables / time them again

PostgreSQL only (the figures are about its plans and its disk). Builds its own database (see
bulk_action.py: created, marked and dropped by the bench), checks the free disk first, then
prints the disk per API call and the median of every list, filter, search and detail page for a
superuser and for staff limited to one account, with the same page of a stock ``ModelAdmin``
(Django's defaults, the same columns, filters and search fields) in the same run, and the
retention of the oldest month. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _audit_scale_data import END, START, Built, build
from bulk_action import Refused, bench_database, django_setup

PAGE_TARGET_MS = 150
RATIO_TARGET = 5
BYTES_TARGET = 1024
# Disk the build needs at its peak, per API call (table, indexes being built, WAL), and spare.
BUILD_BYTES_PER_ROW = 3 * 1024
SPARE_BYTES = 2 * 2**30


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
    # Page 500, or a deep page a smaller run still has for the scoped staff (1/8 of the rows).
    deep = str(min(500, built.rows // 800))
    deep_ops = str(min(500, built.operations // 800))
    account = {"account__id__exact": str(built.scoped_account)}
    month = {"started_at__gte": "2026-05-01", "started_at__lt": "2026-06-01"}
    two = {"status_code__gte": "200", "status_code__lt": "300"}
    calls, ops = "backoffice/apicall/", "backoffice/operation/"
    created = {"created_at__gte": "2026-05-01", "created_at__lt": "2026-06-01"}
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


def median_ms(client: Any, url: str, params: dict[str, str], runs: int) -> tuple[float, Any]:
    """The median of ``runs`` requests after one warm-up; the first request of a page slower
    than a second counts as a run instead (a stock page of ten million rows)."""

    def once() -> tuple[float, Any]:
        started = time.perf_counter()
        response = client.get(url, params)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url} {params}: HTTP {response.status_code}")
        return seconds, response

    first, response = once()
    times = [first] if first > 1.0 else []
    while len(times) < runs:
        seconds, response = once()
        times.append(seconds)
    return statistics.median(times) * 1000, response


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


def time_pages(built: Built, args: argparse.Namespace) -> list[dict[str, Any]]:
    from django.test import Client
    from django.test.utils import override_settings

    from backoffice.models import User

    clients = {}
    for name in ("bench", "scoped"):
        clients[name] = Client()
        clients[name].force_login(User.objects.get(username=name))
    table = []
    from django.conf import settings

    # Pages render without a collectstatic first (the hashed names of production need one).
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ROOT_URLCONF=urlconf(stock_site()), STORAGES=storages):
        for page in pages(built, samples(built)):
            for who, client in clients.items():
                ours, response = median_ms(client, f"/admin/{page.path}", page.ours, args.runs)
                stock = None
                if page.stock is not None and not args.no_stock:
                    stock, _ = median_ms(client, f"/stock/{page.path}", page.stock, args.stock_runs)
                row = {
                    "page": page,
                    "who": who,
                    "ours": ours,
                    "stock": stock,
                    "count": shown_count(response),
                }
                table.append(row)
                print_row(row)
    return table


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


def disk(rows: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT pg_relation_size(c.oid), pg_total_relation_size(c.reltoastrelid),
                      pg_indexes_size(c.oid)
            FROM pg_class AS c WHERE c.relname = 'backoffice_apicall'"""
        )
        heap, toast, indexes = cursor.fetchone()
        cursor.execute(
            """SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index
            WHERE indrelid = 'backoffice_apicall'::regclass ORDER BY 2 DESC"""
        )
        each = cursor.fetchall()
    total = heap + toast + indexes
    per_row = total / rows
    print(f"\nDisk of the API calls ({rows:,} rows):")
    print(
        f"  heap {heap / 2**20:,.0f} MiB, TOAST {toast / 2**20:,.0f} MiB, indexes "
        f"{indexes / 2**20:,.0f} MiB: {total / 2**20 * 10**6 / rows:,.0f} MiB per million"
    )
    for name, size in each:
        print(f"    {name:40} {size / 2**20:8,.1f} MiB")
    state = "ok" if per_row <= BYTES_TARGET else "MISSED"
    print(f"  per API call: {per_row:,.0f} bytes (target <= {BYTES_TARGET}): {state}")


def retention(built: Built) -> None:
    from django.db import IntegrityError, connection, transaction

    from backoffice.retention import audit_prune

    days = (END - (START + timedelta(days=31))).days
    started = time.perf_counter()
    pruned = audit_prune(older_than_days=days, now=END)
    seconds = time.perf_counter() - started
    print(
        f"\nRetention (prune_audit of the oldest month, batches of 5 000): {seconds:.1f} s, "
        f"{pruned.api_calls:,} API calls and {pruned.operations:,} operations deleted"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM backoffice_apicall WHERE id = %s", [built.rows // 2])
        print("  append-only trigger: MISSING (a bare DELETE went through)")
    except IntegrityError:
        print("  append-only trigger: intact (a bare DELETE is refused)")


def enough_disk(rows: int) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        (directory,) = cursor.fetchone()
    need = rows * BUILD_BYTES_PER_ROW + SPARE_BYTES
    free = shutil.disk_usage(directory).free
    print(
        f"free disk at {directory}: {free / 2**30:,.1f} GiB (the build needs ~{need / 2**30:,.1f})"
    )
    return free >= need


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="API calls")
    parser.add_argument("--operations", type=int, help="default: 30 %% of --rows")
    parser.add_argument("--database", default="switchboard_bench_audit")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page")
    parser.add_argument("--stock-runs", type=int, default=3)
    parser.add_argument("--no-stock", action="store_true", help="skip the stock pages")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a kept database again")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "audit_scale.py measures PostgreSQL (set DATABASE_URL=postgres://...). On SQLite "
            "the audit searches have no trigram index and scan every row."
        )
        return 0
    operations = args.operations or args.rows * 3 // 10
    try:
        if args.reuse:
            django_setup(url.rsplit("/", 1)[0] + f"/{args.database}")
            return measure(reused(args.rows, operations), args)
        with bench_database(url, args.database, keep=args.keep) as bench_url:
            django_setup(bench_url)
            if not enough_disk(args.rows):
                print("refused: not enough free disk for the build", file=sys.stderr)
                return 2
            print(f"building {args.rows:,} API calls and {operations:,} operations ...")
            built = build(rows=args.rows, operations=operations, say=print)
            print(f"built in {built.seconds:.0f} s")
            return measure(built, args)
    except Refused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 2


def reused(rows: int, operations: int) -> Built:
    from backoffice.models import Operation, Person, VendorAccount

    return Built(
        rows=rows + 400,
        operations=operations + 1,
        seconds=0.0,
        first_account=VendorAccount.objects.order_by("pk").values_list("pk", flat=True)[0],
        scoped_account=VendorAccount.objects.order_by("pk").values_list("pk", flat=True)[0],
        sync_operation=Operation.objects.filter(action="sync_from_vendor").values_list(
            "pk", flat=True
        )[0],
        person_id=Person.objects.order_by("pk").values_list("pk", flat=True)[0],
    )


def measure(built: Built, args: argparse.Namespace) -> int:
    from django.db import connection

    print(
        f"\ndatabase: {connection.settings_dict['NAME']}: {built.rows:,} API calls, "
        f"{built.operations:,} operations, 12 months"
    )
    disk(built.rows)
    print(
        f"\nPages, median ms ({args.runs} runs ours, {args.stock_runs} stock; Django's test "
        f"client in-process). Targets: <= {PAGE_TARGET_MS} ms; lists >= {RATIO_TARGET}x stock"
    )
    print(
        f"{'page':24} {'user':7} {'ours':>8} {'stock':>9} {'ratio':>7}  {'verdict':24} count shown"
    )
    table = time_pages(built, args)
    missed = [row for row in table if verdict(row) != "ok"]
    print(f"\n{len(table) - len(missed)} of {len(table)} page figures within target")
    retention(built)
    return 0


if __name__ == "__main__":
    sys.exit(main())
