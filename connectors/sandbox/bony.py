"""Bony.chat, under `/bony/api/v1/`: `Authorization: Bearer <channel token>`, the vendor page 004.

Every token is a channel with its own contacts. Errors are `{"status": "error", "message": ...,
"data": []}`: 401 "API Token is invalid.", 405 "405 Method Not Allowed.", 429 "Too many requests"
(the page's words); rule violations (more than 30 fields or 10 tags in one request, a missing
field) are the page's "General" 403 with a message; an unknown contact is a 404 "Contact not
found.", an unknown path a 404 "Not Found.", a body that is not JSON a 400 "Invalid JSON body.".

- `GET /contact/by_custom_field?name&value&page`: 10 a page, the page's envelope
  `{data, links: {first, last, prev, next}, meta: {current_page, from, last_page, path, per_page,
  to, total}}`. As the vendor's, the links carry only `?page=N` (not `name`/`value`) and use the
  `http://` scheme: a client must build the next request itself. Values compare as text, booleans
  as `TRUE`/`FALSE` (exactly, upper case), so a `+` sent unencoded (a space once decoded) does not
  match a phone number.
- Any field name is accepted in `custom_fields` (the vendor lets a channel define its own).
- Ids are 16-digit strings on Messenger channels. On Viber channels they are Viber user ids,
  which look like base64 (`5VJAZzcm2ltdqkI0ZH8x1w==`), and every path must carry them
  base64-encoded once more (then percent-encoded); anything that does not decode is a 404.
  `POST /contact` answers the raw id.
- `POST /message/sendContent/{id}` stores `body` on the contact (read it back from
  `/_sandbox/state/bony/<token>/contacts/<raw id>`).
- Webhooks (`outbox.py`), to the channel's subscription: `POST /contact` raises
  `contact.created`; `PUT /contact/{id}` and a change of tags `contact.updated`; each item of a
  `sendContent` body one `message.sent` (`message` = the item). The simulations
  (`simulate_bony.py`) raise `message.received` and the conversation events.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping

from connectors.sandbox.outbox import Outbox
from connectors.sandbox.seed import new_bony_contact_id
from connectors.sandbox.state import BonyChannel, BonyContact, BonyMessage, SandboxState, utcnow
from connectors.sandbox.wire import (
    INVALID_JSON,
    Problem,
    Request,
    Response,
    bearer_token,
    dispatch,
    json_response,
    route,
)

PER_PAGE = 10
MAX_FIELDS = 30
MAX_TAGS = 10
SCALARS = (str, int, float, bool, type(None))


def contact_json(contact: BonyContact) -> dict[str, object]:
    return {
        "id": contact.id,
        "custom_fields": dict(contact.custom_fields),
        "tags": list(contact.tags),
        "created_at": contact.created_at,
    }


def searchable(value: object) -> str | None:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return None if value is None else str(value)


def general(message: str) -> Problem:
    """The page's "General" error: a 403 with a message."""
    return Problem(403, message)


