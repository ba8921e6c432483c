"""Wire fakes and sandbox accounts come from the root ``tests/conftest.py``; here, the accounts
the contact-action tests fake at the wire."""

import pytest

from backoffice.models import VendorAccount
from tests.factories import BonyAccountFactory, HelpCrunchAccountFactory


@pytest.fixture
def helpcrunch() -> VendorAccount:
    return HelpCrunchAccountFactory(name="Czat")


@pytest.fixture
def bony() -> VendorAccount:
    return BonyAccountFactory(name="Messenger")
