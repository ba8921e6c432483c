"""Thulium: ticket reply (seed 001), contact-history record (seed 000), chat start (seed 002)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django.utils import timezone

from backoffice.models import (
    ChatConversation,
    Contact,
    OperationAction,
    StoredFile,
    Ticket,
    TicketMessage,
)
from backoffice.operations.handlers.base import (
    Attempt,
    Done,
    Handler,
    NotReconcilable,
    Refused,
    recorded_json,
    succeeded,
)
from backoffice.vendors import Vendor
from connectors.thulium import ThuliumClient
from connectors.types import FeedMessage

# How far the vendor's clock may be behind ours when matching a reply by its time.
CLOCK_SKEW = timedelta(minutes=2)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _client(attempt: Attempt) -> ThuliumClient:
    return cast(ThuliumClient, attempt.client)


class ReplyToTicket(Handler):
    action = OperationAction.REPLY_TO_TICKET
    vendor = Vendor.THULIUM
    target_model = Ticket
    can_reconcile = True  # the ticket's messages show whether the reply arrived

    def perform(self, attempt: Attempt) -> Done:
        ticket: Ticket = attempt.target
        params = attempt.params
        client = _client(attempt)
        # Attachments go to Thulium's temporary files first; the reply lists their tokens.
        # A second upload after a failed attempt only leaves a temporary file to expire.
        wanted = list(params.get("attachments") or [])
        files = list(StoredFile.objects.filter(pk__in=wanted).order_by("pk"))
        if len(files) != len(set(wanted)):
            missing = sorted(set(wanted) - {f.pk for f in files})
            what = "An attached file is" if len(missing) == 1 else "Attached files are"
            ids = ", ".join(map(str, missing))
            raise Refused(f"{what} no longer stored (id {ids}); nothing was sent.")
        tokens = [client.upload_temporary_file(f.filename, bytes(f.content)) for f in files]
        date = _when(params.get("date"))
        client.reply_to_ticket(
            ticket.vendor_id,
            params["body"],
            user_login=params["user_login"],
            body_type=params.get("body_type", "HTML"),
            date=date,
            attachments=tokens,
        )
        return Done({"attachments": len(tokens)}, lambda: self._store(ticket, params, date))

    @staticmethod
    def _store(ticket: Ticket, params: dict[str, Any], date: datetime | None) -> None:
        TicketMessage.objects.create(
            ticket=ticket,
            kind=TicketMessage.Kind.REPLY,
            body=params["body"],
            body_type=params.get("body_type", "HTML"),
            author=params["user_login"],
            sent_at=date or timezone.now(),
        )

    def reconcile(self, attempt: Attempt) -> Done | None:
        ticket: Ticket = attempt.target
        params = attempt.params
        date = _when(params.get("date"))
        since = attempt.operation.created_at - CLOCK_SKEW
        body = params["body"].strip()
        for message in _client(attempt).get_ticket(ticket.vendor_id).messages:
            if (message.type or "").upper() != "REPLY" or message.body.strip() != body:
                continue
            if message.user_login not in (None, params["user_login"]):
                continue
            when = message.created_at
            if date is not None:
                matches = when is not None and abs(when - date) < timedelta(minutes=1)
            else:
                matches = when is None or when >= since
            if matches:
                return Done(
                    {"vendor_message_id": message.id},
                    lambda: self._store(ticket, params, date),
                )
        return None


class AddFeedRecord(Handler):
    action = OperationAction.ADD_FEED_RECORD
    vendor = Vendor.THULIUM
    target_model = Contact

    def skip_reason(self, target: Any) -> str | None:
        return None if target.vendor_id else "not at Thulium yet (no customer id)"

    def perform(self, attempt: Attempt) -> Done:
        params = attempt.params
        when = _when(params["time"]) or timezone.now()
        message = FeedMessage(
            id=params["record_id"], message=params["message"], author=params["author"], time=when
        )
        _client(attempt).add_feed_record(attempt.target.vendor_id, [message])
        return Done({"record_id": params["record_id"]})

    def reconcile(self, attempt: Attempt) -> Done | None:
        # Only our own record can tell: the worker died after the vendor's answer was saved.
        if succeeded(attempt.last_send()):
            return Done({"record_id": attempt.params["record_id"]})
        raise NotReconcilable


class StartChat(Handler):
    action = OperationAction.START_CHAT
    vendor = Vendor.THULIUM
    target_model = Contact

    def skip_reason(self, target: Any) -> str | None:
        if target.vendor_id or target.email:
            return None
        return "no Thulium customer id and no e-mail to match the customer by"

    def perform(self, attempt: Attempt) -> Done:
        contact: Contact = attempt.target
        params = attempt.params
        conversation_id = _client(attempt).start_chat(
            params["chat_queue_id"],
            customer_id=contact.vendor_id or None,
            client_email=contact.email or None,
            client_name=contact.first_name or None,
            client_surname=contact.last_name or None,
        )
        return self._done(attempt, conversation_id)

    @staticmethod
    def _done(attempt: Attempt, conversation_id: str) -> Done:
        contact: Contact = attempt.target

        def apply() -> None:
            ChatConversation.objects.get_or_create(
                account=attempt.account,
                vendor_id=conversation_id,
                defaults={
                    "contact": contact,
                    "status": ChatConversation.Status.OPEN,
                    "started_at": timezone.now(),
                },
            )

        return Done({"conversation_id": conversation_id}, apply)

    def reconcile(self, attempt: Attempt) -> Done | None:
        answer = recorded_json(attempt.last_send())
        if answer and answer.get("conversation_id"):
            return self._done(attempt, str(answer["conversation_id"]))
        raise NotReconcilable
