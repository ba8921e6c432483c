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
