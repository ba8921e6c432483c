"""Bony.chat into the mirror, against the live sandbox: known contacts refreshed by id, new ones
imported by a custom-field search, a 404 flagged."""

from __future__ import annotations

import pytest

from backoffice.actions.sync_from_vendor import account_syncs_enqueue
from backoffice.models import Contact, VendorAccount
from connectors.sandbox.seed import BONY_CONTACT_ID, BONY_VIBER_CONTACT_ID
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.sync import sync
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_it_refreshes_every_known_contact_by_id(
    open_sandbox: SandboxHandle, bony: VendorAccount
) -> None:
    channel = open_sandbox.state.bony["sandbox"]
    ids = list(channel.contacts)[:12]
    for vendor_id in ids:
        ContactFactory(account=bony, vendor_id=vendor_id, first_name="stale")

    operation = sync(bony)

    assert operation.state == "succeeded", operation.last_error
    for vendor_id in ids:
        vendor = channel.contacts[vendor_id]
        contact = Contact.objects.get(account=bony, vendor_id=vendor_id)
        fields = vendor.custom_fields
        assert (contact.first_name, contact.last_name, contact.email) == (
            fields["firstName"],
            fields["lastName"],
            fields["email"],
        )
        assert contact.custom_fields["customerid"] == fields["customerid"]
        assert sorted(contact.tags.values_list("name", flat=True)) == sorted(vendor.tags)
    assert operation.result["resources"]["contacts"]["updated"] == len(ids)
    assert [r["path"] for r in open_sandbox.received("bony")] == [
        f"/bony/api/v1/contact/{vendor_id}" for vendor_id in ids
    ]


def test_it_imports_contacts_found_by_a_custom_field_search(
    open_sandbox: SandboxHandle, bony: VendorAccount
) -> None:
    channel = open_sandbox.state.bony["sandbox"]
    wanted = list(channel.contacts.values())[3]

    result = account_syncs_enqueue(
        actor=None,
        accounts=[bony],
        search=[
            {"field": "customerid", "value": wanted.custom_fields["customerid"]},
            {"field": "email", "value": "nobody@example.invalid"},
        ],
    )

    contact = Contact.objects.get(account=bony)
    assert contact.vendor_id == wanted.id
    assert contact.email == wanted.custom_fields["email"]
    operation = bony.operations.get(pk=result.operation_ids[0])
    assert operation.result["searched"] == [
        {"field": "customerid", "value": wanted.custom_fields["customerid"], "found": 1},
        {"field": "email", "value": "nobody@example.invalid", "found": 0},
    ]
    assert operation.result["resources"]["contacts"]["created"] == 1
    # One lookup per value; the imported contact is not read again by its id in the same sync.
    assert [r["path"] for r in open_sandbox.received("bony")] == [
        "/bony/api/v1/contact/by_custom_field",
        "/bony/api/v1/contact/by_custom_field",
    ]


def test_it_flags_a_contact_the_vendor_answers_404_for(
    open_sandbox: SandboxHandle, viber: VendorAccount
) -> None:
    present = ContactFactory(account=viber, vendor_id=BONY_VIBER_CONTACT_ID)
    deleted = ContactFactory(account=viber, vendor_id="c3RpbGwtaGVyZT8=")

    operation = sync(viber)

    deleted.refresh_from_db()
    present.refresh_from_db()
    assert deleted.vanished_at is not None
    assert present.vanished_at is None
    assert operation.result["resources"]["contacts"]["vanished"] == 1
    # Viber ids travel base64-encoded once more, as every Viber path does.
    assert open_sandbox.received("bony")[0]["path"].startswith("/bony/api/v1/contact/NVZKQVp6")


def test_it_leaves_other_accounts_contacts_alone(
    open_sandbox: SandboxHandle, bony: VendorAccount, viber: VendorAccount
) -> None:
    other = ContactFactory(account=viber, vendor_id=BONY_CONTACT_ID, first_name="Inny")

    sync(bony)

    other.refresh_from_db()
    assert other.first_name == "Inny"
    assert other.last_synced_at is None
