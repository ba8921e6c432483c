"""Thulium, under `/thulium/api/`: HTTP Basic auth, the vendor pages 000-002 plus the documented
readers.

Wire format as the pages show it: `POST customers/{id}/feed_records` answers 200 with an *empty*
body, `POST tickets/{id}/agent_response` answers `[]`, `POST chat_conversations/start` takes its
parameters in the query string and answers `{"conversation_id": "<uuid4>"}`. Errors are
`{"request_id": "<32 hex>", "errors": [{"message": "...", "code": <int>}]}`; the codes are the
sandbox's own (status x 1000 + 1: 400001 validation, 401001 authentication, 404001 unknown id or
path, 405001 method, 429001 rate limit), messages name the offending field (`user_login: ...`).

Shapes nobody has verified, chosen here (clients must parse them tolerantly):
- `GET customers` and `GET tickets` answer a bare JSON array; `limit` is 1-100 (default 100, more
  is a 400), `offset` ≥ 0. Customers filter on `email` (case-insensitive), `phone_number` (digits
  compared, so `+48 601 234 567` matches `48601234567`) and `date_from`; tickets on `date_from`,
  `customer_id` and `status_id[]` (repeatable; `status_id` also accepted). `date_from` is
  `YYYY-MM-DD[ HH:MM[:SS]]` local time and compares with `updated_at`.
- a customer: `{customer_id, name, surname, email, phone_number, company_name, client_id,
  custom_fields{}, tags[], created_at, updated_at}`; a ticket: `{ticket_id, subject,
  status_id: "2", queue_id, customer_id, customer_email, created_at, updated_at}` plus, from
  `GET tickets/{id}` only, `messages: [{message_id, type: MAIL|REPLY|COMMENT, body, body_type,
  user_login, from_email, date, attachments: [{filename, token, size}]}]`, oldest first.
- `GET chat_conversations/{id}`: `{conversation_id, chat_queue_id, customer_id, client_id,
  client_name, client_surname, client_email, created_at}` (customer_id null when nothing matched).
- `GET agents`: `[{login, name, surname, email, active}]`; `GET chat_queues`: `[{chat_queue_id,
  name}]`.
- Times are `YYYY-MM-DD HH:MM:SS` in Europe/Warsaw. A reply's `date` must be `YYYY-MM-DD HH:MM`.
- Temporary-file tokens are 22 hex characters and expire after 24 hours; a feed record moves the
  customer's `updated_at`, a reply the ticket's.
- Webhooks (`thulium_webhooks.py`): a feed record raises `CUSTOMER_UPDATED` (it moves the
  customer's `updated_at`), a reply `TICKET_UPDATED`, a started chat
  `CHAT_CONVERSATION_CREATED`; the simulations (`simulate_thulium.py`) raise the rest.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from connectors.sandbox.outbox import Outbox
from connectors.sandbox.state import (
    ChatConversation,
    FeedRecord,
    SandboxState,
    TemporaryFile,
    ThuliumAttachment,
    ThuliumCustomer,
    ThuliumMessage,
    ThuliumTicket,
    utcnow,
)
from connectors.sandbox.thulium_json import (
    conversation_event,
    customer_event,
    parse_local,
    serialize_conversation,
    serialize_customer,
    serialize_ticket,
    ticket_event,
)
from connectors.sandbox.thulium_webhooks import ThuliumWebhooks
from connectors.sandbox.wire import (
    NOT_FOUND,
    SLUGS,
    Problem,
    Request,
    Response,
    dispatch,
    json_response,
    paging,
    require_str,
    route,
)

FILE_LIFETIME = timedelta(hours=24)


def _digits(phone: str | None) -> str:
    return "".join(c for c in phone or "" if c.isdigit())


class ThuliumApi:
    name = "thulium"
    mount = "/thulium/api"

    def __init__(self, state: SandboxState, users: Mapping[str, str], outbox: Outbox) -> None:
        self.state = state
        self.users = dict(users)
        self.outbox = outbox
        self.routes = [
            *ThuliumWebhooks(state).routes,
            route("GET", "customers", self.list_customers),
            route("GET", "customers/*", self.get_customer),
            route("POST", "customers/*/feed_records", self.add_feed_record),
            route("GET", "tickets", self.list_tickets),
            route("GET", "tickets/*", self.get_ticket),
            route("POST", "tickets/*/agent_response", self.agent_response),
            route("POST", "chat_conversations/start", self.start_chat),
            route("GET", "chat_conversations/*", self.get_conversation),
            route("POST", "temporary_files", self.upload_temporary_file),
            route("GET", "agents", self.list_agents),
            route("GET", "chat_queues", self.list_chat_queues),
        ]

    # --- the server's interface ---

    def credential(self, headers: Mapping[str, str]) -> str | None:
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        expected = self.users.get(username)
        if expected is None or not hmac.compare_digest(expected, password):
            return None
        return username

    def render(self, problem: Problem) -> Response:
        errors = [
            {
                "message": f"{code}: {message}" if code and code not in SLUGS else message,
                "code": problem.status * 1000 + 1,
            }
            for code, message in problem.errors
        ]
        return json_response({"request_id": uuid.uuid4().hex, "errors": errors}, problem.status)

    def unauthorized(self) -> Response:
        response = self.render(Problem(401, "Invalid API user or password."))
        response.headers["WWW-Authenticate"] = 'Basic realm="Thulium API"'
        return response

    def too_many_requests(self) -> Response:
        return self.render(Problem(429, "Too many requests."))

    def handle(self, request: Request) -> Response:
        try:
            return dispatch(
                self.routes,
                request,
                not_found="Resource not found.",
                not_allowed="Method not allowed.",
            )
        except Problem as problem:
            return self.render(problem)

    # --- lookups ---

    def _customer(self, raw_id: str) -> ThuliumCustomer:
        customer = self.state.thulium.customers.get(int(raw_id)) if raw_id.isdigit() else None
        if customer is None:
            raise Problem(404, f"Customer {raw_id} not found.", code=NOT_FOUND)
        return customer

    def _ticket(self, raw_id: str) -> ThuliumTicket:
        ticket = self.state.thulium.tickets.get(int(raw_id)) if raw_id.isdigit() else None
        if ticket is None:
            raise Problem(404, f"Ticket {raw_id} not found.", code=NOT_FOUND)
        return ticket

    def _date_from(self, request: Request) -> datetime | None:
        raw = request.param("date_from")
        if not raw:
            return None
        formats = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
        return parse_local(raw, formats, "date_from")

    # --- customers ---

    def list_customers(self, request: Request, _: tuple[str, ...]) -> Response:
        offset, limit = paging(request)
        email = (request.param("email") or "").lower()
        phone = _digits(request.param("phone_number"))
        since = self._date_from(request)
        found = (
            c
            for c in self.state.thulium.customers.values()
            if (not email or (c.email or "").lower() == email)
            and (not phone or _digits(c.phone_number) == phone)
            and (since is None or c.updated_at >= since)
        )
        # Only the page asked for is serialized: the others' JSON would be thrown away.
        page = itertools.islice(found, offset, offset + limit)
        return json_response([serialize_customer(c) for c in page])

    def get_customer(self, _: Request, ids: tuple[str, ...]) -> Response:
        return json_response(serialize_customer(self._customer(ids[0])))

    def add_feed_record(self, request: Request, ids: tuple[str, ...]) -> Response:
        customer = self._customer(ids[0])
        payload = request.json_object()
        record_type = require_str(payload, "type")
        if record_type != "ZOWIE":
            raise Problem(400, f"Invalid value '{record_type}', allowed: ZOWIE.", code="type")
        raw = payload.get("payload")
        if raw is None or raw == "":
            raise Problem(400, "This value should not be blank.", code="payload")
        if not isinstance(raw, str):
            raise Problem(400, "Must be a string holding a JSON array.", code="payload")
        try:
            entries = json.loads(raw)
        except ValueError:
            entries = None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise Problem(400, "Must be a string holding a JSON array of objects.", code="payload")
        now = utcnow()
        customer.feed_records.append(FeedRecord(record_type, raw, entries, now))
        customer.updated_at = now
        self.outbox.thulium("CUSTOMER_UPDATED", customer_event(customer))
        return Response(200)  # the vendor's page: an empty body

    # --- tickets ---

    def list_tickets(self, request: Request, _: tuple[str, ...]) -> Response:
        offset, limit = paging(request)
        since = self._date_from(request)
        customer_id = request.param("customer_id")
        statuses = set(request.params("status_id[]") + request.params("status_id"))
        found = (
            t
            for t in self.state.thulium.tickets.values()
            if (since is None or t.updated_at >= since)
            and (not customer_id or str(t.customer_id) == customer_id)
            and (not statuses or str(t.status_id) in statuses)
        )
        page = itertools.islice(found, offset, offset + limit)
        return json_response([serialize_ticket(t, messages=False) for t in page])

    def get_ticket(self, _: Request, ids: tuple[str, ...]) -> Response:
        return json_response(serialize_ticket(self._ticket(ids[0]), messages=True))

    def agent_response(self, request: Request, ids: tuple[str, ...]) -> Response:
        ticket = self._ticket(ids[0])
        payload = request.json_object()
        body = require_str(payload, "body")
        body_type = payload.get("body_type", "HTML")
        if body_type not in ("HTML", "PLAIN"):
            message = f"Invalid value '{body_type}', allowed: HTML, PLAIN."
            raise Problem(400, message, code="body_type")
        login = require_str(payload, "user_login")
        if login not in self.state.thulium.agents:
            raise Problem(400, f"Agent with login '{login}' does not exist.", code="user_login")
        date = utcnow()
        if payload.get("date") is not None:
            raw_date = payload["date"]
            if not isinstance(raw_date, str):
                raise Problem(400, "Expected a string YYYY-MM-DD HH:MM.", code="date")
            date = parse_local(raw_date, ("%Y-%m-%d %H:%M",), "date")
        attachments = self._attachments(payload.get("attachments", []))
        data = self.state.thulium
        ticket.messages.append(
            ThuliumMessage(
                message_id=data.next_message_id,
                type="REPLY",
                body=body,
                body_type=str(body_type),
                user_login=login,
                from_email=None,
                date=date,
                attachments=attachments,
            )
        )
        data.next_message_id += 1
        ticket.updated_at = utcnow()
        self.outbox.thulium("TICKET_UPDATED", ticket_event(ticket))
        return json_response([])

    def _attachments(self, tokens: object) -> list[ThuliumAttachment]:
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise Problem(400, "Expected an array of temporary file tokens.", code="attachments")
        found = []
        for token in tokens:
            stored = self.state.thulium.files.get(token)
            if stored is None or utcnow() - stored.created_at > FILE_LIFETIME:
                message = f"Temporary file '{token}' does not exist or has expired."
                raise Problem(400, message, code="attachments")
            found.append(ThuliumAttachment(token, stored.filename, len(stored.content)))
        return found

    # --- chats, files, agents ---

    def start_chat(self, request: Request, _: tuple[str, ...]) -> Response:
        raw_queue = request.param("chat_queue_id")
        if not raw_queue:
            raise Problem(400, "This value should not be blank.", code="chat_queue_id")
        data = self.state.thulium
        if not raw_queue.isdigit() or int(raw_queue) not in data.chat_queues:
            raise Problem(400, f"Chat queue '{raw_queue}' does not exist.", code="chat_queue_id")
        customer_id, client_id = request.param("customer_id"), request.param("client_id")
        email = request.param("client_email")
        conversation = ChatConversation(
            conversation_id=str(uuid.UUID(int=self.state.rng.getrandbits(128), version=4)),
            chat_queue_id=int(raw_queue),
            customer_id=self._match_customer(customer_id, client_id, email),
            client_id=client_id,
            client_name=request.param("client_name"),
            client_surname=request.param("client_surname"),
            client_email=email,
            created_at=utcnow(),
        )
        data.conversations[conversation.conversation_id] = conversation
        self.outbox.thulium("CHAT_CONVERSATION_CREATED", conversation_event(conversation))
        return json_response({"conversation_id": conversation.conversation_id})

    def _match_customer(
        self, customer_id: str | None, client_id: str | None, email: str | None
    ) -> int | None:
        """The vendor's page: customer_id first, then client_id, then the e-mail address."""
        customers = self.state.thulium.customers
        if customer_id and customer_id.isdigit() and int(customer_id) in customers:
            return int(customer_id)
        for customer in customers.values():
            if client_id and customer.client_id == client_id:
                return customer.customer_id
        for customer in customers.values():
            if email and (customer.email or "").lower() == email.lower():
                return customer.customer_id
        return None

    def get_conversation(self, _: Request, ids: tuple[str, ...]) -> Response:
        conversation = self.state.thulium.conversations.get(ids[0])
        if conversation is None:
            raise Problem(404, f"Chat conversation {ids[0]} not found.", code=NOT_FOUND)
        return json_response(serialize_conversation(conversation))

    def upload_temporary_file(self, request: Request, _: tuple[str, ...]) -> Response:
        filename = request.param("filename")
        if not filename:
            raise Problem(400, "This value should not be blank.", code="filename")
        token = f"{self.state.rng.getrandbits(88):022x}"
        self.state.thulium.files[token] = TemporaryFile(token, filename, request.body, utcnow())
        return json_response({"filename": filename, "token": token, "size": len(request.body)})

    def list_agents(self, _: Request, __: tuple[str, ...]) -> Response:
        agents = self.state.thulium.agents.values()
        return json_response(
            [
                {
                    "login": a.login,
                    "name": a.name,
                    "surname": a.surname,
                    "email": a.email,
                    "active": a.active,
                }
                for a in agents
            ]
        )

    def list_chat_queues(self, _: Request, __: tuple[str, ...]) -> Response:
        queues = self.state.thulium.chat_queues.values()
        return json_response([{"chat_queue_id": q.chat_queue_id, "name": q.name} for q in queues])
