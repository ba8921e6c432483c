"""The control calls for webhooks: the HelpCrunch and Bony settings pages (Thulium's
subscriptions go through its own API), the delivery journal, delivery settings and faults.
Listed in `control.py`'s docstring."""

from __future__ import annotations

from connectors.sandbox.core import Sandbox
from connectors.sandbox.delivery import DeliverySettings
from connectors.sandbox.delivery_faults import (
    delivery_rates,
    scripted_delivery_fault,
)
from connectors.sandbox.faults import VENDORS
from connectors.sandbox.outbox import BONY_EVENTS, HELPCRUNCH_EVENTS, check_url
from connectors.sandbox.plans import reject_unknown
from connectors.sandbox.state import BonyChannel, BonyWebhook
from connectors.sandbox.thulium_webhooks import webhook_json
from connectors.sandbox.wire import Problem, Request, Response, json_response, route

MAX_WAIT = 60.0
SETTINGS_LIMITS = {  # name: (lowest, highest)
    "attempts": (1, 20),
    "backoff_seconds": (0.0, 3600.0),
    "timeout_seconds": (0.1, 60.0),
    "hold_seconds": (0.0, 60.0),
}


def wait_seconds(request: Request) -> float | None:
    """`?wait=1[&timeout=S]` on `GET deliveries`: how long to wait for an empty queue."""
    if request.param("wait") in (None, "", "0", "false"):
        return None
    raw = request.param("timeout") or "10"
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError("timeout must be a number of seconds") from None
    if not 0 <= seconds <= MAX_WAIT:
        raise ValueError(f"timeout must be between 0 and {MAX_WAIT:g} seconds")
    return seconds


