"""What the vendors push: each change becomes an event, wrapped the vendor's way, one `Outgoing`
per subscription that wants it (docs/webhooks.md is the wire; the vendor modules say which of
their writes raise which event).

- HelpCrunch: `{"event", "eventData", "attempts", "lastAttemptAt", "createdAt", "id"}` (a uuid),
  signed `X-HelpCrunch-Signature: hex HMAC-SHA1(signing key, body)`; sent to the URL the
  settings page gives that event type. `attempts` counts redeliveries and `lastAttemptAt` is the
  UNIX second of the attempt, so each attempt's body (and signature) is its own.
- Thulium: `{"action", "date" (YYYY-MM-DD HH:MM:SS, Europe/Warsaw), ...}` flat, to every
  `POST webhooks` subscription listing the action, with `Authorization: Basic` from its
  `http_auth_user` / `http_auth_password` (no header when both are empty).
- Bony: `{"event_type", "event_id", "timestamp", "contact", "message"?}` to the channel's URL
  when its event list holds the type; `message` only on message events. No signature.

Every body is compact UTF-8 JSON (non-ASCII as is), `Content-Type: application/json`. The event
is built while the state lock is held, so it shows the records as the change left them; the
sending happens later, elsewhere (`delivery.py`). Event ids come from a generator seeded from the
sandbox's seed, apart from the one writes use, so subscribing changes no other id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from connectors.sandbox.state import SandboxState, utcnow
from connectors.sandbox.thulium_json import local_time

if TYPE_CHECKING:
    from connectors.sandbox.delivery import Deliverer

HELPCRUNCH_EVENTS = (
    "chat.new",
    "chat.status_updated",
    "chat.assigned",
    "chat.snoozed",
    "chat.unsnoozed",
    "chat.closed",
    "chat.rated",
    "customer.new",
    "customer.email_updated",
    "customer.tags_changed",
    "customer.subscribed",
    "customer.unsubscribed",
    "customer.blocked",
    "customer.unblocked",
    "customer.deleted",
    "message.chat.customer",
    "message.email.customer",
    "message.chat.agent",
    "message.email.agent",
    "message.private",
)
THULIUM_ACTIONS = (
    "CHAT_CONVERSATION_CREATED",
    "CHAT_CONVERSATION_CLOSED",
    "CHAT_AGENT_ASSIGNED",
    "CUSTOMER_CREATED",
    "CUSTOMER_UPDATED",
    "TICKET_CREATED",
    "TICKET_UPDATED",
)
BONY_EVENTS = (
    "contact.created",
    "contact.updated",
    "message.received",
    "message.sent",
    "conversation.opened",
    "conversation.closed",
)
USER_AGENTS = {
    "helpcrunch": "HelpCrunch-Webhooks/1 (sandbox)",
    "thulium": "Thulium-Webhooks/1 (sandbox)",
    "bony": "Bony-Webhooks/1 (sandbox)",
}
WRONG = "-wrong"  # what a bad-signature fault appends to the key or password


def check_url(value: object, name: str) -> str:
    """An absolute http(s) URL with a host, or a ValueError naming the field."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be an absolute http:// or https:// URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute http:// or https:// URL, not {value!r}")
    return value


def encode(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(key: str, body: bytes) -> str:
    return hmac.new(key.encode("utf-8"), body, hashlib.sha1).hexdigest()


@dataclass(frozen=True)
class Outgoing:
    """One event for one subscription; `render()` makes an attempt's body and headers."""

    vendor: str
    event: str
    event_id: str | None  # HelpCrunch's `id`, Bony's `event_id`; Thulium has none
    url: str
    payload: dict[str, object] = field(repr=False)
    signing_key: str | None = field(default=None, repr=False)  # HelpCrunch
    basic: tuple[str, str] | None = field(default=None, repr=False)  # Thulium

    def render(
        self, redeliveries: int, *, bad_credentials: bool = False
    ) -> tuple[bytes, dict[str, str]]:
        payload = self.payload
        if self.vendor == "helpcrunch":
            payload = {**payload, "attempts": redeliveries, "lastAttemptAt": int(time.time())}
        body = encode(payload)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENTS[self.vendor]}
        if self.signing_key is not None:
            key = self.signing_key + (WRONG if bad_credentials else "")
            headers["X-HelpCrunch-Signature"] = signature(key, body)
        if self.basic is not None or (bad_credentials and self.vendor == "thulium"):
            user, password = self.basic or ("thulium", "")
            pair = f"{user}:{password}{WRONG if bad_credentials else ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return body, headers


class Outbox:
    """Turns a vendor's change into `Outgoing`s for its subscriptions and queues them.

    Called by the vendor modules and the simulations with the state lock held."""

    def __init__(self, state: SandboxState, deliverer: Deliverer, *, seed: int) -> None:
        self.state = state
        self.deliverer = deliverer
        self.reset(seed)

    def reset(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}:events")

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def helpcrunch(self, event: str, data: dict[str, object]) -> None:
        hc = self.state.helpcrunch
        url = hc.webhook_urls.get(event)
        if url is None or not hc.signing_key:
            return
        now = int(time.time())
        envelope: dict[str, object] = {
            "event": event,
            "eventData": data,
            "attempts": 0,
            "lastAttemptAt": now,
            "createdAt": now,
            "id": self._uuid(),
        }
        outgoing = Outgoing("helpcrunch", event, str(envelope["id"]), url, _frozen(envelope))
        self.deliverer.enqueue([replace(outgoing, signing_key=hc.signing_key)])

    def thulium(self, action: str, data: dict[str, object]) -> None:
        hooks = [h for h in self.state.thulium.webhooks.values() if action in h.actions]
        if not hooks:
            return
        payload = _frozen({"action": action, "date": local_time(utcnow()), **data})
        self.deliverer.enqueue(
            [
                Outgoing(
                    "thulium",
                    action,
                    None,
                    hook.subscription_url,
                    payload,
                    basic=(hook.http_auth_user, hook.http_auth_password)
                    if hook.http_auth_user or hook.http_auth_password
                    else None,
                )
                for hook in hooks
            ]
        )

    def bony(
        self,
        token: str,
        event: str,
        contact: dict[str, object],
        message: dict[str, object] | None = None,
    ) -> None:
        channel = self.state.bony.get(token)
        hook = channel.webhook if channel is not None else None
        if hook is None or event not in hook.events:
            return
        payload: dict[str, object] = {
            "event_type": event,
            "event_id": self._uuid(),
            "timestamp": int(time.time()),
            "contact": contact,
        }
        if message is not None:
            payload["message"] = message
        outgoing = Outgoing("bony", event, str(payload["event_id"]), hook.url, _frozen(payload))
        self.deliverer.enqueue([outgoing])


def _frozen(payload: dict[str, object]) -> dict[str, object]:
    """A deep copy through JSON: later changes to the records do not reach a queued event."""
    copied: dict[str, object] = json.loads(encode(payload))
    return copied
