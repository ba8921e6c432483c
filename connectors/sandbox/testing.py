"""Run a sandbox inside a test process: `running_sandbox()` serves it from a daemon thread on an
ephemeral loopback port and yields a `SandboxHandle`.

    with running_sandbox(contacts=12, limits={"bony": 5}) as sandbox:
        client = BonyClient("sandbox", base_url=sandbox.bony_url)
        sandbox.inject("drop_after_write", vendor="bony", method="POST")
        ...
        assert sandbox.received("bony")[-1]["status"] is None

Webhook deliveries go out from the sandbox's own thread; `wait_for_deliveries()` waits until
none is queued, held or being sent, and `deliveries()` reads their journal. Short retry delays
for tests: `running_sandbox(delivery_backoff=0.05)`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from connectors.sandbox.core import Sandbox, SandboxOptions
from connectors.sandbox.delivery import DeliverySettings
from connectors.sandbox.delivery_faults import (
    DELIVERY_KINDS,
    DeliveryFaultRates,
    ScriptedDeliveryFault,
)
from connectors.sandbox.faults import (
    KINDS,
    REFUSE_MESSAGE,
    REFUSE_STATUS,
    Fault,
    FaultRates,
    ScriptedFault,
    rates_from_json,
)
from connectors.sandbox.limits import DEFAULT_WINDOW
from connectors.sandbox.seed import DEFAULT_CONTACTS, DEFAULT_SEED
from connectors.sandbox.server import SandboxServer, create_server
from connectors.sandbox.state import SandboxState


@dataclass
class SandboxHandle:
    sandbox: Sandbox
    server: SandboxServer

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def thulium_url(self) -> str:
        return f"{self.base_url}/thulium/api"

    @property
    def helpcrunch_url(self) -> str:
        return f"{self.base_url}/helpcrunch/v1"

    @property
    def bony_url(self) -> str:
        return f"{self.base_url}/bony/api/v1"

    @property
    def state(self) -> SandboxState:
        """The live data; hold `state.lock` to change it while the server runs."""
        return self.sandbox.state

    def received(self, vendor: str | None = None) -> list[dict[str, object]]:
        """The journal of vendor requests, oldest first (see `core.Sandbox._record`)."""
        return self.sandbox.received(vendor)

    def reset(self, *, seed: int | None = None, contacts: int | None = None) -> None:
        """Reseed; faults, limits, rate-limit counters and the journal back to the start."""
        self.sandbox.reset(seed=seed, contacts=contacts)

    def inject(
        self,
        kind: str,
        *,
        vendor: str | None = None,
        method: str | None = None,
        path_prefix: str | None = None,
        times: int = 1,
        status: int | None = None,
        seconds: float = 0.0,
        retry_after: int = 1,
        message: str = REFUSE_MESSAGE,
    ) -> None:
        """Script a fault for the next `times` matching requests (kinds: see `faults.py`);
        `status` defaults to 422 for a refusal, 503 for an error."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        refuse = kind == "refuse"
        if status is None:
            status = REFUSE_STATUS if refuse else 503
        fault = Fault(
            kind,
            status=status,
            seconds=seconds,
            retry_after=retry_after,
            message=message if refuse else "",
        )
        scripted = ScriptedFault(
            fault=fault,
            vendor=vendor,
            method=method.upper() if method else None,
            path_prefix=path_prefix,
            times=times,
        )
        with self.sandbox.lock:
            self.sandbox.faults.push(scripted)

    def set_rates(self, **rates: object) -> None:
        """Change fault rates: error, drop, rate_limit, slow (0-1), error_status, retry_after,
        slow_seconds, vendors (list)."""
        with self.sandbox.lock:
            self.sandbox.faults.rates = rates_from_json(rates, self.sandbox.faults.rates)

    def clear_faults(self) -> None:
        with self.sandbox.lock:
            self.sandbox.faults.clear()

    def deliveries(
        self, vendor: str | None = None, event: str | None = None
    ) -> list[dict[str, object]]:
        """The journal of webhook delivery attempts, oldest first (see `delivery.py`)."""
        return self.sandbox.deliverer.records(vendor, event)

    def wait_for_deliveries(self, timeout: float = 10.0) -> None:
        """Wait until no delivery is queued, held or being sent; AssertionError on timeout."""
        if not self.sandbox.deliverer.wait_idle(timeout):
            pending = self.sandbox.deliverer.pending()
            raise AssertionError(f"{pending} webhook deliveries still pending after {timeout}s")

    def inject_delivery_fault(
        self, kind: str, *, vendor: str | None = None, event: str | None = None, times: int = 1
    ) -> None:
        """Script a delivery fault for the next `times` matching events (`delivery_faults.py`)."""
        if kind not in DELIVERY_KINDS:
            raise ValueError(f"unknown delivery fault kind {kind!r}")
        with self.sandbox.lock:
            self.sandbox.delivery_faults.push(ScriptedDeliveryFault(kind, vendor, event, times))

    def set_limits(
        self,
        *,
        thulium: int | None = None,
        helpcrunch: int | None = None,
        bony: int | None = None,
        window_seconds: float | None = None,
    ) -> None:
        """Calls allowed per credential per window (0 = unlimited); counters restart."""
        given = {"thulium": thulium, "helpcrunch": helpcrunch, "bony": bony}
        with self.sandbox.lock:
            self.sandbox.limiter.configure(
                {vendor: n for vendor, n in given.items() if n is not None}, window_seconds
            )


@contextmanager
def running_sandbox(
    *,
    seed: int = DEFAULT_SEED,
    contacts: int = DEFAULT_CONTACTS,
    thulium_users: Mapping[str, str] | None = None,
    helpcrunch_keys: Iterable[str] = (),
    bony_tokens: Mapping[str, str] | None = None,
    limits: Mapping[str, int] | None = None,
    window: float = DEFAULT_WINDOW,
    rates: FaultRates | None = None,
    delivery_attempts: int = 5,
    delivery_backoff: float = 1.0,
    delivery_timeout: float = 5.0,
    delivery_hold: float = 2.0,
    delivery_rates: DeliveryFaultRates | None = None,
    journal_size: int = 10_000,
    log: bool = False,
) -> Iterator[SandboxHandle]:
    """Serve a sandbox on 127.0.0.1 and an ephemeral port until the block ends.

    Credentials given here are added to the default ones (`sandbox` everywhere, `sandbox-viber`
    for Bony's Viber channel); `bony_tokens` maps token → `messenger` | `viber`. `limits` are
    calls per `window` seconds per credential, merged over the vendors' own. `delivery_*` are
    the webhook retry settings (`delivery.DeliverySettings`); the delivery thread stops with
    the block.
    """
    options = SandboxOptions(
        seed=seed,
        contacts=contacts,
        window=window,
        rates=rates or FaultRates(),
        delivery=DeliverySettings(
            attempts=delivery_attempts,
            backoff=delivery_backoff,
            timeout=delivery_timeout,
            hold=delivery_hold,
        ),
        delivery_rates=delivery_rates or DeliveryFaultRates(),
        journal_size=journal_size,
        log=log,
    )
    options.thulium_users.update(thulium_users or {})
    options.helpcrunch_keys += tuple(helpcrunch_keys)
    options.bony_tokens.update(bony_tokens or {})
    options.limits.update(limits or {})
    server = create_server(Sandbox(options), "127.0.0.1", 0)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        daemon=True,
        name="sandbox-server",
    )
    thread.start()
    try:
        yield SandboxHandle(server.sandbox, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        server.sandbox.close()
