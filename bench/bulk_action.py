"""Time one bulk admin action: ``add_tags`` on 10 000 Bony.chat contacts, "select all" in the list.

    python bench/bulk_action.py                        # a temporary SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bulk_action.py

It never writes to an existing database: with PostgreSQL it creates its own database
(``switchboard_bench`` on the server ``DATABASE_URL`` points at, or ``--database``), marked as the
bench's, and drops it at the end; it refuses a database of that name that it did not create.
Tasks are enqueued with django-q2's ORM broker as in production, and no worker runs, so the
figures are the staff member's request alone. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MARK = "created by bench/bulk_action.py"
ACTION = "add_tags"
TAGS = "bench-vip, bench-2026"


# --- a database of its own --------------------------------------------------------------------


class Refused(Exception):
    pass


@contextmanager
def bench_database(url: str | None, name: str, *, keep: bool) -> Iterator[str]:
    """Yield the DATABASE_URL of a fresh, empty database; drop it afterwards."""
    if not url or url.startswith("sqlite"):
        directory = tempfile.mkdtemp(prefix="switchboard-bench-")
        try:
            yield f"sqlite:///{directory}/bench.sqlite3"
        finally:
            if keep:
                print(f"kept {directory}/bench.sqlite3")
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return
    import psycopg

    parts = urlsplit(url)
    # The server's maintenance database, as Django's own test runner uses: the database named
    # in DATABASE_URL is only a way to find the server and need not exist.
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as server:
        row = server.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row is not None:
            if row[0] != MARK:
                raise Refused(f"database {name!r} exists and was not created by this bench")
            server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # a leftover of ours
        server.execute(f'CREATE DATABASE "{name}"')
        server.execute(f"COMMENT ON DATABASE \"{name}\" IS '{MARK}'")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(admin_url, autocommit=True) as server:
                server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def django_setup(database_url: str, **extra: str) -> None:
    """Production settings (DEBUG off, ORM broker, not sync) on the bench's own database;
    ``extra`` sets more variables (e.g. ``ALLOW_LOOPBACK_VENDOR_URLS="1"``)."""
    from cryptography.fernet import Fernet

    sys.path.insert(0, str(ROOT))
    for name in ("REDIS_URL", "Q_SYNC"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "backoffice.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-" + Fernet.generate_key().decode(),
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    import django

    django.setup()
    from django.conf import settings

    if "orm" not in settings.Q_CLUSTER or settings.Q_CLUSTER.get("sync"):
        raise SystemExit("the bench needs django-q2's ORM broker, not sync mode")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- data ---------------------------------------------------------------------------------------


def seed(contacts: int) -> Any:
    from backoffice.models import BonyChannelKind, Contact, User, VendorAccount
    from backoffice.vendors import Vendor

    account = VendorAccount.objects.create(
        vendor=Vendor.BONY,
        name="Bench Bony Messenger",
        base_url="https://app.bony.chat/api/v1",
        channel_kind=BonyChannelKind.MESSENGER,
        api_secret="bench-channel-token",  # noqa: S106 - never sent: no worker runs
    )
    Contact.objects.bulk_create(
        (
            Contact(
                account=account,
                vendor_id=str(1776025372480910 + i),
                first_name="Zofia",
                last_name=f"Wiśniewska-{i}",
                email=f"zofia{i}@example.pl",
            )
            for i in range(contacts)
        ),
        batch_size=2000,
    )
    return User.objects.create_superuser("bench", "bench@example.org", None)


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    status: int
    message: str
    operations: int
    broker_messages: int
    peak_bytes: int | None = None


def post_action(client: Any, url: str, payload: dict[str, Any], *, memory: bool) -> Run:
    from django.contrib.messages import get_messages
    from django_q.models import OrmQ

    from backoffice.models import Operation

    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.post(url, payload)
    seconds = time.perf_counter() - started
    peak = None
    if memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    message = " | ".join(str(m) for m in get_messages(response.wsgi_request))
    return Run(
        seconds=seconds,
        status=response.status_code,
        message=message,
        operations=Operation.objects.count(),
        broker_messages=OrmQ.objects.count(),
        peak_bytes=peak,
    )


def reset() -> None:
    from django_q.models import OrmQ

    from backoffice.models import Operation, audit_retention

    with audit_retention():  # the audit trail refuses deletions anywhere else
        Operation.objects.all().delete()
    OrmQ.objects.all().delete()


def time_service(contacts_qs: Any, user: Any) -> tuple[float, int]:
    """``operations_enqueue`` alone, with the queryset the action hands it."""
    from backoffice.operations.enqueue import operations_enqueue

    started = time.perf_counter()
    result = operations_enqueue(
        actor=user,
        action=ACTION,
        targets=contacts_qs.prefetch_related(None).select_related("account"),
        params={"tags": [{"name": n.strip()} for n in TAGS.split(",")]},
    )
    return time.perf_counter() - started, result.count


def time_fan_out() -> tuple[float, int]:
    """The dispatcher's side, for scale: the bulk action's operations handed to the broker, one
    message each, in batches (what a cluster's due-time dispatcher does within half a second)."""
    from django_q.models import OrmQ

    from backoffice.models import Operation
    from backoffice.operations.dispatch import operation_group_dispatch

    group_id = Operation.objects.values_list("group_id", flat=True).first()
    before = OrmQ.objects.count()
    started = time.perf_counter()
    operation_group_dispatch(group_id=group_id)
    return time.perf_counter() - started, OrmQ.objects.count() - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--database", default="switchboard_bench", help="PostgreSQL only")
    parser.add_argument("--profile", action="store_true", help="cProfile the admin request")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    try:
        with bench_database(os.environ.get("DATABASE_URL"), args.database, keep=args.keep) as url:
            django_setup(url)
            return bench(args)
    except Refused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 2


def bench(args: argparse.Namespace) -> int:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from backoffice.models import Contact

    user = seed(args.contacts)
    client = Client()
    client.force_login(user)
    url = reverse("admin:backoffice_contact_changelist")
    first = Contact.objects.order_by("-id").values_list("pk", flat=True).first()
    selection = {"action": ACTION, "select_across": "1", "_selected_action": [str(first)]}
    # What a staff member types in the action's form: two tag names.
    payload = {**selection, "names": TAGS, "apply": "Add tags"}

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"contacts: {Contact.objects.count():,} Bony.chat contacts with vendor ids")
    print(f"action:   {ACTION} (the Contact changelist's own action, intermediate form)")
    print(f"posted:   {sorted(k for k in payload if k != '_selected_action')}")

    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    timed = post_action(client, url, payload, memory=False)
    if profiler:
        profiler.disable()
    if timed.status != 302 or timed.operations != args.contacts:
        print(f"unexpected: HTTP {timed.status}, {timed.operations} operations; {timed.message}")
        return 1
    fan_out_seconds, fanned = time_fan_out()
    reset()
    measured = post_action(client, url, payload, memory=True)
    reset()
    service_seconds, service_count = time_service(Contact.objects.all(), user)

    print()
    print(f"admin request (select all, apply): {timed.seconds:.3f} s  -> HTTP {timed.status}")
    print(f"  message:          {timed.message}")
    print(f"  operations:       {timed.operations:,}")
    print(f"  broker messages:  {timed.broker_messages:,} queued (> 50: the dispatcher fans out)")
    print(
        f"  peak memory:      {measured.peak_bytes / 2**20:.1f} MiB (tracemalloc, second run;"
        f" that run took {measured.seconds:.3f} s under tracing)"
    )
    print(f"operations_enqueue alone:          {service_seconds:.3f} s ({service_count:,} ops)")
    print(f"fan-out (the dispatcher, next):  {fan_out_seconds:.3f} s -> {fanned:,} more messages")
    target = 2.0
    verdict = "within" if timed.seconds <= target else "OVER"
    print(f"target: <= {target:.0f} s for the request: {verdict}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
