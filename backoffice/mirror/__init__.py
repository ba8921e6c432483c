"""The mirror's writers: one module per mirrored table, called by every path that changes it.

- ``contacts``: ``Contact`` and ``Tag`` (a sync's batches, a re-read, tags, a push, a create);
- ``tickets``: ``Ticket`` and ``TicketMessage`` (a sync's batches, a reply sent from here);
- ``chats``: ``ChatConversation`` and ``ChatMessage`` (a sync, a chat started, a message sent);
- ``accounts``: a vendor account's connection status;
- ``upsert``: the batched upsert, vanished flags and width checks they share.

Action handlers (``backoffice.actions``), the sync passes (``backoffice.sync``) and, later,
inbound vendor events all write through these functions, so a rule about a table (a reply sent
from here is claimed by the synced message, a vanished row comes back when seen) lives once.
Person links are ``backoffice.people``'s.
"""
