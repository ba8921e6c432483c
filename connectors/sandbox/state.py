"""The sandbox's in-memory world: every vendor's records, behind one lock.

Tests may read (and, holding `state.lock`, change) these objects directly through the testing
handle's `.state`; the vendor modules change them only while the server holds the same lock.
Times are aware `datetime`s (Thulium, Bony) or HelpCrunch's wire values kept as they are sent:
UNIX seconds as an int or as a string, sometimes with a fraction (`"1594139170.913"`).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

Stamp = int | str  # HelpCrunch timestamps exactly as they go on the wire


def utcnow() -> datetime:
    return datetime.now(UTC)


def stamp_value(stamp: Stamp | None) -> float:
    """A HelpCrunch timestamp as a float, for sorting and comparing (None sorts first)."""
    return float(stamp) if stamp is not None else float("-inf")


# --- Thulium -------------------------------------------------------------------------------


@dataclass
class FeedRecord:
    type: str
    payload: str  # the JSON string exactly as received
    entries: list[object]  # the same, parsed
    created_at: datetime


@dataclass
class ThuliumCustomer:
    customer_id: int
    name: str
    surname: str
    email: str | None
    phone_number: str | None
    company_name: str | None
    client_id: str | None  # the external id chat_conversations/start can match on
    custom_fields: dict[str, str]
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    feed_records: list[FeedRecord] = field(default_factory=list)


@dataclass
class ThuliumAttachment:
    token: str
    filename: str
    size: int


@dataclass
class ThuliumMessage:
    message_id: int
    type: str  # MAIL (from the customer), REPLY (agent's answer), COMMENT (internal note)
    body: str
    body_type: str  # HTML | PLAIN
    user_login: str | None  # the agent, for REPLY and COMMENT
    from_email: str | None  # the sender, for MAIL
    date: datetime
    attachments: list[ThuliumAttachment] = field(default_factory=list)


@dataclass
class ThuliumTicket:
    ticket_id: int
    subject: str
    status_id: int
    queue_id: int
    customer_id: int | None
    customer_email: str | None
    created_at: datetime
    updated_at: datetime
    messages: list[ThuliumMessage] = field(default_factory=list)


@dataclass
class ThuliumAgent:
    login: str
    name: str
    surname: str
    email: str
    active: bool = True


@dataclass
class ChatQueue:
    chat_queue_id: int
    name: str


@dataclass
class ChatConversation:
    conversation_id: str
    chat_queue_id: int
    customer_id: int | None
    client_id: str | None
    client_name: str | None
    client_surname: str | None
    client_email: str | None
    created_at: datetime
    user_login: str | None = None  # the agent assigned to it
    closed_at: datetime | None = None


@dataclass
class ThuliumWebhook:
    """A subscription made through `POST webhooks`: what Thulium sends where, with which Basic
    credentials (empty: none)."""

    id: int
    actions: list[str]
    subscription_url: str
    http_auth_user: str
    http_auth_password: str


@dataclass
class TemporaryFile:
    token: str
    filename: str
    content: bytes
    created_at: datetime


@dataclass
class ThuliumData:
    customers: dict[int, ThuliumCustomer] = field(default_factory=dict)
    tickets: dict[int, ThuliumTicket] = field(default_factory=dict)
    agents: dict[str, ThuliumAgent] = field(default_factory=dict)
    chat_queues: dict[int, ChatQueue] = field(default_factory=dict)
    conversations: dict[str, ChatConversation] = field(default_factory=dict)
    files: dict[str, TemporaryFile] = field(default_factory=dict)
    webhooks: dict[int, ThuliumWebhook] = field(default_factory=dict)
    next_message_id: int = 1
    next_webhook_id: int = 1


# --- HelpCrunch ----------------------------------------------------------------------------


@dataclass
class HelpCrunchAgent:
    id: int
    name: str
    email: str
    role: str  # admin | agent


@dataclass
class HelpCrunchTag:
    name: str
    color: str


@dataclass
class HelpCrunchCustomer:
    id: int
    name: str | None
    email: str | None
    user_id: str | None
    company: str | None
    phone: str | None
    notes: str | None
    locale: str | None
    city: str | None
    country_code: str | None
    first_seen: Stamp | None
    last_seen: Stamp | None
    custom_data: dict[str, object] | None
    tags: list[HelpCrunchTag] = field(default_factory=list)
    unsubscribed: bool | None = False
    blocked: bool | None = False


@dataclass
class HelpCrunchMessage:
    id: int
    chat_id: int
    agent_id: int | None  # None: written by the customer
    type: str  # message | private
    text: str
    read: bool
    created_at: str
    updated_at: str
    edited: bool = False
    broadcast_type: str | None = None


@dataclass
class HelpCrunchChat:
    id: int
    customer_id: int
    assignee_id: int | None
    status: str
    created_at: Stamp
    last_message_at: Stamp | None = None
    last_customer_message_at: Stamp | None = None
    closed_at: Stamp | None = None
    closed_by: str | None = None
    rating: str | None = None
    department: str | None = None
    messages: list[HelpCrunchMessage] = field(default_factory=list)  # oldest first


@dataclass
class HelpCrunchData:
    agents: dict[int, HelpCrunchAgent] = field(default_factory=dict)
    customers: dict[int, HelpCrunchCustomer] = field(default_factory=dict)
    chats: dict[int, HelpCrunchChat] = field(default_factory=dict)
    tags: dict[str, HelpCrunchTag] = field(default_factory=dict)  # the organisation's tags
    next_message_id: int = 1
    # The settings page's webhooks: one signing key for the organisation, one URL per event.
    signing_key: str | None = None
    webhook_urls: dict[str, str] = field(default_factory=dict)
    id_floor: dict[str, int] = field(default_factory=dict)  # kind → highest id given out


# --- Bony.chat -----------------------------------------------------------------------------


@dataclass
class BonyMessage:
    body: list[object]
    sent_at: datetime
    direction: str = "outgoing"  # outgoing (sent through the API) | incoming (the contact wrote)


@dataclass
class BonyContact:
    id: str  # numeric string (Messenger) or a Viber user id, which is itself base64-like
    custom_fields: dict[str, object]
    tags: list[str]
    created_at: int  # UNIX seconds, as the vendor sends it
    updated_at: datetime
    messages: list[BonyMessage] = field(default_factory=list)
    conversation: str | None = None  # open | closed; None: no conversation yet


@dataclass
class BonyWebhook:
    url: str
    events: list[str]


@dataclass
class BonyChannel:
    token: str
    kind: str  # messenger | viber
    contacts: dict[str, BonyContact] = field(default_factory=dict)  # in creation order
    webhook: BonyWebhook | None = None  # the channel's settings page: one URL, chosen events

    @property
    def viber(self) -> bool:
        return self.kind == "viber"


# --- The whole world ------------------------------------------------------------------------


class SandboxState:
    """All three vendors' data. `lock` guards it; `seed.seed_state()` swaps in fresh data in
    place, so a reference to this object (the testing handle's `.state`) stays valid across
    resets."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.thulium = ThuliumData()
        self.helpcrunch = HelpCrunchData()
        self.bony: dict[str, BonyChannel] = {}
        # Ids and tokens made by writes come from here, so a replayed scenario gets the same ones.
        self.rng = random.Random(0)
