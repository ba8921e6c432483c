"""``manage.py qcluster``: django-q2's cluster, plus the due-time dispatcher and a clean stop.

What this adds to django-q2's own command (whose options it keeps):

- **The due-time dispatcher** (``backoffice.operations.dispatcher``), a thread of this main
  process, started once the cluster has forked its processes.
- **A stop within ``QCLUSTER_STOP_SECONDS``**, however it is asked for: SIGTERM or SIGINT to this
  process, or to its whole process group (systemd's default ``KillMode=control-group``, Ctrl-C in
  a terminal). In django-q2 alone the sentinel process dies of its own SIGTERM at once (it keeps
  the default action) and its workers with it, mid-task, while the main process waits for a
  sentinel that is gone. Here only the main process acts on the signal: the sentinel and every
  process it forks ignore it, and the main process runs django-q2's orderly stop (the pusher
  first, then each worker after the task under way, then the monitor). A task still running
  three seconds before the end is released (``runner.release_on_signal``): its operation goes
  back to the dispatchers for another cluster, which reconciles anything it may have sent.
  Whatever is still alive at the end is killed.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

import psutil
from django.conf import settings
from django_q import cluster as q_cluster
from django_q.management.commands.qcluster import Command as DjangoQCommand

from backoffice.operations.dispatcher import DueDispatcher
from backoffice.operations.runner import release_on_signal

logger = logging.getLogger(__name__)
RELEASE_SIGNAL = signal.SIGUSR1
# Released runs get this long to hand their operations back before the processes are killed.
RELEASE_SECONDS = 3.0


class _Sentinel(q_cluster.Sentinel):  # type: ignore[misc]
    """django-q2's sentinel, deaf to SIGTERM (as it already is to SIGINT) and so are the pusher,
    monitor and workers it forks: the main process decides when and how they stop."""

    def __init__(
        self,
        stop_event: Any,
        start_event: Any,
        cluster_id: Any,
        broker: Any = None,
        timeout: Any = None,
        start: bool = True,
    ) -> None:
        super().__init__(stop_event, start_event, cluster_id, broker, timeout, start=False)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(RELEASE_SIGNAL, release_on_signal)
        if start:
            self.start()


class Command(DjangoQCommand):  # type: ignore[misc]
    def handle(self, *args: Any, **options: Any) -> None:
        settings.SECRET_KEY  # noqa: B018 - signing needs it: fail before starting anything
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        q_cluster.Sentinel = _Sentinel  # Cluster.start() looks the class up in its module
        cluster = q_cluster.Cluster()
        stop = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            logger.info("qcluster: %s received, stopping", signal.Signals(signum).name)
            stop.set()

        # Replaces django-q2's handlers, which stop the cluster inside the handler, unbounded.
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        cluster.start()
        dispatcher = DueDispatcher()
        dispatcher.start()
        if options.get("run_once"):
            stop.set()
        while not stop.wait(0.5):
            if not cluster.sentinel.is_alive():
                logger.error("qcluster: the sentinel died; stopping")
                break
        dispatcher.stop()
        _stop_within_grace(cluster, float(settings.QCLUSTER_STOP_SECONDS))
        dispatcher.join(timeout=2)


def _stop_within_grace(cluster: Any, grace: float) -> None:
    """django-q2's orderly stop; after ``grace - RELEASE_SECONDS`` the runs still going are
    released, and at ``grace`` whatever is left is killed."""
    deadline = time.monotonic() + grace
    sentinel = cluster.sentinel
    processes = _descendants(sentinel.pid)
    cluster.stop_event.set()
    sentinel.join(timeout=max(0.0, grace - RELEASE_SECONDS))
    if sentinel.is_alive():
        logger.warning("qcluster: tasks still running; releasing their operations")
        processes = _descendants(sentinel.pid) or processes
        for process in processes:
            _signal(process, RELEASE_SIGNAL)
        sentinel.join(timeout=max(0.0, deadline - time.monotonic()))
    if sentinel.is_alive():
        logger.error("qcluster: still running after %.0f s; killing what is left", grace)
        sentinel.kill()
    for process in processes:
        _signal(process, signal.SIGKILL)
    sentinel.join(timeout=1)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return []


def _signal(process: psutil.Process, signum: int) -> None:
    try:
        if process.is_running():
            process.send_signal(signum)
    except psutil.Error:
        pass  # already gone