class BonyApi:
    name = "bony"
    mount = "/bony/api/v1"

    def __init__(self, state: SandboxState, outbox: Outbox) -> None:
        self.state = state
        self.outbox = outbox
        self.routes = [
            route("GET", "contact/by_custom_field", self.find_by_custom_field),
            route("POST", "contact", self.create_contact),
            route("GET", "contact/*", self.get_contact),
            route("PUT", "contact/*", self.update_contact),
            route("POST", "contact/*/tags", self.add_tags),
            route("DELETE", "contact/*/tags", self.remove_tags),
            route("POST", "message/sendContent/*", self.send_content),
        ]

    # --- the server's interface ---

    def credential(self, headers: Mapping[str, str]) -> str | None:
        token = bearer_token(headers)
        return token if token is not None and token in self.state.bony else None

    def render(self, problem: Problem) -> Response:
        return json_response(
            {"status": "error", "message": problem.message, "data": []}, problem.status
        )

    def unauthorized(self) -> Response:
        return self.render(Problem(401, "API Token is invalid."))

    def too_many_requests(self) -> Response:
        return self.render(Problem(429, "Too many requests"))

    def handle(self, request: Request) -> Response:
        try:
            return dispatch(
                self.routes, request, not_found="Not Found.", not_allowed="405 Method Not Allowed."
            )
        except Problem as problem:
            if problem.errors[0][0] == INVALID_JSON:  # the shared parser's refusal
                problem = Problem(400, "Invalid JSON body.")
            return self.render(problem)

    # --- lookups ---

    def _channel(self, request: Request) -> BonyChannel:
        return self.state.bony[bearer_token(request.headers) or ""]

    def _emit(self, request: Request, event: str, contact: BonyContact) -> None:
        self.outbox.bony(self._channel(request).token, event, contact_json(contact))

    def _contact(self, channel: BonyChannel, raw_id: str) -> BonyContact:
        contact_id: str | None = raw_id
        if channel.viber:
            try:
                contact_id = base64.b64decode(raw_id, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                contact_id = None
        contact = channel.contacts.get(contact_id) if contact_id is not None else None
        if contact is None:
            raise Problem(404, "Contact not found.")
        return contact

    def _custom_fields(self, request: Request) -> list[tuple[str, object]]:
        fields = request.json_object().get("custom_fields")
        if not isinstance(fields, list) or not fields:
            raise general("The custom fields field is required.")
        if len(fields) > MAX_FIELDS:
            raise general(f"Maximum {MAX_FIELDS} custom fields are allowed per request.")
        pairs: list[tuple[str, object]] = []
        for index, item in enumerate(fields):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise general(f"The custom_fields.{index}.name field is required.")
            if "value" not in item or not isinstance(item["value"], SCALARS):
                raise general(f"The custom_fields.{index}.value field is invalid.")
            pairs.append((str(item["name"]), item["value"]))
        return pairs

    def _tags(self, request: Request) -> list[str]:
        tags = request.json_object().get("tags")
        if not isinstance(tags, list) or not tags:
            raise general("The tags field is required.")
        if len(tags) > MAX_TAGS:
            raise general(f"Maximum {MAX_TAGS} tags are allowed per request.")
        if not all(isinstance(t, str) and t.strip() for t in tags):
            raise general("Every tag must be a non-empty string.")
        return [str(t) for t in tags]

    # --- contacts ---

    def find_by_custom_field(self, request: Request, _: tuple[str, ...]) -> Response:
        channel = self._channel(request)
        name, value = request.param("name"), request.param("value")
        if not name:
            raise general("The name field is required.")
        if value is None:
            raise general("The value field is required.")
        raw_page = request.param("page") or "1"
        page = max(1, int(raw_page)) if raw_page.isdigit() else 1
        matches = [
            c for c in channel.contacts.values() if searchable(c.custom_fields.get(name)) == value
        ]
        last_page = max(1, math.ceil(len(matches) / PER_PAGE))
        items = matches[(page - 1) * PER_PAGE : page * PER_PAGE]
        path = "http://" + request.base_url.split("://", 1)[-1] + "/contact/by_custom_field"
        first = (page - 1) * PER_PAGE + 1 if items else None
        return json_response(
            {
                "data": [contact_json(c) for c in items],
                "links": {
                    "first": f"{path}?page=1",
                    "last": f"{path}?page={last_page}",
                    "prev": f"{path}?page={page - 1}" if page > 1 else None,
                    "next": f"{path}?page={page + 1}" if page < last_page else None,
                },
                "meta": {
                    "current_page": page,
                    "from": first,
                    "last_page": last_page,
                    "path": path,
                    "per_page": PER_PAGE,
                    "to": first + len(items) - 1 if first is not None else None,
                    "total": len(matches),
                },
            }
        )

    def get_contact(self, request: Request, ids: tuple[str, ...]) -> Response:
        contact = self._contact(self._channel(request), ids[0])
        return json_response({"data": contact_json(contact)})

    def update_contact(self, request: Request, ids: tuple[str, ...]) -> Response:
        contact = self._contact(self._channel(request), ids[0])
        contact.custom_fields.update(self._custom_fields(request))
        contact.updated_at = utcnow()
        self._emit(request, "contact.updated", contact)
        return json_response({"data": {"id": contact.id}})

    def create_contact(self, request: Request, _: tuple[str, ...]) -> Response:
        channel = self._channel(request)
        fields = self._custom_fields(request)
        now = utcnow()
        contact = BonyContact(
            id=new_bony_contact_id(self.state.rng, channel),
            custom_fields=dict(fields),
            tags=[],
            created_at=int(now.timestamp()),
            updated_at=now,
        )
        channel.contacts[contact.id] = contact
        self._emit(request, "contact.created", contact)
        return json_response({"data": {"id": contact.id}})

    def add_tags(self, request: Request, ids: tuple[str, ...]) -> Response:
        contact = self._contact(self._channel(request), ids[0])
        before = list(contact.tags)
        for tag in self._tags(request):
            if tag not in contact.tags:
                contact.tags.append(tag)
        contact.updated_at = utcnow()
        if contact.tags != before:
            self._emit(request, "contact.updated", contact)
        return json_response(
            {
                "status": "success",
                "message": "Contact Tags have been added successfully.",
                "data": [],
            }
        )

    def remove_tags(self, request: Request, ids: tuple[str, ...]) -> Response:
        contact = self._contact(self._channel(request), ids[0])
        removed = set(self._tags(request))
        before = list(contact.tags)
        contact.tags = [t for t in contact.tags if t not in removed]
        contact.updated_at = utcnow()
        if contact.tags != before:
            self._emit(request, "contact.updated", contact)
        return json_response(
            {"status": "success", "message": "Contact Tags deleted successfully.", "data": []}
        )

    def send_content(self, request: Request, ids: tuple[str, ...]) -> Response:
        contact = self._contact(self._channel(request), ids[0])
        body = request.json_object().get("body")
        if not isinstance(body, list) or not body:
            raise general("The body field is required.")
        for index, item in enumerate(body):
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise general(f"The body.{index}.type field is required.")
            text = item.get("text")
            if item["type"] == "text" and (not isinstance(text, str) or not text.strip()):
                raise general(f"The body.{index}.text field is required.")
        contact.messages.append(BonyMessage(body=list(body), sent_at=utcnow()))
        token = self._channel(request).token
        for item in body:
            self.outbox.bony(token, "message.sent", contact_json(contact), dict(item))
        return json_response({"status": "Success", "message": "Message Sent", "data": []})
