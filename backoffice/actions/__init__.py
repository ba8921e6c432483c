"""The staff actions, one module each: its parameters and their limits, whom it skips and why,
what it sends at each vendor, how it reconciles, what it writes to the mirror, and the service
every caller (an admin action, a button on a record's page, a command) goes through.

Importing this package registers every action with the pipeline
(``backoffice.operations.registry``); the app does so when it is ready.
"""

from backoffice.actions import (
    add_feed_record,
    add_tags,
    push_to_vendor,
    refresh_from_vendor,
    remove_tags,
    reply_to_ticket,
    send_message,
    start_chat,
    sync_from_vendor,
    test_connection,
)

__all__ = [
    "add_feed_record",
    "add_tags",
    "push_to_vendor",
    "refresh_from_vendor",
    "remove_tags",
    "reply_to_ticket",
    "send_message",
    "start_chat",
    "sync_from_vendor",
    "test_connection",
]
