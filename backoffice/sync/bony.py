"""Bony.chat: no "list all", so every known contact is refreshed by id, and new ones are
imported by a custom-field search (e-mail, phone, customer id) a staff member asks for.

A contact whose read answers 404 is flagged vanished (and un-flagged if it comes back); one the
vendor refuses (another 4xx, not 401, 403 or 429) is named in the result and the rest goes on.
"""

from __future__ import annotations

from typing import Any

from backoffice.mirror.contacts import ContactRow, contacts_vanished_flag
from backoffice.models import Contact, SyncCursor
from backoffice.sync.cursors import cursor_for, pass_begin, pass_end
from backoffice.sync.passes import contacts_store, refusal, unreadable
from backoffice.sync.run import SyncRun
from connectors.bony import BonyClient, BonyContact
from connectors.errors import InvalidRequest, NotFound, PageLimitExceeded, TransportError
from connectors.pagination import Malformed

Resource = SyncCursor.Resource
STANDARD = ("firstName", "lastName", "email", "phone")
# Contacts read by id, then stored, in one batch.
REFRESH_BATCH = 10
# The fields a staff member may search Bony.chat by to import contacts.
SEARCH_FIELDS = ("email", "phone", "customerid")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def contact_row(contact: BonyContact) -> ContactRow:
    custom = dict(contact.custom_fields)
    standard = {name: _text(custom.pop(name, None)) for name in STANDARD}
    return ContactRow(
        vendor_id=contact.id,
        first_name=standard["firstName"],
        last_name=standard["lastName"],
        email=standard["email"],
        phone=standard["phone"],
        custom_fields=custom,
        # The shape a push compares with (actions.push_to_vendor.bony_fields).
        snapshot={**standard, **custom},
        tags=tuple((name, "") for name in dict.fromkeys(contact.tags) if name),
    )


class BonySync:
    def __init__(self, run: SyncRun, client: BonyClient) -> None:
        self.run = run
        self.client = client

    def __call__(self) -> bool:
        searches: list[dict[str, Any]] = list(self.run.operation.params.get("search") or [])
        while int(self.run.result.get("search_next", 0)) < len(searches):
            self._search(searches[int(self.run.result.get("search_next", 0))])
            if self.run.out_of_time():
                return False
        if self.run.is_done(Resource.CONTACTS):
            return True
        return self._refresh()

    def _search(self, search: dict[str, Any]) -> None:
        """Import the contacts whose ``field`` equals ``value``: every page of the lookup."""
        field, value = str(search["field"]), str(search["value"])
        malformed: list[Malformed] = []
        found: dict[str, BonyContact] = {}
        try:
            for contact in self.client.find_contacts(field, value, on_malformed=malformed.append):
                found[contact.id] = contact
        except PageLimitExceeded as cut:
            malformed.append(Malformed(None, f"search {field}={value}: {cut}"))

        def write() -> None:
            counts = contacts_store(
                self.run, Resource.CONTACTS, [contact_row(c) for c in found.values()]
            )
            counts += self.run.skipped(Resource.CONTACTS, malformed)
            self.run.count(Resource.CONTACTS, counts)
            searched = self.run.result.setdefault("searched", [])
            searched.append({"field": field, "value": value, "found": len(found)})
            self.run.result["search_next"] = int(self.run.result.get("search_next", 0)) + 1

        self.run.commit(write)

    def _refresh(self) -> bool:
        cursor = cursor_for(account=self.run.account, resource=Resource.CONTACTS)
        pass_begin(cursor=cursor, full=True)
        while True:
            after = int(cursor.position.get("after", 0))
            batch = list(
                Contact.objects.filter(
                    account=self.run.account, vendor_id__isnull=False, pk__gt=after
                )
                # Contacts this sync's search has just imported are read once, not twice.
                .exclude(last_synced_at__gte=self.run.operation.created_at)
                .order_by("pk")
                .values_list("pk", "vendor_id")[:REFRESH_BATCH]
            )
            if not batch:
                self._close(cursor)
                return True
            self._refresh_batch(cursor, batch)
            if self.run.out_of_time():
                return False

    def _refresh_batch(self, cursor: SyncCursor, batch: list[tuple[int, str | None]]) -> None:
        rows: list[ContactRow] = []
        gone: list[int] = []
        failed: list[Malformed] = []
        refusals: list[Malformed] = []
        for pk, vendor_id in batch:
            try:
                rows.append(contact_row(self.client.get_contact(vendor_id or "")))
            except NotFound:
                gone.append(pk)
            except TransportError as error:
                if not unreadable(error):
                    raise
                failed.append(Malformed(vendor_id, str(error)))
            except InvalidRequest as error:
                refused = refusal(vendor_id or "", error)
                if refused is None:
                    raise
                refusals.append(refused)

        def write() -> None:
            counts = contacts_store(self.run, Resource.CONTACTS, rows)
            counts.vanished += contacts_vanished_flag(contact_ids=gone)
            counts += self.run.skipped(Resource.CONTACTS, failed)
            counts += self.run.refused(Resource.CONTACTS, refusals)
            self.run.count(Resource.CONTACTS, counts)
            cursor.position = {"after": batch[-1][0]}

        self.run.commit(write, cursor=cursor)

    def _close(self, cursor: SyncCursor) -> None:
        def write() -> None:
            # Refreshed one by one: a contact is flagged by its own 404, never by absence.
            pass_end(cursor=cursor, listed_everything=False)

        self.run.commit(write, cursor=cursor, done=Resource.CONTACTS)
