"""Fault injection: random rates and a deterministic queue of scripted faults.

Kinds of fault:
- `error`: answer `status` (default 503) with a gateway's HTML page; the request is not performed.
- `refuse`: the vendor itself refuses the request: `status` (a 4xx, default 422) in its own error
  format with `message` (default "Unprocessable Entity"); not performed. A record the vendor
  will not hand over, where `error` is the gateway in front of it failing.
- `rate_limit`: answer the vendor's own 429 body with `Retry-After: retry_after`; not performed.
- `drop`: close the connection without answering; not performed.
- `slow`: perform the request, then wait `seconds` before answering, so a client whose timeout is
  shorter gives up on a write that *did* happen (the vendor's side is already changed).
- `drop_after_write`: perform the request, then close the connection without answering: a vendor
  that did the write but whose response was lost.

A scripted fault applies to the next `times` requests that match its `vendor`, `method` and
`path_prefix` (each optional; the prefix is compared with the full path, e.g.
`/bony/api/v1/contact`, and with the path below the vendor's mount, e.g. `/contact`). Scripted
faults are consumed in the order they were pushed and win over the random rates, which are rolled
on a `random.Random` seeded from the sandbox's seed, so the same requests meet the same faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from connectors.sandbox.plans import (
    FaultQueuePlan,
    number,
    optional_str,
    probability,
    reject_unknown,
    vendor_list,
)

KINDS = ("error", "refuse", "slow", "drop", "drop_after_write", "rate_limit")
REFUSE_STATUS = 422
REFUSE_MESSAGE = "Unprocessable Entity"
VENDORS = ("thulium", "helpcrunch", "bony")


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 503
    seconds: float = 0.0
    retry_after: int = 1
    message: str = ""


@dataclass
class ScriptedFault:
    fault: Fault
    vendor: str | None = None
    method: str | None = None
    path_prefix: str | None = None
    times: int = 1

    def matches(self, vendor: str, method: str, path: str, relative_path: str) -> bool:
        if self.vendor is not None and self.vendor != vendor:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        prefix = self.path_prefix
        return prefix is None or path.startswith(prefix) or relative_path.startswith(prefix)

    def to_json(self) -> dict[str, object]:
        return {
            **asdict(self.fault),
            "vendor": self.vendor,
            "method": self.method,
            "path_prefix": self.path_prefix,
            "times": self.times,
        }


@dataclass(frozen=True)
class FaultRates:
    """Probabilities (0-1) rolled once per vendor request, in this order."""

    error: float = 0.0
    error_status: int = 503
    drop: float = 0.0
    rate_limit: float = 0.0
    retry_after: int = 1
    slow: float = 0.0
    slow_seconds: float = 5.0
    vendors: tuple[str, ...] = ()  # empty: every vendor

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "vendors": list(self.vendors)}


class FaultPlan(FaultQueuePlan[FaultRates, ScriptedFault]):
    """The API faults' rates and scripted queue (`plans.FaultQueuePlan`)."""

    rates_type = FaultRates
    stream = "faults"

    def next_fault(self, vendor: str, method: str, path: str, relative_path: str) -> Fault | None:
        scripted = self.take_scripted(lambda s: s.matches(vendor, method, path, relative_path))
        if scripted is not None:
            return scripted.fault
        rates = self.rates
        if rates.vendors and vendor not in rates.vendors:
            return None
        return self.roll(
            (
                (rates.error, Fault("error", status=rates.error_status)),
                (rates.drop, Fault("drop")),
                (rates.rate_limit, Fault("rate_limit", retry_after=rates.retry_after)),
                (rates.slow, Fault("slow", seconds=rates.slow_seconds)),
            )
        )


# --- reading faults from JSON (the control endpoint) -----------------------------------------


def scripted_from_json(payload: object) -> ScriptedFault:
    if not isinstance(payload, dict):
        raise ValueError("each fault must be an object")
    reject_unknown(
        payload,
        {
            "kind",
            "status",
            "seconds",
            "retry_after",
            "message",
            "vendor",
            "method",
            "path_prefix",
            "times",
        },
    )
    kind = payload.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    refuse = kind == "refuse"
    status = _status(number(payload, "status", REFUSE_STATUS if refuse else 503))
    if refuse and status >= 500:
        raise ValueError("a refusal's status is a 4xx")
    vendor = optional_str(payload, "vendor")
    if vendor is not None and vendor not in VENDORS:
        raise ValueError(f"vendor must be one of {', '.join(VENDORS)}")
    fault = Fault(
        kind=str(kind),
        status=status,
        seconds=number(payload, "seconds", 0.0),
        retry_after=int(number(payload, "retry_after", 1)),
        message=optional_str(payload, "message") or (REFUSE_MESSAGE if refuse else ""),
    )
    times = int(number(payload, "times", 1))
    if times < 1:
        raise ValueError("times must be at least 1")
    method = optional_str(payload, "method")
    return ScriptedFault(
        fault=fault,
        vendor=vendor,
        method=method.upper() if method else None,
        path_prefix=optional_str(payload, "path_prefix"),
        times=times,
    )


def rates_from_json(payload: Mapping[str, object], current: FaultRates) -> FaultRates:
    """`current` with the fields present in `payload` changed."""
    reject_unknown(payload, set(FaultRates.__dataclass_fields__))
    return FaultRates(
        error=probability(payload, "error", current.error),
        error_status=_status(number(payload, "error_status", current.error_status)),
        drop=probability(payload, "drop", current.drop),
        rate_limit=probability(payload, "rate_limit", current.rate_limit),
        retry_after=int(number(payload, "retry_after", current.retry_after)),
        slow=probability(payload, "slow", current.slow),
        slow_seconds=number(payload, "slow_seconds", current.slow_seconds),
        vendors=vendor_list(payload, current.vendors, VENDORS),
    )


def _status(value: float) -> int:
    if not 400 <= value <= 599:
        raise ValueError("status must be an HTTP error status (400-599)")
    return int(value)
