"""Fixtures shared by the connectors' wire tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from connectors.transport import CallRecord


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """HTTP faked at the wire; every registered response must be used, nothing else is reachable."""
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def records() -> list[CallRecord]:
    """What a client's recorder received, in order."""
    return []
