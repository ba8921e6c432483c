"""The sandbox accounts, unthrottled: the suite checks what a sync stores, not how long the
vendors' rate limits make it take (the rate limit and a 429 have tests of their own)."""

from __future__ import annotations

import pytest

from backoffice.models import VendorAccount
from connectors.sandbox.testing import SandboxHandle

UNTHROTTLED = 100_000


def _fast(account: VendorAccount) -> VendorAccount:
    account.rate_limit_per_minute = UNTHROTTLED
    account.save()
    return account


@pytest.fixture
def open_sandbox(sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.set_limits(thulium=0, helpcrunch=0, bony=0)
    return sandbox


@pytest.fixture
def thulium(open_sandbox: SandboxHandle, thulium_sandbox: VendorAccount) -> VendorAccount:
    return _fast(thulium_sandbox)


@pytest.fixture
def helpcrunch(open_sandbox: SandboxHandle, helpcrunch_sandbox: VendorAccount) -> VendorAccount:
    return _fast(helpcrunch_sandbox)


@pytest.fixture
def bony(open_sandbox: SandboxHandle, bony_sandbox: VendorAccount) -> VendorAccount:
    return _fast(bony_sandbox)


@pytest.fixture
def viber(open_sandbox: SandboxHandle, viber_sandbox: VendorAccount) -> VendorAccount:
    return _fast(viber_sandbox)
