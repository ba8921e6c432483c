"""The demo `make run` sets up: accounts on the vendor sandbox, one user per role, agent
identities, the first sync; never doubled, never outside DEBUG, and its password useless in
production."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from django_q.models import Schedule

from backoffice.demo import (
    DEMO_PASSWORD,
    DemoRefused,
    demo_accounts_ensure,
    demo_ensure,
    demo_first_sync_enqueue,
)
from backoffice.models import (
    AgentIdentity,
    ApiCall,
    ChatConversation,
    Contact,
    Operation,
    Ticket,
    User,
    VendorAccount,
)
from backoffice.roles import AUDITOR, INTEGRATION_ADMIN, SUPPORT_AGENT, SUPPORT_LEAD
from connectors.sandbox.testing import SandboxHandle
from tests.factories import OperationFactory, UserFactory

pytestmark = pytest.mark.django_db
ACCOUNTS = ["Demo Bony Messenger", "Demo Bony Viber", "Demo HelpCrunch", "Demo Thulium"]


def roles_of(username: str) -> list[str]:
    user = User.objects.get(username=username)
    return ["superuser"] if user.is_superuser else list(user.groups.values_list("name", flat=True))


def test_it_creates_the_accounts_users_and_agent_identities_once(settings) -> None:
    settings.DEBUG = True
    first = demo_ensure()
    second = demo_ensure()

    assert list(VendorAccount.objects.values_list("name", flat=True)) == ACCOUNTS
    assert [created for _, created in first.accounts] == [True] * 4
    assert [created for _, created in second.accounts] == [False] * 4
    assert all(a.base_url.startswith("http://127.0.0.1:8900/") for a, _ in first.accounts)
    schedules = Schedule.objects.filter(func="backoffice.tasks.account_sync_scheduled")
    assert sorted(schedules.values_list("minutes", flat=True)) == [5, 5, 5, 5]
    assert Contact.objects.count() == 2  # one known contact per Bony.chat channel

    assert [(login.username, login.password) for login in second.logins] == [
        ("admin", DEMO_PASSWORD),
        ("agent", DEMO_PASSWORD),
        ("lead", DEMO_PASSWORD),
        ("integrator", DEMO_PASSWORD),
        ("auditor", DEMO_PASSWORD),
    ]
    assert [login.created for login in first.logins] == [True] * 5
    assert [login.created for login in second.logins] == [False] * 5
    assert User.objects.count() == 5
    assert roles_of("admin") == ["superuser"]
    assert roles_of("agent") == [SUPPORT_AGENT]
    assert roles_of("lead") == [SUPPORT_LEAD]
    assert roles_of("integrator") == [INTEGRATION_ADMIN]
    assert roles_of("auditor") == [AUDITOR]
    assert all(User.objects.values_list("is_staff", flat=True))

    identities = AgentIdentity.objects.values_list("user__username", "account__name", "login")
    assert sorted(identities) == [
        ("admin", "Demo HelpCrunch", "3"),
        ("admin", "Demo Thulium", "testowy.agent17"),
        ("agent", "Demo HelpCrunch", "1"),
        ("agent", "Demo Thulium", "agent.demo"),
        ("lead", "Demo HelpCrunch", "2"),
        ("lead", "Demo Thulium", "ewa.kaczmarek"),
    ]


def test_it_keeps_what_staff_changed_and_does_not_show_a_changed_password(settings) -> None:
    settings.DEBUG = True
    demo_ensure()
    agent = User.objects.get(username="agent")
    agent.set_password("a private one, not the demo's")
    agent.save()
    AgentIdentity.objects.filter(user=agent, account__name="Demo Thulium").update(login="jan.nowak")

    again = demo_ensure()

    shown = {login.username: login.password for login in again.logins}
    assert shown["agent"] is None
    assert shown["lead"] == DEMO_PASSWORD
    assert AgentIdentity.objects.get(user=agent, account__name="Demo Thulium").login == "jan.nowak"
    assert AgentIdentity.objects.count() == 6


def test_it_refuses_the_demo_outside_debug(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(DemoRefused, match="only when DEBUG"):
        demo_ensure()
    assert not User.objects.exists()
    assert not VendorAccount.objects.exists()


@pytest.mark.parametrize(("debug", "logged_in"), [(True, True), (False, False)])
def test_it_accepts_the_demo_password_only_in_debug(settings, debug: bool, logged_in: bool) -> None:
    settings.DEBUG = debug
    UserFactory(username="agent", password=DEMO_PASSWORD)
    UserFactory(username="private")  # the factory's own password

    request = RequestFactory().post("/admin/login/")
    demo = authenticate(request, username="agent", password=DEMO_PASSWORD)
    private = authenticate(request, username="private", password="correct horse battery staple")

    assert (demo is not None) is logged_in
    assert private is not None


def test_it_refuses_the_demo_password_on_the_production_login_page(settings) -> None:
    settings.DEBUG = False
    UserFactory(username="agent", password=DEMO_PASSWORD)

    response = Client().post(
        "/admin/login/?next=/admin/", {"username": "agent", "password": DEMO_PASSWORD}
    )

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_it_fills_the_mirror_from_the_demo_accounts_first_syncs_once(
    settings, sandbox: SandboxHandle
) -> None:
    settings.DEBUG = True
    sandbox.set_limits(helpcrunch=0, bony=0)
    accounts = [account for account, _ in demo_accounts_ensure(sandbox_url=sandbox.base_url)]
    VendorAccount.objects.update(rate_limit_per_minute=100_000)

    before = timezone.now()
    first = demo_first_sync_enqueue(accounts)  # the suite runs tasks in-process

    assert sum(batch.count for batch in first) == 4
    assert Operation.objects.filter(state=Operation.State.SUCCEEDED).count() == 4
    world = sandbox.state
    assert Ticket.objects.count() == len(world.thulium.tickets)
    assert ChatConversation.objects.count() == len(world.helpcrunch.chats)
    assert Contact.objects.filter(account__name="Demo Thulium").count() == len(
        world.thulium.customers
    )
    # Bony.chat: the first dozen contacts of each channel, imported by customer id.
    for name in ("Demo Bony Messenger", "Demo Bony Viber"):
        bony = Contact.objects.filter(account__name=name)
        assert bony.count() == 12
        assert all(c.email and c.last_synced_at for c in bony)
    # Their schedules, due at once before, next run one interval on, not straight after.
    schedules = Schedule.objects.filter(func="backoffice.tasks.account_sync_scheduled")
    assert all(s.next_run >= before + timedelta(minutes=5) for s in schedules)
    # A later start finds them synced: nothing is queued again.
    assert sum(batch.count for batch in demo_first_sync_enqueue(accounts)) == 0


# flush needs committed rows; the roles and schedules this starts from are restored first.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_empties_the_database_for_a_new_demo_and_puts_back_the_roles(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = True
    demo_ensure()
    OperationFactory.create_batch(2)
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    out = StringIO()

    call_command("demo_reset", stdout=out)

    assert "`make run` sets up the demo again" in out.getvalue()
    assert not User.objects.exists()
    assert not VendorAccount.objects.exists()
    assert not Operation.objects.exists()
    assert not ApiCall.objects.exists()
    groups = User.groups.field.related_model.objects.values_list("name", flat=True)
    assert sorted(groups) == sorted([SUPPORT_AGENT, SUPPORT_LEAD, INTEGRATION_ADMIN, AUDITOR])
    assert demo_ensure().accounts[0][1] is True  # set up from the start


def test_it_deletes_nothing_without_a_yes_or_outside_debug(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = True
    demo_ensure()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was deleted"):
        call_command("demo_reset", stdout=StringIO())

    settings.DEBUG = False
    with pytest.raises(CommandError, match="only when DEBUG is on; nothing was deleted"):
        call_command("demo_reset", "--noinput", stdout=StringIO())
    assert User.objects.count() == 5
