"""The Django side of bench/pipeline.py: settings, accounts and targets aimed at the sandbox,
operations enqueued as staff would, waiting for them, and checking the sandbox's state.

One scenario on one broker runs in a process of its own (settings are read once per process):
``django_start`` points it at a fresh database and gives the environment its clusters share.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import count, cycle
from typing import Any

from _pipeline_procs import ROOT, BenchError, Sandbox

TERMINAL = ("succeeded", "failed", "unknown", "dismissed")
NON_IDEMPOTENT = ("send_message", "reply_to_ticket")
BONY_TOKEN = "sandbox"  # noqa: S105 - the sandbox's own channel token
REDIS_URL = "redis://127.0.0.1:6379/0"


def django_start(database_url: str, broker: str) -> dict[str, str]:
    """Production settings on ``database_url`` with ``broker``; returns the environment a
    cluster gets (the same secrets, a cluster name no other run uses)."""
    from cryptography.fernet import Fernet

    sys.path.insert(0, str(ROOT))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + secrets.token_urlsafe(32),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOW_LOOPBACK_VENDOR_URLS": "1",
        "Q_CLUSTER_NAME": f"bench-{secrets.token_hex(6)}",
        "Q_SYNC": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    if broker == "redis":
        env["REDIS_URL"] = REDIS_URL
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    wanted = "redis" if broker == "redis" else "orm"
    if wanted not in settings.Q_CLUSTER or settings.Q_CLUSTER.get("sync"):
        raise BenchError(f"the settings did not switch django-q2 to its {wanted} broker")
    if settings.Q_CLUSTER["name"] != env["Q_CLUSTER_NAME"]:
        raise BenchError("the settings ignore Q_CLUSTER_NAME; a shared Redis needs it")
    call_command("migrate", verbosity=0, interactive=False)
    return {**env, "LOG_LEVEL": "INFO"}


def redis_forget(cluster_name: str) -> None:
    """Remove this run's keys from the shared Redis (only those under its own cluster name)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{cluster_name}*", count=1000):
        client.delete(key)


# --- accounts and targets -------------------------------------------------------------------------


def accounts(sandbox: Sandbox, *, lifted: bool, bony_tokens: tuple[str, ...] = ()) -> Any:
    """One account per vendor at the sandbox (more Bony channels if asked); ``lifted``: our own
    rate limit out of the way, so only the sandbox's (if any) applies."""
    from backoffice.models import BonyChannelKind, VendorAccount
    from backoffice.vendors import Vendor

    limit = 1_000_000 if lifted else None
    base = sandbox.base_url

    def make(vendor: str, name: str, path: str, **extra: Any) -> VendorAccount:
        return VendorAccount.objects.create(
            vendor=vendor,
            name=name,
            base_url=base + path,
            rate_limit_per_minute=limit,
            sync_interval_minutes=None,  # no scheduled syncs: only the bench's operations
            **extra,
        )

    made = {
        "thulium": make(
            Vendor.THULIUM,
            "Bench Thulium",
            "/thulium/api",
            api_login="sandbox",
            api_secret="sandbox",  # noqa: S106 - the sandbox's own credentials
        ),
        "helpcrunch": make(
            Vendor.HELPCRUNCH,
            "Bench HelpCrunch",
            "/helpcrunch/v1",
            api_secret="sandbox",  # noqa: S106
        ),
        "bony": make(
            Vendor.BONY,
            "Bench Bony",
            "/bony/api/v1",
            api_secret=BONY_TOKEN,
            channel_kind=BonyChannelKind.MESSENGER,
        ),
    }
    for token in bony_tokens:
        made[token] = make(
            Vendor.BONY,
            f"Bench Bony {token}",
            "/bony/api/v1",
            api_secret=token,
            channel_kind=BonyChannelKind.MESSENGER,
        )
    return made


