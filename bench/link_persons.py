"""Time linking contacts into persons: 12 000 contacts at three vendors, 1 000 per call.

    python bench/link_persons.py                        # a temporary SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/link_persons.py

Like bench/bulk_action.py (whose database handling it uses) it runs in a database of its own and
drops it at the end. The contacts are written in bulk without match keys, as a sync writes them;
each batch of 1 000 ids is then linked the way the sync does after an upsert. Every person has a
Thulium, a HelpCrunch and a Bony.chat contact sharing an e-mail written differently, and every
third one also a phone written three ways. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bulk_action import Refused, bench_database, django_setup

BATCH = 1000


def seed(people: int) -> list[int]:
    from backoffice.models import BonyChannelKind, Contact, VendorAccount
    from backoffice.vendors import Vendor

    accounts = [
        VendorAccount.objects.create(
            vendor=Vendor.THULIUM, name="Bench Thulium", base_url="https://b.thulium.com/api"
        ),
        VendorAccount.objects.create(
            vendor=Vendor.HELPCRUNCH,
            name="Bench HelpCrunch",
            base_url="https://api.helpcrunch.com/v1",
        ),
        VendorAccount.objects.create(
            vendor=Vendor.BONY,
            name="Bench Bony",
            base_url="https://app.bony.chat/api/v1",
            channel_kind=BonyChannelKind.MESSENGER,
        ),
    ]
    emails = ("klient{i}@example.pl", " Klient{i}@Example.PL", "KLIENT{i}@example.pl")
    phones = ("+48 601 {a:03d} {b:03d}", "0048601{a:03d}{b:03d}", "601-{a:03d}-{b:03d}")
    Contact.objects.bulk_create(
        (
            Contact(
                account=accounts[v],
                vendor_id=f"{v}-{i}",
                first_name="Klient",
                last_name=str(i),
                email=emails[v].format(i=i),
                phone=phones[v].format(a=i // 1000, b=i % 1000) if i % 3 == 0 else "",
            )
            for i in range(people)
            for v in range(3)
        ),
        batch_size=2000,
    )
    return list(Contact.objects.order_by("pk").values_list("pk", flat=True))


def run(people: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backoffice.models import Contact, Person
    from backoffice.people.linking import contacts_link_persons

    ids = seed(people)
    timings: list[float] = []
    queries: list[int] = []
    for start in range(0, len(ids), BATCH):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            contacts_link_persons(contact_ids=ids[start : start + BATCH])
            timings.append(time.perf_counter() - started)
        queries.append(len(captured))
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        contacts_link_persons(contact_ids=ids[start : start + BATCH])
    again = time.perf_counter() - started

    persons = Person.objects.count()
    unlinked = Contact.objects.filter(person__isnull=True).count()
    print(f"database: {connection.vendor}")
    print(f"contacts: {len(ids)} in {len(timings)} batches of {BATCH}")
    print(f"persons: {persons} (expected {people}), contacts without a person: {unlinked}")
    print(
        f"first pass: {sum(timings):.2f} s in all; per batch mean"
        f" {sum(timings) / len(timings) * 1000:.0f} ms, slowest {max(timings) * 1000:.0f} ms"
    )
    print(f"queries per batch: at most {max(queries)}")
    print(f"second pass (nothing to change): {again:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=4000, help="persons (3 contacts each)")
    parser.add_argument("--database", default="switchboard_bench_people")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    try:
        with bench_database(os.environ.get("DATABASE_URL"), args.database, keep=args.keep) as url:
            django_setup(url)
            run(args.people)
    except Refused as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
