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
import shutil
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _audit_scale_data import END, START, Built, build
from _audit_scale_pages import (
    PAGE_TARGET_MS,
    RATIO_TARGET,
    pages,
    print_row,
    samples,
    shown_count,
    stock_site,
    urlconf,
    verdict,
)
from bulk_action import Refused, bench_database, django_setup

BYTES_TARGET = 1024
BODIES = ("request_body", "response_body")
# Disk the build needs at its peak, per API call (table, indexes being built, WAL), and spare.
BUILD_BYTES_PER_ROW = 3 * 1024
SPARE_BYTES = 2 * 2**30


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
            if args.only and not any(part in page.name for part in args.only):
                continue
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
    columns(rows)


def columns(rows: int) -> None:
    """The heap's bytes per row, column by column (a 1 % sample): where a row's bytes go."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT attname FROM pg_attribute WHERE attrelid = 'backoffice_apicall'::regclass
            AND attnum > 0 AND NOT attisdropped ORDER BY attnum"""
        )
        names = [name for (name,) in cursor.fetchall()]
        sizes = ", ".join(f'avg(pg_column_size("{name}"))' for name in names)
        cursor.execute(
            f"SELECT {sizes}, avg(pg_column_size(t.*)) FROM backoffice_apicall"  # noqa: S608
            " AS t TABLESAMPLE SYSTEM (1)"
        )
        averages = cursor.fetchone()
    print(f"  heap bytes per row, by column ({rows:,} rows, 1 % sample):")
    for name, size in zip([*names, "(whole row)"], averages, strict=True):
        print(f"    {name:40} {float(size or 0):8,.1f}")
    # A finished call's two bodies are one stream in response_body (request_body: a marker).
    bodies = sum(float(averages[names.index(name)] or 0) for name in BODIES)
    print(f"    {'(both bodies)':40} {bodies:8,.1f}")


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
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="time only the pages whose name holds TEXT (repeatable), e.g. 'q error'",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--disk-only", action="store_true", help="print the disk, then stop (no page timing)"
    )
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
    if args.disk_only:
        return 0
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
    if not args.only:  # a partial run leaves the oldest month for the next one
        retention(built)
    return 0


if __name__ == "__main__":
    sys.exit(main())
