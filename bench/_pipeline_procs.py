"""The processes bench/pipeline.py drives: the vendor sandbox and ``manage.py qcluster``, each in
a process group of its own, with their output in a log file; and the memory they use.

Every process started here is remembered and its whole group killed by ``stop_all()``, which the
scenarios call on the way out, whatever happened (failure, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
STARTED: list[subprocess.Popen[bytes]] = []
READY_SECONDS = 60


class BenchError(Exception):
    """The bench itself could not go on (a process that would not start, a deadline)."""


def _spawn(argv: list[str], log: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            argv,
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a process group of its own: killed as a whole
        )
    STARTED.append(process)
    return process


def _wait_for(log: Path, pattern: str, process: subprocess.Popen[bytes]) -> re.Match[str]:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found
        if process.poll() is not None:
            raise BenchError(f"{process.args} exited:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    raise BenchError(f"{process.args} not ready after {READY_SECONDS} s (log: {log})")


def group_kill(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal the whole group, then wait until none of its processes is left."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.killpg(process.pid, signal.SIGKILL)
    process.poll()


def stop_all() -> None:
    while STARTED:
        group_kill(STARTED.pop())


# --- the sandbox ----------------------------------------------------------------------------------


@dataclass
class Sandbox:
    process: subprocess.Popen[bytes]
    base_url: str

    @classmethod
    def start(cls, log: Path, *, contacts: int, args: tuple[str, ...] = ()) -> Sandbox:
        argv = [sys.executable, "-m", "connectors.sandbox", "--port", "0", "--quiet"]
        argv += ["--seed-contacts", str(contacts), *args]
        process = _spawn(argv, log, os.environ)
        found = _wait_for(log, r"Sandbox on (http://127\.0\.0\.1:\d+)", process)
        return cls(process, found.group(1))

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(  # noqa: S310 - the sandbox, on loopback
            f"{self.base_url}/_sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise BenchError(
                f"sandbox {method} {path}: {error.code} {error.read()[:300]!r}"
            ) from None

    def journal(self, vendor: str | None = None) -> list[dict[str, Any]]:
        query = f"?vendor={vendor}" if vendor else ""
        return list(self.control("GET", f"requests{query}")["requests"])

    def stop(self) -> None:
        group_kill(self.process, signal.SIGINT)
        if self.process in STARTED:
            STARTED.remove(self.process)


# --- clusters -------------------------------------------------------------------------------------


@dataclass
class Cluster:
    """One ``manage.py qcluster``; restarted in place after a kill, its logs appended."""

    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)

    def start(self) -> None:
        marker = f"=== start {len(self.starts) + 1}"
        with self.log.open("a") as out:
            out.write(f"{marker}\n")
        self.process = _spawn([sys.executable, "manage.py", "qcluster"], self.log, self.env)
        _wait_for(self.log, re.escape(marker) + r"[\s\S]*Q Cluster .* running", self.process)
        self.starts.append(time.time())

    def kill(self) -> None:
        assert self.process is not None
        group_kill(self.process, signal.SIGKILL)
        STARTED.remove(self.process)

    def stop(self) -> float:
        """SIGTERM to the group; seconds until every process of it is gone (SIGKILL after 30)."""
        assert self.process is not None
        started = time.monotonic()
        group_kill(self.process, signal.SIGTERM)
        STARTED.remove(self.process)
        return time.monotonic() - started

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def rss_bytes(self) -> int:
        assert self.process is not None
        return group_rss(self.process.pid)


def group_rss(pgid: int) -> int:
    """Resident memory of every process in the group (psutil when installed, else /proc)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            if psutil is not None:
                total += psutil.Process(int(entry.name)).memory_info().rss
            else:
                status = (entry / "status").read_text()
                found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
                total += int(found.group(1)) * 1024 if found else 0
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        except Exception as exc:  # psutil.NoSuchProcess and friends
            if type(exc).__module__.startswith("psutil"):
                continue
            raise
    return total


def count_lines(text: str, *needles: str) -> int:
    """Lines that contain every one of ``needles``."""
    return sum(1 for line in text.splitlines() if all(n in line for n in needles))


# --- a database of its own ------------------------------------------------------------------------

MARK = "created by bench/pipeline.py"


@contextmanager
def fresh_database(url: str, name: str) -> Iterator[str]:
    """Yield the URL of a new, empty PostgreSQL database ``name`` on ``url``'s server; drop it
    afterwards (the name is random: no run of the bench meets another's)."""
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
        server.execute(f"COMMENT ON DATABASE \"{name}\" IS '{MARK}'")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django never set up: no connection to close
            pass
        with psycopg.connect(admin_url, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
