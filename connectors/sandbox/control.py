"""The control and introspection API under `/_sandbox/` (no auth; the server answers it to
loopback clients only). Bodies are JSON; errors are `{"error": "..."}` with a 400 or 404.

    GET    /_sandbox/state                     fixed ids, credentials, counts
    GET    /_sandbox/requests?vendor=&limit=   what the vendors received (Authorization redacted)
    DELETE /_sandbox/requests                  forget them
    POST   /_sandbox/reset                     {"seed"?, "contacts"?}: reseed; faults, limits,
                                               counters and the journal back to the start
    GET    /_sandbox/faults                    {"rates": {...}, "queue": [...]}
    POST   /_sandbox/faults                    {"clear"?: true, "rates"?: {...}, "push"?: [...]}
    DELETE /_sandbox/faults                    no rates, empty queue
    GET    /_sandbox/limits                    {"limits": {vendor: per window}, "window_seconds"}
    POST   /_sandbox/limits                    {"thulium"?, "helpcrunch"?, "bony"?: n (0 =
                                               unlimited), "window_seconds"?}; counters restart
    GET    /_sandbox/state/thulium/customers/<id>          with its feed_records
    GET    /_sandbox/state/thulium/tickets/<id>            with its messages
    GET    /_sandbox/state/thulium/conversations/<uuid>
    GET    /_sandbox/state/helpcrunch/customers/<id>
    GET    /_sandbox/state/helpcrunch/chats/<id>           with its messages, oldest first
    GET    /_sandbox/state/bony/<token>/contacts/<raw id>  with its messages and conversation
                                                           (raw id percent-encoded, not base64)

Webhooks (`control_hooks.py`; Thulium's subscriptions are its API's `GET`/`POST webhooks` and
`DELETE webhooks/<id>`, see `thulium_webhooks.py`):

    GET    /_sandbox/webhooks                  every subscription: {"thulium": [...],
                                               "helpcrunch": {...}, "bony": {token: {...}}}
    GET    /_sandbox/webhooks/helpcrunch       {"signing_key", "urls": {event: url}}
    PUT    /_sandbox/webhooks/helpcrunch       {"signing_key", "urls"?: {event: url}}: the
                                               settings page (one URL per event type, one key
                                               per organisation); replaces what was there
    DELETE /_sandbox/webhooks/helpcrunch       no key, no URLs
    GET    /_sandbox/webhooks/bony/<token>     {"url", "events"} (url null: none)
    PUT    /_sandbox/webhooks/bony/<token>     {"url", "events"?: [...] (default: all)}
    DELETE /_sandbox/webhooks/bony/<token>     none
    GET    /_sandbox/deliveries?vendor=&event=&limit=&wait=1&timeout=10
                                               {"deliveries": [...], "pending": n, "idle"};
                                               wait=1 first waits (outside the state lock, up to
                                               `timeout` s, at most 60) until nothing is queued,
                                               held or being sent
    DELETE /_sandbox/deliveries                forget the journal (queued ones still go)
    GET    /_sandbox/deliveries/settings       {"attempts", "backoff_seconds",
                                               "timeout_seconds", "hold_seconds"}
    POST   /_sandbox/deliveries/settings       any of those
    GET    /_sandbox/delivery_faults           {"rates": {...}, "queue": [...]}
    POST   /_sandbox/delivery_faults           {"clear"?, "rates"?: {"duplicate",
                                               "out_of_order", "bad_signature" (0-1),
                                               "vendors"}, "push"?: [{"kind", "vendor"?,
                                               "event"?, "times"?: 1}]} (`delivery_faults.py`)
    DELETE /_sandbox/delivery_faults           no rates, empty queue

Simulated activity, each changing the state and delivering the vendor's events (the calls and
their bodies are listed in each module):

    /_sandbox/simulate/helpcrunch/...          `simulate_helpcrunch.py`: customers (new,
                                               changed, deleted), chats (new, a customer's
                                               message, assigned, status, closed)
    /_sandbox/simulate/thulium/...             `simulate_thulium.py`: customers, tickets,
                                               chat conversations (created, assigned, closed)
    /_sandbox/simulate/bony/<token>/contacts/...  `simulate_bony.py`: contacts (new, changed),
                                               a contact's message, conversation open/close

A delivery journal record is described in `delivery.py`; the event shapes in `outbox.py` and
docs/webhooks.md.

A journal record: `seq`, `timestamp` (UNIX), `vendor`, `method`, `path`, `query` (raw string),
`headers` (lower-case names; Authorization, Proxy-Authorization and Cookie shown as
`"<scheme> [redacted]"`), `body` (text), `status` (None when the connection was dropped, even
after the write), `fault` (the kind injected, or None). The newest 10,000 are kept.

Fault rates: `error`, `drop`, `rate_limit`, `slow` (probabilities), `error_status`,
`retry_after`, `slow_seconds`, `vendors` (list). A pushed fault: `{"kind": "error" | "refuse" |
"slow" | "drop" | "drop_after_write" | "rate_limit", "vendor"?, "method"?, "path_prefix"?,
"times"?: 1, "status"?: 503 (422 for "refuse"), "message"? (for "refuse"), "seconds"?,
"retry_after"?: 1}` (see `faults.py`).
"""

