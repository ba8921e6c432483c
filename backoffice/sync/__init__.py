"""The sync of vendor data into the back-office's mirror (contacts, tags, tickets, chats).

- ``run``: one sync operation's context: its time slice, its summary, committing a batch;
- ``cursors``: where each resource's pass stands, and the end of a pass (vanished rows);
- ``contacts`` and ``records``: batched upserts of contacts with their tags, and of tickets,
  chats and their messages;
- ``thulium``, ``helpcrunch``, ``bony``: each vendor's passes, read through its connector;
- ``services``: queueing an account's sync (never two at once) and its django-q2 schedule.

The pipeline's handler (``backoffice.operations.handlers.sync``) runs these in time slices.
"""
