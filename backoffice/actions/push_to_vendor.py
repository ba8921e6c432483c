"""Push a contact's changed fields to HelpCrunch or Bony.chat: the whole story of the action.

- **Parameters**: none to fill in; per contact, the vendor fields that differ from what the
  vendor last had (its ``vendor_snapshot``, after a sync or a push): ``push_request``.
- **Skipped**: contacts outside the staff member's accounts, at an inactive account, at Thulium
  (contacts are not pushed there from here), at HelpCrunch without a customer id (HelpCrunch
  creates its customers itself), with nothing changed, or with an e-mail that is not an address.
- **Sent**: HelpCrunch ``PATCH /customers/{id}`` with the changed fields (custom fields in
  ``customData``); Bony.chat ``PUT /contact/{id}`` in requests of at most 30 fields, or, for a
  contact not there yet, ``POST /contact`` with the first 30 (e-mail and phone among them) and
  the rest as updates. The created id is kept at once, so a later attempt updates.
- **Reconciled** (Bony.chat create): the recorded answer, else a lookup by e-mail, then phone.
- **Mirror**: the snapshot (and a created contact's vendor id): ``mirror.contacts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet

from backoffice.actions.forms import ActionForm
from backoffice.mirror.contacts import contact_vendor_id_set, snapshot_apply
from backoffice.models import Contact, OperationAction, User
from backoffice.operations.action import (
    Action,
    Done,
    Handler,
    NotReconcilable,
    Run,
    SkipTarget,
    recorded_json,
)
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.vendors import Vendor
from connectors.bony import MAX_FIELDS_PER_REQUEST

# Sent first, in this order: the create request must carry what a lookup after a crash finds the
# contact by (``BonyPush.reconcile``), however the stored parameters ordered their keys
# (PostgreSQL's jsonb sorts them by length).
LEADING_FIELDS = ("firstName", "lastName", "email", "phone")


class PushToVendorForm(ActionForm):
    """Nothing to fill in: the page lists what will be sent, the button confirms it."""


def bony_fields(contact: Contact) -> dict[str, Any]:
    """Bony.chat custom fields (vendor-docs 004): the standard four, then the contact's own."""
    fields: dict[str, Any] = {
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
    }
    for name, value in (contact.custom_fields or {}).items():
        fields.setdefault(str(name), value)
    return fields


def helpcrunch_fields(contact: Contact) -> dict[str, Any]:
    """HelpCrunch customer fields (PATCH /customers/:id); custom fields go in ``customData``."""
    fields: dict[str, Any] = {
        "name": f"{contact.first_name} {contact.last_name}".strip(),
        "email": contact.email,
        "phone": contact.phone,
    }
    if contact.custom_fields:
        fields["customData"] = dict(contact.custom_fields)
    return fields


