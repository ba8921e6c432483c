"""HelpCrunch: tags, customer update, and chat messages (seed 003)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.utils import timezone

from backoffice.models import ChatConversation, ChatMessage, Contact, OperationAction
from backoffice.operations.handlers.base import Attempt, Done, Handler, recorded_json
from backoffice.operations.handlers.contacts import snapshot_apply, tags_apply
from backoffice.vendors import Vendor
from connectors.helpcrunch import HelpCrunchClient
from connectors.types import HelpCrunchMessage

CLOCK_SKEW = timedelta(minutes=2)


def _client(attempt: Attempt) -> HelpCrunchClient:
    return cast(HelpCrunchClient, attempt.client)


def _needs_vendor_id(target: Contact) -> str | None:
    return None if target.vendor_id else "not at HelpCrunch yet (no customer id)"


class HelpCrunchAddTags(Handler):
    action = OperationAction.ADD_TAGS
    vendor = Vendor.HELPCRUNCH
    target_model = Contact
    add = True

    def skip_reason(self, target: Any) -> str | None:
        return _needs_vendor_id(target)

    def perform(self, attempt: Attempt) -> Done:
        contact: Contact = attempt.target
        tags = attempt.params["tags"]
        client = _client(attempt)
        # One request carries every tag: HelpCrunch sets no per-request limit (docs).
        wire = [
            {"name": t["name"], **({"color": t["color"]} if t.get("color") else {})} for t in tags
        ]
        (client.add_tags if self.add else client.remove_tags)(contact.vendor_id or "", wire)
        names = [t["name"] for t in tags]
        return Done({"tags": names}, lambda: tags_apply(contact, names, add=self.add))


class HelpCrunchRemoveTags(HelpCrunchAddTags):
    action = OperationAction.REMOVE_TAGS
    add = False


class HelpCrunchPushContact(Handler):
    action = OperationAction.PUSH_TO_VENDOR
    vendor = Vendor.HELPCRUNCH
    target_model = Contact

    def skip_reason(self, target: Any) -> str | None:
        if target.vendor_id:
            return None
        return (
            "not at HelpCrunch yet: HelpCrunch creates customers itself, so only updates are sent"
        )

    def perform(self, attempt: Attempt) -> Done:
        contact: Contact = attempt.target
        fields: dict[str, Any] = dict(attempt.params["fields"])  # [name, value] pairs
        _client(attempt).update_customer(contact.vendor_id or "", fields)
        return Done({"updated": sorted(fields)}, lambda: snapshot_apply(contact, fields))


class HelpCrunchSendMessage(Handler):
    action = OperationAction.SEND_MESSAGE
    vendor = Vendor.HELPCRUNCH
    target_model = ChatConversation
    can_reconcile = True  # the chat's messages (newest first) show whether it arrived

    def perform(self, attempt: Attempt) -> Done:
        params = attempt.params
        message = _client(attempt).send_message(
            attempt.target.vendor_id,
            params["text"],
            # A message from the contact carries no agent (vendor-docs 003), whatever was given.
            agent_id=None
            if params["sender"] == ChatMessage.Sender.CONTACT
            else params.get("agent_id"),
            markdown_text=params.get("markdown_text") or None,
            type="private" if params["sender"] == ChatMessage.Sender.NOTE else "message",
        )
        return self._done(attempt, message)

    @staticmethod
    def _done(attempt: Attempt, message: HelpCrunchMessage) -> Done:
        conversation: ChatConversation = attempt.target
        params = attempt.params
        sent_at = (
            datetime.fromtimestamp(message.created_at, tz=UTC)
            if message.created_at is not None
            else timezone.now()
        )

        def apply() -> None:
            ChatMessage.objects.get_or_create(
                conversation=conversation,
                vendor_id=str(message.id),
                defaults={
                    "sender": params["sender"],
                    "agent_ref": ""
                    if params["sender"] == ChatMessage.Sender.CONTACT
                    else str(params.get("agent_id") or ""),
                    "text": params["text"],
                    "markdown_text": params.get("markdown_text") or "",
                    "sent_at": sent_at,
                },
            )
            ChatConversation.objects.filter(pk=conversation.pk).update(last_message_at=sent_at)

        return Done({"message_id": message.id}, apply)

    def reconcile(self, attempt: Attempt) -> Done | None:
        answer = recorded_json(attempt.last_send())
        if answer and answer.get("id"):
            return self._done(attempt, HelpCrunchMessage.from_api(answer))
        params = attempt.params
        since = (attempt.operation.created_at - CLOCK_SKEW).timestamp()
        wanted = {params["text"].strip(), (params.get("markdown_text") or "").strip()} - {""}
        agent = params.get("agent_id")
        for message in _client(attempt).iter_chat_messages(attempt.target.vendor_id):
            if message.created_at is not None and message.created_at < since:
                return None  # newest first: everything further is older than the request
            if (message.text or "").strip() not in wanted:
                continue
            sent_by = (message.agent or {}).get("id")
            if agent is not None and sent_by is not None and str(sent_by) != str(agent):
                continue
            return self._done(attempt, message)
        return None
