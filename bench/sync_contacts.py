"""Time the sync of 10 000 sandbox contacts into the mirror: Thulium customers and HelpCrunch
customers (with their tags), through the real pipeline, against the vendor sandbox over loopback.

    python bench/sync_contacts.py                       # a temporary SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/sync_contacts.py

Like ``bulk_action.py``, it never writes to an existing database: with PostgreSQL it creates its
own (``switchboard_bench_sync``, or ``--database``), marked as the bench's, and drops it at the
end. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bulk_action import Refused, bench_database, django_setup

TARGET_SECONDS = 60.0
# Issue 15's target for the first sync of 10 000 Thulium customers, the vendors' limits lifted.
THULIUM_FIRST_SYNC_TARGET = 20.0


@dataclass
class Timed:
    seconds: float
    runs: int
    queries: int
    requests: int
    counts: dict[str, int]


def sync_contacts(account: Any, *, full: bool) -> Timed:
    """Queue one sync of ``account`` and run it, slice after slice, until its contacts
    (``customers``) are done; the timing covers every run, the operation's own writes included."""
    from django.db import connection

    from backoffice.actions.sync_from_vendor import account_syncs_enqueue
    from backoffice.models import ApiCall, Operation
    from backoffice.operations.runner import operation_run

    Operation.objects.filter(account=account).update(state="dismissed")  # the last one, if any
    (operation_id,) = account_syncs_enqueue(actor=None, accounts=[account], full=full).operation_ids
    runs = 0
    queries = 0

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        started = time.perf_counter()
        while True:
            operation_run(operation_id=operation_id)
            runs += 1
            operation = Operation.objects.get(pk=operation_id)
            if "customers" in (operation.result or {}).get("done", []):
                break
            if operation.state != "queued":
                raise SystemExit(f"the sync stopped: {operation.state} {operation.last_error}")
        seconds = time.perf_counter() - started
    return Timed(
        seconds=seconds,
        runs=runs,
        queries=queries,
        requests=ApiCall.objects.filter(operation_id=operation_id).count(),
        counts=operation.result["resources"]["customers"],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--database", default="switchboard_bench_sync", help="PostgreSQL only")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    try:
        with bench_database(os.environ.get("DATABASE_URL"), args.database, keep=args.keep) as url:
            # Loopback for the sandbox; one batch per run, so every page pays a run's whole
            # overhead (claim, client, summary, re-queue): the worst case.
            django_setup(url, ALLOW_LOOPBACK_VENDOR_URLS="1", SYNC_SLICE_SECONDS="0")
            return bench(args)
    except Refused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 2


def bench(args: argparse.Namespace) -> int:
    from django.db import connection

    from backoffice.models import Contact, VendorAccount
    from backoffice.vendors import Vendor
    from connectors.sandbox.testing import running_sandbox

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"sandbox:  {args.contacts:,} contacts per vendor, vendor rate limits lifted")
    started = time.perf_counter()
    with running_sandbox(contacts=args.contacts, limits={"helpcrunch": 0, "bony": 0}) as sandbox:
        print(f"          seeded in {time.perf_counter() - started:.1f} s")
        accounts = [
            VendorAccount.objects.create(
                vendor=Vendor.THULIUM,
                name="Bench Thulium",
                base_url=sandbox.thulium_url,
                api_login="sandbox",
                api_secret="sandbox",  # noqa: S106 - the sandbox's own
                rate_limit_per_minute=1_000_000,
                sync_interval_minutes=None,
            ),
            VendorAccount.objects.create(
                vendor=Vendor.HELPCRUNCH,
                name="Bench HelpCrunch",
                base_url=sandbox.helpcrunch_url,
                api_secret="sandbox",  # noqa: S106
                rate_limit_per_minute=1_000_000,
                sync_interval_minutes=None,
            ),
        ]
        worst = 0.0
        thulium_first = 0.0
        for account in accounts:
            print()
            print(f"{account.name}:")
            for label, full in (
                ("first sync (all new)", False),
                ("next sync (incremental)", False),
                ("full resync (all unchanged)", True),
            ):
                timed = sync_contacts(account, full=full)
                if label.startswith("first"):
                    worst = max(worst, timed.seconds)
                    if account.vendor == Vendor.THULIUM:
                        thulium_first = timed.seconds
                per_thousand = timed.queries / max(1, args.contacts) * 1000
                print(
                    f"  {label:<28} {timed.seconds:7.2f} s  {timed.requests:4} requests"
                    f"  {timed.runs:4} runs  {timed.queries:6} queries"
                    f" ({per_thousand:.0f} per 1,000 contacts)  {timed.counts}"
                )
            stored = Contact.objects.filter(account=account).count()
            print(f"  contacts in the mirror: {stored:,}")
            if stored != args.contacts:
                print("unexpected: the mirror does not hold every contact")
                return 1
    targets_print(args.contacts, worst=worst, thulium_first=thulium_first)
    return 0


def targets_print(contacts: int, *, worst: float, thulium_first: float) -> None:
    verdict = "within" if worst <= TARGET_SECONDS else "OVER"
    print()
    print(f"target: 10,000 contacts in under {TARGET_SECONDS:.0f} s per account: {verdict}")
    if contacts == 10_000:
        met = "within" if thulium_first <= THULIUM_FIRST_SYNC_TARGET else "OVER"
        print(
            f"target: Thulium first sync within {THULIUM_FIRST_SYNC_TARGET:.0f} s:"
            f" {thulium_first:.1f} s, {met}"
        )


if __name__ == "__main__":
    sys.exit(main())
