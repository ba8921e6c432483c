"""Fixtures shared by the connectors' wire tests."""

from __future__ import annotations

import pytest

from connectors.transport import CallRecord


@pytest.fixture
def records() -> list[CallRecord]:
    """What a client's recorder received, in order."""
    return []
