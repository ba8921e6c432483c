"""The one writer of ``ChatConversation`` and ``ChatMessage``: a sync's batches, a chat started
or a message sent from here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from backoffice.mirror.tickets import contact_ids
from backoffice.mirror.upsert import Upserted, pk_by_vendor_id, rows_gone_flag, rows_upsert
from backoffice.models import ChatConversation, ChatMessage, Contact, VendorAccount

CHAT_LIMITS = {"vendor_id": 191, "vendor_status": 64, "assignee": 191}
CHAT_MESSAGE_LIMITS = {"vendor_id": 191, "agent_ref": 191}


@dataclass(frozen=True)
class ChatRow:
    vendor_id: str
    customer_vendor_id: str | None
    status: str
    vendor_status: str
    assignee: str
    started_at: datetime | None
    last_message_at: datetime | None


@dataclass(frozen=True)
class ChatMessageRow:
    vendor_id: str
    sender: str
    agent_ref: str
    text: str
    sent_at: datetime | None


def chats_upsert(*, account_id: int, rows: Sequence[ChatRow], seen_at: datetime) -> Upserted:
    contacts = contact_ids(account_id, (r.customer_vendor_id for r in rows))
    return rows_upsert(
        ChatConversation,
        scope={"account_id": account_id},
        rows=[
            {
                "vendor_id": r.vendor_id,
                "contact_id": contacts.get(r.customer_vendor_id or ""),
                "status": r.status,
                "vendor_status": r.vendor_status,
                "assignee": r.assignee,
                "started_at": r.started_at,
                "last_message_at": r.last_message_at,
            }
            for r in rows
        ],
        seen_at=seen_at,
    )


def chat_messages_upsert(*, conversation_id: int, rows: Sequence[ChatMessageRow]) -> Upserted:
    return rows_upsert(
        ChatMessage,
        scope={"conversation_id": conversation_id},
        rows=[
            {
                "vendor_id": r.vendor_id,
                "sender": r.sender,
                "agent_ref": r.agent_ref,
                "text": r.text,
                "sent_at": r.sent_at,
            }
            for r in rows
        ],
    )


def chat_messages_upsert_by_vendor_id(
    *, account_id: int, vendor_id: str, rows: Sequence[ChatMessageRow]
) -> Upserted | None:
    """The messages of the account's conversation ``vendor_id``; None when the mirror lacks it."""
    conversation_id = pk_by_vendor_id(ChatConversation, account_id=account_id, vendor_id=vendor_id)
    if conversation_id is None:
        return None
    return chat_messages_upsert(conversation_id=conversation_id, rows=rows)


def chat_started_record(
    *, account: VendorAccount, vendor_id: str, contact: Contact
) -> ChatConversation:
    """A chat the vendor started at our request: open, with the contact it was started for."""
    conversation, _ = ChatConversation.objects.get_or_create(
        account=account,
        vendor_id=vendor_id,
        defaults={
            "contact": contact,
            "status": ChatConversation.Status.OPEN,
            "started_at": timezone.now(),
        },
    )
    return conversation


def chat_message_record(
    *,
    conversation: ChatConversation,
    vendor_id: str | None,
    sender: str,
    text: str,
    sent_at: datetime,
    agent_ref: str = "",
    markdown_text: str = "",
) -> ChatMessage:
    """A message the vendor accepted, stored once (by its vendor id when the vendor gave one),
    and the conversation's last-message time moved to it."""
    values = {
        "sender": sender,
        "agent_ref": agent_ref,
        "text": text,
        "markdown_text": markdown_text,
        "sent_at": sent_at,
    }
    if vendor_id is None:
        message = ChatMessage.objects.create(conversation=conversation, **values)
    else:
        message, _ = ChatMessage.objects.get_or_create(
            conversation=conversation, vendor_id=vendor_id, defaults=values
        )
    ChatConversation.objects.filter(pk=conversation.pk).update(last_message_at=sent_at)
    return message


def chats_vanished_flag(*, conversation_ids: list[int]) -> int:
    """Conversations whose read by id answered 404: flagged (kept), once."""
    return rows_gone_flag(ChatConversation, conversation_ids, now=timezone.now())