def changed_fields(current: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """The fields that differ from what the vendor last had. With no snapshot (never synced),
    every field with a value; an emptied field is sent only when the vendor had a value."""
    if not snapshot:
        return {k: v for k, v in current.items() if v not in ("", None, {})}
    return {
        k: v
        for k, v in current.items()
        if snapshot.get(k) != v and not (v == "" and k not in snapshot)
    }


def push_fields(contact: Contact) -> dict[str, Any]:
    """The vendor fields that differ from what the vendor last had (``vendor_snapshot``), in
    the shape of the contact's vendor (its handler's ``fields``)."""
    handler = ACTION.handler(contact.account.vendor)
    if not isinstance(handler, HelpCrunchPush | BonyPush):
        return {}
    return changed_fields(handler.fields(contact), contact.vendor_snapshot or {})


def push_refusal(fields: dict[str, Any]) -> str | None:
    """Why these fields cannot be sent as they are, or None."""
    email = fields.get("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            return f"its e-mail “{email}” is not a valid address"
    return None


def push_request(contact: Contact) -> dict[str, Any]:
    """One contact's parameters, or ``SkipTarget`` with why it is not pushed."""
    fields = push_fields(contact)
    if not fields:
        raise SkipTarget("nothing changed since the last sync or push")
    refusal = push_refusal(fields)
    if refusal:
        raise SkipTarget(refusal)
    # Pairs, not an object: PostgreSQL's jsonb reorders object keys, and for a Bony.chat create
    # the order decides which fields go in the first request of 30.
    return {"fields": [[name, value] for name, value in fields.items()]}


class HelpCrunchPush(Handler):
    vendor = Vendor.HELPCRUNCH
    fields = staticmethod(helpcrunch_fields)

    def skip_reason(self, target: Any) -> str | None:
        if target.vendor_id:
            return None
        return (
            "not at HelpCrunch yet: HelpCrunch creates customers itself, so only updates are sent"
        )

    def perform(self, run: Run) -> Done:
        contact: Contact = run.target
        fields: dict[str, Any] = dict(run.params["fields"])  # [name, value] pairs
        run.client.update_customer(contact.vendor_id or "", fields)
        return Done({"updated": sorted(fields)}, lambda: snapshot_apply(contact, fields))


def _ordered(fields: dict[str, Any]) -> dict[str, Any]:
    leading = {name: fields[name] for name in LEADING_FIELDS if name in fields}
    return {**leading, **{k: v for k, v in fields.items() if k not in leading}}


class BonyPush(Handler):
    vendor = Vendor.BONY
    can_reconcile = True  # a lookup by e-mail or phone finds a contact that was created
    fields = staticmethod(bony_fields)

    def perform(self, run: Run) -> Done:
        contact: Contact = run.target
        contact.refresh_from_db(fields=["vendor_id"])
        # [name, value] pairs in the contact's order, the standard fields first: a create sends
        # e-mail and phone in its first request, so a lost answer can be found by them.
        fields = _ordered(dict(run.params["fields"]))
        if contact.vendor_id:
            run.client.update_contact(contact.vendor_id, fields)
            return Done({"updated": sorted(fields)}, lambda: snapshot_apply(contact, fields))
        items = list(fields.items())
        first, rest = dict(items[:MAX_FIELDS_PER_REQUEST]), dict(items[MAX_FIELDS_PER_REQUEST:])
        created = run.client.create_contact(first)
        # Kept at once: if a follow-up request fails, the next attempt updates, never re-creates.
        self._adopt(run, created)
        if rest:
            run.client.update_contact(created, rest)
        return Done(
            {"created_id": created, "fields": len(fields)},
            lambda: snapshot_apply(contact, fields, vendor_id=created),
        )

    def reconcile(self, run: Run) -> Done | None:
        contact: Contact = run.target
        contact.refresh_from_db(fields=["vendor_id"])
        if contact.vendor_id:
            return None  # created already: the next step is an update, which is idempotent
        answer = recorded_json(run.last_send())
        data = answer.get("data") if answer else None
        if isinstance(data, dict) and data.get("id"):
            self._adopt(run, str(data["id"]))
            return None
        fields = dict(run.params["fields"])
        for name in ("email", "phone"):
            value = fields.get(name)
            if not value:
                continue
            found = list(run.client.find_contacts(name, value))
            if len(found) == 1:
                self._adopt(run, found[0].id)
                return None
            if not found:
                return None  # not created: create it
        raise NotReconcilable

    @staticmethod
    def _adopt(run: Run, vendor_id: str) -> None:
        contact_vendor_id_set(run.target, vendor_id)
        run.checkpoint(created_id=vendor_id)


class PushToVendor(Action):
    name = OperationAction.PUSH_TO_VENDOR
    permission = "push_contact"
    target_model = Contact
    handlers = (HelpCrunchPush(), BonyPush())


ACTION = register(PushToVendor())


def push_to_vendor_enqueue(
    *, actor: User, contacts: QuerySet[Contact] | Sequence[Contact]
) -> Enqueued:
    """Queue a push of each contact's changed fields to its vendor."""
    return operations_enqueue(
        actor=actor, action=ACTION.name, targets=contacts, params=push_request
    )
