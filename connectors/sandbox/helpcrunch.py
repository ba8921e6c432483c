"""HelpCrunch, under `/helpcrunch/v1/`: `Authorization: Bearer <key>`, the vendor page 003 plus the
documented customers, chats and agents API.

Errors are `{"errors": [{"code": "invalid_request", "message": "Invalid request"}, {"code": <field
or slug>, "message": ...}]}`; the 401 and 429 bodies are the page's, word for word. Choices where
the page shows nothing: 404 adds `{"code": "not_found", "message": "<Thing> not found."}` (an
unknown chat in `POST /messages` is a 404 too), an unknown agent is a 400 on the `agent` field, a
non-numeric id is a 400 "This value should be of type numeric.", 405 adds `method_not_allowed`,
a body that is not JSON (or not an object) is a 400 adding `invalid_json`.

- `POST /messages`: `chat` and `text` required, `type` message|private (default message), `agent`
  required for a private note, omitted = written by the customer; `markdownText`, when sent,
  becomes the stored `text` (the page: the response has no markdownText, text carries the markup).
  The answer is the message exactly as the page shows it; timestamps are strings of UNIX seconds.
  A message moves the chat's `lastMessageAt` (and `lastCustomerMessageAt` when the customer wrote).
- `PATCH /customers/{id}` changes the fields sent (customData keys are merged); `PUT` replaces
  the customer, setting every editable field it omits to null — as the vendor does. Unknown fields
  are a 400 "This field was not expected.". Tags go through `PUT`/`DELETE /customers/{id}/tags`.
- Webhooks (`outbox.py`): `POST /messages` raises `message.chat.customer`, `message.chat.agent`
  or `message.private`; a customer write raises `customer.email_updated`,
  `customer.tags_changed`, `customer.(un)subscribed` or `customer.(un)blocked` for what it
  changed, and nothing for other fields (the vendor has no event for them). The simulations
  (`simulate_helpcrunch.py`) raise the chat events, `customer.new` and `customer.deleted`.
- Lists take `offset` + `limit` (1-100, default 100). Customers and messages answer
  `{data, total}`, chats and agents `{data, meta: {total}}`; messages come newest first.
- `GET /chats` sorts by `sort` = `chats.createdAt|lastCustomerMessageAt|lastMessageAt|closedAt`
  (the `chats.` prefix optional) and `order` = asc|desc; by id ascending when not asked.
- `POST /customers/search` takes `{filter: [{field, operator, value}], comparison: AND|OR, sort,
  order, offset, limit}` with fields `customers.id|name|email|company|phone|userId|city|
  countryCode|firstSeen|lastSeen|tagsData` and operators `= != ~ !~ > >= < <=`; `=` on strings
  ignores case, `~` means "contains".
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Collection, Mapping

from connectors.sandbox import helpcrunch_json as hc_json
from connectors.sandbox.helpcrunch_search import descending, find_customers
from connectors.sandbox.outbox import Outbox
from connectors.sandbox.state import (
    HelpCrunchChat,
    HelpCrunchCustomer,
    HelpCrunchMessage,
    HelpCrunchTag,
    SandboxState,
    stamp_value,
    utcnow,
)
from connectors.sandbox.wire import (
    NOT_FOUND,
    Problem,
    Request,
    Response,
    bearer_token,
    dispatch,
    json_response,
    paging,
    require_str,
    route,
)

INVALID_REQUEST = {"code": "invalid_request", "message": "Invalid request"}
EDITABLE = {
    "name": "name",
    "email": "email",
    "userId": "user_id",
    "company": "company",
    "phone": "phone",
    "notes": "notes",
    "locale": "locale",
    "customData": "custom_data",
    "unsubscribed": "unsubscribed",
    "blocked": "blocked",
}
# What a customer change is compared on, and the event each difference raises.
CUSTOMER_EVENTS: tuple[Callable[[object], str], ...] = (
    lambda _: "customer.email_updated",
    lambda _: "customer.tags_changed",
    lambda new: "customer.unsubscribed" if new else "customer.subscribed",
    lambda new: "customer.blocked" if new else "customer.unblocked",
)


def customer_events_state(customer: HelpCrunchCustomer) -> tuple[object, ...]:
    """What `CUSTOMER_EVENTS` compare, in their order."""
    tags = tuple(t.name for t in customer.tags)
    return (customer.email, tags, bool(customer.unsubscribed), bool(customer.blocked))


def raise_customer_events(
    outbox: Outbox, customer: HelpCrunchCustomer, before: tuple[object, ...]
) -> None:
    """The customer events a change raises (HelpCrunch has none for a name or a phone)."""
    after = customer_events_state(customer)
    for event, old, new in zip(CUSTOMER_EVENTS, before, after, strict=True):
        if old != new:
            outbox.helpcrunch(event(new), hc_json.customer_json(customer))


CHAT_SORTS: dict[str, Callable[[HelpCrunchChat], float]] = {
    "createdAt": lambda c: stamp_value(c.created_at),
    "lastCustomerMessageAt": lambda c: stamp_value(c.last_customer_message_at),
    "lastMessageAt": lambda c: stamp_value(c.last_message_at),
    "closedAt": lambda c: stamp_value(c.closed_at),
}


class HelpCrunchApi:
    name = "helpcrunch"
    mount = "/helpcrunch/v1"

    def __init__(self, state: SandboxState, keys: Collection[str], outbox: Outbox) -> None:
        self.state = state
        self.keys = tuple(keys)
        self.outbox = outbox
        self.routes = [
            route("POST", "messages", self.post_message),
            route("GET", "customers", self.list_customers),
            route("POST", "customers/search", self.search_customers),
            route("GET", "customers/*", self.get_customer),
            route("PATCH", "customers/*", self.patch_customer),
            route("PUT", "customers/*", self.put_customer),
            route("PUT", "customers/*/tags", self.add_tags),
            route("DELETE", "customers/*/tags", self.remove_tags),
            route("GET", "chats", self.list_chats),
            route("GET", "chats/*", self.get_chat),
            route("GET", "chats/*/messages", self.list_messages),
            route("GET", "agents", self.list_agents),
        ]

    # --- the server's interface ---

    def credential(self, headers: Mapping[str, str]) -> str | None:
        token = bearer_token(headers)
        if token is None or not any(hmac.compare_digest(token, key) for key in self.keys):
            return None
        return token

    def render(self, problem: Problem) -> Response:
        errors = [
            INVALID_REQUEST,
            *({"code": c or "invalid_request", "message": m} for c, m in problem.errors),
        ]
        return json_response({"errors": errors}, problem.status)

    def unauthorized(self) -> Response:
        return self.render(Problem(401, "Unauthorized", code="unauthorized"))

    def too_many_requests(self) -> Response:
        return self.render(Problem(429, "Too many requests", code="too_many_requests"))

    def handle(self, request: Request) -> Response:
        try:
            return dispatch(
                self.routes, request, not_found="Not found.", not_allowed="Method Not Allowed"
            )
        except Problem as problem:
            return self.render(problem)

    # --- serializers (also used by the control endpoint; see `helpcrunch_json`) ---

    def customer_json(self, c: HelpCrunchCustomer) -> dict[str, object]:
        return hc_json.customer_json(c)

    def message_json(self, m: HelpCrunchMessage) -> dict[str, object]:
        return hc_json.message_json(self.state.helpcrunch, m)

    def chat_json(self, chat: HelpCrunchChat) -> dict[str, object]:
        return hc_json.chat_json(self.state.helpcrunch, chat)

    def agent_json(self, agent_id: int | None) -> dict[str, object] | None:
        return hc_json.agent_json(self.state.helpcrunch, agent_id)

    # --- lookups ---

    def _numeric(self, raw: object, field: str) -> int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.isdigit():
            return int(raw)
        if raw is None or raw == "":
            raise Problem(400, "This value should not be blank.", code=field)
        raise Problem(400, "This value should be of type numeric.", code=field)

    def _customer(self, raw_id: str) -> HelpCrunchCustomer:
        customer = self.state.helpcrunch.customers.get(self._numeric(raw_id, "customer"))
        if customer is None:
            raise Problem(404, "Customer not found.", code=NOT_FOUND)
        return customer

    def _chat(self, raw_id: object) -> HelpCrunchChat:
        chat = self.state.helpcrunch.chats.get(self._numeric(raw_id, "chat"))
        if chat is None:
            raise Problem(404, "Chat not found.", code=NOT_FOUND)
        return chat

    # --- messages ---

    def post_message(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        chat_id = self._numeric(payload.get("chat"), "chat")
        text = require_str(payload, "text")
        markdown = payload.get("markdownText")
        if markdown is not None and not isinstance(markdown, str):
            raise Problem(400, "This value should be of type string.", code="markdownText")
        kind = payload.get("type", "message")
        if kind not in ("message", "private"):
            raise Problem(400, "The value you selected is not a valid choice.", code="type")
        agent_id = None
        if payload.get("agent") is not None or kind == "private":
            agent_id = self._numeric(payload.get("agent"), "agent")
            if agent_id not in self.state.helpcrunch.agents:
                raise Problem(400, f"Agent {agent_id} not found.", code="agent")
        chat = self._chat(chat_id)
        data = self.state.helpcrunch
        now = utcnow().timestamp()
        message = HelpCrunchMessage(
            id=data.next_message_id,
            chat_id=chat.id,
            agent_id=agent_id,
            type=str(kind),
            text=markdown or text,
            read=False,
            created_at=str(int(now)),
            updated_at=str(int(now)),
        )
        data.next_message_id += 1
        chat.messages.append(message)
        chat.last_message_at = int(now)
        if agent_id is None:
            chat.last_customer_message_at = message.created_at
        event = hc_json.message_event_data(data, chat, message)
        self.outbox.helpcrunch(hc_json.message_event_name(message), event)
        return json_response(self.message_json(message))

    def list_messages(self, request: Request, ids: tuple[str, ...]) -> Response:
        chat = self._chat(ids[0])
        offset, limit = paging(request)
        newest_first = sorted(chat.messages, key=lambda m: (float(m.created_at), m.id))[::-1]
        page = [self.message_json(m) for m in newest_first[offset : offset + limit]]
        return json_response({"data": page, "total": len(chat.messages)})

    # --- customers ---

    def list_customers(self, request: Request, _: tuple[str, ...]) -> Response:
        offset, limit = paging(request)
        customers = list(self.state.helpcrunch.customers.values())
        page = [self.customer_json(c) for c in customers[offset : offset + limit]]
        return json_response({"data": page, "total": len(customers)})

    def get_customer(self, _: Request, ids: tuple[str, ...]) -> Response:
        return json_response(self.customer_json(self._customer(ids[0])))

    def patch_customer(self, request: Request, ids: tuple[str, ...]) -> Response:
        customer = self._customer(ids[0])
        changes = self._customer_changes(request.json_object())
        merged = changes.get("customData")
        if isinstance(merged, dict) and customer.custom_data is not None:
            changes["customData"] = {**customer.custom_data, **merged}
        before = customer_events_state(customer)
        for wire_name, value in changes.items():
            setattr(customer, EDITABLE[wire_name], value)
        raise_customer_events(self.outbox, customer, before)
        return json_response(self.customer_json(customer))

    def put_customer(self, request: Request, ids: tuple[str, ...]) -> Response:
        customer = self._customer(ids[0])
        changes = self._customer_changes(request.json_object())
        before = customer_events_state(customer)
        for wire_name, attribute in EDITABLE.items():
            setattr(customer, attribute, changes.get(wire_name))  # omitted: null, as the vendor
        raise_customer_events(self.outbox, customer, before)
        return json_response(self.customer_json(customer))

    def _customer_changes(self, payload: dict[str, object]) -> dict[str, object]:
        for name, value in payload.items():
            if name not in EDITABLE:
                raise Problem(400, "This field was not expected.", code=name)
            if value is None:
                continue
            if name in ("unsubscribed", "blocked"):
                if not isinstance(value, bool):
                    raise Problem(400, "This value should be of type bool.", code=name)
            elif name == "customData":
                if not isinstance(value, dict) or any(
                    isinstance(v, dict | list) for v in value.values()
                ):
                    raise Problem(400, "Expected an object of scalar values.", code=name)
            elif not isinstance(value, str):
                raise Problem(400, "This value should be of type string.", code=name)
            elif name == "email" and ("@" not in value or "." not in value.split("@")[-1]):
                raise Problem(400, "This value is not a valid email address.", code=name)
        return dict(payload)

    def add_tags(self, request: Request, ids: tuple[str, ...]) -> Response:
        customer = self._customer(ids[0])
        before = customer_events_state(customer)
        for name, color in self._tags(request):
            tag = self.state.helpcrunch.tags.setdefault(name, HelpCrunchTag(name, color or "#ccc"))
            if all(t.name != name for t in customer.tags):
                customer.tags.append(tag)
        raise_customer_events(self.outbox, customer, before)
        return json_response(self.customer_json(customer))

    def remove_tags(self, request: Request, ids: tuple[str, ...]) -> Response:
        customer = self._customer(ids[0])
        names = {name for name, _ in self._tags(request)}
        before = customer_events_state(customer)
        customer.tags = [t for t in customer.tags if t.name not in names]
        raise_customer_events(self.outbox, customer, before)
        return json_response(self.customer_json(customer))

    def _tags(self, request: Request) -> list[tuple[str, str | None]]:
        tags = request.json_object().get("tags")
        if not isinstance(tags, list) or not tags:
            raise Problem(400, "This value should not be blank.", code="tags")
        found = []
        for index, tag in enumerate(tags):
            if not isinstance(tag, dict):
                raise Problem(400, "This value should be of type object.", code=f"tags[{index}]")
            name = require_str(tag, "name", code=f"tags[{index}].name")
            color = tag.get("color")
            found.append((name, color if isinstance(color, str) else None))
        return found

    def search_customers(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        found = find_customers(self.state.helpcrunch.customers.values(), payload)
        offset = self._numeric(payload.get("offset", 0), "offset")
        limit = self._numeric(payload.get("limit", 100), "limit")
        if not 1 <= limit <= 100:
            raise Problem(400, "This value should be between 1 and 100.", code="limit")
        page = [self.customer_json(c) for c in found[offset : offset + limit]]
        return json_response({"data": page, "total": len(found)})

    # --- chats, agents ---

    def list_chats(self, request: Request, _: tuple[str, ...]) -> Response:
        offset, limit = paging(request)
        chats = list(self.state.helpcrunch.chats.values())
        sort = request.param("sort")
        if sort:
            key = CHAT_SORTS.get(sort.removeprefix("chats."))
            if key is None:
                raise Problem(400, "The value you selected is not a valid choice.", code="sort")
            chats.sort(key=key, reverse=descending(request.param("order")))
        elif descending(request.param("order")):
            chats.reverse()
        page = [self.chat_json(c) for c in chats[offset : offset + limit]]
        return json_response({"data": page, "meta": {"total": len(chats)}})

    def get_chat(self, _: Request, ids: tuple[str, ...]) -> Response:
        return json_response(self.chat_json(self._chat(ids[0])))

    def list_agents(self, request: Request, _: tuple[str, ...]) -> Response:
        offset, limit = paging(request)
        ids = list(self.state.helpcrunch.agents)
        page = [self.agent_json(a) for a in ids[offset : offset + limit]]
        return json_response({"data": page, "meta": {"total": len(ids)}})
