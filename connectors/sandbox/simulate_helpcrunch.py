"""Simulated HelpCrunch activity (control calls under `/_sandbox/simulate/helpcrunch/`): what
customers and the vendor's own agents do, changed in the state as the vendor would (so a later
read through the API agrees) and delivered as the vendor's webhook events.

    POST   customers                {"name"?, "email"?, "userId"?, "phone"?, "company"?}
                                    → customer.new
    PATCH  customers/<id>           {"email"?, "tags"?: ["name" | {"name", "color"?}, ...]
                                    (the new set), "unsubscribed"?, "blocked"?} → one event per
                                    change: customer.email_updated, customer.tags_changed,
                                    customer.(un)subscribed, customer.(un)blocked
    DELETE customers/<id>           → customer.deleted (the customer as it was); its chats go too
    POST   chats                    {"customer": id, "text"} → chat.new, message.chat.customer
    POST   chats/<id>/messages      {"text"}: the customer writes → message.chat.customer; a
                                    closed chat is reopened first (status "opened",
                                    chat.status_updated)
    POST   chats/<id>/assign        {"agent": id | null} → chat.assigned
    POST   chats/<id>/status        {"status": "new"|"opened"|"pending"|"on hold"} →
                                    chat.status_updated
    POST   chats/<id>/close         {"by"?: "agent"|"customer" (default "customer")} → chat.closed

Each answers the record as the control read-outs show it. Message times are UNIX seconds with
milliseconds, as strings (`"1638953586.915"`), as the vendor's example shows them.
"""

from __future__ import annotations

import time

from connectors.sandbox import helpcrunch_json as hc_json
from connectors.sandbox.helpcrunch import customer_events_state, raise_customer_events
from connectors.sandbox.outbox import Outbox
from connectors.sandbox.plans import optional_str, reject_unknown
from connectors.sandbox.state import (
    HelpCrunchChat,
    HelpCrunchCustomer,
    HelpCrunchMessage,
    HelpCrunchTag,
    SandboxState,
)
from connectors.sandbox.wire import Problem, Request, Response, json_response, require_str, route

OPEN_STATUSES = ("new", "opened", "pending", "on hold")
CUSTOMER_FIELDS = ("name", "email", "userId", "phone", "company")


def _email(payload: dict[str, object]) -> str | None:
    email = optional_str(payload, "email")
    if email is not None and ("@" not in email or "." not in email.split("@")[-1]):
        raise ValueError("email must be an e-mail address")
    return email


