"""The person list and page, and the staff's merge and split through the admin."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from backoffice.models import ChatConversation, Contact, Operation, Person, Ticket
from backoffice.people.linking import contacts_link_persons
from tests.backoffice.admin import flow
from tests.factories import (
    BonyAccountFactory,
    ChatConversationFactory,
    ContactFactory,
    HelpCrunchAccountFactory,
    OperationFactory,
    TagFactory,
    ThuliumAccountFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def person_page(client: Client, person: Person):
    return client.get(reverse("admin:backoffice_person_change", args=[person.pk]))


def linked(*contacts: Contact) -> Person:
    contacts_link_persons(contact_ids=[c.pk for c in contacts])
    for contact in contacts:
        contact.refresh_from_db()
    person = contacts[0].person
    assert person is not None
    return person


@pytest.fixture
def anna() -> dict[str, Contact]:
    """One customer at the three vendors, sharing an e-mail (as the sandbox seeds her)."""
    return {
        "thulium": ContactFactory(
            account=ThuliumAccountFactory(name="Thulium PL"),
            first_name="Anna",
            last_name="Nowak",
            email="anna.nowak@gmail.com",
            phone="+48 601 234 567",
        ),
        "helpcrunch": ContactFactory(
            account=HelpCrunchAccountFactory(name="HelpCrunch PL"),
            first_name="Anna",
            last_name="Nowak",
            email="Anna.Nowak@gmail.com ",
            phone="+48601234567",
        ),
        "bony": ContactFactory(
            account=BonyAccountFactory(name="Bony Messenger"),
            first_name="Anna",
            last_name="Nowak",
            email="ANNA.NOWAK@GMAIL.COM",
            phone="48601234567",
        ),
    }


def test_it_shows_a_persons_tickets_chats_tags_and_operations_newest_first(
    owner_client: Client, anna
) -> None:
    person = linked(*anna.values())
    bony_contact = anna["bony"]
    bony_contact.tags.add(TagFactory(account=bony_contact.account, name="VIP-klient"))
    ticket = TicketFactory(
        account=anna["thulium"].account,
        contact=anna["thulium"],
        subject="Reklamacja zamówienia 17",
        opened_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    chat = ChatConversationFactory(
        account=anna["helpcrunch"].account, contact=anna["helpcrunch"], vendor_id="77"
    )
    on_contact = OperationFactory(account=bony_contact.account, target_contact=bony_contact)
    on_ticket = OperationFactory(
        action=Operation.Action.REPLY_TO_TICKET, account=ticket.account, target_label=str(ticket)
    )
    on_ticket.target = ticket
    on_ticket.save()
    on_chat = OperationFactory(
        action=Operation.Action.SEND_MESSAGE, account=chat.account, target_label="chat 77"
    )
    on_chat.target = chat
    on_chat.save()
    stranger = ContactFactory(email="someone@else.pl", phone="")
    OperationFactory(account=stranger.account, target_contact=stranger, target_label="Obcy")

    response = person_page(owner_client, person)

    assert response.status_code == 200
    page = response.content.decode()
    for contact in anna.values():
        assert reverse("admin:backoffice_contact_change", args=[contact.pk]) in page
    assert "Thulium PL" in page
    assert "HelpCrunch PL" in page
    assert "Bony Messenger" in page
    assert "VIP-klient" in page
    assert "Reklamacja zamówienia 17" in page
    assert reverse("admin:backoffice_ticket_change", args=[ticket.pk]) in page
    assert reverse("admin:backoffice_chatconversation_change", args=[chat.pk]) in page
    shown = response.context["overview"].operations
    assert shown == [on_chat, on_ticket, on_contact]
    for op in shown:
        assert reverse("admin:backoffice_operation_change", args=[op.pk]) in page
    assert "Obcy" not in page


def test_it_keeps_the_person_page_to_a_few_queries_and_the_newest_fifty(
    owner_client: Client, anna, django_assert_max_num_queries
) -> None:
    person = linked(*anna.values())
    contact = anna["bony"]
    Operation.objects.bulk_create(
        Operation(
            action=Operation.Action.ADD_TAGS,
            account=contact.account,
            target_type=ContentType.objects.get_for_model(Contact),
            target_id=contact.pk,
            target_label=f"op {n}",
        )
        for n in range(60)
    )
    for n in range(60):
        TicketFactory(account=anna["thulium"].account, contact=anna["thulium"], subject=f"T{n}")

    with django_assert_max_num_queries(20):
        response = person_page(owner_client, person)

    overview = response.context["overview"]
    assert len(overview.operations) == 50
    assert overview.operations_more
    assert overview.operations[0].pk == Operation.objects.order_by("-pk").first().pk
    assert len(overview.tickets) == 50
    page = response.content.decode()
    assert "The newest 50 are shown." in page
    assert flow.changelist(Operation, f"person={person.pk}") in page
    assert flow.changelist(Ticket, f"person={person.pk}") in page


def test_it_filters_the_operation_list_to_one_person(owner_client: Client, anna) -> None:
    person = linked(*anna.values())
    mine = OperationFactory(account=anna["bony"].account, target_contact=anna["bony"])
    stranger = ContactFactory(email="someone@else.pl", phone="")
    OperationFactory(account=stranger.account, target_contact=stranger)

    response = owner_client.get(flow.changelist(Operation, f"person={person.pk}"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]


def test_it_filters_tickets_and_chats_to_one_person(owner_client: Client, anna) -> None:
    person = linked(*anna.values())
    ticket = TicketFactory(account=anna["thulium"].account, contact=anna["thulium"])
    TicketFactory()
    chat = ChatConversationFactory(account=anna["helpcrunch"].account, contact=anna["helpcrunch"])
    ChatConversationFactory()

    tickets = owner_client.get(flow.changelist(Ticket, f"person={person.pk}"))
    chats = owner_client.get(flow.changelist(ChatConversation, f"person={person.pk}"))

    assert list(tickets.context["cl"].result_list) == [ticket]
    assert list(chats.context["cl"].result_list) == [chat]


def test_it_finds_a_person_by_a_phone_written_another_way(owner_client: Client, anna) -> None:
    person = linked(*anna.values())
    other = linked(ContactFactory(email="jan@example.pl", phone="+48 502 111 222"))

    response = owner_client.get(flow.changelist(Person, "q=601-234-567"))

    assert list(response.context["cl"].result_list) == [person]
    page = response.content.decode()
    assert "Bony.chat, HelpCrunch, Thulium" in page
    assert other.name not in page


def test_it_shows_the_person_on_the_contact_page(owner_client: Client, anna) -> None:
    person = linked(*anna.values())

    response = owner_client.get(reverse("admin:backoffice_contact_change", args=[anna["bony"].pk]))

    assert reverse("admin:backoffice_person_change", args=[person.pk]) in response.content.decode()


def test_it_links_a_contact_edited_in_the_admin(owner_client: Client, anna) -> None:
    person = linked(anna["thulium"], anna["helpcrunch"])
    newcomer = ContactFactory(email="jan@example.pl", phone="")
    url = reverse("admin:backoffice_contact_change", args=[newcomer.pk])
    page = owner_client.get(url)
    data = {
        **{k: v for k, v in page.context["adminform"].form.initial.items() if v is not None},
        "email": "anna.nowak@gmail.com",
        "custom_fields": "{}",
        "vendor_snapshot": "{}",
        "tags": [],
    }
    data.pop("account")
    data["account"] = newcomer.account_id

    response = owner_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    newcomer.refresh_from_db()
    assert newcomer.person == person


# --- Merge -------------------------------------------------------------------------------------


def test_it_merges_persons_after_naming_them(owner_client: Client, owner, anna) -> None:
    kept = linked(*anna.values())
    other_contact = ContactFactory(
        account=HelpCrunchAccountFactory(), first_name="Anna", last_name="N.", email="", phone=""
    )
    other = linked(other_contact)

    confirm = flow.start(owner_client, Person, "merge_persons", [kept.pk, other.pk])

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "These 2 persons and their 4 contacts become one person." in page
    assert "Anna N." in page
    assert confirm.context["form"].fields["survivor"].initial == kept.pk

    done = flow.apply(
        owner_client, Person, "merge_persons", [kept.pk, other.pk], {"survivor": other.pk}
    )

    assert done.status_code == 302
    assert set(Person.objects.all()) == {other}
    assert set(other.contacts.all()) == {*anna.values(), other_contact}
    assert "Merged 2 persons into" in flow.messages(done)[0]
    assert LogEntry.objects.filter(user=owner, object_id=str(other.pk)).exists()


def test_it_refuses_to_merge_one_person(owner_client: Client, anna) -> None:
    person = linked(*anna.values())

    response = flow.start(owner_client, Person, "merge_persons", [person.pk])

    assert response.status_code == 302
    assert flow.messages(response) == ["Select at least two persons to merge."]


def test_a_merge_posted_without_the_permission_changes_nothing(anna) -> None:
    first = linked(anna["thulium"])
    second = linked(ContactFactory(email="", phone=""))
    _, client = flow.staff_client("view_person", "change_person")
    assert "merge_persons" not in flow.action_choices(client, Person)

    flow.apply(client, Person, "merge_persons", [first.pk, second.pk], {"survivor": first.pk})

    assert set(Person.objects.all()) == {first, second}
    assert not LogEntry.objects.exists()


# --- Split -------------------------------------------------------------------------------------


def test_it_splits_a_contact_off_and_linking_leaves_it_there(
    owner_client: Client, owner, anna
) -> None:
    person = linked(*anna.values())
    bony = anna["bony"]

    confirm = flow.start(owner_client, Contact, "split_from_person", [bony.pk])

    assert confirm.status_code == 200
    assert "1 contact leaves its person." in confirm.content.decode()

    done = flow.apply(owner_client, Contact, "split_from_person", [bony.pk])

    assert done.status_code == 302
    bony.refresh_from_db()
    assert bony.person not in (None, person)
    assert bony.person_locked
    assert "Split 1 contacts off into" in flow.messages(done)[0]
    assert LogEntry.objects.filter(user=owner, object_id=str(bony.pk)).exists()

    # The next sync batch names all three again: the split stands.
    contacts_link_persons(contact_ids=[c.pk for c in anna.values()])

    for contact in anna.values():
        contact.refresh_from_db()
    assert bony.person not in (None, person)
    assert anna["thulium"].person == anna["helpcrunch"].person == person


def test_a_split_posted_without_the_permission_changes_nothing(anna) -> None:
    person = linked(*anna.values())
    _, client = flow.staff_client("view_contact", "change_contact")
    assert "split_from_person" not in flow.action_choices(client, Contact)

    flow.apply(client, Contact, "split_from_person", [anna["bony"].pk])

    anna["bony"].refresh_from_db()
    assert anna["bony"].person == person
    assert not anna["bony"].person_locked
    assert Person.objects.count() == 1
