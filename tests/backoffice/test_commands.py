from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import ContactFactory, HelpCrunchAccountFactory, ThuliumAccountFactory

pytestmark = pytest.mark.django_db


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
