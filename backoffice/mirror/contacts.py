"""The one writer of ``Contact`` and ``Tag`` (and the links between them): a sync's batches, a
contact re-read by id, and what the vendor accepted from an action (tags, a push, a create).

Contacts are linked to their person after each batch (``backoffice.people``, which owns the
person fields)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from backoffice.contact_keys import email_key, phone_key
from backoffice.mirror.upsert import Counts, Upserted, rows_gone_flag, rows_upsert
from backoffice.models import Contact, Tag, VendorAccount
from backoffice.people.linking import contacts_link_persons
from connectors.pagination import Malformed

LIMITS = {"vendor_id": 191, "first_name": 150, "last_name": 150, "email": 254, "phone": 32}
TAG_NAME_MAX = 191
TAG_COLOUR_MAX = 16


@dataclass(frozen=True)
class ContactRow:
    """A contact as the vendor has it, in the mirror's fields.

    ``snapshot`` is the vendor's fields in the shape a push compares with (see
    ``backoffice.actions.push_to_vendor``); ``tags`` are (name, colour) pairs, or None when the
    vendor said nothing about tags (they are then left as they are).
    """

    vendor_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    custom_fields: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] = field(default_factory=dict)
    tags: tuple[tuple[str, str], ...] | None = None

    def problem(self) -> str | None:
        """Why the mirror cannot hold this contact as sent, or None."""
        for name, limit in LIMITS.items():
            value = getattr(self, name)
            if len(value) > limit:
                return f"{name} is longer than {limit} characters"
        for name, _colour in self.tags or ():
            if not name or len(name) > TAG_NAME_MAX:
                return f"a tag name is empty or longer than {TAG_NAME_MAX} characters"
        return None


def contact_rows_check(
    rows: Sequence[ContactRow],
) -> tuple[list[ContactRow], list[Malformed]]:
    good: list[ContactRow] = []
    bad: list[Malformed] = []
    for row in rows:
        problem = row.problem()
        if problem is None:
            good.append(row)
        else:
            bad.append(Malformed(row.vendor_id[:191], problem))
    return good, bad


def _stored_tags(contact_ids: list[int]) -> dict[int, set[str]]:
    through = Contact.tags.through
    found: dict[int, set[str]] = {pk: set() for pk in contact_ids}
    rows = through.objects.filter(contact_id__in=contact_ids).values_list("contact_id", "tag__name")
    for contact_id, name in rows:
        found[contact_id].add(name)
    return found


def _retagged(account: VendorAccount, rows: Sequence[ContactRow]) -> set[str]:
    """Vendor ids of stored contacts whose tags the vendor changed (none to look up when the
    vendor said nothing about tags, as Thulium's lists do not)."""
    tagged = [r for r in rows if r.tags is not None]
    if not tagged:
        return set()
    existing = dict(
        Contact.objects.filter(
            account=account, vendor_id__in=[r.vendor_id for r in tagged]
        ).values_list("vendor_id", "pk")
    )
    before = _stored_tags(list(existing.values()))
    return {
        r.vendor_id
        for r in tagged
        if r.vendor_id in existing and before[existing[r.vendor_id]] != {n for n, _ in r.tags or ()}
    }


def contacts_upsert(
    *, account: VendorAccount, rows: Sequence[ContactRow], seen_at: datetime
) -> Upserted:
    """Store a batch of the vendor's contacts (checked with ``contact_rows_check`` first).

    A contact counts as changed when the vendor's fields differ from the snapshot of its last
    sync or push, or its tags differ; only then are its fields written, so a local edit not yet
    pushed survives a sync that finds the vendor unchanged.
    """
    if not rows:
        return Upserted(Counts(), {})
    retagged = _retagged(account, rows)
    upserted = rows_upsert(
        Contact,
        scope={"account_id": account.pk},
        rows=[
            {
                "vendor_id": r.vendor_id,
                "first_name": r.first_name,
                "last_name": r.last_name,
                "email": r.email,
                "phone": r.phone,
                # The match keys as ``Contact.save`` computes them, written with the row: the
                # person linking that follows then has none to correct.
                "email_normalised": email_key(r.email),
                "phone_e164": phone_key(r.phone),
                "custom_fields": r.custom_fields,
                "vendor_snapshot": r.snapshot,
            }
            for r in rows
        ],
        compare=["vendor_snapshot"],
        seen_at=seen_at,
        changed_anyway=retagged,
    )
    tagged = [r for r in rows if r.tags is not None and r.vendor_id in upserted.changed]
    if tagged:
        _tags_apply(account, tagged, upserted.ids)
    contacts_link_persons(contact_ids=sorted(upserted.ids.values()))
    return upserted


def _tags_apply(account: VendorAccount, rows: list[ContactRow], ids: dict[str, int]) -> None:
    """The contacts' tags become the vendor's: the account's Tag rows made (colours kept in
    step), then the links added and removed in two statements."""
    colours: dict[str, str] = {}
    for row in rows:
        for name, colour in row.tags or ():
            if colour and len(colour) <= TAG_COLOUR_MAX:
                colours[name] = colour
            else:
                colours.setdefault(name, "")
    coloured = [Tag(account=account, name=n, color=c) for n, c in colours.items() if c]
    plain = [Tag(account=account, name=n) for n, c in colours.items() if not c]
    if coloured:
        Tag.objects.bulk_create(
            coloured,
            update_conflicts=True,
            unique_fields=["account", "name"],
            update_fields=["color"],
        )
    if plain:
        Tag.objects.bulk_create(plain, ignore_conflicts=True)
    tag_ids = dict(
        Tag.objects.filter(account=account, name__in=list(colours)).values_list("name", "pk")
    )
    through = Contact.tags.through
    contact_ids = [ids[r.vendor_id] for r in rows]
    links = through.objects.filter(contact_id__in=contact_ids).values_list(
        "pk", "contact_id", "tag_id"
    )
    stored = {(contact_id, tag_id): pk for pk, contact_id, tag_id in links}
    wanted = {(ids[r.vendor_id], tag_ids[name]) for r in rows for name, _ in r.tags or ()}
    gone = [pk for link, pk in stored.items() if link not in wanted]
    if gone:
        through.objects.filter(pk__in=gone).delete()
    through.objects.bulk_create(
        [through(contact_id=c, tag_id=t) for c, t in wanted if (c, t) not in stored],
        ignore_conflicts=True,
    )


def tags_apply(contact: Contact, names: list[str], *, add: bool) -> None:
    """Mirror a tag change the vendor accepted onto the contact."""
    tags = Tag.objects.filter(account_id=contact.account_id, name__in=names)
    if add:
        # The account's tags not there yet are made; those that exist keep their colour.
        Tag.objects.bulk_create(
            [Tag(account_id=contact.account_id, name=n) for n in names], ignore_conflicts=True
        )
        contact.tags.add(*tags)
    else:
        contact.tags.remove(*tags)


def snapshot_apply(
    contact: Contact, fields: dict[str, Any], *, vendor_id: str | None = None
) -> None:
    """The fields the vendor accepted become the snapshot a later push compares against."""
    snapshot = {**(contact.vendor_snapshot or {}), **fields}
    values: dict[str, Any] = {"vendor_snapshot": snapshot}
    if vendor_id is not None:
        values["vendor_id"] = vendor_id
    Contact.objects.filter(pk=contact.pk).update(**values)


def contact_vendor_id_set(contact: Contact, vendor_id: str) -> None:
    """The vendor's id of a contact created there (kept at once, before any follow-up)."""
    Contact.objects.filter(pk=contact.pk).update(vendor_id=vendor_id)
    contact.vendor_id = vendor_id


def contacts_vanished_flag(*, contact_ids: list[int]) -> int:
    """Contacts whose read by id answered 404: flagged (kept), once."""
    return rows_gone_flag(Contact, contact_ids, now=timezone.now())
