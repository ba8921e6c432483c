"""HelpCrunch: customers with their tags, then chats with their messages.

Incremental where HelpCrunch allows it: customers seen since the last pass (``POST
/customers/search`` on ``customers.lastSeen``, oldest first), chats by their last message
(``GET /chats?sort=chats.lastMessageAt&order=desc``, up to the first one older than the last
pass). Timestamps arrive as numbers or as strings with a fraction; statuses are normalised to
``ChatConversation.Status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from backoffice.mirror.chats import (
    CHAT_LIMITS,
    CHAT_MESSAGE_LIMITS,
    ChatMessageRow,
    ChatRow,
    chat_messages_upsert_by_vendor_id,
    chats_upsert,
)
from backoffice.mirror.contacts import ContactRow
from backoffice.mirror.upsert import Counts, rows_check
from backoffice.models import ChatConversation, ChatMessage, SyncCursor
from backoffice.sync.passes import Listing, Stored, contacts_store, listings_slice
from backoffice.sync.run import SyncRun
from connectors.helpcrunch import (
    HelpCrunchChat,
    HelpCrunchClient,
    HelpCrunchCustomer,
    HelpCrunchMessage,
)
from connectors.pagination import Malformed, Page

Resource = SyncCursor.Resource
Status = ChatConversation.Status
STATUSES = {
    "new": Status.OPEN,
    "opened": Status.OPEN,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "on hold": Status.PENDING,
    "on_hold": Status.PENDING,
    "snoozed": Status.PENDING,
    "closed": Status.CLOSED,
    "no communication": Status.CLOSED,
    "no_communication": Status.CLOSED,
}


def moment(seconds: float | None) -> datetime | None:
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def status_of(raw: object) -> str:
    if isinstance(raw, str):
        return STATUSES.get(raw.strip().lower(), Status.UNKNOWN)
    return Status.UNKNOWN


def customer_row(customer: HelpCrunchCustomer) -> ContactRow:
    name = " ".join((customer.name or "").split())
    first, _, last = name.partition(" ")
    tags: list[tuple[str, str]] = []
    raw_tags = customer.raw.get("tags", customer.raw.get("tagsData"))
    for tag in raw_tags if isinstance(raw_tags, list) else []:
        if isinstance(tag, Mapping) and tag.get("name"):
            tags.append((str(tag["name"]), str(tag.get("color") or "")))
        elif isinstance(tag, str) and tag:
            tags.append((tag, ""))
    # The shape a push compares with (actions.push_to_vendor.helpcrunch_fields).
    snapshot: dict[str, Any] = {
        "name": name,
        "email": customer.email or "",
        "phone": customer.phone or "",
    }
    if customer.custom_data:
        snapshot["customData"] = dict(customer.custom_data)
    return ContactRow(
        vendor_id=str(customer.id),
        first_name=first,
        last_name=last,
        email=customer.email or "",
        phone=customer.phone or "",
        custom_fields=dict(customer.custom_data),
        snapshot=snapshot,
        tags=tuple(dict.fromkeys(tags)),
    )


def chat_row(chat: HelpCrunchChat) -> ChatRow:
    assignee = chat.raw.get("assignee")
    name = assignee.get("name") if isinstance(assignee, Mapping) else None
    return ChatRow(
        vendor_id=str(chat.id),
        customer_vendor_id=str(chat.customer_id) if chat.customer_id is not None else None,
        status=status_of(chat.status),
        vendor_status="" if chat.status is None else str(chat.status),
        assignee=str(name or chat.assignee_id or ""),
        started_at=moment(chat.created_at),
        last_message_at=moment(chat.last_message_at),
    )


def message_row(message: HelpCrunchMessage) -> ChatMessageRow:
    if message.type == "private":
        sender = ChatMessage.Sender.NOTE
    elif message.from_ == "customer":
        sender = ChatMessage.Sender.CONTACT
    elif message.from_ == "agent" or message.agent:
        sender = ChatMessage.Sender.AGENT
    else:
        sender = ChatMessage.Sender.BOT
    agent_id = (message.agent or {}).get("id")
    return ChatMessageRow(
        vendor_id=str(message.id),
        sender=sender,
        agent_ref="" if agent_id is None else str(agent_id),
        text=message.text or "",
        sent_at=moment(message.created_at),
    )


class HelpCrunchSync:
    def __init__(self, run: SyncRun, client: HelpCrunchClient) -> None:
        self.run = run
        self.client = client

    def __call__(self) -> bool:
        return listings_slice(self.run, (self.customers(), self.chats()))

    def customers(self) -> Listing:
        run = self.run

        def fetch(offset: int, since: datetime | None) -> Page[Any]:
            seen = since.timestamp() if since is not None else None
            return self.client.customers_page(offset=offset, last_seen_from=seen)

        def store(page: Page[Any]) -> Stored:
            rows = [customer_row(c) for c in page.items]
            return Stored(contacts_store(run, Resource.CUSTOMERS, rows), [])

        return Listing(Resource.CUSTOMERS, fetch, store)

    def chats(self) -> Listing:
        run, account = self.run, self.run.account

        def fetch(offset: int, since: datetime | None) -> Page[Any]:
            if since is None:
                return self.client.chats_page(offset=offset)
            return self.client.chats_page(offset=offset, sort="chats.lastMessageAt", order="desc")

        def reached_older(page: Page[Any], since: datetime) -> bool:
            edge = since.timestamp()
            return any((c.last_message_at or 0) < edge for c in page.items)

        def store(page: Page[Any]) -> Stored:
            good, bad = rows_check([chat_row(c) for c in page.items], CHAT_LIMITS)
            upserted = chats_upsert(account_id=account.pk, rows=good, seen_at=timezone.now())
            counts = upserted.counts
            counts += run.skipped(Resource.CHATS, bad)
            wanted = upserted.ids if run.full else upserted.changed
            return Stored(counts, sorted(wanted, key=int))

        def store_detail(vendor_id: str, messages: list[HelpCrunchMessage]) -> Counts:
            return chat_messages_store(run, account.pk, vendor_id, messages)

        return Listing(
            Resource.CHATS,
            fetch,
            store,
            reached_older=reached_older,
            detail_resource="chat_messages",
            read_detail=self._messages,
            store_detail=store_detail,
        )

    def _messages(self, chat_id: str) -> list[HelpCrunchMessage]:
        """Every message of the chat; those that cannot be read are recorded and skipped."""
        found, malformed = chat_messages_read(self.client, chat_id)
        self.run.count("chat_messages", self.run.skipped("chat_messages", malformed))
        return found


def chat_messages_read(
    client: HelpCrunchClient, chat_id: str
) -> tuple[list[HelpCrunchMessage], list[Malformed]]:
    """Every message of the chat, newest first, page after page, and those that could not be
    read."""
    found: list[HelpCrunchMessage] = []
    malformed: list[Malformed] = []
    offset = 0
    while True:
        page = client.chat_messages_page(chat_id, offset=offset)
        found.extend(page.items)
        malformed.extend(page.malformed)
        if page.is_last:
            return found, malformed
        offset = page.next_offset


def chat_messages_store(
    run: SyncRun, account_id: int, vendor_id: str, messages: list[HelpCrunchMessage]
) -> Counts:
    """A chat's messages as read from HelpCrunch into the mirror (those it cannot hold are
    recorded as skipped); nothing is stored for a conversation the mirror lacks."""
    good, bad = rows_check([message_row(m) for m in messages], CHAT_MESSAGE_LIMITS)
    counts = run.skipped("chat_messages", bad)
    stored = chat_messages_upsert_by_vendor_id(
        account_id=account_id, vendor_id=vendor_id, rows=good
    )
    if stored is not None:
        counts += stored.counts
    return counts
