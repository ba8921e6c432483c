"""The due-time dispatcher: a thread in the main process of every ``manage.py qcluster``.

Why a loop of our own rather than the broker's delays or django-q2 schedules: neither broker
delays a message (the ORM broker's ``lock`` and Redis lists deliver at once), and a django-q2
schedule is an ordinary task that waits behind the backlog it is meant to drain. The operations'
own rows already say when each is due (``next_attempt_at``, ``lease_until``, ``dispatched_at``), so
the thread reads them twice a second through indexes and hands over what is due
(``dispatch.dispatch_due``): a retry after a 429 leaves within half a second of its
``Retry-After``, whatever the queue holds. Every ``SWEEP_INTERVAL_SECONDS`` the pass is the
sweeper's (``dispatch.operations_sweep``), which also looks for lost broker messages.

Several clusters on several machines each run one; their claims skip each other's locked rows and
the sweeper's lost pass holds an advisory lock, so no operation is handed over twice. The thread
runs outside django-q2's worker processes (it is started after the cluster forked them), so it
never competes with a task for a worker and never sees a worker's recycled connection.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connections

from backoffice.operations.dispatch import dispatch_due, operations_sweep

logger = logging.getLogger(__name__)
# After an error (the database restarting, say), wait this long before the next pass.
ERROR_PAUSE_SECONDS = 5.0


class DueDispatcher(threading.Thread):
    """Hands due operations to the broker until ``stop()``."""

    def __init__(self) -> None:
        super().__init__(name="due-dispatcher", daemon=True)
        self.interval = float(settings.DISPATCH_INTERVAL_SECONDS)
        self.sweep_interval = float(settings.SWEEP_INTERVAL_SECONDS)
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        logger.info(
            "due-time dispatcher: every %.1f s, sweeping every %.0f s",
            self.interval,
            self.sweep_interval,
        )
        next_sweep = time.monotonic()
        pause = self.interval
        while not self._stopping.wait(pause):
            pause = self.interval
            try:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self.sweep_interval
                    operations_sweep()
                else:
                    counts = dispatch_due()
                    if any(counts.values()):
                        logger.info("due-time dispatcher: %s", counts)
            except Exception:
                logger.exception("due-time dispatcher: a pass failed; trying again shortly")
                connections.close_all()
                pause = ERROR_PAUSE_SECONDS
            finally:
                close_old_connections()
        connections.close_all()
        logger.info("due-time dispatcher stopped")
