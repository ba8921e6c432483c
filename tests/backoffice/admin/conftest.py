from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from backoffice.models import VendorAccount
from connectors.sandbox.testing import SandboxHandle
from tests.factories import BonyAccountFactory, HelpCrunchAccountFactory, ThuliumAccountFactory


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Vendors faked at the wire: every registered response must be used, nothing else reached."""
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def thulium_sandbox(sandbox: SandboxHandle) -> VendorAccount:
    return ThuliumAccountFactory(
        name="Thulium sandbox",
        base_url=sandbox.thulium_url,
        api_login="sandbox",
        api_secret="sandbox",
    )


@pytest.fixture
def helpcrunch_sandbox(sandbox: SandboxHandle) -> VendorAccount:
    return HelpCrunchAccountFactory(
        name="HelpCrunch sandbox", base_url=sandbox.helpcrunch_url, api_secret="sandbox"
    )


@pytest.fixture
def bony_sandbox(sandbox: SandboxHandle) -> VendorAccount:
    return BonyAccountFactory(name="Bony sandbox", base_url=sandbox.bony_url, api_secret="sandbox")
