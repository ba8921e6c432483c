"""Refresh from the vendor: read one ticket or one chat again, with its messages — the whole
story of the action.

- **Parameters**: none.
- **Skipped**: records outside the staff member's accounts, at an inactive account, not at
  their vendor yet (no vendor id); at Thulium, chats (only its tickets are read from here); at
  Bony.chat, everything (it offers no read of a conversation).
- **Sent**: reads only, so failures are simply retried. Thulium ``GET tickets/{id}`` (the
  ticket with its messages); HelpCrunch ``GET /chats/{id}``, then ``GET /chats/{id}/messages``
  page after page. A 404 flags the record vanished at the vendor (it is kept).
- **Mirror**: the record and its messages, through the same writers as a sync
  (``mirror.tickets``, ``mirror.chats``); messages the mirror cannot hold are named in the
  operation's result and skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from backoffice.mirror.chats import (
    CHAT_LIMITS,
    CHAT_MESSAGE_LIMITS,
    chat_messages_upsert,
    chats_upsert,
    chats_vanished_flag,
)
from backoffice.mirror.tickets import (
    TICKET_LIMITS,
    ticket_messages_upsert,
    tickets_upsert,
    tickets_vanished_flag,
)
from backoffice.mirror.upsert import rows_check
from backoffice.models import ChatConversation, OperationAction, Ticket, User
from backoffice.operations.action import Action, Done, Handler, Refused, Run
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.sync import helpcrunch, thulium
from backoffice.vendors import Vendor
from connectors.errors import NotFound
from connectors.pagination import Malformed

SKIPPED_SHOWN = 20


def _skipped(items: Sequence[Malformed]) -> dict[str, Any]:
    listed = [{"id": m.vendor_id, "reason": m.reason} for m in items[:SKIPPED_SHOWN]]
    return {"skipped_messages": len(items), "skipped_items": listed} if items else {}


class ThuliumTicketRefresh(Handler):
    vendor = Vendor.THULIUM

    def skip_reason(self, target: Any) -> str | None:
        if not isinstance(target, Ticket):
            return "only tickets are read again from Thulium here, not its chats"
        return None if target.vendor_id else "not at Thulium yet (no ticket id)"

    def perform(self, run: Run) -> Done:
        local: Ticket = run.target
        try:
            ticket = run.client.get_ticket(local.vendor_id)
        except NotFound:
            flagged = tickets_vanished_flag(ticket_ids=[local.pk])
            return Done({"vanished": True, "flagged": bool(flagged)})
        rows, bad = rows_check([thulium.ticket_row(ticket)], TICKET_LIMITS)
        if bad:
            raise Refused(f"{local.vendor_id}: {bad[0].reason}")
        messages, skipped = thulium.message_rows(ticket)

        def apply() -> None:
            tickets_upsert(account_id=run.account.pk, rows=rows, seen_at=timezone.now())
            ticket_messages_upsert(ticket_id=local.pk, rows=messages)

        return Done({"vanished": False, "messages": len(messages), **_skipped(skipped)}, apply)


class HelpCrunchChatRefresh(Handler):
    vendor = Vendor.HELPCRUNCH

    def skip_reason(self, target: Any) -> str | None:
        if not isinstance(target, ChatConversation):
            return "HelpCrunch has no tickets"
        return None if target.vendor_id else "not at HelpCrunch yet (no chat id)"

    def perform(self, run: Run) -> Done:
        local: ChatConversation = run.target
        try:
            chat = run.client.get_chat(local.vendor_id)
        except NotFound:
            flagged = chats_vanished_flag(conversation_ids=[local.pk])
            return Done({"vanished": True, "flagged": bool(flagged)})
        rows, bad = rows_check([helpcrunch.chat_row(chat)], CHAT_LIMITS)
        if bad:
            raise Refused(f"{local.vendor_id}: {bad[0].reason}")
        found, unreadable = helpcrunch.chat_messages_read(run.client, local.vendor_id)
        read = [helpcrunch.message_row(m) for m in found]
        messages, too_long = rows_check(read, CHAT_MESSAGE_LIMITS)

        def apply() -> None:
            chats_upsert(account_id=run.account.pk, rows=rows, seen_at=timezone.now())
            chat_messages_upsert(conversation_id=local.pk, rows=messages)

        result = {"vanished": False, "messages": len(messages), **_skipped(unreadable + too_long)}
        return Done(result, apply)


class RefreshFromVendor(Action):
    name = OperationAction.REFRESH_FROM_VENDOR
    # Reading a record again is part of syncing: whoever may sync may refresh.
    permission = "sync_from_vendor"
    target_model = Ticket  # a ticket at Thulium, a chat conversation at HelpCrunch
    handlers = (ThuliumTicketRefresh(), HelpCrunchChatRefresh())


ACTION = register(RefreshFromVendor())


def refresh_from_vendor_enqueue(
    *,
    actor: User,
    records: QuerySet[Ticket] | QuerySet[ChatConversation] | Sequence[Ticket | ChatConversation],
) -> Enqueued:
    """Queue a read of each ticket or chat (and its messages) by its vendor id."""
    return operations_enqueue(actor=actor, action=ACTION.name, targets=records, params={})
