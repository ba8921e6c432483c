"""Run the back-office's processes together; Ctrl-C stops them all.

In DEBUG (what `make run` uses) this is the demo: the vendor sandbox, the demo accounts, users and
agent identities, the accounts' first sync, then ``runserver``. Otherwise the static files are
collected and gunicorn serves the site (WhiteNoise serves the static files). A ``qcluster`` worker
runs beside the web server either way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from backoffice.demo import (
    DEMO_PASSWORD,
    SUPERUSER,
    Demo,
    demo_ensure,
    demo_first_sync_enqueue,
)
from backoffice.models import Operation, VendorAccount

SANDBOX_PORT = 8900
START_SECONDS = 30
FIRST_SYNC_SECONDS = 240
STOP_SECONDS = 30
DEMO_SYNC_SLICE_SECONDS = 8


class Stopped(Exception):
    """Ctrl-C (or SIGTERM) arrived while starting."""


class Command(BaseCommand):
    help = (
        "Start the web server and a qcluster worker together; in DEBUG also the vendor sandbox,"
        " the demo data and its first sync (runserver), otherwise gunicorn with the collected"
        " static files. Ctrl-C stops them all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="web server address")
        parser.add_argument(
            "--sandbox-port",
            type=int,
            default=SANDBOX_PORT,
            help="port of the vendor sandbox the demo accounts talk to (DEBUG)",
        )
        parser.add_argument(
            "--no-sandbox", action="store_true", help="do not start the vendor sandbox in DEBUG"
        )
        parser.add_argument(
            "--web-workers", type=int, default=2, help="gunicorn worker processes (production)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

        def stop(signum: int, frame: Any) -> None:
            self.stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            demo = self._start(options)
            self._banner(options["addr"], demo)
            while not self.stopping:
                exited = {n: p.returncode for n, p in self.children.items() if p.poll() is not None}
                if exited:
                    self.stderr.write(f"Stopped because a process exited: {exited}")
                    break
                time.sleep(0.5)
        except Stopped:
            pass
        finally:
            self._stop()

    def _start(self, options: dict[str, Any]) -> Demo | None:
        python = sys.executable
        demo = None
        if settings.DEBUG:
            sandbox_url = f"http://127.0.0.1:{options['sandbox_port']}"
            if not options["no_sandbox"]:
                self._sandbox(options["sandbox_port"])
            demo = demo_ensure(sandbox_url=sandbox_url)  # DEBUG only, as checked above
            for account, created in demo.accounts:
                state = "created" if created else "exists"
                self.stdout.write(f"Demo account {account.name!r} ({state}): {account.base_url}")
        else:
            self.stdout.write("Collecting the static files for WhiteNoise...")
            call_command("collectstatic", "--noinput", verbosity=0)
        worker_env = {}
        if settings.DEBUG and "SYNC_SLICE_SECONDS" not in os.environ:
            # Shorter sync slices than production's: Ctrl-C waits for the task under way, and a
            # demo should stop in seconds.
            worker_env["SYNC_SLICE_SECONDS"] = str(DEMO_SYNC_SLICE_SECONDS)
        self._spawn("worker", [python, "manage.py", "qcluster"], env=worker_env)
        if demo is not None:
            self._first_sync([account for account, _ in demo.accounts])
        if settings.DEBUG:
            web = [python, "manage.py", "runserver", "--noreload", options["addr"]]
        else:
            web = [
                python,
                "-m",
                "gunicorn",
                "backoffice.wsgi",
                "--bind",
                options["addr"],
                "--workers",
                str(options["web_workers"]),
                "--access-logfile",
                "-",
            ]
        self._spawn("web", web)
        host, port = options["addr"].rsplit(":", 1)
        self._wait_for("the web server to answer", lambda: _listening(int(port), host))
        return demo

    def _sandbox(self, port: int) -> None:
        if _listening(port):
            self.stdout.write(f"A vendor sandbox already answers on port {port}.")
            return
        sandbox = [sys.executable, "-m", "connectors.sandbox", "--port", str(port), "--quiet"]
        self._spawn("sandbox", sandbox)
        self._wait_for("the vendor sandbox to answer", lambda: _listening(port))

    def _first_sync(self, accounts: Sequence[VendorAccount]) -> None:
        """The demo accounts' first sync, so the admin opens full; later runs find them synced.
        A first sync an earlier run left unfinished is waited for too (the worker resumes it)."""
        batches = demo_first_sync_enqueue(accounts)
        syncs = Operation.objects.filter(account__in=accounts, action="sync_from_vendor")
        queued = [pk for batch in batches for pk in batch.operation_ids]
        unfinished = syncs.exclude(state__in=Operation.State.FINISHED).values_list("pk", flat=True)
        watched = (
            set(queued) | set(unfinished) if queued or any(b.skipped for b in batches) else set()
        )
        if not watched:
            return
        self.stdout.write("First sync of the demo accounts from the vendor sandbox...")
        deadline = time.monotonic() + FIRST_SYNC_SECONDS
        while watched:
            self._check_children()
            for operation in syncs.filter(pk__in=watched, state__in=Operation.State.FINISHED):
                watched.discard(operation.pk)
                self.stdout.write(f"  {operation.account}: {_sync_summary(operation)}")
            if watched and time.monotonic() > deadline:
                self.stdout.write("  ...still syncing; the worker goes on in the background.")
                return
            time.sleep(0.5)

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self._check_children()
        # Each child in its own process group, so the terminal's Ctrl-C reaches this command only
        # and the children are stopped in order, gunicorn's and qcluster's workers with them.
        self.children[name] = subprocess.Popen(  # noqa: S603
            command, start_new_session=True, env={**os.environ, **(env or {})}
        )

    def _check_children(self) -> None:
        if self.stopping:
            raise Stopped
        for name, process in self.children.items():
            if process.poll() is not None:
                raise CommandError(f"The {name} process exited ({process.returncode}).")

    def _wait_for(self, what: str, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not done():
            self._check_children()
            if time.monotonic() > deadline:
                raise CommandError(f"Gave up waiting for {what} after {START_SECONDS} s.")
            time.sleep(0.1)

    def _banner(self, addr: str, demo: Demo | None) -> None:
        lines = [
            "",
            f"Switchboard is running: http://{addr}/admin/   (Ctrl-C stops every process)",
        ]
        if demo is not None:
            lines.append("Demo logins (DEBUG only; this password never logs in when DEBUG is off):")
            for login in demo.logins:
                role = "superuser" if login.role == SUPERUSER else login.role
                password = login.password or "(its password was changed; not shown)"
                lines.append(f"  {login.username:<12} {password:<40} {role}")
            if any(login.password == DEMO_PASSWORD for login in demo.logins):
                lines.append("Start over with `make demo-reset`.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _stop(self) -> None:
        # One after the other: the web server, the worker (it finishes the task under way, whose
        # vendor calls need the sandbox still there), then the sandbox. Each leader stops its own
        # workers (gunicorn's, qcluster's); one that does not stop in time, or every one left
        # after a second Ctrl-C, is killed, group and all (an operation cut short is resumed by
        # the next worker: nothing is lost).
        hurry = False

        def kill_now(signum: int, frame: Any) -> None:
            nonlocal hurry
            hurry = True

        signal.signal(signal.SIGINT, kill_now)
        signal.signal(signal.SIGTERM, kill_now)
        if any(p.poll() is None for p in self.children.values()):
            self.stdout.write(
                "Stopping: the worker finishes the task under way (Ctrl-C again to kill it)..."
            )
        deadline = time.monotonic() + STOP_SECONDS
        for name, process in reversed(self.children.items()):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            while process.poll() is None and not hurry and time.monotonic() < deadline:
                time.sleep(0.1)
            if process.poll() is None:
                self.stderr.write(f"Killing the {name} process.")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.stdout.write("All processes stopped.")


def _sync_summary(operation: Operation) -> str:
    if operation.state != Operation.State.SUCCEEDED:
        return f"{operation.get_state_display().lower()}: {operation.last_error}"
    resources = (operation.result or {}).get("resources", {})
    read = [
        f"{sum(c.get(k, 0) for k in ('created', 'updated', 'unchanged'))} {resource}"
        for resource, c in resources.items()
    ]
    return "synced" + (f" ({', '.join(read)})" if read else "")


def _listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0
