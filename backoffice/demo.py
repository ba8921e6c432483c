"""The demo `make run` sets up on a development machine (DEBUG only).

Vendor accounts aimed at the local vendor sandbox, one staff user per role plus a superuser, all
with the one published password below, and the agent identities that let them act at the
sandbox's Thulium and HelpCrunch. Every function here reuses what exists (accounts by name, users
by user name) and never makes duplicates; none of it runs when DEBUG is off, so the published
password never reaches a production database (and `backoffice.security.DemoPasswordRefusedBackend`
refuses it at login there, should a development database ever be promoted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule

from backoffice.models import (
    AgentIdentity,
    BonyChannelKind,
    Contact,
    Operation,
    User,
    VendorAccount,
)
from backoffice.operations.enqueue import Enqueued
from backoffice.roles import AUDITOR, INTEGRATION_ADMIN, SUPPORT_AGENT, SUPPORT_LEAD
from backoffice.vendors import Vendor


class DemoRefused(Exception):
    """Demo data was asked for outside DEBUG."""


DEMO_PASSWORD = "switchboard-demo"  # noqa: S105 - the demo's published password, DEBUG only
DEMO_SANDBOX_URL = "http://127.0.0.1:8900"
DEMO_SYNC_MINUTES = 5
# The customer ids the sandbox gives the first contacts of each Bony.chat channel (1000 onwards).
DEMO_BONY_CUSTOMER_IDS = range(1000, 1012)
SUPERUSER = "superuser"


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


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str  # a group of backoffice.roles, or SUPERUSER
    # Who the user is at the sandbox's Thulium (a user login) and HelpCrunch (an agent id), so
    # they can reply to tickets, start chats and send messages as themselves.
    thulium_login: str = ""
    helpcrunch_agent: str = ""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str | None  # None: the user exists and its password was changed since
    created: bool


@dataclass(frozen=True)
class Demo:
    accounts: list[tuple[VendorAccount, bool]]  # each account, and whether it was created
    logins: list[DemoLogin]


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


def _demo_users() -> list[DemoUser]:
    # Thulium logins and HelpCrunch agent ids the sandbox seeds (connectors/sandbox/seed_data.py).
    return [
        DemoUser("admin", SUPERUSER, thulium_login="testowy.agent17", helpcrunch_agent="3"),
        DemoUser("agent", SUPPORT_AGENT, thulium_login="agent.demo", helpcrunch_agent="1"),
        DemoUser("lead", SUPPORT_LEAD, thulium_login="ewa.kaczmarek", helpcrunch_agent="2"),
        DemoUser("integrator", INTEGRATION_ADMIN),
        DemoUser("auditor", AUDITOR),
    ]


def _refuse_outside_debug(what: str) -> None:
    if not settings.DEBUG:
        raise DemoRefused(f"{what} are created only when DEBUG is on.")


@transaction.atomic
def demo_ensure(*, sandbox_url: str = DEMO_SANDBOX_URL) -> Demo:
    """The whole demo: accounts, users and their agent identities (DEBUG only; idempotent)."""
    accounts = demo_accounts_ensure(sandbox_url=sandbox_url)
    logins = demo_users_ensure(accounts=[account for account, _ in accounts])
    return Demo(accounts=accounts, logins=logins)


@transaction.atomic
def demo_accounts_ensure(
    *, sandbox_url: str = DEMO_SANDBOX_URL
) -> list[tuple[VendorAccount, bool]]:
    """Vendor accounts aimed at the local vendor sandbox, each synced every few minutes (its first
    sync due at once). Existing ones (by name) are reused as they are."""
    _refuse_outside_debug("Demo accounts")
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
            account.save()  # its schedule comes with it (backoffice.sync.schedule)
        if demo.known_contact:
            Contact.objects.get_or_create(account=account, vendor_id=demo.known_contact)
        found.append((account, created))
    return found


@transaction.atomic
def demo_users_ensure(*, accounts: Sequence[VendorAccount] = ()) -> list[DemoLogin]:
    """One staff user per role and a superuser, with the published password, and their agent
    identities at the demo's Thulium and HelpCrunch accounts. An existing user (by user name)
    keeps its password, groups and identities; its password is reported only while it is still
    the published one."""
    _refuse_outside_debug("Demo users")
    logins = []
    for demo in _demo_users():
        user = User.objects.filter(username=demo.username).first()
        created = user is None
        if user is None:
            user = _demo_user_create(demo)
        logins.append(
            DemoLogin(
                username=user.username,
                role=demo.role,
                password=DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else None,
                created=created,
            )
        )
        logins_at: dict[str, str] = {
            Vendor.THULIUM: demo.thulium_login,
            Vendor.HELPCRUNCH: demo.helpcrunch_agent,
        }
        for account in accounts:
            if logins_at.get(account.vendor):
                _identity_ensure(user, account, logins_at[account.vendor])
    return logins


def _demo_user_create(demo: DemoUser) -> User:
    email = f"{demo.username}@switchboard.example"
    if demo.role == SUPERUSER:
        return User.objects.create_superuser(demo.username, email, DEMO_PASSWORD)
    user = User.objects.create_user(demo.username, email, DEMO_PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=demo.role))
    return user


def _identity_ensure(user: User, account: VendorAccount, login: str) -> None:
    """One identity per user and account, and one user per login: either taken already (staff may
    have changed it) leaves the account as it is."""
    taken = AgentIdentity.objects.filter(Q(user=user) | Q(login=login), account=account)
    if not taken.exists():
        AgentIdentity.objects.create(user=user, account=account, login=login)


def demo_accounts_never_synced(accounts: Sequence[VendorAccount]) -> list[VendorAccount]:
    """The accounts no sync has yet completed for: the demo's first sync is theirs."""
    synced = set(
        Operation.objects.filter(
            account__in=accounts,
            action=Operation.Action.SYNC_FROM_VENDOR,
            state=Operation.State.SUCCEEDED,
        ).values_list("account_id", flat=True)
    )
    return [account for account in accounts if account.pk not in synced]


def demo_first_sync_enqueue(accounts: Sequence[VendorAccount]) -> list[Enqueued]:
    """Queue the first sync of every demo account never synced (one at a time per account: a
    scheduled sync already under way is reported as skipped, not doubled). Bony.chat cannot list
    its contacts, so its first sync also imports the sandbox's first few by customer id, as staff
    would with the sync form."""
    from backoffice.actions.sync_from_vendor import account_syncs_enqueue
    from backoffice.sync.schedule import schedule_name

    due = demo_accounts_never_synced(accounts)
    bony = [account for account in due if account.vendor == Vendor.BONY]
    others = [account for account in due if account.vendor != Vendor.BONY]
    search = [{"field": "customerid", "value": str(n)} for n in DEMO_BONY_CUSTOMER_IDS]
    queued = [
        account_syncs_enqueue(actor=None, accounts=others),
        account_syncs_enqueue(actor=None, accounts=bony, search=search),
    ]
    # Their schedules were due at once; this sync stands for that first run.
    for account in due:
        if account.sync_interval_minutes:
            Schedule.objects.filter(name=schedule_name(account.pk)).update(
                next_run=timezone.now() + timedelta(minutes=account.sync_interval_minutes)
            )
    return queued
