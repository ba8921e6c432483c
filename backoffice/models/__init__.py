from backoffice.models.accounts import AgentIdentity, BonyChannelKind, User, VendorAccount
from backoffice.models.append_only import AuditTrailIsAppendOnly, audit_retention
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
from backoffice.models.sync import SyncCursor, SyncResource

__all__ = [
    "AgentIdentity",
    "ApiCall",
    "AuditTrailIsAppendOnly",
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
    "SyncCursor",
    "SyncResource",
    "Tag",
    "Ticket",
    "TicketMessage",
    "User",
    "VendorAccount",
    "audit_retention",
]
