"""The handler of each (action, vendor) pair. An action a vendor lacks has no entry."""

from __future__ import annotations

from backoffice.operations.handlers.base import Handler
from backoffice.operations.handlers.bony import (
    BonyAddTags,
    BonyPushContact,
    BonyRemoveTags,
    BonySendMessage,
)
from backoffice.operations.handlers.connection import TestConnection
from backoffice.operations.handlers.helpcrunch import (
    HelpCrunchAddTags,
    HelpCrunchPushContact,
    HelpCrunchRemoveTags,
    HelpCrunchSendMessage,
)
from backoffice.operations.handlers.sync import SyncFromVendor
from backoffice.operations.handlers.thulium import AddFeedRecord, ReplyToTicket, StartChat
from backoffice.vendors import Vendor

HANDLERS: dict[tuple[str, str], Handler] = {
    (h.action, h.vendor): h
    for h in (
        ReplyToTicket(),
        AddFeedRecord(),
        StartChat(),
        HelpCrunchAddTags(),
        HelpCrunchRemoveTags(),
        HelpCrunchPushContact(),
        HelpCrunchSendMessage(),
        BonyAddTags(),
        BonyRemoveTags(),
        BonyPushContact(),
        BonySendMessage(),
        *(TestConnection(vendor) for vendor in Vendor.values),
        *(SyncFromVendor(vendor) for vendor in Vendor.values),
    )
}


def handler_for(action: str, vendor: str) -> Handler | None:
    return HANDLERS.get((action, vendor))


def vendors_for(action: str) -> list[str]:
    return [vendor for (name, vendor) in HANDLERS if name == action]
