"""Per-credential rate limits, as the vendors state them, over a sliding window.

Bony.chat allows 100 calls a minute per channel token, HelpCrunch 120 a minute per key (the
organisation), Thulium publishes no limit (0 = unlimited). A sliding window keeps the timestamps of
the accepted calls of the last `window` seconds, so `Retry-After` is exact: the moment the oldest
of them leaves the window. Refused calls are not counted.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping

DEFAULT_LIMITS = {"thulium": 0, "helpcrunch": 120, "bony": 100}
DEFAULT_WINDOW = 60.0


class RateLimiter:
    """Not thread-safe: the server holds its lock."""

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        *,
        window: float = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.initial_limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.initial_window = window
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """Back to the configured limits, with every counter empty."""
        self.limits = dict(self.initial_limits)
        self.window = self.initial_window
        self.calls: dict[tuple[str, str], deque[float]] = {}

    def configure(self, limits: Mapping[str, int], window: float | None = None) -> None:
        """Change limits (and the window) from now on; counters start afresh."""
        self.limits.update(limits)
        if window is not None:
            self.window = window
        self.calls.clear()

    def acquire(self, vendor: str, credential: str) -> int | None:
        """Count one call; None if allowed, else the seconds to wait (for `Retry-After`)."""
        limit = self.limits.get(vendor, 0)
        if limit <= 0:
            return None
        now = self.clock()
        calls = self.calls.setdefault((vendor, credential), deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(calls) >= limit:
            return max(1, math.ceil(calls[0] + self.window - now))
        calls.append(now)
        return None

    def to_json(self) -> dict[str, object]:
        return {"limits": dict(self.limits), "window_seconds": self.window}
