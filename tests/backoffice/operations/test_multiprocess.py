"""One account's rate limit holds across separate worker processes sharing the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice.operations.ratelimit import BucketShape
from tests.factories import ThuliumAccountFactory
from tests.worker import database_url_for_subprocesses

ROOT = Path(__file__).resolve().parents[3]
PROCESSES = 4
SECONDS = 2.5
MAX_WAIT = 1.0
LIMIT = 240  # a burst of 1, then 238 a minute (3.97 a second)
# How late a process may note a grant after the bucket made it (commit, scheduling).
SLACK = 0.1


def _spawn(account_id: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url_for_subprocesses(),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("token_taker.py")),
            str(account_id),
            str(SECONDS),
            str(MAX_WAIT),
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_holds_one_accounts_limit_across_four_worker_processes() -> None:
    account = ThuliumAccountFactory(rate_limit_per_minute=LIMIT)
    shape = BucketShape.for_limit(LIMIT)
    workers = [_spawn(account.pk) for _ in range(PROCESSES)]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line.strip() == "ready", worker.stderr.read() if worker.stderr else line
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=30) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    grants: list[list[float]] = []
    for worker, (out, err) in zip(workers, outputs, strict=True):
        lines = out.split()
        assert worker.returncode == 0, err
        assert lines[-1] == "done", err
        grants.append([float(t) for t in lines[:-1]])
    every = sorted(t for times in grants for t in times)
    start = every[0]

    # Every process was served, and together they used the burst and the refill ...
    assert all(times for times in grants), [len(t) for t in grants]
    assert len(every) >= shape.burst + 1
    # ... but no window, short or long, held more than the bucket allows.
    worst = {}
    for window in (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, SECONDS + MAX_WAIT):
        bound = shape.burst + shape.refill_per_second * (window + SLACK)
        busiest = max(sum(1 for t in every if first <= t <= first + window) for first in every)
        worst[window] = busiest
        assert busiest <= bound, (window, busiest, bound)
    print(
        f"\n{PROCESSES} processes, {LIMIT}/min (burst {shape.burst:g}, "
        f"{shape.refill_per_second:.2f}/s) for {SECONDS} s: grants per process "
        f"{[len(t) for t in grants]}, {len(every)} in all over "
        f"{every[-1] - start:.2f} s; most in any window: "
        + ", ".join(f"{w:g} s → {n}" for w, n in worst.items())
    )
