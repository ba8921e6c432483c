"""When to try an operation again: capped exponential backoff with jitter, honouring Retry-After."""

from __future__ import annotations

import random

from django.conf import settings

RETRY_AFTER_JITTER_SECONDS = 1.0


def retry_delay(*, attempt: int, retry_after: float | None = None) -> float:
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
    delay = step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not a secret
    if retry_after is not None:
        # The vendor said when: not a moment before, and a little spread after.
        delay = retry_after + random.uniform(0, RETRY_AFTER_JITTER_SECONDS)  # noqa: S311
    return float(delay)
