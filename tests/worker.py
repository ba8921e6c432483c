"""A real ``manage.py qcluster`` on the test database, for tests that need background workers.

``running_worker`` starts the cluster in its own process group with ``Q_SYNC=0`` (tests/settings.py:
tasks go to its workers, not inline) and stops it with SIGTERM, then kills the group if it does
not stop in time: none of the workers it forked may outlive it. The test process enqueues through
the database broker only when django-q2's ``Conf.SYNC`` is off there too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STOP_SECONDS = 30


def database_url_for_subprocesses() -> str:
    """``DATABASE_URL`` for another process to use the test database this test runs against."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"  # an absolute path: sqlite:////…/var/test.sqlite3
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


@dataclass
class Worker:
    """A running ``manage.py qcluster`` and the file its output goes to."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the worker stopped:\n{self.output()}"

    def stop(self) -> int:
        """SIGTERM, then the whole process group killed if it lingers; the cluster's exit code."""
        process = self.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        deadline = time.monotonic() + STOP_SECONDS
        while True:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return process.returncode
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                return process.returncode
            time.sleep(0.1)


@contextmanager
def running_worker(log: Path, *, env: Mapping[str, str] | None = None) -> Iterator[Worker]:
    """``manage.py qcluster`` on the test database until the block ends (``env``: settings such
    as ``Q_WORKERS`` or ``OPERATION_RETRY_BASE_SECONDS`` for the worker only)."""
    variables = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url_for_subprocesses(),
        "Q_SYNC": "0",
        "Q_WORKERS": "2",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=variables,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, log)
    try:
        yield worker
    finally:
        worker.stop()
