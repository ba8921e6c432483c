"""Simulated Thulium activity (control calls under `/_sandbox/simulate/thulium/`): changes made
in Thulium's own screens or by its customers, applied to the state as the vendor would (a later
read through the API agrees) and delivered to the `POST webhooks` subscriptions.

    POST  customers                 {"name", "surname"?, "email"?, "phone_number"?,
                                    "company_name"?, "tags"?: [...], "custom_fields"?: {...}}
                                    → CUSTOMER_CREATED
    PATCH customers/<id>            the same keys, each optional (custom_fields merged) →
                                    CUSTOMER_UPDATED
    POST  tickets                   {"subject", "customer_id"?, "queue_id"? (1), "status_id"? (1),
                                    "body"?: the customer's first mail} → TICKET_CREATED
    PATCH tickets/<id>              {"status_id"?, "subject"?} → TICKET_UPDATED
    POST  conversations             {"chat_queue_id", "customer_id"?, "client_email"?,
                                    "client_name"?, "client_surname"?}: a customer opens a chat
                                    (matched to a customer by id, then e-mail) →
                                    CHAT_CONVERSATION_CREATED
    POST  conversations/<id>/assign {"user_login"} → CHAT_AGENT_ASSIGNED
    POST  conversations/<id>/close  → CHAT_CONVERSATION_CLOSED

Each answers the record as the control read-outs show it; every change moves `updated_at`.
"""

from __future__ import annotations

import uuid

from connectors.sandbox.outbox import Outbox
from connectors.sandbox.plans import reject_unknown
from connectors.sandbox.state import (
    ChatConversation,
    SandboxState,
    ThuliumCustomer,
    ThuliumMessage,
    ThuliumTicket,
    utcnow,
)
from connectors.sandbox.thulium_json import (
    conversation_event,
    customer_event,
    serialize_conversation,
    serialize_customer,
    serialize_ticket,
    ticket_event,
)
from connectors.sandbox.wire import Problem, Request, Response, json_response, route

TEXT_FIELDS = ("name", "surname", "email", "phone_number", "company_name")
CUSTOMER_KEYS = {*TEXT_FIELDS, "tags", "custom_fields"}


def _text(payload: dict[str, object], name: str, *, required: bool = False) -> str | None:
    value = payload.get(name)
    if (value is None and required) or (value is not None and not isinstance(value, str)):
        raise ValueError(f"{name} must be {'a non-empty' if required else 'a'} string")
    if required and not str(value).strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _whole(payload: dict[str, object], name: str, default: int | None = None) -> int | None:
    value = payload.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer")
    return value


