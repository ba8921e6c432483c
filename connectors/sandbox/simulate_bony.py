"""Simulated Bony.chat activity (control calls under `/_sandbox/simulate/bony/<channel token>/`):
what a channel's contacts and the vendor's inbox do, applied to the state (a later read through
the API agrees) and delivered to the channel's subscription. `<raw id>` is the contact's id
percent-encoded (not base64, even on Viber channels).

    POST  contacts                           {"custom_fields": {...}, "tags"?: [...]} →
                                             contact.created
    PATCH contacts/<raw id>                  {"custom_fields"?: {...} (merged), "tags"?: [...]
                                             (the new set)} → contact.updated
    POST  contacts/<raw id>/messages         {"text"}: the contact writes → conversation.opened
                                             when no conversation is open, then
                                             message.received
    POST  contacts/<raw id>/conversation/open   → conversation.opened
    POST  contacts/<raw id>/conversation/close  → conversation.closed

Each answers the contact as `GET /_sandbox/state/bony/<token>/contacts/<raw id>` shows it.
"""

from __future__ import annotations

from connectors.sandbox.bony import MAX_TAGS, SCALARS, contact_json
from connectors.sandbox.outbox import Outbox
from connectors.sandbox.plans import reject_unknown
from connectors.sandbox.seed import new_bony_contact_id
from connectors.sandbox.state import BonyChannel, BonyContact, BonyMessage, SandboxState, utcnow
from connectors.sandbox.wire import Problem, Request, Response, json_response, require_str, route


def contact_readout(contact: BonyContact) -> dict[str, object]:
    """The contact as the control read-out shows it: with its messages and conversation."""
    messages = [
        {"body": m.body, "sent_at": int(m.sent_at.timestamp()), "direction": m.direction}
        for m in contact.messages
    ]
    return {**contact_json(contact), "conversation": contact.conversation, "messages": messages}


def _fields(raw: object) -> dict[str, object]:
    if not isinstance(raw, dict) or not all(isinstance(v, SCALARS) for v in raw.values()):
        raise ValueError("custom_fields must be an object of scalar values")
    return dict(raw)


def _tags(raw: object) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(t, str) and t.strip() for t in raw):
        raise ValueError("tags must be a list of non-empty strings")
    if len(raw) > MAX_TAGS:
        raise ValueError(f"tags: at most {MAX_TAGS}")
    return list(dict.fromkeys(raw))


class BonySimulation:
    def __init__(self, state: SandboxState, outbox: Outbox) -> None:
        self.state = state
        self.outbox = outbox
        base = "simulate/bony/*/contacts"
        self.routes = [
            route("POST", base, self.new_contact),
            route("PATCH", f"{base}/*", self.change_contact),
            route("POST", f"{base}/*/messages", self.contact_writes),
            route("POST", f"{base}/*/conversation/open", self.open_conversation),
            route("POST", f"{base}/*/conversation/close", self.close_conversation),
        ]

    def _channel(self, token: str) -> BonyChannel:
        channel = self.state.bony.get(token)
        if channel is None:
            raise Problem(404, f"no Bony channel {token}")
        return channel

    def _contact(self, ids: tuple[str, ...]) -> tuple[BonyChannel, BonyContact]:
        channel = self._channel(ids[0])
        contact = channel.contacts.get(ids[1])
        if contact is None:
            raise Problem(404, f"no Bony contact {ids[1]} on channel {ids[0]}")
        return channel, contact

    def _emit(
        self,
        channel: BonyChannel,
        event: str,
        contact: BonyContact,
        message: dict[str, object] | None = None,
    ) -> None:
        self.outbox.bony(channel.token, event, contact_json(contact), message)

    def new_contact(self, request: Request, ids: tuple[str, ...]) -> Response:
        channel = self._channel(ids[0])
        payload = request.json_object()
        reject_unknown(payload, {"custom_fields", "tags"})
        fields = _fields(payload.get("custom_fields"))
        tags = _tags(payload.get("tags", []))
        now = utcnow()
        contact = BonyContact(
            id=new_bony_contact_id(self.state.rng, channel),
            custom_fields=fields,
            tags=tags,
            created_at=int(now.timestamp()),
            updated_at=now,
        )
        channel.contacts[contact.id] = contact
        self._emit(channel, "contact.created", contact)
        return json_response(contact_readout(contact))

    def change_contact(self, request: Request, ids: tuple[str, ...]) -> Response:
        channel, contact = self._contact(ids)
        payload = request.json_object()
        reject_unknown(payload, {"custom_fields", "tags"})
        fields = _fields(payload["custom_fields"]) if "custom_fields" in payload else {}
        tags = _tags(payload["tags"]) if "tags" in payload else None
        contact.custom_fields.update(fields)
        if tags is not None:
            contact.tags = tags
        contact.updated_at = utcnow()
        self._emit(channel, "contact.updated", contact)
        return json_response(contact_readout(contact))

    def contact_writes(self, request: Request, ids: tuple[str, ...]) -> Response:
        channel, contact = self._contact(ids)
        payload = request.json_object()
        reject_unknown(payload, {"text"})
        text = require_str(payload, "text")
        if contact.conversation != "open":
            contact.conversation = "open"
            self._emit(channel, "conversation.opened", contact)
        item: dict[str, object] = {"type": "text", "text": text}
        contact.messages.append(BonyMessage([item], utcnow(), direction="incoming"))
        self._emit(channel, "message.received", contact, dict(item))
        return json_response(contact_readout(contact))

    def open_conversation(self, _: Request, ids: tuple[str, ...]) -> Response:
        return self._conversation(ids, "open", "conversation.opened")

    def close_conversation(self, _: Request, ids: tuple[str, ...]) -> Response:
        return self._conversation(ids, "closed", "conversation.closed")

    def _conversation(self, ids: tuple[str, ...], status: str, event: str) -> Response:
        channel, contact = self._contact(ids)
        if contact.conversation == status:
            raise Problem(409, f"the conversation with {contact.id} is already {status}")
        contact.conversation = status
        self._emit(channel, event, contact)
        return json_response(contact_readout(contact))
