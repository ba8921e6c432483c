"""Staff corrections of automatic linking: merge persons into one, split contacts off.

Automatic linking (``backoffice.people.linking``) only ever joins, so a merge stays merged. A split
pins both sides (``Contact.person_locked``): linking never moves a pinned contact nor links through
one, so the split stays split. Each correction is written to Django's admin history of every
person and contact it touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext

from backoffice.models import Contact, Person, User
from backoffice.people.linking import CHUNK
from backoffice.services import ApplicationError


def _log(actor: User, entries: Iterable[tuple[Model, int, str]]) -> None:
    """Django's admin history ("History" on each page), one row per object, in one insert."""
    LogEntry.objects.bulk_create(
        LogEntry(
            user_id=actor.pk,
            content_type_id=ContentType.objects.get_for_model(type(obj)).pk,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=flag,
            change_message=message,
        )
        for obj, flag, message in entries
    )


def _label(person: Person) -> str:
    return f"#{person.pk} {person.name}".strip()


@dataclass(frozen=True)
class MergeResult:
    survivor: Person
    merged: list[Person]
    contacts_moved: int


def persons_merge(*, persons: Sequence[Person], survivor: Person, actor: User) -> MergeResult:
    """Make the given persons one: their contacts move to ``survivor``, the others are deleted.

    Pinned contacts stay pinned (now to the survivor); automatic linking never undoes a merge,
    since it only joins.
    """
    ids = {person.pk for person in persons}
    if len(ids) < 2:
        raise ApplicationError(gettext("Select at least two persons to merge."))
    if survivor.pk not in ids:
        raise ApplicationError(gettext("The person kept must be one of those merged."))
    with transaction.atomic():
        locked = list(Person.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(locked) != len(ids):
            raise ApplicationError(gettext("A selected person no longer exists; select again."))
        keep = next(person for person in locked if person.pk == survivor.pk)
        others = [person for person in locked if person.pk != keep.pk]
        moved = list(Contact.objects.filter(person__in=others))
        Contact.objects.filter(pk__in=[c.pk for c in moved]).update(person=keep)
        if not keep.name:
            keep.name = next((p.name for p in others if p.name), "")
            keep.save(update_fields=["name", "updated_at"])
        merged_labels = ", ".join(_label(p) for p in others)
        _log(
            actor,
            [
                (
                    keep,
                    CHANGE,
                    gettext("Merged %(persons)s into this person.") % {"persons": merged_labels},
                ),
                *(
                    (
                        p,
                        DELETION,
                        gettext("Merged into person %(person)s.") % {"person": _label(keep)},
                    )
                    for p in others
                ),
                *(
                    (
                        c,
                        CHANGE,
                        gettext("Moved to person %(person)s (merge).") % {"person": _label(keep)},
                    )
                    for c in moved
                ),
            ],
        )
        Person.objects.filter(pk__in=[p.pk for p in others]).delete()
    return MergeResult(survivor=keep, merged=others, contacts_moved=len(moved))


@dataclass(frozen=True)
class SplitResult:
    new_persons: list[Person]
    contacts_moved: int
    # Contacts left as they were, with the reason.
    skipped: list[tuple[Contact, str]]


@dataclass(frozen=True)
class _Split:
    """One person's part of a split: the contacts leaving it for ``new``, and those staying."""

    source: Person
    leaving: list[Contact]
    staying: list[Contact]
    new: Person


def _split_plans(contacts: Sequence[Contact]) -> tuple[list[_Split], list[tuple[Contact, str]]]:
    """Per person of the chosen contacts (locked for the transaction), who leaves and who stays;
    and the chosen contacts left as they are, with the reason."""
    chosen = {c.pk for c in contacts}
    by_person: dict[int, list[Contact]] = defaultdict(list)
    persons = Person.objects.select_for_update().filter(
        pk__in={c.person_id for c in contacts if c.person_id}
    )
    sources = {person.pk: person for person in persons}
    for contact in Contact.objects.filter(person__in=list(sources)).order_by("pk"):
        assert contact.person_id is not None
        by_person[contact.person_id].append(contact)
    skipped = [
        (c, gettext("not linked to a person")) for c in contacts if c.person_id not in sources
    ]
    plans: list[_Split] = []
    for person_id, members in sorted(by_person.items()):
        leaving = [c for c in members if c.pk in chosen]
        staying = [c for c in members if c.pk not in chosen]
        if not leaving:
            continue
        if not staying:
            skipped.extend(
                (c, gettext("every contact of its person was selected")) for c in leaving
            )
            continue
        name = next((c.display_name for c in leaving), "")
        new = Person(name=name[: Person._meta.get_field("name").max_length])
        plans.append(_Split(sources[person_id], leaving, staying, new))
    return plans, skipped


def _split_entries(split: _Split) -> list[tuple[Model, int, str]]:
    """The history of one person's split (its new person saved): on the person left, on the new
    person, and on each contact moved."""
    source, new = split.source, split.new
    names = ", ".join(c.display_name for c in split.leaving)
    return [
        (
            source,
            CHANGE,
            gettext("Split %(contacts)s off into person %(person)s.")
            % {"contacts": names, "person": _label(new)},
        ),
        (new, ADDITION, gettext("Split off person %(person)s.") % {"person": _label(source)}),
        *(
            (
                c,
                CHANGE,
                gettext("Split from person %(source)s into person %(person)s.")
                % {"source": _label(source), "person": _label(new)},
            )
            for c in split.leaving
        ),
    ]


def contacts_split(*, contacts: Sequence[Contact], actor: User) -> SplitResult:
    """Move the given contacts out of their persons: those of one person together into a new
    person. Both sides are pinned, so automatic linking does not join them again."""
    with transaction.atomic():
        plans, skipped = _split_plans(contacts)
        Person.objects.bulk_create([plan.new for plan in plans])
        updates: list[Contact] = []
        entries: list[tuple[Model, int, str]] = []
        for plan in plans:
            for contact in plan.leaving:
                contact.person, contact.person_locked = plan.new, True
            for contact in plan.staying:
                contact.person_locked = True
            updates.extend(plan.leaving)
            updates.extend(plan.staying)
            entries.extend(_split_entries(plan))
        if updates:
            Contact.objects.bulk_update(updates, ["person", "person_locked"], batch_size=CHUNK)
        _log(actor, entries)
    return SplitResult(
        new_persons=[plan.new for plan in plans],
        contacts_moved=sum(len(plan.leaving) for plan in plans),
        skipped=skipped,
    )
