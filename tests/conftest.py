from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from django.test import Client

from backoffice.models import BonyChannelKind, User, VendorAccount
from connectors.sandbox.testing import SandboxHandle
from tests.factories import (
    BonyAccountFactory,
    HelpCrunchAccountFactory,
    SuperuserFactory,
    ThuliumAccountFactory,
)

# The vendor sandbox, started once per session on an ephemeral port and reset for each test.
pytest_plugins = ["tests.sandbox_plugin"]


@pytest.fixture
def owner(db: None) -> User:
    """A superuser: sees and may do everything the admin allows anyone."""
    return SuperuserFactory()


@pytest.fixture
def owner_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """HTTP faked at the wire; every registered response must be used, nothing else is reachable."""
    with responses.RequestsMock() as mock:
        yield mock


# Vendor accounts aimed at the live sandbox, with its credentials.


@pytest.fixture
def thulium_sandbox(sandbox: SandboxHandle, db: None) -> VendorAccount:
    return ThuliumAccountFactory(
        name="Thulium sandbox",
        base_url=sandbox.thulium_url,
        api_login="sandbox",
        api_secret="sandbox",
    )


@pytest.fixture
def helpcrunch_sandbox(sandbox: SandboxHandle, db: None) -> VendorAccount:
    return HelpCrunchAccountFactory(
        name="HelpCrunch sandbox", base_url=sandbox.helpcrunch_url, api_secret="sandbox"
    )


@pytest.fixture
def bony_sandbox(sandbox: SandboxHandle, db: None) -> VendorAccount:
    return BonyAccountFactory(name="Bony sandbox", base_url=sandbox.bony_url, api_secret="sandbox")


@pytest.fixture
def viber_sandbox(sandbox: SandboxHandle, db: None) -> VendorAccount:
    return BonyAccountFactory(
        name="Bony Viber sandbox",
        base_url=sandbox.bony_url,
        api_secret="sandbox-viber",
        channel_kind=BonyChannelKind.VIBER,
    )
