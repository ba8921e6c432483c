"""A listed resource's pass, worked in batches: read a page, store it, save the cursor; then
read the details of what changed (a ticket's or chat's messages), a few records per batch.

Each batch is one transaction with its cursor and the operation's summary, so a run that stops
anywhere (the time slice spent, a 429, a crash) leaves nothing half-stored, and the next run
continues from the cursor: no record missed, none stored twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from backoffice.mirror.contacts import ContactRow, contact_rows_check, contacts_upsert
from backoffice.mirror.upsert import Counts
from backoffice.models import SyncCursor
from backoffice.sync.cursors import cursor_for, pass_begin, pass_end
from backoffice.sync.run import SyncRun
from connectors.errors import InvalidRequest, NotFound, TransportError, VendorError
from connectors.pagination import Malformed, Page

# Records whose details are read, then stored, in one batch.
DETAIL_BATCH = 5


@dataclass(frozen=True)
class Stored:
    counts: Counts
    # Vendor ids of records whose details (messages) are to be read next.
    details: list[str]


@dataclass(frozen=True)
class Listing:
    """How one resource of one vendor is listed, stored and completed.

    - ``fetch(offset, since)``: one page; ``since`` is None in a full pass;
    - ``store(page)``: upsert the page's items (inside the batch's transaction);
    - ``reached_older(page, since)``: for a listing sorted newest first, whether the page went
      past ``since`` (the incremental pass ends there);
    - ``read_detail(vendor_id)`` and ``store_detail(vendor_id, read)``: a record's messages.
    """

    resource: str
    fetch: Callable[[int, datetime | None], Page[Any]]
    store: Callable[[Page[Any]], Stored]
    reached_older: Callable[[Page[Any], datetime], bool] | None = None
    detail_resource: str = ""
    read_detail: Callable[[str], Any] | None = None
    store_detail: Callable[[str, Any], Counts] | None = None


def unreadable(error: TransportError) -> bool:
    """A record the vendor answered but that cannot be read: skip it, the rest goes on."""
    return not error.retryable


def refusal(vendor_id: str, error: VendorError) -> Malformed | None:
    """The vendor refused this one record (a 4xx other than 401, 403, 404 and 429): the sync
    names it in the vendor's words and goes on. None for what concerns the whole sync (refused
    credentials, a forbidden account, a 429, a vendor down), which stops or pauses it."""
    status = error.status
    if not isinstance(error, InvalidRequest) or status is None or not 400 <= status < 500:
        return None
    words = str(error)
    return Malformed(vendor_id, words if words.startswith("HTTP ") else f"{words} (HTTP {status})")


def listings_slice(run: SyncRun, listings: Iterable[Listing]) -> bool:
    """One slice of an account's sync: its resources' passes in order, each resumed where its
    cursor stands; True when every pass has ended."""
    for listing in listings:
        if run.is_done(listing.resource):
            continue
        if not listing_slice(run, listing):
            return False
    return True


def listing_slice(run: SyncRun, listing: Listing) -> bool:
    """Work on the resource's pass until the run's time is spent; True when the pass ended."""
    cursor = cursor_for(account=run.account, resource=listing.resource)
    pass_begin(cursor=cursor, full=run.full)
    since = None if cursor.pass_full else cursor.since
    while True:
        position = dict(cursor.position)
        pending: list[str] = list(position.get("pending", []))
        if pending and listing.read_detail is not None:
            _details_batch(run, listing, cursor, pending[:DETAIL_BATCH])
        elif position.get("listed"):
            _close(run, listing.resource, cursor)
            return True
        else:
            _page_batch(run, listing, cursor, since)
        if run.out_of_time():
            return False


def _page_batch(run: SyncRun, listing: Listing, cursor: SyncCursor, since: datetime | None) -> None:
    position = dict(cursor.position)
    page = listing.fetch(int(position.get("offset", 0)), since)
    ended = page.is_last or (
        since is not None
        and listing.reached_older is not None
        and listing.reached_older(page, since)
    )

    def write() -> None:
        stored = listing.store(page)
        counts = stored.counts
        counts += run.skipped(listing.resource, page.malformed)
        run.count(listing.resource, counts)
        details = stored.details if listing.read_detail is not None else []
        cursor.position = {
            "offset": page.next_offset,
            "pending": [*position.get("pending", []), *details],
            "listed": ended,
        }

    run.commit(write, cursor=cursor)


def _details_batch(run: SyncRun, listing: Listing, cursor: SyncCursor, batch: list[str]) -> None:
    read_detail, store_detail = listing.read_detail, listing.store_detail
    if read_detail is None or store_detail is None:
        return
    read: list[tuple[str, Any]] = []
    failed: list[Malformed] = []
    refusals: list[Malformed] = []
    for vendor_id in batch:
        try:
            read.append((vendor_id, read_detail(vendor_id)))
        except NotFound:
            failed.append(
                Malformed(vendor_id, "no longer at the vendor when its details were read")
            )
        except TransportError as error:
            if not unreadable(error):
                raise
            failed.append(Malformed(vendor_id, str(error)))
        except InvalidRequest as error:
            refused = refusal(vendor_id, error)
            if refused is None:
                raise
            refusals.append(refused)

    def write() -> None:
        counts = Counts()
        for vendor_id, details in read:
            counts += store_detail(vendor_id, details)
        counts += run.skipped(listing.detail_resource, failed)
        counts += run.refused(listing.detail_resource, refusals)
        run.count(listing.detail_resource, counts)
        position = dict(cursor.position)
        position["pending"] = list(position.get("pending", []))[len(batch) :]
        cursor.position = position

    run.commit(write, cursor=cursor)


def _close(run: SyncRun, resource: str, cursor: SyncCursor) -> None:
    def write() -> None:
        vanished = pass_end(cursor=cursor, listed_everything=True)
        run.count(resource, Counts(vanished=vanished))

    run.commit(write, cursor=cursor, done=resource)


def contacts_store(run: SyncRun, resource: str, rows: list[ContactRow]) -> Counts:
    """A batch of the vendor's contacts into the mirror; those it cannot hold are skipped."""
    good, bad = contact_rows_check(rows)
    counts = contacts_upsert(account=run.account, rows=good, seen_at=timezone.now()).counts
    counts += run.skipped(resource, bad)
    return counts
