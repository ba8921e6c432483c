"""Sync from the vendor: read the vendor's data into the mirror — the whole story of the action.

On an account (an operation without a target): every resource of the account, through the
vendor's sync passes (``backoffice.adapters`` → ``backoffice.sync``), in time slices
(``SYNC_SLICE_SECONDS``); each slice commits its batches with the cursor and re-queues the
operation, so a large account never holds a worker past its timeout and a stopped run resumes
from the cursor. On a contact ("Refresh from the vendor" on the contact list): that contact,
read by id (a 404 flags it vanished).

- **Parameters** (accounts): a full resync or only what changed; for Bony.chat, contacts to
  import by a custom-field search (``SyncForm``). Contacts: none.
- **Skipped**: targets outside the staff member's scope, at an inactive account; an account
  already syncing (one sync of an account at a time: the database refuses a second, so a race
  is skipped too, never queued twice); a contact not at its vendor yet.
- **Sent**: reads only (idempotent), so failures are simply retried; a 401 stops the sync and
  marks the account's connection as failing, in the vendor's words. In an account's sync, a
  record the vendor refuses on its own read (a 4xx other than 401, 403, 404 and 429) is counted
  as ``refused`` and named in ``refused_items`` with the vendor's words, and the sync goes on.
- **Mirror**: contacts, tags, tickets, chats and their messages (``backoffice.mirror``), through
  the passes; a refused connection on the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.actions.forms import ActionForm
from backoffice.adapters import adapter_for
from backoffice.mirror.accounts import connection_result_store
from backoffice.mirror.contacts import contact_rows_check, contacts_upsert, contacts_vanished_flag
from backoffice.models import (
    Contact,
    Operation,
    OperationAction,
    OperationState,
    User,
    VendorAccount,
)
from backoffice.operations.action import (
    Action,
    Done,
    Handler,
    Refused,
    Run,
    Unfinished,
    describe_error,
)
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.sync.passes import unreadable
from backoffice.sync.run import SyncRun
from backoffice.vendors import Vendor
from connectors.errors import AuthenticationError, NotFound, TransportError

ALREADY_SYNCING = "a sync of this account is already queued or running"

MAX_SEARCH_VALUES = 50
SEARCH_VALUE_MAX_CHARS = 255
SEARCH_FIELDS = [
    ("", "—"),
    ("email", _("E-mail")),
    ("phone", _("Phone")),
    ("customerid", _("Customer id")),
]


class SyncForm(ActionForm):
    """An account's sync: in full or not; Bony.chat contacts to import by a field."""

    full = forms.BooleanField(
        label=_("Full resync"),
        required=False,
        help_text=_(
            "Read everything again, not only what changed since the last sync. Rows a complete"
            " listing no longer shows are flagged as missing at the vendor."
        ),
    )
    search_field = forms.ChoiceField(
        label=_("Import Bony.chat contacts by"),
        choices=SEARCH_FIELDS,
        required=False,
        help_text=_(
            "Bony.chat cannot list all contacts: its sync refreshes the known ones, and imports"
            " new ones found by this field."
        ),
    )
    search_values = forms.CharField(
        label=_("Values to look up"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line, at most %(n)s (phone numbers with their +).")
        % {"n": MAX_SEARCH_VALUES},
    )

    def clean_search_values(self) -> list[str]:
        raw = self.cleaned_data.get("search_values") or ""
        values = list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))
        if len(values) > MAX_SEARCH_VALUES:
            raise forms.ValidationError(
                _("at most %(limit)s values, got %(count)s."),
                params={"limit": MAX_SEARCH_VALUES, "count": len(values)},
            )
        for value in values:
            if len(value) > SEARCH_VALUE_MAX_CHARS:
                raise forms.ValidationError(
                    _("each value at most %(limit)s characters; “%(start)s…” has %(count)s."),
                    params={
                        "limit": SEARCH_VALUE_MAX_CHARS,
                        "start": value[:20],
                        "count": len(value),
                    },
                )
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        field, values = cleaned.get("search_field"), cleaned.get("search_values")
        if values and not field:
            self.add_error("search_field", _("choose the field the values are looked up by."))
        if field and not values and "search_values" not in self.errors:
            self.add_error("search_values", _("give at least one value to look up."))
        return cleaned

    def search(self) -> list[dict[str, str]]:
        field = str(self.cleaned_data.get("search_field") or "")
        return [{"field": field, "value": v} for v in self.cleaned_data.get("search_values", [])]


