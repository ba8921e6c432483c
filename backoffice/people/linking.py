"""Automatic linking: contacts that are one human being, put into one ``Person`` by their keys.

``contacts_link_persons`` puts contacts that share an e-mail key or a phone key into one
``Person``, transitively, whatever their account or vendor: two contacts of one account with the
same address are the same human being too. It only ever joins; it never takes a contact out of its
person. Undoing a wrong join is a split by staff (``backoffice.people.corrections``), and a split
sticks:

- A split moves the chosen contacts to a new person and marks them and the contacts left behind
  ``person_locked`` ("pinned"). Automatic linking never moves a pinned contact, and never links
  through one: a pinned contact only offers its own person to unpinned contacts sharing its keys.
- A person holding a pinned contact is the staff's. Contacts whose keys lead to exactly one such
  person join it; keys that lead to two or more are a conflict, left for staff (the contacts stay
  where they are, or together in a person of their own), so the split is not undone.
- Persons without pinned contacts are automatic: when one key joins two of them, they merge into
  the oldest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import transaction
from django.db.models import Q

from backoffice.bulk_update import rows_update
from backoffice.contact_keys import match_keys
from backoffice.models import Contact, Person

_T = TypeVar("_T")

# Ids or keys per query: well inside SQLite's and PostgreSQL's parameter limits, and the size of
# the sync's batches.
CHUNK = 1000


@dataclass(frozen=True)
class LinkSummary:
    """What one ``contacts_link_persons`` call changed."""

    contacts: int = 0  # contacts given that exist
    keys_updated: int = 0  # contacts whose match keys were recomputed to new values
    linked: int = 0  # contacts that got a person or changed person
    persons_created: int = 0
    persons_merged: int = 0  # automatic persons merged into another (and deleted)
    conflicts: int = 0  # groups whose keys lead to two or more staff-made persons: left as they are


@dataclass
class _Row:
    pk: int
    email: str
    phone: str
    person_id: int | None
    locked: bool
    name: str

    @property
    def pinned(self) -> bool:
        # A pin without a person (its person was deleted) keeps the contact nowhere.
        return self.locked and self.person_id is not None


_ROW_FIELDS = ("pk", "email_normalised", "phone_e164", "person_id", "person_locked")
_NAME_FIELDS = ("first_name", "last_name", "email")


def _row(values: Sequence[object]) -> _Row:
    """A row from ``_ROW_FIELDS + _NAME_FIELDS`` values."""
    pk, email, phone, person_id, locked, first, last, raw_email = values
    name = f"{first} {last}".strip() or str(raw_email)
    person = int(str(person_id)) if person_id is not None else None
    return _Row(int(str(pk)), str(email), str(phone), person, bool(locked), name)


def _chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class _Components:
    """Union-find over the unpinned contacts found, joined by shared key or shared person."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, pk: int) -> int:
        self.parent.setdefault(pk, pk)
        root = pk
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[pk] != root:  # path compression
            self.parent[pk], pk = root, self.parent[pk]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class _Found:
    members: dict[int, _Row] = field(default_factory=dict)  # unpinned: linked and linked through
    anchors: dict[int, _Row] = field(default_factory=dict)  # pinned: offer their person only


def _refresh_keys(ids: list[int]) -> tuple[list[_Row], int]:
    """The given contacts as rows, their match keys recomputed first (bulk writes skip save()).

    Read as values, not model instances: a page of a sync links a hundred contacts, and building
    their instances cost more than the query."""
    rows: list[_Row] = []
    changed: list[Contact] = []
    for chunk in _chunks(ids):
        found = (
            Contact.objects.filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "email", "phone", *_ROW_FIELDS[1:], *_NAME_FIELDS[:2])
        )
        for pk, email, phone, e_key, p_key, person_id, locked, first, last in found:
            keys = match_keys(email, phone)
            if keys != (e_key, p_key):
                changed.append(Contact(pk=pk, email_normalised=keys[0], phone_e164=keys[1]))
            rows.append(_row((pk, *keys, person_id, locked, first, last, email)))
    if changed:
        rows_update(Contact, changed, ["email_normalised", "phone_e164"], batch_size=CHUNK)
    return rows, len(changed)


def _expand(seeds: list[_Row]) -> _Found:
    """Every contact reachable from the seeds through shared keys and shared persons, a round of
    index lookups per step of the chain (not a query per contact)."""
    found = _Found()
    seen_emails: set[str] = set()
    seen_phones: set[str] = set()
    seen_persons: set[int] = set()
    fresh = [row for row in seeds if not row.pinned]
    found.members.update((row.pk, row) for row in fresh)
    while fresh:
        emails = sorted({r.email for r in fresh if r.email} - seen_emails)
        phones = sorted({r.phone for r in fresh if r.phone} - seen_phones)
        persons = sorted({r.person_id for r in fresh if r.person_id} - seen_persons)
        seen_emails.update(emails)
        seen_phones.update(phones)
        seen_persons.update(persons)
        fresh = []
        for index in range(0, max(len(emails), len(phones), len(persons)), CHUNK):
            condition = Q(pk__in=[])
            if part := emails[index : index + CHUNK]:
                condition |= Q(email_normalised__in=part)
            if part := phones[index : index + CHUNK]:
                condition |= Q(phone_e164__in=part)
            if ids := persons[index : index + CHUNK]:
                condition |= Q(person_id__in=ids)
            for values in Contact.objects.filter(condition).values_list(
                *_ROW_FIELDS, *_NAME_FIELDS
            ):
                row = _row(values)
                if row.pk in found.members or row.pk in found.anchors:
                    continue
                if row.pinned:
                    found.anchors[row.pk] = row
                else:
                    found.members[row.pk] = row
                    fresh.append(row)
    return found


