"""Webhook delivery: a queue, one background thread that POSTs, retries, faults and a journal.

The vendor modules queue `Outgoing`s (`outbox.py`) while they hold the state lock; queuing takes
only this module's own lock, briefly, so it never holds up the API request that caused it. The
thread sends with that lock released and never takes the state lock, so a receiver may call the
sandbox's APIs while it answers.

- One attempt is one `POST` with a timeout (`timeout` seconds, default 5). An answer outside
  2xx, or no answer (refused, dropped, timed out), is retried after `backoff` x 2^(n-1) seconds
  (1, 2, 4, ... by default) until `attempts` attempts in all (default 5); redirects are not
  followed (a 3xx is a failure). Retries wait behind nothing: other events keep going meanwhile,
  so a retried event can arrive after later ones, as with the vendors.
- Faults (`delivery_faults.py`) are chosen when an event is queued.
- The journal keeps every attempt: `seq`, `delivery` (the same for all attempts of one event to
  one URL), `vendor`, `event`, `event_id`, `url`, `attempt` (1 = the first), `status` (None
  without an answer), `error` (why there was no answer), `fault`, `final` (no attempt follows),
  `timestamp` (UNIX), `headers` (Authorization as `Basic [redacted]`), `body` (text) and
  `response` (the first 2,000 characters of the answer).
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from connectors.sandbox.delivery_faults import DeliveryFaultPlan
from connectors.sandbox.outbox import Outgoing

RESPONSE_KEPT = 2_000


@dataclass(frozen=True)
class DeliverySettings:
    attempts: int = 5  # in all, the first included
    backoff: float = 1.0  # seconds before the first redelivery, doubling after each
    timeout: float = 5.0  # seconds per attempt
    hold: float = 2.0  # the longest an out-of-order event waits for a next one

    def to_json(self) -> dict[str, object]:
        return {
            "attempts": self.attempts,
            "backoff_seconds": self.backoff,
            "timeout_seconds": self.timeout,
            "hold_seconds": self.hold,
        }


@dataclass
class Delivery:
    seq: int
    outgoing: Outgoing
    fault: str | None
    attempt: int = 1
    due: float = 0.0  # time.monotonic() after which it may go
    held_until: float | None = None  # an out-of-order event, waiting
    fixed: tuple[bytes, dict[str, str]] | None = field(default=None, repr=False)  # a duplicate
    copy: bool = False  # the second sending of a duplicated event

    @property
    def attempt_fault(self) -> str | None:
        """The fault that shaped this attempt: the first of the event (or of its copy)."""
        if self.attempt != 1 or (self.fault == "duplicate" and not self.copy):
            return None
        return self.fault


@dataclass(frozen=True)
class Result:
    status: int | None
    error: str | None
    response: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Result:
    """One POST, without following redirects; any failure to get an answer is a Result too."""
    parts = urlsplit(url)
    factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = factory(parts.hostname or "", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(RESPONSE_KEPT).decode("utf-8", errors="replace")
        return Result(response.status, None, text)
    except (OSError, http.client.HTTPException) as exc:
        return Result(None, f"{type(exc).__name__}: {exc}", "")
    finally:
        connection.close()


class Deliverer:
    def __init__(
        self,
        settings: DeliverySettings,
        faults: DeliveryFaultPlan,
        *,
        journal_size: int = 10_000,
        log: bool = False,
    ) -> None:
        self.initial_settings = self.settings = settings
        self.faults = faults
        self.log = log
        self.journal: deque[dict[str, object]] = deque(maxlen=journal_size)
        self._cond = threading.Condition()
        self._queue: list[Delivery] = []
        self._held: list[Delivery] = []
        self._busy = 0
        self._generation = 0
        self._ids = itertools.count(1)
        self._journal_ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- the sandbox's side ---

    def enqueue(self, outgoings: Iterable[Outgoing]) -> None:
        """Queue each, with the fault the plan picks for it (the caller holds the state lock)."""
        now = time.monotonic()
        with self._cond:
            for outgoing in outgoings:
                fault = self.faults.next_fault(outgoing.vendor, outgoing.event)
                delivery = Delivery(next(self._ids), outgoing, fault, due=now)
                if fault == "out_of_order":
                    delivery.held_until = now + self.settings.hold
                    self._held.append(delivery)
                else:
                    self._queue.append(delivery)
            self._start()
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + len(self._held) + self._busy

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued, held or being sent; False if `timeout` ran out first."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._queue and not self._held and not self._busy, timeout
            )

    def records(
        self, vendor: str | None = None, event: str | None = None
    ) -> list[dict[str, object]]:
        with self._cond:
            return [
                r
                for r in self.journal
                if vendor in (None, r["vendor"]) and event in (None, r["event"])
            ]

    def forget(self) -> None:
        with self._cond:
            self.journal.clear()

    def configure(self, settings: DeliverySettings) -> None:
        with self._cond:
            self.settings = settings

    def reset(self) -> None:
        """Drop what is queued or held (an attempt under way is not journaled or retried), forget
        the journal, settings back to the start."""
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._held.clear()
            self.journal.clear()
            self.settings = self.initial_settings
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=self.settings.timeout + 1)

    # --- the thread ---

    def _start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, daemon=True, name="sandbox-hooks")
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                picked = self._next()
                if picked is None:
                    return
                delivery, generation, settings = picked
            body, headers = delivery.fixed or delivery.outgoing.render(
                delivery.attempt - 1,
                bad_credentials=delivery.fault == "bad_signature" and delivery.attempt == 1,
            )
            result = post(delivery.outgoing.url, body, headers, settings.timeout)
            with self._cond:
                self._busy -= 1
                if generation == self._generation:
                    self._finish(delivery, body, headers, result, settings)
                self._cond.notify_all()

    def _next(self) -> tuple[Delivery, int, DeliverySettings] | None:
        """The next delivery due, waiting for one (None once closed). Holds the lock."""
        while not self._closed:
            now = time.monotonic()
            for held in [h for h in self._held if (h.held_until or 0) <= now]:
                self._release(held)
            due = [d for d in self._queue if d.due <= now]
            if due:
                delivery = min(due, key=lambda d: (d.due, d.seq))
                self._queue.remove(delivery)
                self._busy += 1
                return delivery, self._generation, self.settings
            wakes = [d.due for d in self._queue] + [h.held_until or now for h in self._held]
            self._cond.wait(timeout=max(0.0, min(wakes) - now) if wakes else None)
        return None

    def _release(self, held: Delivery) -> None:
        self._held.remove(held)
        held.held_until, held.due = None, 0.0  # ahead of everything already due
        self._queue.append(held)

    def _finish(
        self,
        delivery: Delivery,
        body: bytes,
        headers: dict[str, str],
        result: Result,
        settings: DeliverySettings,
    ) -> None:
        final = result.ok or delivery.attempt >= settings.attempts
        self._journal(delivery, body, headers, result, final)
        if delivery.attempt == 1 and delivery.fault == "duplicate" and not delivery.copy:
            twin = Delivery(next(self._ids), delivery.outgoing, "duplicate", fixed=(body, headers))
            twin.copy = True
            self._queue.append(twin)  # due at once, ahead of the rest
        if not (delivery.attempt == 1 and delivery.fault == "out_of_order"):
            for held in [h for h in self._held if h.outgoing.url == delivery.outgoing.url]:
                self._release(held)
        if not final:
            delivery.due = time.monotonic() + settings.backoff * 2 ** (delivery.attempt - 1)
            delivery.attempt += 1
            delivery.fixed = None
            self._queue.append(delivery)

    def _journal(
        self,
        delivery: Delivery,
        body: bytes,
        headers: dict[str, str],
        result: Result,
        final: bool,
    ) -> None:
        outgoing = delivery.outgoing
        shown = {k.lower(): v for k, v in headers.items()}
        if "authorization" in shown:
            shown["authorization"] = shown["authorization"].split(" ", 1)[0] + " [redacted]"
        self.journal.append(
            {
                "seq": next(self._journal_ids),
                "delivery": delivery.seq,
                "vendor": outgoing.vendor,
                "event": outgoing.event,
                "event_id": outgoing.event_id,
                "url": outgoing.url,
                "attempt": delivery.attempt,
                "status": result.status,
                "error": result.error,
                "fault": delivery.attempt_fault,
                "final": final,
                "timestamp": time.time(),
                "headers": shown,
                "body": body.decode("utf-8", errors="replace"),
                "response": result.response,
            }
        )
        if self.log:
            with contextlib.suppress(OSError):
                status = result.status if result.status is not None else "no answer"
                sys.stderr.write(
                    f"webhook {outgoing.vendor} {outgoing.event} -> {outgoing.url} {status} "
                    f"(attempt {delivery.attempt})\n"
                )
