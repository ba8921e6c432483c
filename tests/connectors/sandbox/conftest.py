"""Plain `requests` sessions aimed at each simulated vendor, with the sandbox's credentials."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.sandbox.testing import SandboxHandle


class VendorSession(requests.Session):
    """A session whose URLs are relative to one vendor's base URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 10)
        return super().request(method, f"{self.base_url}{url!s}", *args, **kwargs)


@pytest.fixture
def thulium(sandbox: SandboxHandle) -> VendorSession:
    session = VendorSession(sandbox.thulium_url)
    session.auth = ("sandbox", "sandbox")
    return session


@pytest.fixture
def helpcrunch(sandbox: SandboxHandle) -> VendorSession:
    session = VendorSession(sandbox.helpcrunch_url)
    session.headers["Authorization"] = "Bearer sandbox"
    return session


@pytest.fixture
def bony(sandbox: SandboxHandle) -> VendorSession:
    session = VendorSession(sandbox.bony_url)
    session.headers["Authorization"] = "Bearer sandbox"
    return session


@pytest.fixture
def viber(sandbox: SandboxHandle) -> VendorSession:
    session = VendorSession(sandbox.bony_url)
    session.headers["Authorization"] = "Bearer sandbox-viber"
    return session


@pytest.fixture
def control(sandbox: SandboxHandle) -> VendorSession:
    return VendorSession(f"{sandbox.base_url}/_sandbox")
