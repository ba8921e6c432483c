from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from backoffice.models import User
from tests.factories import ContactFactory, HelpCrunchAccountFactory, ThuliumAccountFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_demo_superuser_once_and_prints_its_login(settings) -> None:
    settings.DEBUG = True
    first, second = StringIO(), StringIO()
    call_command("ensure_demo_superuser", stdout=first)
    call_command("ensure_demo_superuser", stdout=second)
    assert "admin / switchboard-demo" in first.getvalue()
    assert "admin / switchboard-demo" in second.getvalue()
    assert User.objects.filter(is_superuser=True).count() == 1


def test_it_does_not_print_a_password_that_was_changed(settings) -> None:
    settings.DEBUG = True
    call_command("ensure_demo_superuser", stdout=StringIO())
    user = User.objects.get(username="admin")
    user.set_password("a-private-one")
    user.save()
    out = StringIO()
    call_command("ensure_demo_superuser", stdout=out)
    assert "switchboard-demo" not in out.getvalue()
    assert "password was changed" in out.getvalue()


def test_it_refuses_demo_users_outside_debug(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only when DEBUG"):
        call_command("ensure_demo_superuser", stdout=StringIO())
    assert not User.objects.exists()


def test_it_links_existing_contacts_to_persons_from_the_command() -> None:
    first = ContactFactory(account=ThuliumAccountFactory(), email="Ola@example.pl", phone="")
    second = ContactFactory(account=HelpCrunchAccountFactory(), email="ola@example.pl", phone="")
    out = StringIO()

    call_command("link_persons", "--batch-size", "1", stdout=out)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.person_id == second.person_id is not None
    assert "Checked 2 contacts: 2 linked, 1 persons created" in out.getvalue()


def test_it_refuses_a_batch_size_out_of_range() -> None:
    with pytest.raises(CommandError, match="between 1 and 10000, not 0"):
        call_command("link_persons", "--batch-size", "0", stdout=StringIO())


def test_it_creates_the_demo_accounts_and_their_schedules_once(settings) -> None:
    from django_q.models import Schedule

    from backoffice.models import Contact, VendorAccount

    settings.DEBUG = True
    first, second = StringIO(), StringIO()
    call_command("ensure_demo_accounts", stdout=first)
    call_command("ensure_demo_accounts", stdout=second)

    names = ["Demo Bony Messenger", "Demo Bony Viber", "Demo HelpCrunch", "Demo Thulium"]
    assert list(VendorAccount.objects.values_list("name", flat=True)) == names
    assert first.getvalue().count("(created)") == 4
    assert second.getvalue().count("(exists)") == 4
    assert "http://127.0.0.1:8900/thulium/api" in first.getvalue()
    schedules = Schedule.objects.filter(func="backoffice.tasks.account_sync_scheduled")
    assert sorted(schedules.values_list("minutes", flat=True)) == [5, 5, 5, 5]
    assert Contact.objects.count() == 2  # one known contact per Bony.chat channel


def test_it_refuses_demo_accounts_outside_debug(settings) -> None:
    from backoffice.models import VendorAccount

    settings.DEBUG = False
    with pytest.raises(CommandError, match="only when DEBUG"):
        call_command("ensure_demo_accounts", stdout=StringIO())
    assert not VendorAccount.objects.exists()


def test_it_fills_the_mirror_from_the_demo_accounts_first_scheduled_syncs(
    settings, sandbox
) -> None:
    from backoffice import tasks
    from backoffice.models import ChatConversation, Contact, Ticket, VendorAccount

    settings.DEBUG = True
    sandbox.set_limits(helpcrunch=0, bony=0)
    call_command("ensure_demo_accounts", "--sandbox-url", sandbox.base_url, stdout=StringIO())
    VendorAccount.objects.update(rate_limit_per_minute=100_000)

    for account in VendorAccount.objects.all():
        assert tasks.account_sync_scheduled(account.pk) == "queued"

    world = sandbox.state
    assert Ticket.objects.count() == len(world.thulium.tickets)
    assert ChatConversation.objects.count() == len(world.helpcrunch.chats)
    assert Contact.objects.filter(account__name="Demo Thulium").count() == len(
        world.thulium.customers
    )
    bony = Contact.objects.filter(account__vendor="bony")
    assert bony.count() == 2
    assert all(c.email and c.last_synced_at for c in bony)
