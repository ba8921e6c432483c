"""Many machines: three ``manage.py qcluster`` processes, each in a process group of its own as on a
machine of its own, share the test database and one Redis broker and send chat messages through
one rate-limited HelpCrunch account to the live sandbox. One of them is killed outright (SIGKILL
to its whole group) while it works. Every operation still succeeds, each message reaches its
chat exactly once, the account's limit holds across the machines in every window of the
sandbox's journal, and the audit trail has a row for every request the sandbox received.

A duplicate here is a second copy of one operation's message in its chat, or a second POST of
it: each operation sends one text, unique within its chat. A run cut short by the kill may have
sent its message before it died; the run that takes the operation over must find it by reading
the chat (HelpCrunch's reconciliation), not send it again.

PostgreSQL only: machines share one PostgreSQL, never one SQLite file. Redis is required (CI
starts it in .ci/run): without it this test fails, never skips. Other runs share that Redis, so
each run's clusters, and this process's own enqueues, use a queue of their own (Q_CLUSTER_NAME).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.db import connection
from django_q.conf import Conf

from backoffice.models import ApiCall, ChatMessage, Operation, User, VendorAccount
from backoffice.operations.enqueue import operations_enqueue
from backoffice.operations.ratelimit import BucketShape
from connectors.sandbox.testing import SandboxHandle
from tests.factories import ChatConversationFactory
from tests.worker import Worker, django_q_conf_of_workers, running_worker

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
CLUSTERS = 3
WORKERS_PER_CLUSTER = 2
CHATS = 30  # of the sandbox's 40; one enqueue of 30 is handed to the broker by this process
ROUNDS = 3  # messages per chat
LIMIT = 300  # calls a minute, at the account and at the sandbox alike
KILL_AFTER = 20  # operations succeeded before a cluster is killed
LEASE_SECONDS = 15
DEADLINE_SECONDS = 60  # for the rest, after the kill
STOP_SECONDS = 10  # a cluster stops this soon after SIGTERM to its group
SLOW_SECONDS = 10  # the sandbox holds back its answer to the message the kill cuts short
# How much later than its token a request may reach the sandbox (commit, scheduling).
SLACK_SECONDS = 0.5
WINDOWS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="many machines share one PostgreSQL database; a SQLite file cannot be shared by "
        "machines (run with DATABASE_URL=postgres://...)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A django-q2 cluster name (and so a Redis queue) of this run's own; its keys go after."""
    name = f"test-{secrets.token_hex(6)}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    with suppress(redis.RedisError):
        for key in list(client.scan_iter(match=f"django_q:{name}:*")):
            client.delete(key)
    client.close()


def _assert_redis_reachable() -> None:
    try:
        with redis.Redis.from_url(REDIS_URL) as client:
            client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis at {REDIS_URL} is unreachable ({exc}): the clusters of this test share it "
            "as their broker. CI starts it (.ci/run); start it the same way."
        )


@pytest.fixture
def cluster_env(queue_name: str) -> dict[str, str]:
    return {
        "REDIS_URL": REDIS_URL,
        "Q_CLUSTER_NAME": queue_name,
        "Q_WORKERS": str(WORKERS_PER_CLUSTER),
        "OPERATION_LEASE_SECONDS": str(LEASE_SECONDS),
        "OPERATION_RETRY_BASE_SECONDS": "1",
        # The killed cluster's lost messages are looked for soon, not after the production pause.
        "SWEEP_INTERVAL_SECONDS": "2",
        "SWEEP_LOST_AFTER_SECONDS": "5",
    }


def _enqueue_to_the_clusters(
    monkeypatch: pytest.MonkeyPatch, cluster_env: dict[str, str], queue_name: str
) -> None:
    """This process sends its messages where the clusters listen: their broker, their queue,
    signed with their salt (django-q2 read Q_CLUSTER_NAME here at import, long before)."""
    conf = django_q_conf_of_workers(cluster_env)
    assert conf["CLUSTER_NAME"] == queue_name, f"the workers ignore Q_CLUSTER_NAME: {conf}"
    assert conf["REDIS"] == REDIS_URL, f"the workers do not use the Redis broker: {conf}"
    assert not conf["ORM"], conf
    for name, value in conf.items():
        monkeypatch.setattr(Conf, name, value)


