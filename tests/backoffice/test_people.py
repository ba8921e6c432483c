"""One person across vendors: automatic linking, and the staff's merge and split as services."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from backoffice.models import Contact, Person, User
from backoffice.people.corrections import contacts_split, persons_merge
from backoffice.people.linking import LinkSummary, contacts_link_all_persons, contacts_link_persons
from backoffice.services import ApplicationError
from tests.factories import (
    BonyAccountFactory,
    ContactFactory,
    HelpCrunchAccountFactory,
    PersonFactory,
    ThuliumAccountFactory,
)

pytestmark = pytest.mark.django_db


def link(*contacts: Contact) -> LinkSummary:
    summary = contacts_link_persons(contact_ids=[c.pk for c in contacts])
    for contact in contacts:
        contact.refresh_from_db()
    return summary


def person_of(contact: Contact) -> Person | None:
    contact.refresh_from_db()
    return contact.person


@pytest.fixture
def anna() -> list[Contact]:
    """Anna Nowak as a Thulium customer, a HelpCrunch customer and a Bony.chat contact: one
    address written three ways, no phone in common."""
    return [
        ContactFactory(
            account=ThuliumAccountFactory(),
            first_name="Anna",
            last_name="Nowak",
            email="Anna.Nowak@gmail.com",
            phone="",
        ),
        ContactFactory(
            account=HelpCrunchAccountFactory(), email="  anna.nowak@GMAIL.com ", phone=""
        ),
        ContactFactory(account=BonyAccountFactory(), email="ANNA.NOWAK@gmail.com", phone=""),
    ]


def test_it_links_a_thulium_helpcrunch_and_bony_contact_sharing_an_email(anna) -> None:
    summary = link(*anna)

    person = anna[0].person
    assert person is not None
    assert {c.person_id for c in anna} == {person.pk}
    assert person.name == "Anna Nowak"
    assert {c.account.vendor for c in person.contacts.all()} == {"thulium", "helpcrunch", "bony"}
    assert summary == LinkSummary(contacts=3, linked=3, persons_created=1)


def test_it_links_a_phone_written_three_ways(settings) -> None:
    settings.PHONE_DEFAULT_REGION = "PL"
    contacts = [
        ContactFactory(phone="+48 601 234 567"),
        ContactFactory(account=ThuliumAccountFactory(), phone="0048601234567"),
        ContactFactory(account=HelpCrunchAccountFactory(), phone="601-234-567"),
    ]

    link(*contacts)

    assert contacts[0].person is not None
    assert {c.person_id for c in contacts} == {contacts[0].person_id}
    assert {c.phone_e164 for c in contacts} == {"+48601234567"}


def test_it_does_not_link_by_an_invalid_phone() -> None:
    first, second = ContactFactory(phone="000"), ContactFactory(phone="000")

    link(first, second)

    assert first.phone_e164 == second.phone_e164 == ""
    assert first.person_id != second.person_id
    assert first.person is not None  # each its own person


def test_it_links_contacts_of_one_account_sharing_an_email() -> None:
    account = HelpCrunchAccountFactory()
    first = ContactFactory(account=account, email="jan@example.pl", phone="")
    second = ContactFactory(account=account, email="JAN@example.pl", phone="")

    link(first, second)

    assert first.person_id == second.person_id is not None


def test_it_keeps_plus_addresses_apart() -> None:
    plain = ContactFactory(email="anna@example.pl", phone="")
    plus = ContactFactory(email="anna+sklep@example.pl", phone="")

    link(plain, plus)

    assert plain.person_id != plus.person_id


def test_it_links_transitively_and_merges_the_persons_it_joins() -> None:
    a = ContactFactory(email="anna@example.pl", phone="")
    c = ContactFactory(email="", phone="+48 601 234 567")
    link(a)
    link(c)
    older, younger = a.person, c.person
    assert older is not None
    assert younger is not None
    assert older != younger

    # B shares A's e-mail and C's phone: A, B and C are one person, the older one.
    b = ContactFactory(account=ThuliumAccountFactory(), email="ANNA@example.pl", phone="601234567")
    summary = link(b)

    assert {person_of(a), person_of(b), person_of(c)} == {older}
    assert not Person.objects.filter(pk=younger.pk).exists()
    assert summary.persons_merged == 1
    assert summary.persons_created == 0


def test_it_changes_nothing_when_called_twice(anna) -> None:
    link(*anna)
    persons = {c.pk: c.person_id for c in anna}

    again = link(*anna)

    assert again == LinkSummary(contacts=3)
    assert {c.pk: c.person_id for c in anna} == persons
    assert Person.objects.count() == 1


def test_it_computes_keys_of_contacts_written_in_bulk() -> None:
    account = BonyAccountFactory()
    Contact.objects.bulk_create(
        [
            Contact(account=account, vendor_id="1", email="Ola@Example.pl"),
            Contact(account=account, vendor_id="2", email="ola@example.pl "),
        ]
    )
    ids = list(Contact.objects.values_list("pk", flat=True))
    assert set(Contact.objects.values_list("email_normalised", flat=True)) == {""}

    summary = contacts_link_persons(contact_ids=ids)

    assert summary.keys_updated == 2
    assert set(Contact.objects.values_list("email_normalised", flat=True)) == {"ola@example.pl"}
    assert Contact.objects.values("person").distinct().count() == 1


def test_it_links_a_thousand_contacts_in_a_bounded_number_of_queries(
    django_assert_max_num_queries,
) -> None:
    accounts = [ThuliumAccountFactory(), HelpCrunchAccountFactory(), BonyAccountFactory()]
    Contact.objects.bulk_create(
        Contact(
            account=accounts[n % 3],
            vendor_id=str(n),
            first_name=f"Klient {n // 3}",
            email=f"klient{n // 3}@example.pl",  # three vendors, one address
            phone=f"+48 601 {n // 3:03d} {n % 3:03d}",
        )
        for n in range(1200)
    )
    ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True))[:1000]

    with django_assert_max_num_queries(20):
        summary = contacts_link_persons(contact_ids=ids)

    assert summary.contacts == 1000
    assert summary.persons_created == 334  # 333 whole trios and a pair
    # The rest were written in bulk too and have no keys yet: their own batch links them.
    assert Contact.objects.filter(person__isnull=False).count() == 1000
    rest = ids[-1:] + list(Contact.objects.filter(pk__gt=ids[-1]).values_list("pk", flat=True))
    with django_assert_max_num_queries(20):
        contacts_link_persons(contact_ids=rest)
    assert Person.objects.count() == 400
    assert not Contact.objects.filter(person__isnull=True).exists()


def test_it_links_every_contact_in_batches() -> None:
    contacts = [ContactFactory(email=f"same{n % 2}@example.pl", phone="") for n in range(5)]

    summaries = list(contacts_link_all_persons(batch_size=2))

    assert len(summaries) == 3
    assert Person.objects.count() == 2
    assert {person_of(c) for c in contacts[::2]} == {contacts[0].person}


# --- Staff decisions ---------------------------------------------------------------------------


@pytest.fixture
def lead(db: None) -> User:
    return User.objects.create_user("lead", is_staff=True)


def test_it_merges_persons_into_the_one_kept_and_records_it(lead: User) -> None:
    first = ContactFactory(email="anna@example.pl", phone="")
    second = ContactFactory(email="a.nowak@firma.pl", phone="")
    link(first, second)
    kept, other = first.person, second.person
    assert kept is not None
    assert other is not None

    result = persons_merge(persons=[kept, other], survivor=kept, actor=lead)

    assert result.contacts_moved == 1
    assert person_of(second) == kept
    assert not Person.objects.filter(pk=other.pk).exists()
    assert LogEntry.objects.filter(user=lead, object_id=str(kept.pk)).exists()
    assert LogEntry.objects.filter(user=lead, object_id=str(second.pk)).exists()
    # Automatic linking does not undo it.
    assert link(first, second) == LinkSummary(contacts=2)


def test_it_refuses_to_merge_fewer_than_two_persons(lead: User) -> None:
    person = PersonFactory()
    with pytest.raises(ApplicationError, match="at least two"):
        persons_merge(persons=[person], survivor=person, actor=lead)


def test_a_split_contact_is_not_linked_back_to_its_person(anna, lead: User) -> None:
    link(*anna)
    thulium, helpcrunch, bony = anna
    original = thulium.person

    result = contacts_split(contacts=[bony], actor=lead)

    assert result.contacts_moved == 1
    new = person_of(bony)
    assert new is not None
    assert new not in (original, None)
    assert person_of(thulium) == person_of(helpcrunch) == original

    # The next sync links the same three contacts (and a newcomer with the address) again.
    newcomer = ContactFactory(email="anna.nowak@gmail.com", phone="")
    summary = link(thulium, helpcrunch, bony, newcomer)

    assert person_of(bony) == new
    assert person_of(thulium) == person_of(helpcrunch) == original
    # The address leads to both sides of the split: the newcomer is left for staff to place.
    assert summary.conflicts == 1
    assert newcomer.person not in (original, new, None)


def test_a_contact_sharing_keys_with_one_side_of_a_split_joins_that_side(anna, lead) -> None:
    link(*anna)
    thulium, _, bony = anna
    bony.phone = "+48 502 111 222"
    bony.save()
    contacts_split(contacts=[bony], actor=lead)

    newcomer = ContactFactory(account=ThuliumAccountFactory(), email="", phone="502111222")
    link(newcomer)

    assert person_of(newcomer) == person_of(bony)
    assert person_of(newcomer) != person_of(thulium)


def test_it_does_not_split_every_contact_from_its_person(anna, lead: User) -> None:
    link(*anna)

    result = contacts_split(contacts=anna, actor=lead)

    assert result.contacts_moved == 0
    assert [reason for _, reason in result.skipped] == [
        "every contact of its person was selected"
    ] * 3
    assert Person.objects.count() == 1
