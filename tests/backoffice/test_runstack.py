"""`make run`'s last step, `manage.py runstack`, as a newcomer meets it: real processes (the vendor
sandbox, a qcluster worker, the web server) on a database of its own, stopped with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from backoffice.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
READY = "Switchboard is running"
START_DEADLINE = 240
STOP_DEADLINE = 45
DEMO_LOGINS = {
    "admin": "superuser",
    "agent": "Support agent",
    "lead": "Support lead",
    "integrator": "Integration admin",
    "auditor": "Auditor",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    """One installation: its own SQLite file, ports and environment."""

    tmp: Path
    env: dict[str, str]
    web_port: int
    sandbox_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def db(self) -> Path:
        return self.tmp / "db.sqlite3"

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    def start(self, until: str = READY) -> Running:
        log = (self.tmp / f"runstack-{time.monotonic_ns()}.log").open("w+")
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runstack",
                "--addr",
                f"127.0.0.1:{self.web_port}",
                "--sandbox-port",
                str(self.sandbox_port),
                "--web-workers",
                "1",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        running = Running(process, log)
        running.wait_for(until)
        return running

    def count(self, table: str) -> int:
        with sqlite3.connect(self.db) as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608

    def processes(self) -> list[int]:
        """Every process on the machine started with this installation's environment."""
        mark = f"DATABASE_URL={self.env['DATABASE_URL']}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    environ = (entry / "environ").read_bytes()
                except OSError:
                    continue
                if mark in environ.split(b"\0"):
                    found.append(int(entry.name))
        return found


@dataclass
class Running:
    process: subprocess.Popen[str]
    log: object

    def output(self) -> str:
        self.log.seek(0)  # type: ignore[attr-defined]
        return str(self.log.read())  # type: ignore[attr-defined]

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + START_DEADLINE
        while text not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.5)

    def interrupt(self) -> int:
        """Ctrl-C, as the terminal sends it."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=STOP_DEADLINE)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "PYTEST_CURRENT_TEST"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        PYTHONUNBUFFERED="1",
    )
    made = Stack(tmp_path, env, free_port(), free_port())
    yield made
    for pid in made.processes():  # a failed test leaves nothing running
        os.kill(pid, signal.SIGKILL)


def log_in(stack: Stack, username: str, password: str) -> requests.Session:
    session = requests.Session()
    login = f"{stack.url}/admin/login/"
    page = session.get(login, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text
    session.post(
        f"{login}?next=/admin/",
        data={"csrfmiddlewaretoken": token[1], "username": username, "password": password},
        headers={"Referer": login},
        timeout=10,
    )
    return session


def test_it_sets_up_the_demo_syncs_it_serves_it_and_stops_on_ctrl_c(stack: Stack) -> None:
    stack.env["DEBUG"] = "1"
    stack.manage("migrate", "--noinput")

    first = stack.start()

    out = first.output()
    assert "First sync of the demo accounts from the vendor sandbox..." in out
    assert "Demo Thulium (Thulium): synced (40 customers, 40 tickets" in out
    assert "Demo HelpCrunch (HelpCrunch): synced (40 customers, 40 chats" in out
    assert "Demo Bony Viber (Bony.chat): synced (12 contacts)" in out
    banner = out[out.index(READY) :]
    for username, role in DEMO_LOGINS.items():
        assert re.search(rf"^\s+{username}\s+{DEMO_PASSWORD}\s+{role}$", banner, re.M), banner
    # The admin opens full: the agent sees the synced tickets.
    agent = log_in(stack, "agent", DEMO_PASSWORD)
    tickets = agent.get(f"{stack.url}/admin/backoffice/ticket/", timeout=10)
    assert tickets.status_code == 200
    assert "40 tickets" in tickets.text
    counts = {
        table: stack.count(f"backoffice_{table}")
        for table in ("vendoraccount", "user", "agentidentity", "ticket", "chatconversation")
    }
    assert counts == {
        "vendoraccount": 4,
        "user": 5,
        "agentidentity": 6,
        "ticket": 40,
        "chatconversation": 40,
    }

    assert first.interrupt() == 0
    assert "All processes stopped." in first.output()
    assert stack.processes() == []
    assert not listening(stack.web_port)
    assert not listening(stack.sandbox_port)

    # Again: everything reused, nothing doubled, no second first sync.
    second = stack.start()
    out = second.output()
    assert out.count("(exists)") == 4
    assert "First sync" not in out
    assert all(stack.count(f"backoffice_{table}") == n for table, n in counts.items()), (
        second.output()
    )
    assert second.interrupt() == 0
    assert stack.processes() == []


def test_it_finishes_a_first_sync_cut_short_by_ctrl_c_at_the_next_start(stack: Stack) -> None:
    stack.env["DEBUG"] = "1"
    stack.manage("migrate", "--noinput")
    cut = stack.start(until="First sync of the demo accounts")

    assert cut.interrupt() == 0
    assert "All processes stopped." in cut.output()
    assert stack.processes() == []

    again = stack.start()
    out = again.output()
    assert "First sync of the demo accounts from the vendor sandbox..." in out
    assert "Demo Thulium (Thulium): synced" in out
    assert stack.count("backoffice_ticket") == 40
    assert again.interrupt() == 0


def test_it_serves_production_with_gunicorn_and_no_demo(stack: Stack) -> None:
    stack.env.update(
        DEBUG="0",
        SECRET_KEY="a-production-like-key-for-this-test-only-0123456789abcdef",
        FIELD_ENCRYPTION_KEY="Tx1ZQb3dGSt5a0hH0GJ4pRrq6Xv0h7a0u3gk5Fh0tq0=",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
    )
    stack.manage("migrate", "--noinput")

    running = stack.start()

    out = running.output()
    assert "Demo" not in out
    login = requests.get(f"{stack.url}/admin/login/", timeout=10)
    assert login.status_code == 200
    assert login.headers["Server"].startswith("gunicorn")
    stylesheet = re.search(r'href="(/static/backoffice/admin\.[0-9a-f]{12}\.css)"', login.text)
    assert stylesheet, login.text
    css = requests.get(f"{stack.url}{stylesheet[1]}", timeout=10)
    assert css.status_code == 200
    assert "immutable" in css.headers["Cache-Control"]
    assert stack.count("backoffice_user") == 0
    assert stack.count("backoffice_vendoraccount") == 0
    assert not listening(stack.sandbox_port)

    assert running.interrupt() == 0
    assert stack.processes() == []
