"""``sync_from_vendor``: read the vendor's data into the mirror.

On an account (an operation without a target): every resource of the account, in time slices
(``SYNC_SLICE_SECONDS``); each slice commits its batches with the cursor and re-queues the
operation, so a large account never holds a worker past its timeout and a stopped run resumes
from the cursor. On a contact: that contact, read by id (a 404 flags it vanished).

Reads are idempotent, so failures are simply retried; a 401 stops the sync and marks the
account's connection as failing, in the vendor's words. In an account's sync, a record the
vendor refuses on its own read (a 4xx other than 401, 403, 404 and 429: a Bony.chat contact, a
Thulium ticket's or a HelpCrunch chat's messages) is counted as ``refused`` and named in
``refused_items`` with the vendor's words, and the sync goes on.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils import timezone

from backoffice.models import Contact, OperationAction
from backoffice.operations.handlers.base import (
    Attempt,
    Done,
    Handler,
    Refused,
    Unfinished,
    describe_error,
)
from backoffice.operations.handlers.connection import connection_result_store
from backoffice.sync import bony, helpcrunch, thulium
from backoffice.sync.bony import BonySync, contacts_vanished_flag
from backoffice.sync.contacts import ContactRow, contact_rows_check, contacts_upsert
from backoffice.sync.helpcrunch import HelpCrunchSync
from backoffice.sync.passes import unreadable
from backoffice.sync.run import SyncRun
from backoffice.sync.thulium import ThuliumSync
from connectors.bony import BonyClient
from connectors.errors import AuthenticationError, NotFound, TransportError
from connectors.helpcrunch import HelpCrunchClient
from connectors.thulium import ThuliumClient


class SyncFromVendor(Handler):
    action = OperationAction.SYNC_FROM_VENDOR
    # Per contact from the Contact list; an account sync has no target (see the runner).
    target_model = Contact

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor  # type: ignore[misc]

    def skip_reason(self, target: Any) -> str | None:
        if isinstance(target, Contact) and not target.vendor_id:
            return "not at the vendor yet (no vendor id)"
        return None

    def perform(self, attempt: Attempt) -> Done:
        try:
            if isinstance(attempt.target, Contact):
                return self._contact(attempt, attempt.target)
            return self._account(attempt)
        except AuthenticationError as error:
            # The credentials were refused: the account's connection shows it at once.
            connection_result_store(
                account=attempt.account, ok=False, message=describe_error(error)
            )
            raise

    def _account(self, attempt: Attempt) -> Done:
        run = SyncRun(
            operation=attempt.operation,
            account=attempt.account,
            full=bool(attempt.params.get("full")),
        )
        client = attempt.client
        try:
            if isinstance(client, ThuliumClient):
                finished = ThuliumSync(run, client)()
            elif isinstance(client, HelpCrunchClient):
                finished = HelpCrunchSync(run, client)()
            else:
                finished = BonySync(run, client)()
        except BaseException:
            run.forget_uncommitted()
            raise
        if not finished:
            raise Unfinished
        return Done(run.result)

    def _contact(self, attempt: Attempt, contact: Contact) -> Done:
        vendor_id = contact.vendor_id or ""
        try:
            row = _read(attempt.client, vendor_id)
        except NotFound:
            flagged = contacts_vanished_flag(contact_ids=[contact.pk])
            return Done({"vanished": True, "flagged": bool(flagged)})
        except TransportError as error:
            if not unreadable(error):
                raise
            raise Refused(
                f"The vendor's answer for {vendor_id} could not be read: {error}"
            ) from error
        good, bad = contact_rows_check([row])
        if bad:
            raise Refused(f"{vendor_id}: {bad[0].reason}")
        upserted = contacts_upsert(account=attempt.account, rows=good, seen_at=timezone.now())
        counts = upserted.counts
        state = "created" if counts.created else "updated" if counts.updated else "unchanged"
        return Done({"vanished": False, "contact": state})


def _read(client: object, vendor_id: str) -> ContactRow:
    if isinstance(client, ThuliumClient):
        return thulium.customer_row(client.get_customer(vendor_id))
    if isinstance(client, HelpCrunchClient):
        return helpcrunch.customer_row(client.get_customer(vendor_id))
    return bony.contact_row(cast(BonyClient, client).get_contact(vendor_id))
