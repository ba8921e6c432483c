"""A real ``manage.py qcluster`` on the test database, for tests that need background workers.

``running_worker`` starts the cluster in its own process group with ``Q_SYNC=0`` (tests/settings.py:
tasks go to its workers, not inline) and stops it with SIGTERM, then kills the group if it does
not stop in time: none of the workers it forked may outlive it. ``Worker.kill`` is the other end:
the whole group killed at once, as a machine that loses its power. The test process enqueues
through the database broker only when django-q2's ``Conf.SYNC`` is off there too; for another
broker or queue, ``django_q_conf_of_workers`` tells it what the clusters' django-q2 settled on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
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

    def stop(self, *, group: bool = False) -> int:
        """SIGTERM (to the cluster's main process, or with ``group`` to every process of its
        group, as a service manager stops a unit), then the whole group killed if it lingers;
        the cluster's exit code."""
        process = self.process
        if process.poll() is None:
            if group:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return self._group_gone()

    def kill(self) -> int:
        """SIGKILL to every process of the group at once (no handler runs, nothing is handed
        back); returns when all of them are gone, with the cluster's exit code."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return self._group_gone()

    def _group_gone(self) -> int:
        """Wait for the workers the cluster forked to end too (killed if they linger)."""
        process = self.process
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


def worker_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a worker started by ``running_worker`` with ``env`` gets."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url_for_subprocesses(),
        "Q_SYNC": "0",
        "Q_WORKERS": "2",
        **(env or {}),
    }


# What a worker's django-q2 decided from the settings and the environment (django_q/conf.py reads
# Q_CLUSTER_NAME at import): the broker, the queue's name and the salt its messages are signed with.
_CONF_PROBE = """
import json, django
django.setup()
from django_q.conf import Conf
names = ("PREFIX", "CLUSTER_NAME", "REDIS", "ORM", "BROKER_CLASS", "SYNC")
print(json.dumps({name: getattr(Conf, name) for name in names}))
"""


def django_q_conf_of_workers(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """django-q2's ``Conf`` values in a worker started with ``env``, for the test process to send
    its own messages where the workers listen (patch them onto its ``Conf``)."""
    probe = subprocess.run(
        [sys.executable, "-c", _CONF_PROBE],
        cwd=ROOT,
        env=worker_environment(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, (
        f"django-q2 does not start with {dict(env or {})}:\n{probe.stderr}"
    )
    conf: dict[str, object] = json.loads(probe.stdout.strip().splitlines()[-1])
    return conf


@contextmanager
def running_worker(log: Path, *, env: Mapping[str, str] | None = None) -> Iterator[Worker]:
    """``manage.py qcluster`` on the test database until the block ends (``env``: settings such
    as ``Q_WORKERS`` or ``OPERATION_RETRY_BASE_SECONDS`` for the worker only)."""
    variables = worker_environment(env)
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