class VendorSync(Handler):
    """The sync at one vendor: an account's passes, or one contact read again."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor  # type: ignore[misc]

    def skip_reason(self, target: Any) -> str | None:
        if isinstance(target, Contact) and not target.vendor_id:
            return "not at the vendor yet (no vendor id)"
        return None

    def perform(self, run: Run) -> Done:
        try:
            if isinstance(run.target, Contact):
                return _contact(run, run.target)
            return _account(run)
        except AuthenticationError as error:
            # The credentials were refused: the account's connection shows it at once.
            connection_result_store(account=run.account, ok=False, message=describe_error(error))
            raise


def _account(run: Run) -> Done:
    sync = SyncRun(operation=run.operation, account=run.account, full=bool(run.params.get("full")))
    try:
        finished = adapter_for(run.account.vendor).sync(sync, run.client)
    except BaseException:
        sync.forget_uncommitted()
        raise
    if not finished:
        raise Unfinished
    return Done(sync.result)


def _contact(run: Run, contact: Contact) -> Done:
    vendor_id = contact.vendor_id or ""
    try:
        row = adapter_for(run.account.vendor).read_contact(run.client, vendor_id)
    except NotFound:
        flagged = contacts_vanished_flag(contact_ids=[contact.pk])
        return Done({"vanished": True, "flagged": bool(flagged)})
    except TransportError as error:
        if not unreadable(error):
            raise
        raise Refused(f"The vendor's answer for {vendor_id} could not be read: {error}") from error
    good, bad = contact_rows_check([row])
    if bad:
        raise Refused(f"{vendor_id}: {bad[0].reason}")
    upserted = contacts_upsert(account=run.account, rows=good, seen_at=timezone.now())
    counts = upserted.counts
    state = "created" if counts.created else "updated" if counts.updated else "unchanged"
    return Done({"vanished": False, "contact": state})


def account_sync_pending(*, account: VendorAccount) -> Operation | None:
    return (
        Operation.objects.filter(
            account=account,
            action=OperationAction.SYNC_FROM_VENDOR,
            target_id__isnull=True,
            state__in=OperationState.PENDING,
        )
        .order_by("pk")
        .first()
    )


class SyncFromVendor(Action):
    name = OperationAction.SYNC_FROM_VENDOR
    permission = "sync_from_vendor"
    # A contact (read again by id) or, as an operation without a target, the whole account.
    target_model = Contact
    handlers = tuple(VendorSync(vendor) for vendor in Vendor.values)
    one_at_a_time = ALREADY_SYNCING

    def skip_reason(self, target: Any) -> str | None:
        if isinstance(target, VendorAccount) and account_sync_pending(account=target):
            return ALREADY_SYNCING
        return None

    def stored_target(self, target: Any) -> Any:
        return None if isinstance(target, VendorAccount) else target


ACTION = register(SyncFromVendor())


def account_syncs_enqueue(
    *,
    actor: User | None,
    accounts: Iterable[VendorAccount],
    full: bool = False,
    search: Sequence[Mapping[str, str]] = (),
) -> Enqueued:
    """Queue one sync of each account, unless one is queued or running for it already.

    ``search`` (field and value pairs) imports Bony.chat contacts by a custom-field lookup;
    other vendors list all.
    """

    def params(account: VendorAccount) -> dict[str, Any]:
        values: dict[str, Any] = {"full": full}
        if search and account.vendor == Vendor.BONY:
            values["search"] = [dict(s) for s in search]
        return values

    return operations_enqueue(actor=actor, action=ACTION.name, targets=accounts, params=params)


def contacts_refresh_enqueue(
    *, actor: User, contacts: QuerySet[Contact] | Sequence[Contact]
) -> Enqueued:
    """Queue a read of each contact by its vendor id (no form: nothing to ask)."""
    return operations_enqueue(actor=actor, action=ACTION.name, targets=contacts, params={})


def account_sync_scheduled(*, account_id: int) -> str:
    """The scheduled sync of one account: queued, or skipped while another one runs."""
    account = VendorAccount.objects.filter(pk=account_id).first()
    if account is None:
        return "no such account"
    with transaction.atomic():
        result = account_syncs_enqueue(actor=None, accounts=[account])
    return "queued" if result.count else result.skipped[0].reason
