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
        limit = max(1, per_minute)
        burst = float(max(1, min(10, limit // 10)))
        # What the burst may take at once is paid back by a slower refill, so the total in any
        # minute stays within the vendor's limit.
        refill = max(limit - burst, 1.0) / 60.0
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
        if bucket.paused_until is not None and bucket.paused_until > now:
            raise RateDeferred(
                bucket.paused_until,
                f"{account.name} is paused by the vendor's rate limit until "
                f"{timezone.localtime(bucket.paused_until):%H:%M:%S}",
            )
        # Clocks of different machines may disagree a little: never refill backwards.
        elapsed = max(0.0, (now - bucket.refilled_at).total_seconds())
        tokens = min(shape.burst, bucket.tokens + elapsed * shape.refill_per_second)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / shape.refill_per_second
        if wait > max_wait:
            raise RateDeferred(
                now + timedelta(seconds=wait),
                f"{account.name} is at its rate limit ({account.effective_rate_limit}/min)",
            )
        bucket.tokens = tokens - 1
        # Never back in time: the interval up to refilled_at is already in ``tokens``, and a
        # later taker must not be credited it twice.
        bucket.refilled_at = max(now, bucket.refilled_at)
        bucket.save(update_fields=["tokens", "refilled_at"])
    return wait


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
