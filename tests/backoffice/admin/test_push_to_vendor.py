from __future__ import annotations

import json
import re

import pytest
from django.contrib import admin
from django.test import Client

from backoffice.models import ApiCall, Contact, Operation, VendorAccount
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin.flow import (
    action_choices,
    messages,
    operations,
    run,
    sent,
    staff_client,
    start,
)
from tests.factories import (
    ContactFactory,
    ThuliumAccountFactory,
)

pytestmark = pytest.mark.django_db

HC = "https://api.helpcrunch.com/v1"
BONY = "https://app.bony.chat/api/v1"


def bony_snapshot(contact: Contact, **changes: str) -> dict[str, str]:
    return {
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        **changes,
    }


def test_it_lists_what_will_happen_then_sends_only_what_changed(
    owner_client: Client, bony: VendorAccount, helpcrunch: VendorAccount, rsps
) -> None:
    changed = ContactFactory(account=bony, vendor_id="1776025372480910", email="anna@example.pl")
    changed.vendor_snapshot = bony_snapshot(changed, email="stary@example.pl")
    changed.save()
    new = ContactFactory(
        account=bony,
        vendor_id=None,
        first_name="Jan",
        last_name="Kowalski",
        email="jan@example.pl",
        phone="",
        custom_fields={"plan": "premium"},
    )
    at_helpcrunch = ContactFactory(
        account=helpcrunch, vendor_id="5001", first_name="Ola", last_name="Nowak", phone=""
    )
    at_helpcrunch.vendor_snapshot = {"name": "Ola Nowak", "email": "ola@old.pl"}
    at_helpcrunch.save()
    unchanged = ContactFactory(account=bony, vendor_id="1776025372480911")
    unchanged.vendor_snapshot = bony_snapshot(unchanged)
    unchanged.save()
    bad_email = ContactFactory(account=bony, vendor_id="1776025372480912", email="anna(at)wp.pl")
    not_at_helpcrunch = ContactFactory(account=helpcrunch, vendor_id=None)
    at_thulium = ContactFactory(account=ThuliumAccountFactory(name="Centrala"))
    rsps.put(f"{BONY}/contact/1776025372480910", json={"data": {"id": "1776025372480910"}})
    rsps.post(f"{BONY}/contact", json={"data": {"id": "1776025372489999"}})
    rsps.patch(f"{HC}/customers/5001", json={"id": 5001, "email": at_helpcrunch.email})
    everyone = [
        c.pk
        for c in (changed, new, at_helpcrunch, unchanged, bad_email, not_at_helpcrunch, at_thulium)
    ]

    page = start(owner_client, Contact, "push_to_vendor", everyone).content.decode()
    assert "Bony.chat: 3 to update, 1 to create (no contact id yet)." in page
    assert "HelpCrunch: 1 to update; 1 skipped (not at HelpCrunch yet" in page
    assert "Thulium: 1 skipped (contacts are not pushed to Thulium from here)." in page
    assert f"{changed} (Messenger): sends email" in page
    assert f"{new} (Messenger): sends email, firstName, lastName, plan" in page
    assert f"{unchanged} (Messenger): skipped: nothing changed since the last sync or push" in page
    assert f"{bad_email} (Messenger): skipped: its e-mail “anna(at)wp.pl” is not a valid" in page
    assert f"{not_at_helpcrunch} (Czat): skipped: not at HelpCrunch yet" in page
    assert f"{at_thulium} (Centrala): skipped: Thulium does not support this action" in page
    response = run(owner_client, Contact, "push_to_vendor", everyone)

    (text,) = messages(response)
    assert text.startswith("Queued 3 contact pushes (follow their progress); 4 skipped: ")
    assert f"{unchanged} — nothing changed since the last sync or push" in text
    assert f"{bad_email} — its e-mail “anna(at)wp.pl” is not a valid address" in text
    assert f"{not_at_helpcrunch} — not at HelpCrunch yet" in text
    assert f"{at_thulium} — Thulium does not support this action" in text
    by_url = {(c.request.method, c.request.url): c for c in rsps.calls}
    assert by_url["PUT", f"{BONY}/contact/1776025372480910"].request.body == (
        b'{"custom_fields":[{"name":"email","value":"anna@example.pl"}]}'
    )
    # Field order is not kept: PostgreSQL's jsonb stores the parameters' keys in its own order.
    created = sent(by_url["POST", f"{BONY}/contact"])["custom_fields"]
    assert {f["name"]: f["value"] for f in created} == {
        "firstName": "Jan",
        "lastName": "Kowalski",
        "email": "jan@example.pl",
        "plan": "premium",
    }
    assert len(created) == 4
    assert sent(by_url["PATCH", f"{HC}/customers/5001"]) == {"email": at_helpcrunch.email}
    by_target = {op.target: op for op in operations("push_to_vendor")}
    assert set(by_target) == {changed, new, at_helpcrunch}
    assert all(op.state == "succeeded" for op in by_target.values())
    assert by_target[changed].params == {"fields": [["email", "anna@example.pl"]]}
    assert ApiCall.objects.count() == 3
    changed.refresh_from_db()
    new.refresh_from_db()
    assert changed.vendor_snapshot["email"] == "anna@example.pl"
    assert new.vendor_id == "1776025372489999"
    assert new.vendor_snapshot["plan"] == "premium"


