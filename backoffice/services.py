"""Writes the back-office performs, as keyword-only functions named ``<entity>_<verb>``.

Admin classes, tasks and management commands parse their input, call one of these, and report.
"""

from __future__ import annotations

from django.db import transaction

from backoffice.crypto import CredentialDecryptionError
from backoffice.models import VendorAccount


class ApplicationError(Exception):
    """A rule of the back-office was broken; the message is meant for the staff member."""


@transaction.atomic
def credentials_reencrypt() -> int:
    """Rewrite every stored credential with the newest FIELD_ENCRYPTION_KEY; returns the count.

    Reading decrypts with whichever configured key fits, saving encrypts with the first one, so
    once this has run the old keys can be dropped from the setting. One transaction: a credential
    no configured key decrypts stops the run with nothing rewritten.
    """
    count = 0
    for account in VendorAccount.objects.select_for_update().order_by("pk"):
        try:
            account.save(update_fields=["api_login", "api_secret"])
        except CredentialDecryptionError as exc:
            raise ApplicationError(
                f"The credentials of the account {account.name!r} (#{account.pk}) cannot be "
                "decrypted with any key in FIELD_ENCRYPTION_KEY. Put the key they were encrypted "
                "with back in the list (after the new one) and run this again; nothing was "
                "re-encrypted."
            ) from exc
        count += 1
    return count