from __future__ import annotations

from connectors.sandbox import seed
from connectors.sandbox.control_hooks import HookControl, wait_seconds
from connectors.sandbox.core import Sandbox
from connectors.sandbox.faults import VENDORS, rates_from_json, scripted_from_json
from connectors.sandbox.helpcrunch import HelpCrunchApi
from connectors.sandbox.plans import reject_unknown
from connectors.sandbox.simulate_bony import BonySimulation, contact_readout
from connectors.sandbox.simulate_helpcrunch import HelpCrunchSimulation
from connectors.sandbox.simulate_thulium import ThuliumSimulation
from connectors.sandbox.thulium_json import (
    local_time,
    serialize_conversation,
    serialize_customer,
    serialize_ticket,
)
from connectors.sandbox.wire import Problem, Request, Response, dispatch, json_response, route

MOUNT = "/_sandbox"


class Control:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.routes = [
            route("GET", "", self.summary),
            route("GET", "state", self.summary),
            route("GET", "requests", self.requests),
            route("DELETE", "requests", self.forget_requests),
            route("POST", "reset", self.reset),
            route("GET", "faults", self.faults),
            route("POST", "faults", self.change_faults),
            route("DELETE", "faults", self.clear_faults),
            route("GET", "limits", self.limits),
            route("POST", "limits", self.change_limits),
            route("GET", "state/thulium/customers/*", self.thulium_customer),
            route("GET", "state/thulium/tickets/*", self.thulium_ticket),
            route("GET", "state/thulium/conversations/*", self.thulium_conversation),
            route("GET", "state/helpcrunch/customers/*", self.helpcrunch_customer),
            route("GET", "state/helpcrunch/chats/*", self.helpcrunch_chat),
            route("GET", "state/bony/*/contacts/*", self.bony_contact),
            *HookControl(sandbox).routes,
            *HelpCrunchSimulation(sandbox.state, sandbox.outbox).routes,
            *ThuliumSimulation(sandbox.state, sandbox.outbox).routes,
            *BonySimulation(sandbox.state, sandbox.outbox).routes,
        ]

    def handle(self, request: Request) -> Response:
        try:
            if request.method == "GET" and request.segments == ("deliveries",):
                seconds = wait_seconds(request)
                if seconds is not None:  # never while holding the lock: deliveries need none
                    self.sandbox.deliverer.wait_idle(seconds)
            with self.sandbox.lock:
                return dispatch(
                    self.routes, request, not_found="Not found.", not_allowed="Method not allowed."
                )
        except Problem as problem:
            return json_response({"error": problem.message}, problem.status)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)

    # --- control ---

    def summary(self, _: Request, __: tuple[str, ...]) -> Response:
        sandbox, state = self.sandbox, self.sandbox.state
        return json_response(
            {
                "seed": sandbox.options.seed,
                "contacts": sandbox.options.contacts,
                "thulium": {
                    "base_path": "/thulium/api",
                    "users": sorted(sandbox.options.thulium_users),
                    "customer_id": seed.THULIUM_CUSTOMER_ID,
                    "ticket_id": seed.THULIUM_TICKET_ID,
                    "chat_queue_id": seed.THULIUM_CHAT_QUEUE_ID,
                    "agent_login": seed.THULIUM_AGENT_LOGIN,
                    "customers": len(state.thulium.customers),
                    "tickets": len(state.thulium.tickets),
                    "agents": sorted(state.thulium.agents),
                },
                "helpcrunch": {
                    "base_path": "/helpcrunch/v1",
                    "customer_id": seed.HELPCRUNCH_CUSTOMER_ID,
                    "chat_id": seed.HELPCRUNCH_CHAT_ID,
                    "agent_id": seed.HELPCRUNCH_AGENT_ID,
                    "customers": len(state.helpcrunch.customers),
                    "chats": len(state.helpcrunch.chats),
                },
                "bony": {
                    "base_path": "/bony/api/v1",
                    "channels": [
                        {
                            "token": c.token,
                            "kind": c.kind,
                            "contacts": len(c.contacts),
                            "first_contact_id": next(iter(c.contacts), None),
                        }
                        for c in state.bony.values()
                    ],
                },
                **sandbox.limiter.to_json(),
            }
        )

    def requests(self, request: Request, _: tuple[str, ...]) -> Response:
        vendor = request.param("vendor")
        if vendor is not None and vendor not in VENDORS:
            raise Problem(400, f"vendor must be one of {', '.join(VENDORS)}")
        records = self.sandbox.received(vendor)
        limit = request.param("limit")
        if limit:
            records = records[-int(limit) :] if limit.isdigit() else records
        return json_response({"requests": records})

    def forget_requests(self, _: Request, __: tuple[str, ...]) -> Response:
        self.sandbox.journal.clear()
        return json_response({"requests": []})

    def reset(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        seed_value, contacts = payload.get("seed"), payload.get("contacts")
        for name, value in (("seed", seed_value), ("contacts", contacts)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise Problem(400, f"{name} must be an integer")
        self.sandbox.reset(
            seed=seed_value if isinstance(seed_value, int) else None,
            contacts=contacts if isinstance(contacts, int) else None,
        )
        return self.summary(request, ())

    def faults(self, _: Request, __: tuple[str, ...]) -> Response:
        return json_response(self.sandbox.faults.to_json())

    def change_faults(self, request: Request, _: tuple[str, ...]) -> Response:
        self.sandbox.faults.change(
            request.json_object(), read_rates=rates_from_json, read_scripted=scripted_from_json
        )
        return json_response(self.sandbox.faults.to_json())

    def clear_faults(self, _: Request, __: tuple[str, ...]) -> Response:
        self.sandbox.faults.clear()
        return json_response(self.sandbox.faults.to_json())

    def limits(self, _: Request, __: tuple[str, ...]) -> Response:
        return json_response(self.sandbox.limiter.to_json())

    def change_limits(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        reject_unknown(payload, {*VENDORS, "window_seconds"})
        limits: dict[str, int] = {}
        for vendor in VENDORS:
            value = payload.get(vendor)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise Problem(400, f"{vendor} must be a non-negative integer (0 = unlimited)")
            limits[vendor] = value
        window = payload.get("window_seconds")
        if window is not None and (not isinstance(window, int | float) or window <= 0):
            raise Problem(400, "window_seconds must be a positive number")
        self.sandbox.limiter.configure(limits, float(window) if window is not None else None)
        return json_response(self.sandbox.limiter.to_json())

    # --- read-outs ---

    def thulium_customer(self, _: Request, ids: tuple[str, ...]) -> Response:
        customers = self.sandbox.state.thulium.customers
        customer = customers.get(int(ids[0])) if ids[0].isdigit() else None
        if customer is None:
            raise Problem(404, f"no Thulium customer {ids[0]}")
        records = [
            {
                "type": r.type,
                "payload": r.payload,
                "entries": r.entries,
                "created_at": local_time(r.created_at),
            }
            for r in customer.feed_records
        ]
        return json_response({**serialize_customer(customer), "feed_records": records})

    def thulium_ticket(self, _: Request, ids: tuple[str, ...]) -> Response:
        tickets = self.sandbox.state.thulium.tickets
        ticket = tickets.get(int(ids[0])) if ids[0].isdigit() else None
        if ticket is None:
            raise Problem(404, f"no Thulium ticket {ids[0]}")
        return json_response(serialize_ticket(ticket, messages=True))

    def thulium_conversation(self, _: Request, ids: tuple[str, ...]) -> Response:
        conversation = self.sandbox.state.thulium.conversations.get(ids[0])
        if conversation is None:
            raise Problem(404, f"no Thulium chat conversation {ids[0]}")
        return json_response(serialize_conversation(conversation))

    def _helpcrunch(self) -> HelpCrunchApi:
        return next(a for a in self.sandbox.apis if isinstance(a, HelpCrunchApi))

    def helpcrunch_customer(self, _: Request, ids: tuple[str, ...]) -> Response:
        customers = self.sandbox.state.helpcrunch.customers
        customer = customers.get(int(ids[0])) if ids[0].isdigit() else None
        if customer is None:
            raise Problem(404, f"no HelpCrunch customer {ids[0]}")
        return json_response(self._helpcrunch().customer_json(customer))

    def helpcrunch_chat(self, _: Request, ids: tuple[str, ...]) -> Response:
        chat = self.sandbox.state.helpcrunch.chats.get(int(ids[0])) if ids[0].isdigit() else None
        if chat is None:
            raise Problem(404, f"no HelpCrunch chat {ids[0]}")
        api = self._helpcrunch()
        messages = [api.message_json(m) for m in chat.messages]
        return json_response({**api.chat_json(chat), "messages": messages})

    def bony_contact(self, _: Request, ids: tuple[str, ...]) -> Response:
        channel = self.sandbox.state.bony.get(ids[0])
        contact = channel.contacts.get(ids[1]) if channel is not None else None
        if contact is None:
            raise Problem(404, f"no Bony contact {ids[1]} on channel {ids[0]}")
        return json_response(contact_readout(contact))