def test_it_creates_and_updates_contacts_at_the_sandboxes(
    owner_client: Client,
    bony_sandbox: VendorAccount,
    helpcrunch_sandbox: VendorAccount,
    sandbox: SandboxHandle,
) -> None:
    new = ContactFactory(
        account=bony_sandbox,
        vendor_id=None,
        first_name="Łucja",
        last_name="Żak",
        email="lucja.zak@example.pl",
        custom_fields={f"pole{i}": f"wartość {i}" for i in range(32)},
    )
    anna = ContactFactory(
        account=helpcrunch_sandbox,
        vendor_id="1",
        first_name="Anna",
        last_name="Nowak",
        email="anna.nowak@example.pl",
        phone="+48601234567",
        vendor_snapshot={
            "name": "Anna Nowak",
            "email": "anna.nowak@gmail.com",
            "phone": "+48601234567",
        },
    )
    channel = sandbox.state.bony["sandbox"]
    before = set(channel.contacts)

    run(owner_client, Contact, "push_to_vendor", [new.pk, anna.pk])

    assert [op.state for op in operations("push_to_vendor")] == ["succeeded", "succeeded"]
    new.refresh_from_db()
    (created,) = set(channel.contacts) - before
    assert new.vendor_id == created
    fields = channel.contacts[created].custom_fields
    assert (fields["firstName"], fields["lastName"], fields["pole31"]) == (
        "Łucja",
        "Żak",
        "wartość 31",
    )
    assert len(fields) == 36  # the four standard fields and 32 of its own
    # At most 30 fields a request: a create, then the rest as an update.
    requests = sandbox.received("bony")
    assert [r["method"] for r in requests] == ["POST", "PUT"]
    # In the contact's own order on both databases: the standard fields lead the create.
    created_with = [f["name"] for f in json.loads(requests[0]["body"])["custom_fields"]]
    assert created_with[:5] == ["firstName", "lastName", "email", "phone", "pole0"]
    assert sandbox.state.helpcrunch.customers[1].email == "anna.nowak@example.pl"
    anna.refresh_from_db()
    assert anna.vendor_snapshot["email"] == "anna.nowak@example.pl"


def test_it_shows_the_vendors_refusal_of_an_address_on_the_operation(
    owner_client: Client, helpcrunch_sandbox: VendorAccount, sandbox: SandboxHandle
) -> None:
    # A valid address for Django (localhost), one HelpCrunch's validation refuses.
    anna = ContactFactory(account=helpcrunch_sandbox, vendor_id="1", email="anna@localhost")
    anna.vendor_snapshot = {
        "name": anna.display_name,
        "email": "anna.nowak@gmail.com",
        "phone": anna.phone,
    }
    anna.save()

    run(owner_client, Contact, "push_to_vendor", [anna.pk])

    op = Operation.objects.get()
    assert op.state == "failed"
    assert "This value is not a valid email address." in op.last_error
    assert "HTTP 400" in op.last_error
    assert sandbox.state.helpcrunch.customers[1].email == "anna.nowak@gmail.com"
    anna.refresh_from_db()
    assert anna.vendor_snapshot["email"] == "anna.nowak@gmail.com"


def test_it_pushes_every_contact_matching_the_filter_across_pages(
    owner_client: Client, bony: VendorAccount, helpcrunch: VendorAccount, rsps, monkeypatch
) -> None:
    monkeypatch.setattr(admin.site._registry[Contact], "list_per_page", 2)
    at_bony = ContactFactory.create_batch(3, account=bony)
    ContactFactory.create_batch(2, account=helpcrunch)
    rsps.put(re.compile(rf"{BONY}/contact/\d+"), json={"data": {"id": "1"}})
    query = f"account__id__exact={bony.pk}"
    shown = [
        c.pk
        for c in owner_client.get(f"/admin/backoffice/contact/?{query}").context["cl"].result_list
    ]

    page = start(owner_client, Contact, "push_to_vendor", shown, query=query, select_across=True)
    assert "Bony.chat: 3 to update." in page.content.decode()
    assert "HelpCrunch" not in page.context["intro"]
    response = run(owner_client, Contact, "push_to_vendor", shown, query=query, select_across=True)

    assert messages(response) == ["Queued 3 contact pushes (follow their progress)."]
    assert {op.target_id for op in operations("push_to_vendor")} == {c.pk for c in at_bony}


def test_it_lets_staff_with_only_the_push_permission_push(bony: VendorAccount, rsps) -> None:
    contact = ContactFactory(account=bony, vendor_id="77")
    user, client = staff_client("view_contact", "push_contact")
    rsps.put(f"{BONY}/contact/77", json={"data": {"id": "77"}})

    assert action_choices(client, Contact) == ["push_to_vendor"]
    run(client, Contact, "push_to_vendor", [contact.pk])

    op = Operation.objects.get()
    assert (op.state, op.actor) == ("succeeded", user)
    assert {"name": "firstName", "value": "Zofia"} in sent(rsps.calls[0])["custom_fields"]
