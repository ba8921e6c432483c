"""Writes the back-office performs, as keyword-only functions named ``<entity>_<verb>``.

Admin classes, tasks and management commands parse their input, call one of these, and report.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from backoffice.crypto import CredentialDecryptionError
from backoffice.models import User, VendorAccount


class ApplicationError(Exception):
    """A rule of the back-office was broken; the message is meant for the staff member."""


DEMO_SUPERUSER = "admin"
DEMO_PASSWORD = "switchboard-demo"  # noqa: S105 - a published demo password, DEBUG only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str | None  # None: the account exists and its password was changed since


def demo_superuser_ensure() -> DemoLogin:
    """Make sure a development machine has a superuser to log in with.

    Only in DEBUG: a published password must never reach a production database.
    """
    if not settings.DEBUG:
        raise ApplicationError("Demo users are created only when DEBUG is on.")
    existing = User.objects.filter(is_superuser=True).order_by("id").first()
    if existing is None:
        User.objects.create_superuser(DEMO_SUPERUSER, "admin@example.org", DEMO_PASSWORD)
        return DemoLogin(DEMO_SUPERUSER, DEMO_PASSWORD)
    if existing.check_password(DEMO_PASSWORD):
        return DemoLogin(existing.username, DEMO_PASSWORD)
    return DemoLogin(existing.username, None)


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
