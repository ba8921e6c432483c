from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from backoffice.models import AgentIdentity, Contact, Tag, VendorAccount
from backoffice.vendors import Vendor
from tests.factories import (
    AgentIdentityFactory,
    BonyAccountFactory,
    ContactFactory,
    HelpCrunchAccountFactory,
    TagFactory,
    ThuliumAccountFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_it_refuses_two_contacts_with_one_vendor_id_in_an_account() -> None:
    contact = ContactFactory(vendor_id="42")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(account=contact.account, vendor_id="42")


def test_it_allows_the_same_vendor_id_in_two_accounts() -> None:
    ContactFactory(vendor_id="42")
    ContactFactory(vendor_id="42")
    assert Contact.objects.filter(vendor_id="42").count() == 2


def test_it_allows_many_contacts_not_yet_pushed_to_the_vendor() -> None:
    account = BonyAccountFactory()
    ContactFactory(account=account, vendor_id=None)
    ContactFactory(account=account, vendor_id=None)
    assert account.contacts.filter(vendor_id__isnull=True).count() == 2


def test_it_keeps_tag_names_unique_within_an_account() -> None:
    tag = TagFactory(name="VIP")
    TagFactory(name="VIP")  # another account
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(account=tag.account, name="VIP")


def test_it_gives_a_staff_member_one_identity_per_account() -> None:
    identity = AgentIdentityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentIdentity.objects.create(user=identity.user, account=identity.account, login="other")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentIdentity.objects.create(
            user=UserFactory(), account=identity.account, login=identity.login
        )


def test_it_refuses_a_channel_kind_on_a_non_bony_account() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpCrunchAccountFactory(channel_kind="viber")


def test_it_uses_the_vendor_rate_limit_unless_the_account_sets_one() -> None:
    assert HelpCrunchAccountFactory().effective_rate_limit == 120
    assert BonyAccountFactory().effective_rate_limit == 100
    assert ThuliumAccountFactory(rate_limit_per_minute=30).effective_rate_limit == 30


def test_it_fills_the_vendor_base_url_when_left_blank() -> None:
    account = VendorAccount(vendor=Vendor.HELPCRUNCH, name="HC", api_secret="k")
    account.full_clean()
    assert account.base_url == "https://api.helpcrunch.com/v1"


@pytest.mark.parametrize(
    ("vendor", "url", "message"),
    [
        (Vendor.HELPCRUNCH, "http://api.helpcrunch.com/v1", "must use https"),
        (Vendor.HELPCRUNCH, "https://evil.example.com/v1", "api.helpcrunch.com"),
        (Vendor.THULIUM, "https://thulium.com.evil.io/api", "*.thulium.com"),
        (Vendor.BONY, "https://user:pw@app.bony.chat/api/v1", "credentials"),
        (Vendor.THULIUM, "", "API address"),
    ],
)
def test_it_refuses_base_urls_off_the_vendor_hosts(vendor: str, url: str, message: str) -> None:
    account = VendorAccount(
        vendor=vendor, name="x", base_url=url, api_login="u", api_secret="s", channel_kind=""
    )
    if vendor == Vendor.BONY:
        account.channel_kind = "messenger"
    with pytest.raises(ValidationError) as excinfo:
        account.full_clean()
    assert message in str(excinfo.value.message_dict["base_url"])


def test_it_accepts_loopback_urls_only_when_settings_allow(settings) -> None:
    account = VendorAccount(
        vendor=Vendor.HELPCRUNCH,
        name="sandbox",
        base_url="http://127.0.0.1:8900/helpcrunch/v1",
        api_secret="sandbox",
    )
    settings.ALLOW_LOOPBACK_VENDOR_URLS = True
    account.full_clean()
    settings.ALLOW_LOOPBACK_VENDOR_URLS = False
    with pytest.raises(ValidationError):
        account.full_clean()


def test_it_accepts_a_thulium_system_url() -> None:
    account = ThuliumAccountFactory.build(base_url="https://sklep-abc.thulium.com/api")
    account.full_clean()


def test_it_requires_a_channel_kind_on_bony_accounts() -> None:
    account = BonyAccountFactory.build(channel_kind="")
    with pytest.raises(ValidationError) as excinfo:
        account.full_clean()
    assert "channel_kind" in excinfo.value.message_dict


def test_it_names_a_contact_by_what_it_knows() -> None:
    assert ContactFactory.build(first_name="Олена", last_name="Коваль").display_name == (
        "Олена Коваль"
    )
    assert ContactFactory.build(first_name="", last_name="", email="a@b.es").display_name == (
        "a@b.es"
    )