def seeded(contacts: int) -> Any:
    """The sandbox's world as ``--seed-contacts`` builds it (deterministic: the same ids)."""
    from connectors.sandbox.seed import DEFAULT_SEED, seed_state
    from connectors.sandbox.state import SandboxState

    state = SandboxState()
    seed_state(state, seed=DEFAULT_SEED, contacts=contacts, bony_channels={BONY_TOKEN: "messenger"})
    return state


def bony_contacts(account: Any, ids: list[str]) -> list[Any]:
    from backoffice.models import Contact

    rows = [Contact(account=account, vendor_id=i, first_name="Bench") for i in ids]
    return Contact.objects.bulk_create(rows, batch_size=2000)


def mixed_targets(made: dict[str, Any], state: Any, sizes: dict[str, int]) -> dict[str, list[Any]]:
    """Mirror rows for the mixed scenarios: Bony and HelpCrunch contacts, Thulium tickets and
    HelpCrunch chats, taken from the sandbox's seeded ids."""
    from backoffice.models import ChatConversation, Contact, Ticket

    hc, th = made["helpcrunch"], made["thulium"]
    bony_ids = list(state.bony[BONY_TOKEN].contacts)[: sizes["bony"]]
    hc_ids = sorted(state.helpcrunch.customers)[: sizes["hc_customers"]]
    return {
        "bony": bony_contacts(made["bony"], bony_ids),
        "hc_customers": Contact.objects.bulk_create(
            [Contact(account=hc, vendor_id=str(i), first_name="Bench") for i in hc_ids]
        ),
        "tickets": Ticket.objects.bulk_create(
            [
                Ticket(account=th, vendor_id=str(i))
                for i in sorted(state.thulium.tickets)[: sizes["tickets"]]
            ]
        ),
        "chats": ChatConversation.objects.bulk_create(
            [
                ChatConversation(account=hc, vendor_id=str(i))
                for i in sorted(state.helpcrunch.chats)[: sizes["chats"]]
            ]
        ),
    }


# --- enqueueing -----------------------------------------------------------------------------------


def enqueue(action: str, targets: list[Any], params: Callable[[str], dict[str, Any]]) -> list[int]:
    """One bulk action; every operation's params carry a marker of its own (``[bench-000042]``)
    so its effect can be found at the vendor."""
    from backoffice.operations.enqueue import operations_enqueue

    def per_target(_: Any) -> dict[str, Any]:
        return {**params(f"[bench-{next(MARKERS):06d}]")}

    done = operations_enqueue(actor=None, action=action, targets=targets, params=per_target)
    if done.skipped:
        raise BenchError(f"{action}: {len(done.skipped)} skipped, e.g. {done.skipped[0].reason}")
    return done.operation_ids


MARKERS = count(1)


def tags(marker: str) -> dict[str, Any]:
    return {"tags": [{"name": f"bench{marker}"}]}


def enqueue_mix(targets: dict[str, list[Any]], total: int) -> list[int]:
    """``total`` operations, in these shares: Bony add_tags 30 %, HelpCrunch add_tags 15 %,
    HelpCrunch send_message 30 %, Thulium reply_to_ticket 25 % (several per chat and ticket)."""
    from connectors.sandbox.seed import HELPCRUNCH_AGENT_ID, THULIUM_AGENT_LOGIN

    def take(rows: list[Any], share: float) -> list[Any]:
        n = round(total * share)
        return [row for row, _ in zip(cycle(rows), range(n), strict=False)]

    ids = enqueue("add_tags", take(targets["bony"], 0.30), tags)
    ids += enqueue("add_tags", take(targets["hc_customers"], 0.15), tags)
    ids += enqueue(
        "send_message",
        take(targets["chats"], 0.30),
        lambda m: {
            "text": f"Bench message {m}",
            "sender": "agent",
            "agent_id": HELPCRUNCH_AGENT_ID,
        },
    )
    ids += enqueue(
        "reply_to_ticket",
        take(targets["tickets"], 0.25),
        lambda m: {
            "body": f"Bench reply {m}",
            "user_login": THULIUM_AGENT_LOGIN,
            "body_type": "PLAIN",
        },
    )
    return ids


# --- waiting and reading back ---------------------------------------------------------------------


