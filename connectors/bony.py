"""Bony.chat (chatbot contacts) API v1 client — a white-label of a respond.io v1-style API.

``Authorization: Bearer <channel token>``; tokens are per channel, 100 calls a minute each.
On Viber channels every contact id in a path is base64-encoded (then percent-encoded). Pages
referenced as "vendor-docs 004" are the vendor's own page kept with the project's vendor
contract.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from connectors.encoding import path_segment
from connectors.errors import PageLimitExceeded, TransportError, VendorError
from connectors.pagination import DEFAULT_MAX_PAGES, Malformed, check_paging
from connectors.transport import (
    BearerAuth,
    BeforeSend,
    Hooks,
    RateLimiter,
    Recorder,
    Transport,
    hooks_from,
)
from connectors.types.bony import BonyContact
from connectors.types.common import as_mapping, list_items, opt_int, opt_str, unexpected

__all__ = ["BonyClient", "BonyContact"]

DEFAULT_BASE_URL = "https://app.bony.chat/api/v1"
MAX_FIELDS_PER_REQUEST = 30  # vendor-docs 004: "Máximo 30 campos" per update / create
MAX_TAGS_PER_REQUEST = 10  # vendor-docs 004: "Máximo 10 etiquetas" per add / remove
# check_connection looks up an address no contact can have (".invalid" is reserved, RFC 2606).
PROBE_EMAIL = "switchboard-connection-check@example.invalid"


def _value(value: object) -> object:
    """Booleans travel as TRUE / FALSE (vendor-docs 004); everything else as given."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return value


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _next_page(body: Mapping[str, Any], current: int) -> int | None:
    """The page number after ``current``, or None at the end.

    Only the *number* is taken from ``links.next``: the vendor's links point at http:// and drop
    the ``name`` / ``value`` filter, so the next request is built from our own base URL.
    """
    links = body.get("links")
    meta = body.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    if isinstance(links, Mapping) and "next" in links:
        nxt = links.get("next")
        if not nxt:
            return None
        pages = parse_qs(urlsplit(str(nxt)).query).get("page", [])
        number = opt_int(pages[0]) if pages else None
        if number is not None and number > current:
            return number
        return current + 1
    last = opt_int(meta.get("last_page"))
    if last is not None and current < last:
        return current + 1
    return None


