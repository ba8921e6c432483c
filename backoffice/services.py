"""Writes the back-office performs, as keyword-only functions named ``<entity>_<verb>``.

Admin classes, tasks and management commands parse their input, call one of these, and report.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from backoffice.crypto import CredentialDecryptionError
from backoffice.models import BonyChannelKind, Contact, User, VendorAccount
from backoffice.vendors import Vendor


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


DEMO_SANDBOX_URL = "http://127.0.0.1:8900"
DEMO_SYNC_MINUTES = 5


@dataclass(frozen=True)
class DemoAccount:
    name: str
    vendor: str
    path: str
    login: str = ""
    secret: str = "sandbox"  # noqa: S105 - the vendor sandbox's published credential
    channel_kind: str = ""
    # A contact the demo knows at the start: Bony.chat has no "list all", so its sync refreshes
    # the contacts it knows (the sandbox's first contact of the channel).
    known_contact: str = ""


def _demo_accounts() -> list[DemoAccount]:
    from connectors.sandbox.seed import BONY_CONTACT_ID, BONY_VIBER_CONTACT_ID

    return [
        DemoAccount("Demo Thulium", Vendor.THULIUM, "/thulium/api", login="sandbox"),
        DemoAccount("Demo HelpCrunch", Vendor.HELPCRUNCH, "/helpcrunch/v1"),
        DemoAccount(
            "Demo Bony Messenger",
            Vendor.BONY,
            "/bony/api/v1",
            channel_kind=BonyChannelKind.MESSENGER,
            known_contact=BONY_CONTACT_ID,
        ),
        DemoAccount(
            "Demo Bony Viber",
            Vendor.BONY,
            "/bony/api/v1",
            secret="sandbox-viber",  # noqa: S106 - the sandbox's Viber channel
            channel_kind=BonyChannelKind.VIBER,
            known_contact=BONY_VIBER_CONTACT_ID,
        ),
    ]


@transaction.atomic
def demo_accounts_ensure(
    *, sandbox_url: str = DEMO_SANDBOX_URL
) -> list[tuple[VendorAccount, bool]]:
    """Development only: vendor accounts aimed at the local vendor sandbox, each synced every few
    minutes (its first sync due at once). Existing ones (by name) are reused as they are; a run
    never makes duplicates. Returns each account and whether it was created."""
    if not settings.DEBUG:
        raise ApplicationError("Demo accounts are created only when DEBUG is on.")
    found: list[tuple[VendorAccount, bool]] = []
    for demo in _demo_accounts():
        account = VendorAccount.objects.filter(name=demo.name).first()
        created = account is None
        if account is None:
            account = VendorAccount(
                name=demo.name,
                vendor=demo.vendor,
                base_url=f"{sandbox_url.rstrip('/')}{demo.path}",
                channel_kind=demo.channel_kind,
                api_login=demo.login,
                api_secret=demo.secret,
                sync_interval_minutes=DEMO_SYNC_MINUTES,
            )
            account.full_clean()
            account.save()  # its schedule comes with it (backoffice.sync.services)
        if demo.known_contact:
            Contact.objects.get_or_create(account=account, vendor_id=demo.known_contact)
        found.append((account, created))
    return found


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
