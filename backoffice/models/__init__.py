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
from backoffice.models.pipeline import RateBucket, StoredFile
from backoffice.models.sync import SyncCursor, SyncResource

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
    "RateBucket",
    "StoredFile",
    "SyncCursor",
    "SyncResource",
    "Tag",
    "Ticket",
    "TicketMessage",
    "User",
    "VendorAccount",
]
