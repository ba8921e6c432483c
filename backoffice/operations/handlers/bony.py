"""Bony.chat: tags (≤ 10 a request), contact create / update (≤ 30 fields a request), texts."""

from __future__ import annotations

from typing import Any, cast

from django.utils import timezone

from backoffice.models import ChatConversation, ChatMessage, Contact, OperationAction
from backoffice.operations.handlers.base import (
    Attempt,
    Done,
    Handler,
    NotReconcilable,
    recorded_json,
    succeeded,
)
from backoffice.operations.handlers.contacts import snapshot_apply, tags_apply
from backoffice.vendors import Vendor
from connectors.bony import MAX_FIELDS_PER_REQUEST, BonyClient


def _client(attempt: Attempt) -> BonyClient:
    return cast(BonyClient, attempt.client)


# Sent first, in this order: the create request must carry what a lookup after a crash finds the
# contact by (``BonyPushContact.reconcile``), however the stored parameters ordered their keys
# (PostgreSQL's jsonb sorts them by length).
LEADING_FIELDS = ("firstName", "lastName", "email", "phone")


def _ordered(fields: dict[str, Any]) -> dict[str, Any]:
    leading = {name: fields[name] for name in LEADING_FIELDS if name in fields}
    return {**leading, **{k: v for k, v in fields.items() if k not in leading}}


class BonyAddTags(Handler):
    action = OperationAction.ADD_TAGS
    vendor = Vendor.BONY
    target_model = Contact
    add = True

    def skip_reason(self, target: Any) -> str | None:
        return None if target.vendor_id else "not at Bony.chat yet (no contact id)"

    def perform(self, attempt: Attempt) -> Done:
        contact: Contact = attempt.target
        names = [t["name"] for t in attempt.params["tags"]]
        client = _client(attempt)
        # The client splits the names into requests of at most 10 (vendor-docs 004).
        (client.add_tags if self.add else client.remove_tags)(contact.vendor_id or "", names)
        return Done({"tags": names}, lambda: tags_apply(contact, names, add=self.add))


class BonyRemoveTags(BonyAddTags):
    action = OperationAction.REMOVE_TAGS
    add = False


class BonyPushContact(Handler):
    action = OperationAction.PUSH_TO_VENDOR
    vendor = Vendor.BONY
    target_model = Contact
    can_reconcile = True  # a lookup by e-mail or phone finds a contact that was created

    def perform(self, attempt: Attempt) -> Done:
        contact: Contact = attempt.target
        contact.refresh_from_db(fields=["vendor_id"])
        # [name, value] pairs in the contact's order, the standard fields first: a create sends
        # e-mail and phone in its first request, so a lost answer can be found by them.
        fields = _ordered(dict(attempt.params["fields"]))
        client = _client(attempt)
        if contact.vendor_id:
            client.update_contact(contact.vendor_id, fields)
            return Done({"updated": sorted(fields)}, lambda: snapshot_apply(contact, fields))
        items = list(fields.items())
        first, rest = dict(items[:MAX_FIELDS_PER_REQUEST]), dict(items[MAX_FIELDS_PER_REQUEST:])
        created = client.create_contact(first)
        # Kept at once: if a follow-up request fails, the next attempt updates, never re-creates.
        Contact.objects.filter(pk=contact.pk).update(vendor_id=created)
        contact.vendor_id = created
        attempt.checkpoint(created_id=created)
        if rest:
            client.update_contact(created, rest)
        return Done(
            {"created_id": created, "fields": len(fields)},
            lambda: snapshot_apply(contact, fields, vendor_id=created),
        )

    def reconcile(self, attempt: Attempt) -> Done | None:
        contact: Contact = attempt.target
        contact.refresh_from_db(fields=["vendor_id"])
        if contact.vendor_id:
            return None  # created already: the next step is an update, which is idempotent
        answer = recorded_json(attempt.last_send())
        data = answer.get("data") if answer else None
        if isinstance(data, dict) and data.get("id"):
            self._adopt(attempt, str(data["id"]))
            return None
        fields = dict(attempt.params["fields"])
        for name in ("email", "phone"):
            value = fields.get(name)
            if not value:
                continue
            found = list(_client(attempt).find_contacts(name, value))
            if len(found) == 1:
                self._adopt(attempt, found[0].id)
                return None
            if not found:
                return None  # not created: create it
        raise NotReconcilable

    @staticmethod
    def _adopt(attempt: Attempt, vendor_id: str) -> None:
        contact: Contact = attempt.target
        Contact.objects.filter(pk=contact.pk).update(vendor_id=vendor_id)
        contact.vendor_id = vendor_id
        attempt.checkpoint(created_id=vendor_id)


class BonySendMessage(Handler):
    action = OperationAction.SEND_MESSAGE
    vendor = Vendor.BONY
    target_model = ChatConversation

    @staticmethod
    def _contact_id(conversation: ChatConversation) -> str:
        if (
            conversation.contact_id is not None
            and conversation.contact
            and conversation.contact.vendor_id
        ):
            return conversation.contact.vendor_id
        return conversation.vendor_id

    def perform(self, attempt: Attempt) -> Done:
        conversation: ChatConversation = attempt.target
        text = attempt.params["text"]
        _client(attempt).send_text(self._contact_id(conversation), text)
        return self._done(attempt)

    @staticmethod
    def _done(attempt: Attempt) -> Done:
        conversation: ChatConversation = attempt.target
        text = attempt.params["text"]
        now = timezone.now()

        def apply() -> None:
            ChatMessage.objects.create(
                conversation=conversation,
                sender=ChatMessage.Sender.AGENT,
                text=text,
                sent_at=now,
            )
            ChatConversation.objects.filter(pk=conversation.pk).update(last_message_at=now)

        return Done({"sent": True}, apply)

    def reconcile(self, attempt: Attempt) -> Done | None:
        if succeeded(attempt.last_send()):
            return self._done(attempt)
        raise NotReconcilable
