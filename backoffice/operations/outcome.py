"""How a failed attempt ends: the retry policy, in one place and without the database.

``outcome_for`` decides what a vendor error leaves the operation as, from the error, the run's
last request and the operation's counters:

- **Retry** at a time: a 429 (at its ``Retry-After``), a 5xx, a connection failure that sent
  nothing, or a failed read. Backoff is capped and exponential with jitter (``retry_delay``).
- **Reconcile** at a time: a send that may have taken effect (a timeout after sending, a 502 or
  504 from a gateway; a 500 too where the vendor has a read to check it), or a failed read after
  a send: the next attempt reads the vendor before anything is sent again.
- **Fail**: a 4xx, or any error of an action that is never retried, in the vendor's words; or
  "Gave up after N attempts" once the account's attempts are spent.
- **Unknown**: a send that may have taken effect where nothing can check it, or attempts spent
  with a send unsettled: not "failed", which would invite a person to send it again.

Each outcome carries the message the operation keeps and whether ``needs_reconcile`` stays set.
The runner only applies it (``runner._Run.apply``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.utils.translation import ngettext

from backoffice.operations.action import describe_error
from connectors.errors import RateLimited, TransportError, VendorError
from connectors.transport import CallStart

# Statuses from a gateway in front of the vendor: the request may have been processed anyway.
GATEWAY_STATUSES = frozenset({502, 504})
# Statuses after which a send is checked with a read, where the handler has one.
SERVER_ERRORS_CHECKED = frozenset({500, *GATEWAY_STATUSES})
RETRY_AFTER_JITTER_SECONDS = 1.0

UNKNOWN_MESSAGE = (
    "The request may have reached the vendor, and the vendor offers no way to check. "
    "Check at the vendor, then retry or dismiss this operation."
)
UNSETTLED_MESSAGE = (
    "The last request may have reached the vendor; retrying checks at the vendor before "
    "sending it again."
)

Uniform = Callable[[float, float], float]


@dataclass(frozen=True)
class Retry:
    """Try again at ``at``; nothing is left to check at the vendor first."""

    at: datetime
    reason: str
    needs_reconcile: ClassVar[bool] = False


@dataclass(frozen=True)
class Reconcile:
    """Try again at ``at``, reading the vendor first: the last send may have taken effect."""

    at: datetime
    reason: str
    needs_reconcile: ClassVar[bool] = True


@dataclass(frozen=True)
class Fail:
    """Stop: sending it again would not help. A failed read can leave a send unsettled."""

    reason: str
    needs_reconcile: bool


@dataclass(frozen=True)
class Unknown:
    """Stop for a person: a send may have taken effect, and no run will settle it by itself."""

    reason: str
    needs_reconcile: ClassVar[bool] = True


Outcome = Retry | Reconcile | Fail | Unknown


def outcome_for(
    error: VendorError,
    last_call: CallStart | None,
    *,
    can_reconcile: bool,
    retries: bool,
    attempts: int,
    max_attempts: int,
    needs_reconcile: bool,
    now: datetime,
    uniform: Uniform = random.uniform,
) -> Outcome:
    """What ``error`` leaves the operation as.

    ``last_call`` is the run's latest request (None when nothing was sent); ``can_reconcile``
    and ``retries`` are the handler's; ``attempts`` counts this one; ``needs_reconcile`` is the
    flag as the attempt left it. ``uniform`` draws the jitter (``random.uniform``).
    """
    message = describe_error(error)
    retryable = error.retryable
    if last_call is not None and not last_call.idempotent:
        uncertain = _may_have_taken_effect(error)
        if uncertain and not can_reconcile:
            return Unknown(f"{message}. {UNKNOWN_MESSAGE}")
        # Where the vendor has a read to check it, a 500 too (it may come after the change was
        # made; a 503 says the vendor did not take it) is checked before anything is resent.
        # Otherwise the send itself failed for sure: nothing is left to reconcile.
        needs_reconcile = uncertain or (can_reconcile and error.status in SERVER_ERRORS_CHECKED)
        retryable = retryable or needs_reconcile
    # A failed read (the reconciling one, or a step after a send) settles nothing: the flag
    # stays, so the next attempt reads again before anything is resent.
    if not (retryable and retries):
        return Fail(message, needs_reconcile=needs_reconcile)
    if attempts >= max_attempts:
        gave_up = f"Gave up after {attempts_phrase(attempts)}: {message}"
        if needs_reconcile:
            return Unknown(f"{gave_up}. {UNSETTLED_MESSAGE}")
        return Fail(gave_up, needs_reconcile=False)
    retry_after = error.retry_after if isinstance(error, RateLimited) else None
    delay = retry_delay(attempt=max(attempts, 1), retry_after=retry_after, uniform=uniform)
    return retry_at(now + timedelta(seconds=delay), message, needs_reconcile=needs_reconcile)


def outcome_for_bug(exc: Exception, *, can_reconcile: bool, needs_reconcile: bool) -> Outcome:
    """A bug, or parameters the vendor client refuses before sending: another run would fail
    the same way, every time the lease lapses. It ends, in words a person can act on."""
    problem = f"{type(exc).__name__}: {exc}"
    if needs_reconcile:
        unsettled = UNSETTLED_MESSAGE if can_reconcile else UNKNOWN_MESSAGE
        return Unknown(f"{problem}. {unsettled}")
    return Fail(problem, needs_reconcile=False)


def retry_at(at: datetime, reason: str, *, needs_reconcile: bool) -> Retry | Reconcile:
    """Another attempt at ``at``; it starts with a vendor read while a send is unsettled."""
    return Reconcile(at, reason) if needs_reconcile else Retry(at, reason)


def retry_delay(
    *, attempt: int, retry_after: float | None = None, uniform: Uniform = random.uniform
) -> float:
    """Seconds to wait before attempt ``attempt + 1``, after ``attempt`` failed attempts.

    "Equal jitter": half of the exponential step is fixed, half random, so retries of a bulk
    action that failed together spread out instead of returning together.

    A ``Retry-After`` from the vendor replaces the backoff: it says when the vendor takes calls
    again, and waiting longer only leaves its window unused (the account's attempt bound still
    ends a vendor that keeps refusing). Operations paused together are spaced by the account's
    token bucket when they return, so up to a second of jitter is all they need.
    """
    base = float(settings.OPERATION_RETRY_BASE_SECONDS)
    cap = float(settings.OPERATION_RETRY_MAX_SECONDS)
    step = min(cap, base * 2 ** max(0, attempt - 1))
    delay = step / 2 + uniform(0, step / 2)
    if retry_after is not None:
        # The vendor said when: not a moment before, and a little spread after.
        delay = retry_after + uniform(0, RETRY_AFTER_JITTER_SECONDS)
    return float(delay)


def attempts_phrase(count: int) -> str:
    """How the give-up messages count: "1 attempt", "3 attempts"."""
    return ngettext("%(count)d attempt", "%(count)d attempts", count) % {"count": count}


def _may_have_taken_effect(error: VendorError) -> bool:
    """After a send: a timeout or a dropped connection once the bytes left, or a gateway's
    502/504 (the vendor behind it may have processed the request)."""
    if isinstance(error, TransportError):
        return error.sent
    return error.status in GATEWAY_STATUSES