def test_three_machines_lose_nothing_send_nothing_twice_and_share_one_limit_when_one_dies(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    queue_name: str,
    cluster_env: dict[str, str],
    sandbox: SandboxHandle,
    owner: User,
    helpcrunch_sandbox: VendorAccount,
) -> None:
    _assert_redis_reachable()
    _enqueue_to_the_clusters(monkeypatch, cluster_env, queue_name)
    account = helpcrunch_sandbox
    VendorAccount.objects.filter(pk=account.pk).update(rate_limit_per_minute=LIMIT)
    sandbox.set_limits(helpcrunch=LIMIT)
    conversations = [
        ChatConversationFactory(account=account, vendor_id=str(chat))
        for chat in range(1, CHATS + 1)
    ]
    started = time.monotonic()
    ids = [
        pk
        for text in _texts()
        for pk in operations_enqueue(
            actor=owner,
            action="send_message",
            targets=conversations,
            params={"text": text, "sender": "agent", "agent_id": None},
        ).operation_ids
    ]
    assert len(ids) == CHATS * ROUNDS
    chat_of = {c.pk: str(c.vendor_id) for c in conversations}

    with ExitStack() as machines:
        clusters = [
            machines.enter_context(running_worker(tmp_path / f"qcluster-{n}.log", env=cluster_env))
            for n in range(CLUSTERS)
        ]
        victim, cut_short = _kill_mid_write(clusters, sandbox, ids, chat_of)
        survivors = [cluster for cluster in clusters if cluster is not victim]
        _wait_until_finished(survivors, ids, logs=clusters)
        took = time.monotonic() - started
        for cluster in survivors:
            stopping = time.monotonic()
            assert cluster.stop(group=True) == 0, cluster.output()
            assert time.monotonic() - stopping < STOP_SECONDS, cluster.output()

    operations = Operation.objects.filter(pk__in=ids)
    not_done = operations.exclude(state=Operation.State.SUCCEEDED)
    assert not not_done.exists(), _states(ids)
    # The killed run's message had reached the chat: the run that took it over found it there.
    assert Operation.objects.get(pk=cut_short).result["reconciled"] is True
    _assert_each_message_once(sandbox, conversations)
    journal = sandbox.received("helpcrunch")
    busiest = _assert_within_the_limit(journal)
    _assert_audited(account, journal)
    print(
        f"\n{len(ids)} messages by {CLUSTERS} clusters in {took:.1f} s, {victim.log.stem} "
        f"killed mid-write; {len(journal)} requests; busiest windows: "
        + ", ".join(f"{w:g} s → {n}" for w, n in busiest.items())
    )


def _texts() -> list[str]:
    return [f"Wiadomość {n} z wielu maszyn." for n in range(1, ROUNDS + 1)]


def _kill_mid_write(
    clusters: Sequence[Worker], sandbox: SandboxHandle, ids: list[int], chat_of: dict[int, str]
) -> tuple[Worker, int]:
    """Once KILL_AFTER operations succeeded, the sandbox performs the next message but holds
    back its answer; the cluster whose worker sent it is killed (SIGKILL to its group) while it
    waits. Returns that cluster and the operation whose message it had sent."""
    operations = Operation.objects.filter(pk__in=ids)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while operations.filter(state=Operation.State.SUCCEEDED).count() < KILL_AFTER:
        _assert_alive(clusters, ids, deadline)
        time.sleep(0.1)
    sandbox.inject("slow", vendor="helpcrunch", method="POST", seconds=SLOW_SECONDS)
    while not (held := [r for r in sandbox.received("helpcrunch") if r["fault"] == "slow"]):
        _assert_alive(clusters, ids, deadline)
        time.sleep(0.02)
    body = json.loads(str(held[0]["body"]))
    (operation_id,) = [
        op.pk
        for op in operations
        if chat_of[op.target_id or 0] == str(body["chat"]) and op.params["text"] == body["text"]
    ]
    # django-q2 logs "processing operation N" when a worker takes the task and "Processed …
    # (operation N)" after; the sender is the one cluster with a take of it still open.
    while len(senders := [c for c in clusters if _holds(c, operation_id)]) != 1:
        _assert_alive(clusters, ids, deadline)
        time.sleep(0.02)
    (victim,) = senders
    victim.kill()
    assert operations.exclude(state__in=Operation.State.FINISHED).count() > 1, (
        "everything else finished before the kill; enqueue more"
    )
    return victim, operation_id


def _holds(cluster: Worker, operation_id: int) -> bool:
    log = cluster.output()
    taken = log.count(f"processing operation {operation_id} '")
    return taken > log.count(f"(operation {operation_id})")


