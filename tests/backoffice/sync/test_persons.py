"""One person across vendors, from what the syncs bring in: the sandbox's shared people have one
e-mail at Thulium, HelpCrunch and Bony.chat (each vendor writing it its own way)."""

from __future__ import annotations

import pytest

from backoffice.actions.sync_from_vendor import account_syncs_enqueue
from backoffice.models import Contact, Person, VendorAccount
from connectors.sandbox.seed_data import SHARED_PEOPLE
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.sync import sync

pytestmark = pytest.mark.django_db


def test_it_links_a_thulium_a_helpcrunch_and_a_bony_contact_sharing_an_e_mail(
    open_sandbox: SandboxHandle,
    thulium: VendorAccount,
    helpcrunch: VendorAccount,
    bony: VendorAccount,
) -> None:
    assert sync(thulium).state == "succeeded"
    assert sync(helpcrunch).state == "succeeded"
    emails = [email for _, _, email, *_ in SHARED_PEOPLE]
    account_syncs_enqueue(
        actor=None, accounts=[bony], search=[{"field": "email", "value": e} for e in emails]
    )

    for email in emails:
        contacts = Contact.objects.filter(email_normalised=email.strip().lower())
        vendors = sorted(contacts.values_list("account__vendor", flat=True))
        assert vendors == ["bony", "helpcrunch", "thulium"], email
        persons = set(contacts.values_list("person_id", flat=True))
        assert len(persons) == 1, email
        assert None not in persons, email
    # Everyone else is a person of their own: nothing was linked that shares no key.
    shared = Person.objects.filter(contacts__email_normalised__in=[e.lower() for e in emails])
    assert shared.distinct().count() == len(emails)
    assert not Contact.objects.filter(person__isnull=True).exists()

    # A second sync changes no link.
    before = dict(Contact.objects.values_list("pk", "person_id"))
    assert sync(helpcrunch, full=True).state == "succeeded"
    assert dict(Contact.objects.values_list("pk", "person_id")) == before
