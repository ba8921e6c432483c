"""Faults of webhook deliveries: random rates and a deterministic queue of scripted faults, as
`faults.py` does for the vendors' APIs.

Kinds:
- `duplicate`: the event is delivered, then delivered again with the very same bytes (same
  HelpCrunch `id` and `attempts`, same Bony `event_id`, same Thulium body and so its digest).
- `out_of_order`: the event is held back and sent right after the next delivery to the same URL
  (or, when nothing else comes, once the hold time is over: `hold_seconds` of the settings).
- `bad_signature`: the first attempt is signed with a wrong key (HelpCrunch) or carries a wrong
  Basic password (Thulium); a receiver that refuses it gets the redeliveries, signed right. Bony
  deliveries carry no credential, so this fault never applies to them.

A scripted fault applies to the next `times` events that match its `vendor` and `event` (each
optional; `event` is the HelpCrunch event, Thulium action or Bony event type). Scripted faults are
consumed in the order they were pushed and win over the rates, which are rolled on a
`random.Random` seeded from the sandbox's seed. A fault is chosen once per event and
subscription, when the event is queued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from connectors.sandbox.faults import VENDORS
from connectors.sandbox.plans import FaultQueuePlan, reject_unknown, vendor_list

DELIVERY_KINDS = ("duplicate", "out_of_order", "bad_signature")
UNSIGNED = ("bony",)


@dataclass
class ScriptedDeliveryFault:
    kind: str
    vendor: str | None = None
    event: str | None = None
    times: int = 1

    def matches(self, vendor: str, event: str) -> bool:
        if self.kind == "bad_signature" and vendor in UNSIGNED:
            return False
        return self.vendor in (None, vendor) and self.event in (None, event)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class DeliveryFaultRates:
    """Probabilities (0-1) rolled once per event and subscription, in this order."""

    duplicate: float = 0.0
    out_of_order: float = 0.0
    bad_signature: float = 0.0
    vendors: tuple[str, ...] = ()  # empty: every vendor

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "vendors": list(self.vendors)}


class DeliveryFaultPlan(FaultQueuePlan[DeliveryFaultRates, ScriptedDeliveryFault]):
    """The delivery faults' rates and scripted queue (`plans.FaultQueuePlan`)."""

    rates_type = DeliveryFaultRates
    stream = "delivery-faults"

    def next_fault(self, vendor: str, event: str) -> str | None:
        scripted = self.take_scripted(lambda s: s.matches(vendor, event))
        if scripted is not None:
            return scripted.kind
        rates = self.rates
        if rates.vendors and vendor not in rates.vendors:
            return None
        return self.roll(
            (
                (rates.duplicate, "duplicate"),
                (rates.out_of_order, "out_of_order"),
                (0.0 if vendor in UNSIGNED else rates.bad_signature, "bad_signature"),
            )
        )


# --- reading delivery faults from JSON (the control endpoint) --------------------------------


def scripted_delivery_fault(payload: object) -> ScriptedDeliveryFault:
    if not isinstance(payload, dict):
        raise ValueError("each delivery fault must be an object")
    reject_unknown(payload, {"kind", "vendor", "event", "times"})
    kind = payload.get("kind")
    if kind not in DELIVERY_KINDS:
        raise ValueError(f"kind must be one of {', '.join(DELIVERY_KINDS)}")
    vendor = payload.get("vendor")
    if vendor is not None and vendor not in VENDORS:
        raise ValueError(f"vendor must be one of {', '.join(VENDORS)}")
    if kind == "bad_signature" and vendor in UNSIGNED:
        raise ValueError("Bony deliveries carry no signature or credentials to spoil")
    event = payload.get("event")
    if event is not None and (not isinstance(event, str) or not event):
        raise ValueError("event must be a non-empty string")
    times = payload.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError("times must be an integer, at least 1")
    return ScriptedDeliveryFault(str(kind), vendor, event, times)


def delivery_rates(
    payload: Mapping[str, object], current: DeliveryFaultRates
) -> DeliveryFaultRates:
    """`current` with the fields present in `payload` changed."""
    reject_unknown(payload, DeliveryFaultRates.__dataclass_fields__)
    vendors = vendor_list(payload, current.vendors, VENDORS)
    values = {}
    for name in DELIVERY_KINDS:
        value = payload.get(name, getattr(current, name))
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{name} is a probability, between 0 and 1")
        values[name] = float(value)
    return DeliveryFaultRates(**values, vendors=vendors)
