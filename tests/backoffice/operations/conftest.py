"""The sandbox's agents as the owner's identities (accounts, wire fakes: tests/conftest.py)."""

from __future__ import annotations

import pytest

from backoffice.models import AgentIdentity, User, VendorAccount
from connectors.sandbox.seed import HELPCRUNCH_AGENT_ID, THULIUM_AGENT_LOGIN
from tests.factories import (
    AgentIdentityFactory,
)


@pytest.fixture
def thulium_agent(owner: User, thulium_sandbox: VendorAccount) -> AgentIdentity:
    """The owner is the sandbox's agent.demo at the Thulium account."""
    return AgentIdentityFactory(user=owner, account=thulium_sandbox, login=THULIUM_AGENT_LOGIN)


@pytest.fixture
def helpcrunch_agent(owner: User, helpcrunch_sandbox: VendorAccount) -> AgentIdentity:
    return AgentIdentityFactory(
        user=owner, account=helpcrunch_sandbox, login=str(HELPCRUNCH_AGENT_ID)
    )