class HookControl:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.routes = [
            route("GET", "webhooks", self.all_webhooks),
            route("GET", "webhooks/helpcrunch", self.helpcrunch),
            route("PUT", "webhooks/helpcrunch", self.set_helpcrunch),
            route("DELETE", "webhooks/helpcrunch", self.clear_helpcrunch),
            route("GET", "webhooks/bony/*", self.bony),
            route("PUT", "webhooks/bony/*", self.set_bony),
            route("DELETE", "webhooks/bony/*", self.clear_bony),
            route("GET", "deliveries", self.deliveries),
            route("DELETE", "deliveries", self.forget_deliveries),
            route("GET", "deliveries/settings", self.settings),
            route("POST", "deliveries/settings", self.change_settings),
            route("GET", "delivery_faults", self.faults),
            route("POST", "delivery_faults", self.change_faults),
            route("DELETE", "delivery_faults", self.clear_faults),
        ]

    # --- subscriptions ---

    def all_webhooks(self, request: Request, _: tuple[str, ...]) -> Response:
        state = self.sandbox.state
        return json_response(
            {
                "thulium": [webhook_json(h) for h in state.thulium.webhooks.values()],
                "helpcrunch": self._helpcrunch_json(),
                "bony": {token: _bony_json(c) for token, c in state.bony.items()},
            }
        )

    def _helpcrunch_json(self) -> dict[str, object]:
        data = self.sandbox.state.helpcrunch
        return {"signing_key": data.signing_key, "urls": dict(data.webhook_urls)}

    def helpcrunch(self, _: Request, __: tuple[str, ...]) -> Response:
        return json_response(self._helpcrunch_json())

    def set_helpcrunch(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        reject_unknown(payload, {"signing_key", "urls"})
        key = payload.get("signing_key")
        if not isinstance(key, str) or not key:
            raise ValueError("signing_key must be a non-empty string")
        urls = payload.get("urls", {})
        if not isinstance(urls, dict):
            raise ValueError("urls must be an object: event type → URL")
        for event, url in urls.items():
            if event not in HELPCRUNCH_EVENTS:
                raise ValueError(
                    f"urls: unknown event {event!r} (known: {', '.join(HELPCRUNCH_EVENTS)})"
                )
            check_url(url, f"urls[{event!r}]")
        data = self.sandbox.state.helpcrunch
        data.signing_key, data.webhook_urls = key, {str(k): str(v) for k, v in urls.items()}
        return json_response(self._helpcrunch_json())

    def clear_helpcrunch(self, _: Request, __: tuple[str, ...]) -> Response:
        data = self.sandbox.state.helpcrunch
        data.signing_key, data.webhook_urls = None, {}
        return json_response(self._helpcrunch_json())

    def _channel(self, token: str) -> BonyChannel:
        channel = self.sandbox.state.bony.get(token)
        if channel is None:
            raise Problem(404, f"no Bony channel {token}")
        return channel

    def bony(self, _: Request, ids: tuple[str, ...]) -> Response:
        return json_response(_bony_json(self._channel(ids[0])))

    def set_bony(self, request: Request, ids: tuple[str, ...]) -> Response:
        channel = self._channel(ids[0])
        payload = request.json_object()
        reject_unknown(payload, {"url", "events"})
        url = check_url(payload.get("url"), "url")
        events = payload.get("events", list(BONY_EVENTS))
        if not isinstance(events, list) or not events:
            raise ValueError("events must be a non-empty list")
        for event in events:
            if event not in BONY_EVENTS:
                raise ValueError(
                    f"events: unknown event {event!r} (known: {', '.join(BONY_EVENTS)})"
                )
        channel.webhook = BonyWebhook(url, list(dict.fromkeys(str(e) for e in events)))
        return json_response(_bony_json(channel))

    def clear_bony(self, _: Request, ids: tuple[str, ...]) -> Response:
        channel = self._channel(ids[0])
        channel.webhook = None
        return json_response(_bony_json(channel))

    # --- deliveries ---

    def deliveries(self, request: Request, _: tuple[str, ...]) -> Response:
        vendor = request.param("vendor")
        if vendor is not None and vendor not in VENDORS:
            raise ValueError(f"vendor must be one of {', '.join(VENDORS)}")
        deliverer = self.sandbox.deliverer
        records = deliverer.records(vendor, request.param("event") or None)
        limit = request.param("limit")
        if limit:
            if not limit.isdigit():
                raise ValueError("limit must be a whole number")
            records = records[-int(limit) :] if int(limit) else []
        pending = deliverer.pending()
        return json_response({"deliveries": records, "pending": pending, "idle": not pending})

    def forget_deliveries(self, _: Request, __: tuple[str, ...]) -> Response:
        self.sandbox.deliverer.forget()
        return json_response({"deliveries": [], "pending": self.sandbox.deliverer.pending()})

    def settings(self, _: Request, __: tuple[str, ...]) -> Response:
        return json_response(self.sandbox.deliverer.settings.to_json())

    def change_settings(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        reject_unknown(payload, set(SETTINGS_LIMITS))
        current = self.sandbox.deliverer.settings
        settings = DeliverySettings(
            attempts=int(_bounded(payload, "attempts", current.attempts)),
            backoff=_bounded(payload, "backoff_seconds", current.backoff),
            timeout=_bounded(payload, "timeout_seconds", current.timeout),
            hold=_bounded(payload, "hold_seconds", current.hold),
        )
        self.sandbox.deliverer.configure(settings)
        return json_response(settings.to_json())

    def faults(self, _: Request, __: tuple[str, ...]) -> Response:
        return json_response(self.sandbox.delivery_faults.to_json())

    def change_faults(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        reject_unknown(payload, {"clear", "rates", "push"})
        self.sandbox.delivery_faults.change(
            payload, read_rates=delivery_rates, read_scripted=scripted_delivery_fault
        )
        return json_response(self.sandbox.delivery_faults.to_json())

    def clear_faults(self, _: Request, __: tuple[str, ...]) -> Response:
        self.sandbox.delivery_faults.clear()
        return json_response(self.sandbox.delivery_faults.to_json())


def _bony_json(channel: BonyChannel) -> dict[str, object]:
    hook = channel.webhook
    return {"url": hook.url if hook else None, "events": list(hook.events) if hook else []}


def _bounded(payload: dict[str, object], name: str, current: float) -> float:
    """`payload[name]` (or `current`) within `SETTINGS_LIMITS`; `attempts` a whole number."""
    value = payload.get(name, current)
    lowest, highest = SETTINGS_LIMITS[name]
    whole = name == "attempts"
    if (
        isinstance(value, bool)
        or not isinstance(value, int if whole else int | float)
        or not lowest <= value <= highest
    ):
        what = "an integer" if whole else "a number"
        raise ValueError(f"{name} must be {what} from {lowest:g} to {highest:g}")
    return float(value)