class HelpCrunchSimulation:
    def __init__(self, state: SandboxState, outbox: Outbox) -> None:
        self.state = state
        self.outbox = outbox
        base = "simulate/helpcrunch"
        self.routes = [
            route("POST", f"{base}/customers", self.new_customer),
            route("PATCH", f"{base}/customers/*", self.change_customer),
            route("DELETE", f"{base}/customers/*", self.delete_customer),
            route("POST", f"{base}/chats", self.new_chat),
            route("POST", f"{base}/chats/*/messages", self.customer_writes),
            route("POST", f"{base}/chats/*/assign", self.assign),
            route("POST", f"{base}/chats/*/status", self.status),
            route("POST", f"{base}/chats/*/close", self.close),
        ]

    # --- lookups and answers ---

    def _customer(self, raw_id: object) -> HelpCrunchCustomer:
        key = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
        if isinstance(raw_id, str) and raw_id.isdigit():
            key = int(raw_id)
        customer = self.state.helpcrunch.customers.get(key) if key is not None else None
        if customer is None:
            raise Problem(404, f"no HelpCrunch customer {raw_id}")
        return customer

    def _chat(self, raw_id: str) -> HelpCrunchChat:
        chats = self.state.helpcrunch.chats
        chat = chats.get(int(raw_id)) if raw_id.isdigit() else None
        if chat is None:
            raise Problem(404, f"no HelpCrunch chat {raw_id}")
        return chat

    def _chat_answer(self, chat: HelpCrunchChat) -> Response:
        data = self.state.helpcrunch
        messages = [hc_json.message_json(data, m) for m in chat.messages]
        return json_response({**hc_json.chat_json(data, chat), "messages": messages})

    def _chat_event(self, event: str, chat: HelpCrunchChat) -> None:
        self.outbox.helpcrunch(event, hc_json.chat_event_data(self.state.helpcrunch, chat))

    def _remember(self, kind: str, taken: set[int]) -> int:
        """The highest id of `kind` ever given out (deleted records' ids are not reused)."""
        floors = self.state.helpcrunch.id_floor
        floors[kind] = max(floors.get(kind, 0), max(taken, default=0))
        return floors[kind]

    def _next_id(self, kind: str, taken: set[int]) -> int:
        new_id = self._remember(kind, taken) + 1
        self.state.helpcrunch.id_floor[kind] = new_id
        return new_id

    # --- customers ---

    def new_customer(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        reject_unknown(payload, set(CUSTOMER_FIELDS))
        now = int(time.time())
        customer = HelpCrunchCustomer(
            id=self._next_id("customer", set(self.state.helpcrunch.customers)),
            name=optional_str(payload, "name"),
            email=_email(payload),
            user_id=optional_str(payload, "userId"),
            company=optional_str(payload, "company"),
            phone=optional_str(payload, "phone"),
            notes=None,
            locale=None,
            city=None,
            country_code=None,
            first_seen=now,
            last_seen=now,
            custom_data=None,
        )
        self.state.helpcrunch.customers[customer.id] = customer
        self.outbox.helpcrunch("customer.new", hc_json.customer_json(customer))
        return json_response(hc_json.customer_json(customer))

    def change_customer(self, request: Request, ids: tuple[str, ...]) -> Response:
        customer = self._customer(ids[0])
        payload = request.json_object()
        reject_unknown(payload, {"email", "tags", "unsubscribed", "blocked"})
        for flag in ("unsubscribed", "blocked"):
            if flag in payload and not isinstance(payload[flag], bool):
                raise ValueError(f"{flag} must be true or false")
        tags = self._tags(payload["tags"]) if "tags" in payload else None
        email = _email(payload)
        before = customer_events_state(customer)
        if "email" in payload:
            customer.email = email
        if tags is not None:
            customer.tags = tags
        for flag in ("unsubscribed", "blocked"):
            if flag in payload:
                setattr(customer, flag, payload[flag])
        raise_customer_events(self.outbox, customer, before)
        return json_response(hc_json.customer_json(customer))

    def _tags(self, raw: object) -> list[HelpCrunchTag]:
        if not isinstance(raw, list):
            raise ValueError("tags must be a list of names or {name, color} objects")
        found: list[HelpCrunchTag] = []
        for item in raw:
            name, color = (item, None) if isinstance(item, str) else (None, None)
            if isinstance(item, dict):
                name, color = item.get("name"), item.get("color")
            if not isinstance(name, str) or not name or not isinstance(color, str | None):
                raise ValueError("tags must be a list of names or {name, color} objects")
            tag = self.state.helpcrunch.tags.setdefault(name, HelpCrunchTag(name, color or "#ccc"))
            if tag not in found:
                found.append(tag)
        return found

    def delete_customer(self, _: Request, ids: tuple[str, ...]) -> Response:
        customer = self._customer(ids[0])
        data = self.state.helpcrunch
        shown = hc_json.customer_json(customer)
        self._remember("customer", set(data.customers))
        self._remember("chat", set(data.chats))
        del data.customers[customer.id]
        data.chats = {k: c for k, c in data.chats.items() if c.customer_id != customer.id}
        self.outbox.helpcrunch("customer.deleted", shown)
        return json_response(shown)

    # --- chats ---

    def _customer_message(self, chat: HelpCrunchChat, text: str) -> HelpCrunchMessage:
        data = self.state.helpcrunch
        stamp = f"{time.time():.3f}"
        message = HelpCrunchMessage(
            id=data.next_message_id,
            chat_id=chat.id,
            agent_id=None,
            type="message",
            text=text,
            read=False,
            created_at=stamp,
            updated_at=stamp,
        )
        data.next_message_id += 1
        chat.messages.append(message)
        chat.last_message_at = int(float(stamp))
        chat.last_customer_message_at = stamp
        return message

    def _message_event(self, chat: HelpCrunchChat, message: HelpCrunchMessage) -> None:
        data = hc_json.message_event_data(self.state.helpcrunch, chat, message)
        self.outbox.helpcrunch("message.chat.customer", data)

    def new_chat(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        reject_unknown(payload, {"customer", "text"})
        customer = self._customer(payload.get("customer"))
        text = require_str(payload, "text")
        data = self.state.helpcrunch
        chat = HelpCrunchChat(
            id=self._next_id("chat", set(data.chats)),
            customer_id=customer.id,
            assignee_id=None,
            status="new",
            created_at=int(time.time()),
        )
        data.chats[chat.id] = chat
        message = self._customer_message(chat, text)
        self._chat_event("chat.new", chat)
        self._message_event(chat, message)
        return self._chat_answer(chat)

    def customer_writes(self, request: Request, ids: tuple[str, ...]) -> Response:
        chat = self._chat(ids[0])
        payload = request.json_object()
        reject_unknown(payload, {"text"})
        text = require_str(payload, "text")
        if chat.status == "closed":
            chat.status, chat.closed_at, chat.closed_by = "opened", None, None
            self._chat_event("chat.status_updated", chat)
        self._message_event(chat, self._customer_message(chat, text))
        return self._chat_answer(chat)

    def assign(self, request: Request, ids: tuple[str, ...]) -> Response:
        chat = self._chat(ids[0])
        payload = request.json_object()
        reject_unknown(payload, {"agent"})
        if "agent" not in payload:
            raise ValueError("agent is required: an agent id, or null to unassign")
        agent = payload["agent"]
        if agent is not None and (
            isinstance(agent, bool) or agent not in self.state.helpcrunch.agents
        ):
            raise ValueError(f"agent: no HelpCrunch agent {agent}")
        chat.assignee_id = agent if isinstance(agent, int) else None
        self._chat_event("chat.assigned", chat)
        return self._chat_answer(chat)

    def status(self, request: Request, ids: tuple[str, ...]) -> Response:
        chat = self._chat(ids[0])
        payload = request.json_object()
        reject_unknown(payload, {"status"})
        status = payload.get("status")
        if status not in OPEN_STATUSES:
            raise ValueError(f"status must be one of {', '.join(OPEN_STATUSES)} (close: /close)")
        chat.status, chat.closed_at, chat.closed_by = str(status), None, None
        self._chat_event("chat.status_updated", chat)
        return self._chat_answer(chat)

    def close(self, request: Request, ids: tuple[str, ...]) -> Response:
        chat = self._chat(ids[0])
        payload = request.json_object()
        reject_unknown(payload, {"by"})
        by = payload.get("by", "customer")
        if by not in ("agent", "customer"):
            raise ValueError("by must be agent or customer")
        if chat.status == "closed":
            raise Problem(409, f"chat {chat.id} is already closed")
        chat.status, chat.closed_by, chat.closed_at = "closed", str(by), f"{time.time():.3f}"
        self._chat_event("chat.closed", chat)
        return self._chat_answer(chat)