def _components(found: _Found) -> list[tuple[list[_Row], set[int]]]:
    """Groups of members with the staff-made persons each group touches."""
    uf = _Components()
    first_with: dict[tuple[str, object], int] = {}
    for row in found.members.values():
        uf.find(row.pk)
        for key in (("e", row.email), ("p", row.phone), ("person", row.person_id)):
            if key[1]:
                if key in first_with:
                    uf.union(first_with[key], row.pk)
                else:
                    first_with[key] = row.pk
    groups: dict[int, list[_Row]] = defaultdict(list)
    for row in found.members.values():
        groups[uf.find(row.pk)].append(row)
    staff: dict[int, set[int]] = defaultdict(set)
    for anchor in found.anchors.values():
        for key in (("e", anchor.email), ("p", anchor.phone), ("person", anchor.person_id)):
            if key[1] and key in first_with:
                assert anchor.person_id is not None  # pinned
                staff[uf.find(first_with[key])].add(anchor.person_id)
    return [(rows, staff[root]) for root, rows in sorted(groups.items())]


@dataclass
class _Plan:
    """What linking the found groups changes, decided before anything is written."""

    moves: dict[int, int | str] = field(default_factory=dict)  # contact pk -> person pk or label
    new_persons: dict[str, Person] = field(default_factory=dict)  # label -> person to create
    merged: set[int] = field(default_factory=set)  # automatic persons joined into another
    conflicts: int = 0


def _new_person(movable: list[_Row]) -> tuple[str, Person]:
    """A person for a group that has none, labelled and named after its oldest contact."""
    named = next((row.name for row in movable if row.name), "")
    person = Person(name=named[: Person._meta.get_field("name").max_length])
    return f"new-{movable[0].pk}", person


def _plan_group(plan: _Plan, members: list[_Row], staff_persons: set[int]) -> None:
    """One group's part of the plan: the person its movable contacts go to, and the automatic
    persons that person absorbs. A group touching two or more staff-made persons is a conflict:
    its contacts keep their persons, or join one of their own."""
    if len(staff_persons) > 1:
        plan.conflicts += 1
    # In pk order: a new person is named after the oldest contact.
    movable = sorted(
        (row for row in members if row.person_id not in staff_persons), key=lambda row: row.pk
    )
    automatic = {row.person_id for row in movable if row.person_id is not None}
    target: int | str
    if len(staff_persons) == 1:
        target = next(iter(staff_persons))
    elif automatic:
        target = min(automatic)
    elif movable:
        target, person = _new_person(movable)
        plan.new_persons[target] = person
    else:
        return
    plan.merged |= automatic - {target}
    for row in movable:
        if row.person_id != target or row.locked:
            plan.moves[row.pk] = target


def _write(plan: _Plan) -> int:
    """Create, move and delete as planned, in bulk; the number of contacts moved."""
    if plan.new_persons:
        Person.objects.bulk_create(list(plan.new_persons.values()))
    updates = [
        Contact(
            pk=pk,
            person_id=plan.new_persons[target].pk if isinstance(target, str) else target,
            person_locked=False,
        )
        for pk, target in plan.moves.items()
    ]
    if updates:
        rows_update(Contact, updates, ["person", "person_locked"], batch_size=CHUNK)
    if plan.merged:
        Person.objects.filter(pk__in=plan.merged).delete()
    return len(updates)


def contacts_link_persons(*, contact_ids: Iterable[int]) -> LinkSummary:
    """Link the given contacts (and whatever their keys reach) to persons; see the module doc.

    Recomputes the contacts' match keys first, so it may follow bulk writes that skipped
    ``save()``. Idempotent: a second call with the same ids changes nothing. Queries are bounded
    per batch: a few per thousand contacts and per step of a chain of shared keys.
    """
    ids = sorted({int(pk) for pk in contact_ids})
    if not ids:
        return LinkSummary()
    with transaction.atomic():
        rows, keys_updated = _refresh_keys(ids)
        plan = _Plan()
        for members, staff_persons in _components(_expand(rows)):
            _plan_group(plan, members, staff_persons)
        linked = _write(plan)
    return LinkSummary(
        contacts=len(rows),
        keys_updated=keys_updated,
        linked=linked,
        persons_created=len(plan.new_persons),
        persons_merged=len(plan.merged),
        conflicts=plan.conflicts,
    )


def contacts_link_all_persons(*, batch_size: int = CHUNK) -> Iterator[LinkSummary]:
    """Link every contact, a batch at a time (the ``link_persons`` command); yields per batch."""
    last = 0
    while True:
        ids = list(
            Contact.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield contacts_link_persons(contact_ids=ids)
        last = ids[-1]