class ThuliumSimulation:
    def __init__(self, state: SandboxState, outbox: Outbox) -> None:
        self.state = state
        self.outbox = outbox
        base = "simulate/thulium"
        self.routes = [
            route("POST", f"{base}/customers", self.new_customer),
            route("PATCH", f"{base}/customers/*", self.change_customer),
            route("POST", f"{base}/tickets", self.new_ticket),
            route("PATCH", f"{base}/tickets/*", self.change_ticket),
            route("POST", f"{base}/conversations", self.new_conversation),
            route("POST", f"{base}/conversations/*/assign", self.assign),
            route("POST", f"{base}/conversations/*/close", self.close),
        ]

    # --- customers ---

    def _customer_values(self, payload: dict[str, object]) -> dict[str, object]:
        reject_unknown(payload, CUSTOMER_KEYS)
        values: dict[str, object] = {k: _text(payload, k) for k in TEXT_FIELDS if k in payload}
        tags = payload.get("tags")
        if "tags" in payload:
            if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
                raise ValueError("tags must be a list of non-empty strings")
            values["tags"] = list(dict.fromkeys(tags))
        fields = payload.get("custom_fields")
        if "custom_fields" in payload:
            if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
                raise ValueError("custom_fields must be an object of strings")
            values["custom_fields"] = dict(fields)
        return values

    def new_customer(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        values = self._customer_values(payload)
        customers = self.state.thulium.customers
        now = utcnow()
        tags, fields = values.get("tags", []), values.get("custom_fields", {})
        customer = ThuliumCustomer(
            customer_id=max(customers, default=0) + 1,
            name=_text(payload, "name", required=True) or "",
            surname=str(values.get("surname") or ""),
            email=_text(payload, "email"),
            phone_number=_text(payload, "phone_number"),
            company_name=_text(payload, "company_name"),
            client_id=None,
            custom_fields=dict(fields) if isinstance(fields, dict) else {},
            tags=list(tags) if isinstance(tags, list) else [],
            created_at=now,
            updated_at=now,
        )
        customers[customer.customer_id] = customer
        self.outbox.thulium("CUSTOMER_CREATED", customer_event(customer))
        return json_response(serialize_customer(customer))

    def change_customer(self, request: Request, ids: tuple[str, ...]) -> Response:
        customers = self.state.thulium.customers
        customer = customers.get(int(ids[0])) if ids[0].isdigit() else None
        if customer is None:
            raise Problem(404, f"no Thulium customer {ids[0]}")
        values = self._customer_values(request.json_object())
        if values.get("name") == "" or ("name" in values and values["name"] is None):
            raise ValueError("name must be a non-empty string")
        for name, value in values.items():
            if name == "custom_fields" and isinstance(value, dict):
                customer.custom_fields.update(value)
            elif name == "surname":
                customer.surname = str(value or "")
            else:
                setattr(customer, name, value)
        customer.updated_at = utcnow()
        self.outbox.thulium("CUSTOMER_UPDATED", customer_event(customer))
        return json_response(serialize_customer(customer))

    # --- tickets ---

    def new_ticket(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        reject_unknown(payload, {"subject", "customer_id", "queue_id", "status_id", "body"})
        data = self.state.thulium
        subject = _text(payload, "subject", required=True) or ""
        customer_id = _whole(payload, "customer_id")
        customer = data.customers.get(customer_id) if customer_id is not None else None
        if customer_id is not None and customer is None:
            raise ValueError(f"customer_id: no Thulium customer {customer_id}")
        body = _text(payload, "body")
        now = utcnow()
        ticket = ThuliumTicket(
            ticket_id=max(data.tickets, default=0) + 1,
            subject=subject,
            status_id=_whole(payload, "status_id", 1) or 1,
            queue_id=_whole(payload, "queue_id", 1) or 1,
            customer_id=customer_id,
            customer_email=customer.email if customer else None,
            created_at=now,
            updated_at=now,
        )
        if body:
            ticket.messages.append(
                ThuliumMessage(
                    message_id=data.next_message_id,
                    type="MAIL",
                    body=body,
                    body_type="PLAIN",
                    user_login=None,
                    from_email=ticket.customer_email,
                    date=now,
                )
            )
            data.next_message_id += 1
        data.tickets[ticket.ticket_id] = ticket
        self.outbox.thulium("TICKET_CREATED", ticket_event(ticket))
        return json_response(serialize_ticket(ticket, messages=True))

    def change_ticket(self, request: Request, ids: tuple[str, ...]) -> Response:
        tickets = self.state.thulium.tickets
        ticket = tickets.get(int(ids[0])) if ids[0].isdigit() else None
        if ticket is None:
            raise Problem(404, f"no Thulium ticket {ids[0]}")
        payload = request.json_object()
        reject_unknown(payload, {"status_id", "subject"})
        status_id = _whole(payload, "status_id")
        subject = _text(payload, "subject", required="subject" in payload)
        if status_id is not None:
            ticket.status_id = status_id
        if subject is not None:
            ticket.subject = subject
        ticket.updated_at = utcnow()
        self.outbox.thulium("TICKET_UPDATED", ticket_event(ticket))
        return json_response(serialize_ticket(ticket, messages=True))

    # --- chat conversations ---

    def _conversation(self, raw_id: str) -> ChatConversation:
        conversation = self.state.thulium.conversations.get(raw_id)
        if conversation is None:
            raise Problem(404, f"no Thulium chat conversation {raw_id}")
        return conversation

    def new_conversation(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        keys = {"chat_queue_id", "customer_id", "client_email", "client_name", "client_surname"}
        reject_unknown(payload, keys)
        data = self.state.thulium
        queue_id = _whole(payload, "chat_queue_id")
        if queue_id is None or queue_id not in data.chat_queues:
            raise ValueError(f"chat_queue_id must be one of {sorted(data.chat_queues)}")
        customer_id = _whole(payload, "customer_id")
        email = _text(payload, "client_email")
        if customer_id is not None and customer_id not in data.customers:
            raise ValueError(f"customer_id: no Thulium customer {customer_id}")
        if customer_id is None and email:
            customer_id = next(
                (c.customer_id for c in data.customers.values() if c.email == email), None
            )
        conversation = ChatConversation(
            conversation_id=str(uuid.UUID(int=self.state.rng.getrandbits(128), version=4)),
            chat_queue_id=queue_id,
            customer_id=customer_id,
            client_id=None,
            client_name=_text(payload, "client_name"),
            client_surname=_text(payload, "client_surname"),
            client_email=email,
            created_at=utcnow(),
        )
        data.conversations[conversation.conversation_id] = conversation
        self.outbox.thulium("CHAT_CONVERSATION_CREATED", conversation_event(conversation))
        return json_response(serialize_conversation(conversation))

    def assign(self, request: Request, ids: tuple[str, ...]) -> Response:
        conversation = self._conversation(ids[0])
        payload = request.json_object()
        reject_unknown(payload, {"user_login"})
        login = _text(payload, "user_login", required=True) or ""
        if login not in self.state.thulium.agents:
            raise ValueError(f"user_login: no Thulium agent {login}")
        conversation.user_login = login
        self.outbox.thulium("CHAT_AGENT_ASSIGNED", conversation_event(conversation))
        return json_response(serialize_conversation(conversation))

    def close(self, request: Request, ids: tuple[str, ...]) -> Response:
        conversation = self._conversation(ids[0])
        reject_unknown(request.json_object(), set())
        if conversation.closed_at is not None:
            raise Problem(409, f"chat conversation {conversation.conversation_id} is closed")
        conversation.closed_at = utcnow()
        self.outbox.thulium("CHAT_CONVERSATION_CLOSED", conversation_event(conversation))
        return json_response(serialize_conversation(conversation))
