"""Pytest fixtures serving the vendor sandbox over loopback (no database needed).

Load with `pytest_plugins = ["tests.sandbox_plugin"]` in the root conftest (or `-p`).

- `sandbox_server` (session): one sandbox for the whole run, on an ephemeral port.
- `sandbox`: the same server, reseeded, with faults, limits, rate-limit counters and the request
  journal back to their start, before each test that asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox.testing import SandboxHandle, running_sandbox


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxHandle]:
    with running_sandbox() as handle:
        yield handle


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle) -> SandboxHandle:
    sandbox_server.reset()
    return sandbox_server
