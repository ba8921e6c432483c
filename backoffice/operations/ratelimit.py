"""One token bucket per vendor account, in the database, shared by every worker process and machine.

The bucket refills continuously. Its size (the burst) and refill rate are chosen so that no 60 s
window ever holds more calls than the account's per-minute limit: ``burst + 60 * refill <= limit``.
A worker takes a token inside a short transaction that locks the bucket row (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite serialises writers, and the back-office opens its transactions
with ``BEGIN IMMEDIATE``), so two workers can never both take the last token.

When the next token is only a moment away the worker reserves it (the bucket goes below zero)
and waits that moment; when it is further away than ``RATE_LIMIT_MAX_WAIT_SECONDS`` the call is
deferred: ``RateDeferred`` tells the runner when to try again, and no worker sleeps through it.
A 429 pauses the whole account until its ``Retry-After``.

Deferred calls are given turns: each is told to come back one refill interval after the turn
given before it (``RateBucket.deferred_until``), so a backlog of thousands returns one by one at
the rate the bucket refills, finds its token waiting, and is not deferred again and again. That
is what keeps the account's limit used to the last call without a stampede at every refill.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.models import RateBucket, VendorAccount

# A 429 without Retry-After pauses the account this long.
DEFAULT_PAUSE_SECONDS = 60.0
# Calls of each minute's limit left unused, for requests that leave later than their token.
MARGIN_CALLS = 1


class RateDeferred(Exception):
    """No token soon enough: try again at ``until`` (nothing was sent)."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until
        self.reason = reason


@dataclass(frozen=True)
class BucketShape:
    burst: float
    refill_per_second: float

    @classmethod
    def for_limit(cls, per_minute: int) -> BucketShape:
        """A burst of one and a refill of the rest of the minute, less one call of margin.

        What the burst may take at once is paid back by a slower refill, so the total in any
        minute stays within the vendor's limit; the margin absorbs a request that leaves a little
        later than its token was taken (its audit row is committed in between). A bigger burst
        would cost sustained rate: a burst of 10 of 100 a minute leaves 90 a minute to a backlog.
        """
        limit = max(1, per_minute)
        burst = 1.0
        refill = max(limit - burst - MARGIN_CALLS, 1.0) / 60.0
        return cls(burst=burst, refill_per_second=refill)


def _bucket_locked(account_id: int, shape: BucketShape, now: datetime) -> RateBucket:
    bucket = RateBucket.objects.select_for_update().filter(account_id=account_id).first()
    if bucket is None:
        # First use of the account: create the full bucket; a concurrent creator wins harmlessly.
        RateBucket.objects.bulk_create(
            [RateBucket(account_id=account_id, tokens=shape.burst, refilled_at=now)],
            ignore_conflicts=True,
        )
        bucket = RateBucket.objects.select_for_update().get(account_id=account_id)
    return bucket


def rate_token_take(
    *, account: VendorAccount, max_wait: float | None = None, now: datetime | None = None
) -> float:
    """Take one token for ``account``; return how many seconds to wait before sending.

    Raises ``RateDeferred`` (taking nothing) when the account is paused or the token is further
    away than ``max_wait`` seconds.
    """
    if max_wait is None:
        max_wait = float(settings.RATE_LIMIT_MAX_WAIT_SECONDS)
    shape = BucketShape.for_limit(account.effective_rate_limit)
    with transaction.atomic():
        bucket = _bucket_locked(account.pk, shape, now or timezone.now())
        # Read the clock once the row is ours: a reading taken before waiting for the lock is
        # older than the refill another worker just saved.
        now = now or timezone.now()
        deferred = _deferral(bucket, shape, account, now, max_wait)
        if deferred is None:
            wait = _take(bucket, shape, now)
    # Raised once the turn it was given is committed.
    if deferred is not None:
        raise deferred
    return wait


def _deferral(
    bucket: RateBucket, shape: BucketShape, account: VendorAccount, now: datetime, max_wait: float
) -> RateDeferred | None:
    """Why and until when a call must not be sent now (its turn saved), or None."""
    if bucket.paused_until is not None and bucket.paused_until > now:
        return RateDeferred(
            _next_turn(bucket, shape, bucket.paused_until),
            f"{account.name} is paused by the vendor's rate limit until "
            f"{timezone.localtime(bucket.paused_until):%H:%M:%S}",
        )
    wait = _wait_for_token(bucket, shape, now)
    if wait > max_wait:
        return RateDeferred(
            _next_turn(bucket, shape, now + timedelta(seconds=wait)),
            f"{account.name} is at its rate limit ({account.effective_rate_limit}/min)",
        )
    return None


def _tokens(bucket: RateBucket, shape: BucketShape, now: datetime) -> float:
    # Clocks of different machines may disagree a little: never refill backwards.
    elapsed = max(0.0, (now - bucket.refilled_at).total_seconds())
    return min(shape.burst, bucket.tokens + elapsed * shape.refill_per_second)


def _wait_for_token(bucket: RateBucket, shape: BucketShape, now: datetime) -> float:
    tokens = _tokens(bucket, shape, now)
    return 0.0 if tokens >= 1 else (1 - tokens) / shape.refill_per_second


def _take(bucket: RateBucket, shape: BucketShape, now: datetime) -> float:
    wait = _wait_for_token(bucket, shape, now)
    bucket.tokens = _tokens(bucket, shape, now) - 1
    # Never back in time: the interval up to refilled_at is already in ``tokens``, and a
    # later taker must not be credited it twice.
    bucket.refilled_at = max(now, bucket.refilled_at)
    bucket.save(update_fields=["tokens", "refilled_at"])
    return wait


def _next_turn(bucket: RateBucket, shape: BucketShape, earliest: datetime) -> datetime:
    """The time a deferred call comes back: its own turn, one refill interval after the turn
    given before it (saved on the locked bucket), and never before ``earliest``."""
    step = timedelta(seconds=1 / shape.refill_per_second)
    last = bucket.deferred_until
    turn = earliest if last is None or last + step < earliest else last + step
    bucket.deferred_until = turn
    bucket.save(update_fields=["deferred_until"])
    return turn


def rate_limit_pause(
    *, account: VendorAccount, seconds: float | None, now: datetime | None = None
) -> datetime:
    """Stop every call to ``account`` for ``seconds`` (a 429's Retry-After); return the end."""
    shape = BucketShape.for_limit(account.effective_rate_limit)
    with transaction.atomic():
        now = now or timezone.now()
        until = now + timedelta(seconds=DEFAULT_PAUSE_SECONDS if seconds is None else seconds)
        bucket = _bucket_locked(account.pk, shape, now)
        if bucket.paused_until is None or bucket.paused_until < until:
            bucket.paused_until = until
        # The vendor's window is full: start again from an empty bucket when the pause ends.
        bucket.tokens = 0.0
        bucket.refilled_at = max(until, bucket.refilled_at)
        bucket.save(update_fields=["tokens", "refilled_at", "paused_until"])
        return bucket.paused_until


class RateLimiterHook:
    """The connectors' ``rate_limiter`` hook: take a token, wait the moment it needs, or defer."""

    def __init__(self, account: VendorAccount) -> None:
        self.account = account

    def __call__(self) -> None:
        wait = rate_token_take(account=self.account)
        if wait > 0:
            time.sleep(wait)
