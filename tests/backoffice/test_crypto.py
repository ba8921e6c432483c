from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from backoffice import crypto
from backoffice.crypto import CredentialDecryptionError, Secret
from backoffice.models import Operation, VendorAccount
from tests.backoffice.test_settings import PRODUCTION_ENV, run_python
from tests.factories import BonyAccountFactory, ContactFactory, ThuliumAccountFactory

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


def test_it_decrypts_a_credential_encrypted_with_an_old_key_listed_second(settings) -> None:
    old_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    account = ThuliumAccountFactory(api_login="api_user", api_secret=PLAIN_PASSWORD)
    stored = raw_columns(account)

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    fresh = VendorAccount.objects.get(pk=account.pk)
    assert fresh.api_secret.reveal() == PLAIN_PASSWORD
    assert fresh.api_login.reveal() == "api_user"
    assert raw_columns(account) == stored  # reading rewrites nothing


def test_it_reencrypts_every_credential_with_the_newest_key_and_says_how_many(settings) -> None:
    old_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    thulium = ThuliumAccountFactory(api_login="api_user", api_secret=PLAIN_PASSWORD)
    bony = BonyAccountFactory(api_secret="bony-token-0042")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()

    call_command("reencrypt_credentials", stdout=out)

    assert "Re-encrypted the credentials of 2 accounts." in out.getvalue()
    for account, plaintexts in (
        (thulium, ("api_user", PLAIN_PASSWORD)),
        (bony, ("bony-token-0042",)),
    ):
        columns = [c for c in raw_columns(account) if c is not None]
        assert [Fernet(new_key).decrypt(c.encode()).decode() for c in columns] == list(plaintexts)
        for column in columns:
            with pytest.raises(InvalidToken):
                Fernet(old_key).decrypt(column.encode())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    assert VendorAccount.objects.get(pk=thulium.pk).api_secret.reveal() == PLAIN_PASSWORD
    assert VendorAccount.objects.get(pk=bony.pk).api_secret.reveal() == "bony-token-0042"


def test_it_stops_reencrypting_with_a_clear_message_when_a_key_is_missing(settings) -> None:
    kept_key, lost_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [kept_key]
    readable = BonyAccountFactory(name="Messenger", api_secret="bony-token-0042")
    settings.FIELD_ENCRYPTION_KEYS = [lost_key]
    unreadable = ThuliumAccountFactory(name="Centrala", api_secret=PLAIN_PASSWORD)
    stored = raw_columns(readable), raw_columns(unreadable)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), kept_key]

    with pytest.raises(CommandError) as excinfo:
        call_command("reencrypt_credentials", stdout=StringIO())

    message = str(excinfo.value)
    assert message.startswith(
        f"The credentials of the account 'Centrala' (#{unreadable.pk}) cannot be decrypted with "
        "any key in FIELD_ENCRYPTION_KEY."
    )
    assert "nothing was re-encrypted" in message
    assert stored[1][1] not in message
    # One transaction: the account rewritten before the failure is back as it was.
    assert (raw_columns(readable), raw_columns(unreadable)) == stored


def test_it_fails_a_connection_test_in_words_when_the_key_is_gone(owner_client, settings) -> None:
    account = ThuliumAccountFactory(api_secret=PLAIN_PASSWORD)
    ciphertext = raw_columns(account)[1]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    page = owner_client.get(reverse("admin:backoffice_vendoraccount_change", args=[account.pk]))
    assert page.status_code == 200
    response = owner_client.post(
        reverse("admin:backoffice_vendoraccount_changelist"),
        {"action": "test_connection", "_selected_action": [account.pk], "index": "0"},
        follow=True,
    )

    assert response.status_code == 200
    operation = Operation.objects.get()
    assert operation.state == "failed"
    assert operation.last_error.startswith(
        "A stored credential cannot be decrypted with the configured FIELD_ENCRYPTION_KEY"
    )
    account.refresh_from_db()
    assert account.last_check_ok is False
    shown = owner_client.get(reverse("admin:backoffice_operation_change", args=[operation.pk]))
    for text in (page.content, response.content, shown.content):
        assert ciphertext.encode() not in text
        assert PLAIN_PASSWORD.encode() not in text


@pytest.mark.parametrize("keys", ["not-a-fernet-key", f"{Fernet.generate_key().decode()},short"])
def test_it_refuses_to_start_with_a_malformed_key(keys: str) -> None:
    result = run_python(
        "import django; django.setup()", {**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEY": keys}
    )

    assert result.returncode != 0
    position = len(keys.split(","))
    assert (
        f"FIELD_ENCRYPTION_KEY: key {position} of {position} is not a Fernet key" in result.stderr
    )
    assert keys.split(",")[-1] not in result.stderr.replace("FIELD_ENCRYPTION_KEY", "")


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
