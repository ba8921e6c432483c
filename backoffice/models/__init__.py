from backoffice.models.accounts import AgentIdentity, BonyChannelKind, User, VendorAccount
from backoffice.models.audit import ApiCall, Operation, OperationAction, OperationState
from backoffice.models.mirror import (
    ChatConversation,
    ChatMessage,
    Contact,
    Tag,
    Ticket,
    TicketMessage,
)
from backoffice.models.people import Person
from backoffice.models.pipeline import RateBucket, StoredFile

__all__ = [
    "AgentIdentity",
    "ApiCall",
    "BonyChannelKind",
    "ChatConversation",
    "ChatMessage",
    "Contact",
    "Operation",
    "OperationAction",
    "OperationState",
    "Person",
    "RateBucket",
    "StoredFile",
    "Tag",
    "Ticket",
    "TicketMessage",
    "User",
    "VendorAccount",
]
