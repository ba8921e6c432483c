"""Run the back-office's processes together for development; Ctrl-C stops them all."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server and a qcluster worker together; stop both on Ctrl-C."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="web server address")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        commands = {
            "worker": [python, "manage.py", "qcluster"],
            "web": [python, "manage.py", "runserver", "--noreload", options["addr"]],
        }
        children = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}  # noqa: S603
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