def _wait_until_finished(
    survivors: Sequence[Worker], ids: list[int], logs: Sequence[Worker]
) -> None:
    unfinished = Operation.objects.filter(pk__in=ids).exclude(state__in=Operation.State.FINISHED)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while unfinished.exists():
        _assert_alive(survivors, ids, deadline, logs=logs)
        time.sleep(0.2)


def _assert_alive(
    clusters: Sequence[Worker],
    ids: list[int],
    deadline: float,
    logs: Sequence[Worker] | None = None,
) -> None:
    for cluster in clusters:
        cluster.assert_alive()
    if time.monotonic() > deadline:
        outputs = "\n".join(f"--- {c.log.name}\n{c.output()}" for c in logs or clusters)
        pytest.fail(f"not finished in time:\n{_states(ids)}\n{outputs}")


def _states(ids: list[int]) -> str:
    rows = Operation.objects.filter(pk__in=ids).exclude(state=Operation.State.SUCCEEDED)
    summary = Counter(Operation.objects.filter(pk__in=ids).values_list("state", flat=True))
    details = list(rows.values("pk", "state", "attempts", "last_error")[:20])
    return json.dumps({"states": summary, "not succeeded": details}, default=str)


def _assert_each_message_once(sandbox: SandboxHandle, conversations: list) -> None:
    """Each operation's text is in its chat once, at the vendor and in the mirror, and was
    POSTed once."""
    texts = _texts()
    chats = sandbox.state.helpcrunch.chats
    copies = {
        (c.vendor_id, text): [m.text for m in chats[int(c.vendor_id)].messages].count(text)
        for c in conversations
        for text in texts
    }
    assert {key: n for key, n in copies.items() if n != 1} == {}
    posts = [
        json.loads(str(r["body"]))
        for r in sandbox.received("helpcrunch")
        if r["method"] == "POST" and str(r["path"]).endswith("/messages")
    ]
    sent = Counter((str(p["chat"]), p["text"]) for p in posts)
    assert {key: n for key, n in sent.items() if n != 1} == {}
    assert len(sent) == len(copies)
    mirrored = ChatMessage.objects.filter(conversation__in=conversations, text__in=texts)
    assert mirrored.count() == len(copies)
    assert mirrored.values("vendor_id").distinct().count() == len(copies)


def _assert_within_the_limit(journal: list[dict[str, object]]) -> dict[float, int]:
    """No 429, and no window of the journal holds more than the account's bucket lets through:
    one burst and the refill of that long (never more than LIMIT in a minute). The limit binds:
    the busiest 10 s used at least half of what it allows."""
    assert [r for r in journal if r["status"] == 429] == []
    shape = BucketShape.for_limit(LIMIT)
    times = sorted(float(str(r["timestamp"])) for r in journal)
    busiest: dict[float, int] = {}
    for window in WINDOWS:
        most = max(sum(1 for t in times if first <= t <= first + window) for first in times)
        busiest[window] = most
        allowed = min(LIMIT, shape.burst + shape.refill_per_second * (window + SLACK_SECONDS))
        assert most <= allowed, (window, most, allowed)
    assert busiest[10.0] >= 0.5 * shape.refill_per_second * 10, busiest
    return busiest


def _assert_audited(account: VendorAccount, journal: list[dict[str, object]]) -> None:
    """Every request the sandbox received has its ApiCall row with its outcome, but those of the
    runs the kill cut short (at most one per killed worker); every row was closed, none left
    in flight, and each row's request reached the sandbox, but those cut short before it left."""
    calls = list(ApiCall.objects.filter(account=account).values("method", "url", "status_code"))
    assert not ApiCall.objects.filter(account=account, state=ApiCall.State.IN_FLIGHT).exists()

    def key(method: object, path: object, query: object) -> tuple[str, str, str]:
        return str(method), str(path), str(query or "")

    received = Counter(key(r["method"], r["path"], r["query"]) for r in journal)
    answered = Counter(
        key(c["method"], urlsplit(c["url"]).path, urlsplit(c["url"]).query)
        for c in calls
        if c["status_code"] is not None
    )
    cut_short = Counter(
        key(c["method"], urlsplit(c["url"]).path, urlsplit(c["url"]).query)
        for c in calls
        if c["status_code"] is None
    )
    assert sum(cut_short.values()) <= WORKERS_PER_CLUSTER, cut_short
    assert answered - received == Counter(), answered - received
    assert received - answered - cut_short == Counter(), received - answered
