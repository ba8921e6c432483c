"""A resource's passes: begun, continued from the cursor, and ended (rows gone flagged)."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

from backoffice.mirror.upsert import rows_vanished_flag
from backoffice.models import ChatConversation, Contact, SyncCursor, Ticket, VendorAccount

Resource = SyncCursor.Resource
# Vendor clocks and ours disagree a little, and Thulium's date_from has minute precision: an
# incremental pass reads from a little before the previous pass began. Rows read twice are
# counted unchanged.
OVERLAP = timedelta(minutes=2)

MIRRORED: dict[str, type[models.Model]] = {
    Resource.CUSTOMERS: Contact,
    Resource.CONTACTS: Contact,
    Resource.TICKETS: Ticket,
    Resource.CHATS: ChatConversation,
}


def cursor_for(*, account: VendorAccount, resource: str) -> SyncCursor:
    cursor, _ = SyncCursor.objects.get_or_create(account=account, resource=resource)
    return cursor


def pass_begin(*, cursor: SyncCursor, full: bool) -> None:
    """Start a pass unless one is under way (a stopped run's, continued as it was). A full
    resync asked for while an incremental pass is under way starts over, in full."""
    if cursor.pass_started_at is not None and (cursor.pass_full or not full):
        return
    cursor.pass_started_at = timezone.now()
    cursor.pass_full = full or cursor.since is None
    cursor.position = {"offset": 0, "pending": []}
    cursor.save()


def pass_end(*, cursor: SyncCursor, listed_everything: bool) -> int:
    """Close the pass (saved with the caller's commit). After a complete full listing, rows of
    the account it did not show are flagged vanished; returns how many."""
    now = timezone.now()
    started = cursor.pass_started_at or now
    vanished = 0
    if cursor.pass_full and listed_everything:
        vanished = rows_vanished_flag(
            model=MIRRORED[cursor.resource],
            account_id=cursor.account_id,
            before=started,
            now=now,
        )
        cursor.last_full_pass_at = now
    cursor.since = started - OVERLAP
    cursor.last_pass_at = now
    cursor.pass_started_at = None
    cursor.pass_full = False
    cursor.position = {}
    return vanished
