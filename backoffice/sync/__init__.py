"""Each vendor's sync: its data read through its connector, page by page, into the mirror.

- ``run``: one sync operation's context: its time slice, its summary, committing a batch;
- ``cursors``: where each resource's pass stands, and the end of a pass (vanished rows);
- ``passes``: a listed resource's pass worked in batches (and a batch of contacts stored);
- ``thulium``, ``helpcrunch``, ``bony``: each vendor's passes and its records in the mirror's
  rows (``customer_row``, ``ticket_row``, ``chat_row`` ...);
- ``schedule``: each account's django-q2 schedule, kept in step with the account.

What is written goes through the mirror's writers (``backoffice.mirror``). The sync action
(``backoffice.actions.sync_from_vendor``) runs the passes in time slices, found through the
vendor registry (``backoffice.adapters``).
"""
