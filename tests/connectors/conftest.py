"""Fixtures shared by the connectors' wire tests."""

from __future__ import annotations

import pytest

from connectors.transport import BearerAuth, CallRecord, Transport
from tests.connectors import BASE, TOKEN


@pytest.fixture
def records() -> list[CallRecord]:
    """What a client's recorder received, in order."""
    return []


@pytest.fixture
def transport(records: list[CallRecord]) -> Transport:
    """A Transport to ``BASE`` with a Bearer ``TOKEN``, recording into ``records``."""
    return Transport(
        vendor="helpcrunch", base_url=BASE, auth=BearerAuth(TOKEN), recorder=records.append
    )