def states(ids: list[int] | None = None) -> Counter[str]:
    from django.db.models import Count

    from backoffice.models import Operation

    rows = Operation.objects.all() if ids is None else Operation.objects.filter(pk__in=ids)
    return Counter(
        dict(rows.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    )


def terminal_count() -> int:
    from backoffice.models import Operation

    return Operation.objects.filter(state__in=TERMINAL).count()


def wait_terminal(total: int, seconds: float, *, alive: Callable[[], bool]) -> float | None:
    """Seconds until ``total`` operations are terminal, or None after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if terminal_count() >= total:
            return time.monotonic() - started
        if not alive():
            raise BenchError("a cluster stopped on its own")
        time.sleep(0.25)
    return None


def finish_times() -> list[datetime]:
    from backoffice.models import Operation

    return sorted(Operation.objects.exclude(finished_at=None).values_list("finished_at", flat=True))


@dataclass
class VendorCheck:
    duplicates: int  # non-idempotent changes present more than once
    lost: int  # succeeded operations whose change the vendor does not show
    done_but_not_succeeded: int  # failed / unknown, yet the change is there


def vendor_check(sandbox: Sandbox) -> VendorCheck:
    """Every operation's marker looked up in the sandbox's state of its target."""
    from backoffice.models import Operation

    seen: dict[str, list[str]] = {}
    dup = lost = done_not_ok = 0
    for op in Operation.objects.select_related("account").iterator():
        path = _state_path(op)
        if path not in seen:
            seen[path] = _items(sandbox.control("GET", path), op.action in NON_IDEMPOTENT)
        marker = _marker_of(op.params)
        found = sum(1 for item in seen[path] if marker in item)
        if op.action in NON_IDEMPOTENT and found > 1:
            dup += 1
        if op.state == "succeeded" and found == 0:
            lost += 1
        if op.state in ("failed", "unknown") and found:
            done_not_ok += 1
    return VendorCheck(dup, lost, done_not_ok)


def _items(state: dict[str, Any], messages: bool) -> list[str]:
    """A ticket's or chat's messages one by one (a message may repeat its text in several
    fields), or a contact as a whole (its tags)."""
    if messages:
        return [json.dumps(m, ensure_ascii=False) for m in state["messages"]]
    return [json.dumps(state, ensure_ascii=False)]


def _marker_of(params: dict[str, Any]) -> str:
    text = params.get("text") or params.get("body") or params["tags"][0]["name"]
    return text[text.index("[bench-") :]


def _state_path(op: Any) -> str:
    target = op.target
    vendor = op.account.vendor
    if op.action == "reply_to_ticket":
        return f"state/thulium/tickets/{target.vendor_id}"
    if op.action == "send_message":
        return f"state/helpcrunch/chats/{target.vendor_id}"
    if vendor == "helpcrunch":
        return f"state/helpcrunch/customers/{target.vendor_id}"
    token = op.account.api_secret.reveal()
    return f"state/bony/{token}/contacts/{urllib.parse.quote(target.vendor_id, safe='')}"


def attempts() -> int:
    """Runs that sent at least one request, over every operation."""
    from django.db.models import Sum

    from backoffice.models import Operation

    return int(Operation.objects.aggregate(n=Sum("attempts"))["n"] or 0)


def api_calls() -> int:
    from backoffice.models import ApiCall

    return ApiCall.objects.count()


def iter_429_gaps(retry_after: float) -> Iterator[float]:
    """For each 429 recorded: seconds from its answer to the operation's next request, minus
    the Retry-After."""
    from backoffice.models import ApiCall

    calls = ApiCall.objects.order_by("operation_id", "started_at", "pk")
    last: dict[int, Any] = {}
    for call in calls.values("operation_id", "status_code", "started_at", "finished_at"):
        before = last.get(call["operation_id"])
        if before is not None and before["status_code"] == 429 and before["finished_at"]:
            yield (call["started_at"] - before["finished_at"]).total_seconds() - retry_after
        last[call["operation_id"]] = call
