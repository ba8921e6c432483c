"""Run the back-office's processes together for development; Ctrl-C stops them all."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

SANDBOX_PORT = 8900
SANDBOX_START_SECONDS = 15


class Command(BaseCommand):
    help = (
        "Start the web server and a qcluster worker together (and, in DEBUG, the vendor sandbox"
        " on 127.0.0.1:8900 the demo accounts talk to); stop them all on Ctrl-C."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="web server address")
        parser.add_argument(
            "--no-sandbox", action="store_true", help="do not start the vendor sandbox in DEBUG"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        children: dict[str, subprocess.Popen[bytes]] = {}
        if settings.DEBUG and not options["no_sandbox"]:
            if _listening(SANDBOX_PORT):
                self.stdout.write(f"A vendor sandbox already answers on port {SANDBOX_PORT}.")
            else:
                sandbox = [python, "-m", "connectors.sandbox", "--port", str(SANDBOX_PORT)]
                children["sandbox"] = subprocess.Popen([*sandbox, "--quiet"])  # noqa: S603
                # The worker's first scheduled syncs need it: wait until it answers.
                deadline = time.monotonic() + SANDBOX_START_SECONDS
                while not _listening(SANDBOX_PORT) and time.monotonic() < deadline:
                    if children["sandbox"].poll() is not None:
                        break
                    time.sleep(0.1)
        commands = {
            "worker": [python, "manage.py", "qcluster"],
            "web": [python, "manage.py", "runserver", "--noreload", options["addr"]],
        }
        children.update(
            {name: subprocess.Popen(cmd) for name, cmd in commands.items()}  # noqa: S603
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                exited = {n: p.returncode for n, p in children.items() if p.poll() is not None}
                if exited:
                    self.stderr.write(f"Stopped because a process exited: {exited}")
                    break
                time.sleep(0.5)
        finally:
            self._stop(children)

    def _stop(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        for process in children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, process in children.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time; killing it.")
                process.kill()
                process.wait()
        self.stdout.write("All processes stopped.")


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
