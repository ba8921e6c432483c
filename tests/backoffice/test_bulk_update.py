"""``rows_update`` writes what Django's ``bulk_update`` writes, in the same batches."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.bulk_update import rows_update
from backoffice.models import Contact
from tests.factories import ContactFactory, PersonFactory, ThuliumAccountFactory

pytestmark = pytest.mark.django_db


def test_it_writes_each_rows_own_values_and_nothing_else() -> None:
    account = ThuliumAccountFactory()
    contacts = [ContactFactory(account=account, email=f"c{n}@example.com") for n in range(5)]
    untouched = ContactFactory(account=account, email="u@example.com")
    person = PersonFactory()
    changes = [
        Contact(pk=contacts[0].pk, person_id=person.pk, person_locked=True, phone_e164="+1"),
        Contact(pk=contacts[1].pk, person_id=None, person_locked=False, phone_e164=""),
        Contact(pk=contacts[2].pk, person_id=person.pk, person_locked=False, phone_e164="+2"),
    ]

    updated = rows_update(Contact, changes, ["person", "person_locked", "phone_e164"])

    assert updated == 3
    stored = {
        c.pk: (c.person_id, c.person_locked, c.phone_e164, c.email)
        for c in Contact.objects.filter(pk__in=[c.pk for c in [*contacts, untouched]])
    }
    assert stored[contacts[0].pk] == (person.pk, True, "+1", "c0@example.com")
    assert stored[contacts[1].pk] == (None, False, "", "c1@example.com")
    assert stored[contacts[2].pk] == (person.pk, False, "+2", "c2@example.com")
    assert stored[contacts[3].pk][:3] == (contacts[3].person_id, False, contacts[3].phone_e164)
    assert stored[untouched.pk][:3] == (None, False, untouched.phone_e164)


def test_a_column_of_nulls_only_is_written_too() -> None:
    person = PersonFactory()
    contacts = [ContactFactory(person=person) for _ in range(2)]

    rows_update(Contact, [Contact(pk=c.pk, person_id=None) for c in contacts], ["person"])

    assert set(
        Contact.objects.filter(pk__in=[c.pk for c in contacts]).values_list("person_id", flat=True)
    ) == {None}


def test_it_writes_in_batches_and_nothing_for_no_rows() -> None:
    contacts = [ContactFactory() for _ in range(5)]
    changes = [Contact(pk=c.pk, email_normalised=f"k{c.pk}@example.com") for c in contacts]

    assert rows_update(Contact, [], ["email_normalised"]) == 0
    with CaptureQueriesContext(connection) as queries:
        assert rows_update(Contact, changes, ["email_normalised"], batch_size=2) == 5

    assert sum(q["sql"].startswith("UPDATE") for q in queries.captured_queries) == 3
    assert {
        c.pk: c.email_normalised for c in Contact.objects.filter(pk__in=[c.pk for c in contacts])
    } == {c.pk: f"k{c.pk}@example.com" for c in contacts}
