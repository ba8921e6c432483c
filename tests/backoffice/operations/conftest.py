"""Accounts aimed at the live sandbox, and HTTP faked at the wire for the exact-bytes tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from backoffice.models import AgentIdentity, BonyChannelKind, User, VendorAccount
from connectors.sandbox.seed import HELPCRUNCH_AGENT_ID, THULIUM_AGENT_LOGIN
from connectors.sandbox.testing import SandboxHandle
from tests.factories import (
    AgentIdentityFactory,
    BonyAccountFactory,
    HelpCrunchAccountFactory,
    ThuliumAccountFactory,
)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """HTTP faked at the wire; every registered response must be used, nothing else is reachable."""
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def thulium_account(sandbox: SandboxHandle, db: None) -> VendorAccount:
    return ThuliumAccountFactory(
        name="Thulium sandbox",
        base_url=sandbox.thulium_url,
        api_login="sandbox",
        api_secret="sandbox",
    )


@pytest.fixture
def helpcrunch_account(sandbox: SandboxHandle, db: None) -> VendorAccount:
    return HelpCrunchAccountFactory(
        name="HelpCrunch sandbox", base_url=sandbox.helpcrunch_url, api_secret="sandbox"
    )


@pytest.fixture
def bony_account(sandbox: SandboxHandle, db: None) -> VendorAccount:
    return BonyAccountFactory(
        name="Bony Messenger sandbox", base_url=sandbox.bony_url, api_secret="sandbox"
    )


@pytest.fixture
def viber_account(sandbox: SandboxHandle, db: None) -> VendorAccount:
    return BonyAccountFactory(
        name="Bony Viber sandbox",
        base_url=sandbox.bony_url,
        api_secret="sandbox-viber",
        channel_kind=BonyChannelKind.VIBER,
    )


@pytest.fixture
def thulium_agent(owner: User, thulium_account: VendorAccount) -> AgentIdentity:
    """The owner is the sandbox's agent.demo at the Thulium account."""
    return AgentIdentityFactory(user=owner, account=thulium_account, login=THULIUM_AGENT_LOGIN)


@pytest.fixture
def helpcrunch_agent(owner: User, helpcrunch_account: VendorAccount) -> AgentIdentity:
    return AgentIdentityFactory(
        user=owner, account=helpcrunch_account, login=str(HELPCRUNCH_AGENT_ID)
    )
