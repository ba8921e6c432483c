"""A sandbox of this package's own, with short delivery retries, and a receiver per test.

`sandbox` here replaces the session-wide one, so the vendor sessions of the parent conftest
(`thulium`, `helpcrunch`, `bony`, `control`) aim at it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox.testing import SandboxHandle, running_sandbox
from tests.connectors.sandbox.webhooks.receiver import Receiver, receiving

ATTEMPTS = 3
BACKOFF = 0.05
HOLD = 0.5


@pytest.fixture(scope="module")
def hooked_server() -> Iterator[SandboxHandle]:
    with running_sandbox(
        delivery_attempts=ATTEMPTS,
        delivery_backoff=BACKOFF,
        delivery_timeout=2.0,
        delivery_hold=HOLD,
    ) as handle:
        yield handle


@pytest.fixture
def sandbox(hooked_server: SandboxHandle) -> Iterator[SandboxHandle]:
    hooked_server.reset()
    yield hooked_server
    hooked_server.reset()  # nothing queued here reaches the next test's receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver
