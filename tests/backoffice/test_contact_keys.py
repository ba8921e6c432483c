"""The keys contacts are matched on: a normalised e-mail and an E.164 phone."""

from __future__ import annotations

import pytest

from backoffice.contact_keys import email_key, phone_key
from tests.factories import ContactFactory


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  Anna.Nowak@Gmail.COM ", "anna.nowak@gmail.com"),
        ("anna.nowak+sklep@gmail.com", "anna.nowak+sklep@gmail.com"),  # kept: a distinct inbox
        ("", ""),
        (None, ""),
        ("anna.nowak", ""),
        ("@gmail.com", ""),
        ("anna@", ""),
        ("anna nowak@gmail.com", ""),
        ("a@b@c", ""),
    ],
)
def test_it_normalises_an_email_or_gives_no_key(raw: str | None, key: str) -> None:
    assert email_key(raw) == key


@pytest.mark.parametrize(
    "raw",
    ["+48 601 234 567", "0048601234567", "601-234-567", "(60) 123 45 67", "48601234567"],
)
def test_it_reads_polish_numbers_written_any_way_as_one_e164(raw: str, settings) -> None:
    settings.PHONE_DEFAULT_REGION = "PL"
    assert phone_key(raw) == "+48601234567"


def test_it_reads_bare_international_digits_the_way_bony_writes_them(settings) -> None:
    settings.PHONE_DEFAULT_REGION = "PL"
    assert phone_key("34612345678") == "+34612345678"
    assert phone_key("380671234567") == "+380671234567"


def test_it_reads_national_numbers_in_the_configured_region(settings) -> None:
    settings.PHONE_DEFAULT_REGION = "ES"
    assert phone_key("612 345 678") == "+34612345678"
    assert phone_key("601-234-567") == "+34601234567"  # the same digits, a Spanish mobile


@pytest.mark.parametrize("raw", ["", "12", "not a phone", "+48 000 000 000", "123456789012345678"])
def test_it_gives_invalid_numbers_no_key(raw: str) -> None:
    assert phone_key(raw) == ""


@pytest.mark.django_db
def test_it_keeps_a_contacts_keys_in_step_with_its_email_and_phone() -> None:
    contact = ContactFactory(email=" Anna.Nowak@Gmail.com", phone="601 234 567")
    assert (contact.email_normalised, contact.phone_e164) == (
        "anna.nowak@gmail.com",
        "+48601234567",
    )

    contact.email, contact.phone = "OKSANA@ukr.net", "nonsense"
    contact.save(update_fields=["email", "phone"])

    contact.refresh_from_db()
    assert (contact.email_normalised, contact.phone_e164) == ("oksana@ukr.net", "")
