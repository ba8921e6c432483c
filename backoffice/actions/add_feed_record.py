"""Add a contact-history record at Thulium (vendor-docs 000): the whole story of the action.

- **Parameters**: the message (at most ``FEED_MESSAGE_MAX_CHARS``), its author (customer, agent
  or bot) and a past time, blank for now (``FeedRecordForm``).
- **Skipped**: contacts outside the staff member's accounts, at an inactive account, at another
  vendor, or not at Thulium yet (no customer id).
- **Sent**: ``POST customers/{id}/feed_records`` with one ``text`` entry under a fresh id per
  contact (Thulium keeps every entry it is sent under its own id).
- **Reconciled**: only our own record of a successful answer tells; otherwise the outcome stays
  unknown for a person.
- **Mirror**: nothing (the contact history is not mirrored).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.actions.forms import (
    EARLIEST_DATE,
    ActionForm,
    LocalDateTimeInput,
    display,
    past,
    time_zone_help,
)
from backoffice.models import Contact, OperationAction, User
from backoffice.operations.action import (
    Action,
    Done,
    Handler,
    NotReconcilable,
    Run,
    succeeded,
)
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.vendors import Vendor
from connectors.types.thulium import FeedMessage

# Thulium publishes no limit on a contact-history entry; it is a chat line, not a document.
FEED_MESSAGE_MAX_CHARS = 10_000


class FeedRecordForm(ActionForm):
    """vendor-docs 000: one ``text`` entry in the customer's contact history."""

    # The page shows `"author": "customer"`; the other values are the two other parties of a
    # conversation, in the same spelling. The sandbox accepts any string.
    AUTHORS = [
        ("customer", _("Customer")),
        ("agent", _("Agent")),
        ("bot", _("Bot")),
    ]

    message = forms.CharField(
        label=_("Message"),
        max_length=FEED_MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_("At most %(n)s characters.") % {"n": f"{FEED_MESSAGE_MAX_CHARS:,}"},
    )
    author = forms.ChoiceField(label=_("Author"), choices=AUTHORS, initial="customer")
    time = forms.DateTimeField(label=_("Time"), required=False, widget=LocalDateTimeInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time"].help_text = time_zone_help(
            str(_("When it happened, from %(earliest)s until now; blank is now."))
            % {"earliest": EARLIEST_DATE.isoformat()}
        )

    def clean_time(self) -> datetime:
        value = self.cleaned_data.get("time")
        future = _(
            "Time: %(when)s is in the future; give a past time, or leave it blank for now."
        ) % {"when": display(value)}
        return past(value, label=str(self.fields["time"].label), future=future) or timezone.now()


class ThuliumFeedRecord(Handler):
    vendor = Vendor.THULIUM

    def skip_reason(self, target: Any) -> str | None:
        return None if target.vendor_id else "not at Thulium yet (no customer id)"

    def perform(self, run: Run) -> Done:
        params = run.params
        when = datetime.fromisoformat(params["time"]) if params["time"] else timezone.now()
        message = FeedMessage(
            id=params["record_id"], message=params["message"], author=params["author"], time=when
        )
        run.client.add_feed_record(run.target.vendor_id, [message])
        return Done({"record_id": params["record_id"]})

    def reconcile(self, run: Run) -> Done | None:
        # Only our own record can tell: the worker died after the vendor's answer was saved.
        if succeeded(run.last_send()):
            return Done({"record_id": run.params["record_id"]})
        raise NotReconcilable


class AddFeedRecord(Action):
    name = OperationAction.ADD_FEED_RECORD
    permission = "add_feed_record"
    target_model = Contact
    handlers = (ThuliumFeedRecord(),)


ACTION = register(AddFeedRecord())


def add_feed_record_enqueue(
    *, actor: User, contacts: QuerySet[Contact] | Sequence[Contact], cleaned: Mapping[str, Any]
) -> Enqueued:
    """Queue the same entry (``FeedRecordForm``'s cleaned data) into each contact's history."""
    shared = {
        "message": cleaned["message"],
        "author": cleaned["author"],
        "time": cleaned["time"].isoformat(),
    }

    def per_contact(contact: Contact) -> dict[str, Any]:
        # A fresh id per record: Thulium keeps every entry it is sent under its own id.
        return {"record_id": f"switchboard-{uuid.uuid4().hex}", **shared}

    return operations_enqueue(actor=actor, action=ACTION.name, targets=contacts, params=per_contact)