class BonyClient:
    vendor = "bony"

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        viber: bool = False,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        hooks: Hooks | None = None,
        recorder: Recorder | None = None,
        before_send: BeforeSend | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        if not token:
            raise ValueError("token must not be empty")
        self.viber = viber
        self.transport = Transport(
            vendor=self.vendor,
            base_url=base_url,
            auth=BearerAuth(token),
            timeout=timeout,
            session=session,
            hooks=hooks_from(
                hooks, recorder=recorder, before_send=before_send, rate_limiter=rate_limiter
            ),
        )

    def __repr__(self) -> str:
        return f"BonyClient(base_url={self.transport.base_url!r}, viber={self.viber!r})"

    def _contact(self, contact_id: int | str) -> str:
        """A contact id as a path segment: base64 first on Viber channels (vendor-docs 004)."""
        raw = str(contact_id)
        if not raw:
            raise ValueError("contact_id must not be empty")
        if self.viber:
            raw = base64.b64encode(raw.encode("utf-8")).decode("ascii")
        return path_segment(raw)

    # --- reads ----------------------------------------------------------------------------

    def find_contacts(
        self,
        field: str,
        value: object,
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
        on_malformed: Callable[[Malformed], None] | None = None,
    ) -> Iterator[BonyContact]:
        """vendor-docs 004: GET /contact/by_custom_field?name=...&value=..., every page.

        ``value`` is percent-encoded (a space as ``%20``, ``+`` as ``%2B``); booleans as
        TRUE / FALSE. Pages after the first repeat ``name`` and ``value`` with ``page=N``.
        With ``on_malformed``, a contact the vendor sends without an id is reported there and
        skipped; without it, it raises ``TransportError``.
        """
        check_paging(1, max_pages)
        if not field:
            raise ValueError("field must not be empty")
        base = [("name", field), ("value", str(_value(value)))]
        page = 1
        for _ in range(max_pages):
            query = base if page == 1 else [*base, ("page", str(page))]
            body = self.transport.request(
                "GET", "contact/by_custom_field", query=query, idempotent=True
            )
            for item in list_items(body, ("data",)):
                try:
                    contact = BonyContact.from_api(item)
                except TransportError as error:
                    if on_malformed is None:
                        raise
                    on_malformed(Malformed(None, str(error)))
                    continue
                yield contact
            if not isinstance(body, Mapping):
                return
            following = _next_page(body, page)
            if following is None:
                return
            page = following
        raise PageLimitExceeded(
            f"bony contact/by_custom_field: stopped after {max_pages} pages; the vendor has more"
        )

    def get_contact(self, contact_id: int | str) -> BonyContact:
        """vendor-docs 004: GET /contact/{contact_id}."""
        body = self.transport.request(
            "GET", f"contact/{self._contact(contact_id)}", idempotent=True
        )
        return BonyContact.from_api(as_mapping(body, "contact response").get("data"))

    def check_connection(self) -> None:
        """One cheap authenticated read: a lookup by an e-mail no contact can have.

        The lookup answers an empty page when nothing matches, so any error means the token or
        the base URL is wrong (401 / 403, or a 404 for a path that does not exist).
        """
        self.transport.request(
            "GET",
            "contact/by_custom_field",
            query=[("name", "email"), ("value", PROBE_EMAIL)],
            idempotent=True,
        )

    # --- writes ---------------------------------------------------------------------------

    @staticmethod
    def _custom_fields(fields: Mapping[str, object]) -> list[dict[str, object]]:
        if not isinstance(fields, Mapping):
            raise TypeError("fields must be a mapping of field name to value")
        return [{"name": name, "value": _value(v)} for name, v in fields.items()]

    def update_contact(self, contact_id: int | str, fields: Mapping[str, object]) -> str:
        """vendor-docs 004: PUT /contact/{contact_id}, in requests of at most 30 fields.

        Every field is sent, in the given order. Returns the contact id the vendor reports.
        """
        items = self._custom_fields(fields)
        if not items:
            raise ValueError("no fields to update")
        return self._update(contact_id, items)

    def _update(self, contact_id: int | str, items: list[dict[str, object]]) -> str:
        reported = str(contact_id)
        for chunk in _chunks(items, MAX_FIELDS_PER_REQUEST):
            body = self.transport.request(
                "PUT",
                f"contact/{self._contact(contact_id)}",
                json_body={"custom_fields": chunk},
                idempotent=True,
            )
            reported = self._id(body) or reported
        return reported

    @staticmethod
    def _id(body: object) -> str | None:
        if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
            return opt_str(body["data"].get("id"))
        return None

    def create_contact(self, fields: Mapping[str, object]) -> str:
        """vendor-docs 004: POST /contact — the first 30 fields; the rest as updates.

        The page's heading says ``/v1/contact``; its curl sample has a stray trailing slash,
        which some routers answer with a redirect (and a redirect is never followed), so the
        heading's form is used. Returns the new contact's id. If a follow-up update fails, the
        error raised carries ``created_id``: resume with ``update_contact``, never re-create.
        """
        items = self._custom_fields(fields)
        if not items:
            raise ValueError("no fields to create the contact with")
        first, rest = items[:MAX_FIELDS_PER_REQUEST], items[MAX_FIELDS_PER_REQUEST:]
        body = self.transport.request(
            "POST", "contact", json_body={"custom_fields": first}, idempotent=False
        )
        created = self._id(body)
        if created is None:
            raise unexpected("no data.id for the created contact")
        if rest:
            try:
                self._update(created, rest)
            except VendorError as error:
                error.created_id = created
                raise
        return created

    def add_tags(self, contact_id: int | str, tags: Iterable[str]) -> None:
        """vendor-docs 004: POST /contact/{contact_id}/tags, in requests of at most 10 tags."""
        self._tags("POST", contact_id, tags)

    def remove_tags(self, contact_id: int | str, tags: Iterable[str]) -> None:
        """vendor-docs 004: DELETE /contact/{contact_id}/tags, in requests of at most 10 tags."""
        self._tags("DELETE", contact_id, tags)

    def _tags(self, method: str, contact_id: int | str, tags: Iterable[str]) -> None:
        if isinstance(tags, str):
            raise TypeError("tags must be a list of tag names, not a string")
        names = [str(t) for t in tags]
        if not names or not all(names):
            raise ValueError("tags must be a non-empty list of non-empty names")
        for chunk in _chunks(names, MAX_TAGS_PER_REQUEST):
            self.transport.request(
                method,
                f"contact/{self._contact(contact_id)}/tags",
                json_body={"tags": chunk},
                idempotent=True,
            )

    def send_text(self, contact_id: int | str, text: str) -> None:
        """Vendor docs, messages: POST /message/sendContent/{contactId}, one text part."""
        if not text:
            raise ValueError("text must not be empty")
        self.transport.request(
            "POST",
            f"message/sendContent/{self._contact(contact_id)}",
            json_body={"body": [{"type": "text", "text": text}]},
            idempotent=False,
        )
