"""What the sandbox's two fault plans share: checked control payloads, and a plan of random
rates plus a queue of scripted faults (`faults.py` for the vendors' APIs, `delivery_faults.py`
for webhook deliveries).

Control payloads are checked here once: a bad one raises `ValueError`, which the control
endpoint answers as a 400 naming the key.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "FaultQueuePlan",
    "number",
    "optional_str",
    "probability",
    "reject_unknown",
    "vendor_list",
]


def reject_unknown(payload: Mapping[str, object], known: Iterable[str]) -> None:
    unknown = sorted(set(payload) - set(known))
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(unknown)}")


def number(payload: Mapping[str, object], name: str, default: float) -> float:
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a non-negative number")
    return float(value)


def probability(payload: Mapping[str, object], name: str, default: float) -> float:
    value = number(payload, name, default)
    if value > 1:
        raise ValueError(f"{name} is a probability, between 0 and 1")
    return value


def vendor_list(
    payload: Mapping[str, object], current: tuple[str, ...], known: tuple[str, ...]
) -> tuple[str, ...]:
    """The payload's ``vendors`` (a list drawn from ``known``), else ``current``."""
    vendors = payload.get("vendors", list(current))
    if not isinstance(vendors, list) or any(v not in known for v in vendors):
        raise ValueError(f"vendors must be a list drawn from {', '.join(known)}")
    return tuple(str(v) for v in vendors)


def optional_str(payload: Mapping[str, object], name: str) -> str | None:
    value = payload.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


class Scripted(Protocol):
    times: int

    def to_json(self) -> dict[str, object]: ...


class Rates(Protocol):
    def to_json(self) -> dict[str, object]: ...


RatesT = TypeVar("RatesT", bound=Rates)
ScriptedT = TypeVar("ScriptedT", bound=Scripted)
ChoiceT = TypeVar("ChoiceT")


class FaultQueuePlan(Generic[RatesT, ScriptedT]):
    """The current rates and the scripted queue. Not thread-safe: callers hold the state lock.

    A subclass names its rates' type (`rates_type`, whose defaults are "no faults") and its
    random stream (`stream`), and picks a fault with `take_scripted` and `roll`."""

    rates_type: Callable[[], RatesT]
    stream: str

    def __init__(self, rates: RatesT | None = None, *, seed: int = 1) -> None:
        self.initial_rates = rates or self.rates_type()
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.rates = self.initial_rates
        self.queue: list[ScriptedT] = []
        self.rng = random.Random(f"{self.seed}:{self.stream}")

    def push(self, scripted: ScriptedT) -> None:
        self.queue.append(scripted)

    def clear(self) -> None:
        self.rates = self.rates_type()
        self.queue.clear()

    def take_scripted(self, matches: Callable[[ScriptedT], bool]) -> ScriptedT | None:
        """The first queued fault that ``matches``, used once (and gone when used up)."""
        for scripted in self.queue:
            if matches(scripted):
                scripted.times -= 1
                if scripted.times <= 0:
                    self.queue.remove(scripted)
                return scripted
        return None

    def roll(self, choices: Iterable[tuple[float, ChoiceT]]) -> ChoiceT | None:
        """One roll of the random stream against the choices' probabilities, in their order."""
        roll = self.rng.random()
        for chance, choice in choices:
            if roll < chance:
                return choice
            roll -= chance
        return None

    def change(
        self,
        payload: Mapping[str, Any],
        *,
        read_rates: Callable[[Mapping[str, object], RatesT], RatesT],
        read_scripted: Callable[[object], ScriptedT],
    ) -> None:
        """The control endpoint's change: ``{"clear"?, "rates"?, "push"?}``. Everything is
        read first, so a bad payload changes nothing."""
        rates = payload.get("rates")
        if rates is not None and not isinstance(rates, dict):
            raise ValueError("rates must be an object")
        pushed = payload.get("push", [])
        scripted = [read_scripted(p) for p in (pushed if isinstance(pushed, list) else [pushed])]
        clear = bool(payload.get("clear"))
        base = self.rates_type() if clear else self.rates
        new_rates = read_rates(rates, base) if rates is not None else None
        if clear:
            self.clear()
        if new_rates is not None:
            self.rates = new_rates
        for fault in scripted:
            self.push(fault)

    def to_json(self) -> dict[str, object]:
        return {"rates": self.rates.to_json(), "queue": [s.to_json() for s in self.queue]}
