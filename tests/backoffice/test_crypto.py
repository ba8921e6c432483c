from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from backoffice import crypto
from backoffice.crypto import CredentialDecryptionError, Secret
from backoffice.models import VendorAccount
from tests.factories import ContactFactory, ThuliumAccountFactory

pytestmark = pytest.mark.django_db

PLAIN_PASSWORD = "Zażółć-gęślą-jaźń-s3cret"


def raw_columns(account: VendorAccount) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_login, api_secret FROM backoffice_vendoraccount WHERE id = %s",
            [account.pk],
        )
        return cursor.fetchone()


def test_it_round_trips_credentials_through_the_database() -> None:
    account = ThuliumAccountFactory(api_login="api_user", api_secret=PLAIN_PASSWORD)
    fresh = VendorAccount.objects.get(pk=account.pk)
    assert isinstance(fresh.api_secret, Secret)
    assert fresh.api_secret.reveal() == PLAIN_PASSWORD
    assert fresh.api_login.reveal() == "api_user"


def test_it_stores_only_ciphertext() -> None:
    account = ThuliumAccountFactory(api_login="api_user", api_secret=PLAIN_PASSWORD)
    login_column, secret_column = raw_columns(account)
    assert "api_user" not in login_column
    assert PLAIN_PASSWORD not in secret_column
    assert "s3cret" not in secret_column


def test_it_never_shows_a_secret_in_str_or_repr() -> None:
    account = ThuliumAccountFactory(api_secret=PLAIN_PASSWORD)
    fresh = VendorAccount.objects.get(pk=account.pk)
    for text in (
        str(fresh),
        repr(fresh),
        str(fresh.api_secret),
        repr(fresh.api_secret),
        f"{fresh.api_secret}",
        repr(fresh.__dict__),
    ):
        assert PLAIN_PASSWORD not in text


def test_it_stores_an_empty_credential_as_null() -> None:
    account = ThuliumAccountFactory(api_login="")
    assert raw_columns(account)[0] is None
    assert not VendorAccount.objects.get(pk=account.pk).credentials_set


def test_it_reencrypts_with_the_newest_key(settings) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[-1]
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    account = ThuliumAccountFactory(api_secret=PLAIN_PASSWORD)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("reencrypt_credentials", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    assert VendorAccount.objects.get(pk=account.pk).api_secret.reveal() == PLAIN_PASSWORD


def test_it_says_which_setting_to_fix_when_a_key_is_missing(settings) -> None:
    account = ThuliumAccountFactory(api_secret=PLAIN_PASSWORD)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    fresh = VendorAccount.objects.get(pk=account.pk)
    with pytest.raises(CredentialDecryptionError, match="FIELD_ENCRYPTION_KEY") as excinfo:
        fresh.api_secret.reveal()
    assert PLAIN_PASSWORD not in str(excinfo.value)


def test_it_lists_contacts_without_decrypting_their_accounts_credentials(
    owner_client, settings
) -> None:
    account = ThuliumAccountFactory(api_secret=PLAIN_PASSWORD)
    ContactFactory.create_batch(3, account=account)
    # Even with the key gone, pages that merely show accounts keep working.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    response = owner_client.get(reverse("admin:backoffice_contact_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3


def test_it_encrypts_the_same_value_differently_each_time() -> None:
    assert crypto.encrypt("x") != crypto.encrypt("x")
