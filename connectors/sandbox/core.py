"""The sandbox without sockets: options, the vendors, faults, limits and the request journal.

`Sandbox.process()` decides what one vendor request gets, in this order: a scripted or random
fault (a gateway error, a 429 or a dropped connection never reaches the vendor), the vendor's
own 401 for a bad credential, its 429 once the credential's rate limit is spent, then the vendor
itself. Everything happens under the state's one lock; the only waiting (a `slow` fault) is left
to the HTTP layer, after the lock is released.

A change a vendor makes queues its webhook events (`outbox.py`) for the delivery thread
(`delivery.py`), which sends them with the lock released.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors.sandbox.bony import BonyApi
from connectors.sandbox.delivery import Deliverer, DeliverySettings
from connectors.sandbox.delivery_faults import DeliveryFaultPlan, DeliveryFaultRates
from connectors.sandbox.faults import Fault, FaultPlan, FaultRates
from connectors.sandbox.helpcrunch import HelpCrunchApi
from connectors.sandbox.limits import DEFAULT_LIMITS, DEFAULT_WINDOW, RateLimiter
from connectors.sandbox.outbox import Outbox
from connectors.sandbox.seed import DEFAULT_CONTACTS, DEFAULT_SEED, seed_state
from connectors.sandbox.state import SandboxState
from connectors.sandbox.thulium import ThuliumApi
from connectors.sandbox.wire import Problem, Request, Response, VendorApi, json_response

logger = logging.getLogger(__name__)

REDACTED_HEADERS = ("authorization", "proxy-authorization", "cookie")
BODY_KEPT = 65_536  # characters of each request body the journal keeps


def _default_bony_tokens() -> dict[str, str]:
    return {"sandbox": "messenger", "sandbox-viber": "viber"}


@dataclass
class SandboxOptions:
    seed: int = DEFAULT_SEED
    contacts: int = DEFAULT_CONTACTS  # per vendor, and per Bony channel
    thulium_users: dict[str, str] = field(default_factory=lambda: {"sandbox": "sandbox"})
    helpcrunch_keys: tuple[str, ...] = ("sandbox",)
    bony_tokens: dict[str, str] = field(default_factory=_default_bony_tokens)  # token → kind
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))  # per minute
    window: float = DEFAULT_WINDOW
    rates: FaultRates = field(default_factory=FaultRates)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    delivery_rates: DeliveryFaultRates = field(default_factory=DeliveryFaultRates)
    journal_size: int = 10_000  # requests kept, and webhook delivery attempts kept
    log: bool = True  # one line per request on stderr


@dataclass(frozen=True)
class Incoming:
    """A request as it arrived: raw path (no query) and lower-case header names."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    host: str


@dataclass(frozen=True)
class Outcome:
    response: Response | None  # None: close the connection without answering
    delay: float = 0.0  # seconds to wait before answering


def gateway_error(status: int) -> Response:
    """What a load balancer in front of a vendor answers: HTML, not the vendor's JSON."""
    title = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Time-out",
    }.get(status, "Error")
    page = f"<html><head><title>{status} {title}</title></head><body><center><h1>{status} "
    page += f"{title}</h1></center><hr><center>nginx</center></body></html>\n"
    return Response(status, page.encode(), content_type="text/html")


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    shown = dict(headers)
    for name in REDACTED_HEADERS:
        if name in shown:
            scheme = shown[name].split(" ", 1)[0] if " " in shown[name] else ""
            shown[name] = f"{scheme} [redacted]".strip()
    return shown


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.started_with = (self.options.seed, self.options.contacts)
        self.state = SandboxState()
        self.lock = self.state.lock
        self.faults = FaultPlan(self.options.rates, seed=self.options.seed)
        self.limiter = RateLimiter(self.options.limits, window=self.options.window)
        self.journal: deque[dict[str, object]] = deque(maxlen=self.options.journal_size)
        self.sequence = itertools.count(1)
        self.delivery_faults = DeliveryFaultPlan(
            self.options.delivery_rates, seed=self.options.seed
        )
        self.deliverer = Deliverer(
            self.options.delivery,
            self.delivery_faults,
            journal_size=self.options.journal_size,
            log=self.options.log,
        )
        self.outbox = Outbox(self.state, self.deliverer, seed=self.options.seed)
        self.apis: tuple[VendorApi, ...] = (
            ThuliumApi(self.state, self.options.thulium_users, self.outbox),
            HelpCrunchApi(self.state, self.options.helpcrunch_keys, self.outbox),
            BonyApi(self.state, self.outbox),
        )
        self.reset()

    def reset(self, *, seed: int | None = None, contacts: int | None = None) -> None:
        """Reseed with the seed and size the sandbox started with (or those given this time);
        faults, limits, counters and the journal back to how the sandbox started; webhook
        subscriptions gone (they are vendor state), queued deliveries dropped, the delivery
        journal, faults and settings back to the start."""
        with self.lock:
            self.options.seed = self.started_with[0] if seed is None else seed
            self.options.contacts = self.started_with[1] if contacts is None else contacts
            seed_state(
                self.state,
                seed=self.options.seed,
                contacts=self.options.contacts,
                bony_channels=self.options.bony_tokens,
            )
            self.faults.seed = self.options.seed
            self.faults.reset()
            self.limiter.reset()
            self.journal.clear()
            self.delivery_faults.seed = self.options.seed
            self.delivery_faults.reset()
            self.deliverer.reset()
            self.outbox.reset(self.options.seed)

    def close(self) -> None:
        """Stop the delivery thread (what is still queued is not sent)."""
        self.deliverer.close()

    def vendor_for(self, path: str) -> VendorApi | None:
        return next(
            (a for a in self.apis if path == a.mount or path.startswith(a.mount + "/")), None
        )

    def received(self, vendor: str | None = None) -> list[dict[str, object]]:
        with self.lock:
            return [r for r in self.journal if vendor is None or r["vendor"] == vendor]

    def process(self, incoming: Incoming) -> Outcome:
        api = self.vendor_for(incoming.path)
        if api is None:
            message = "Unknown path: vendors live under /thulium/api/, /helpcrunch/v1/ and "
            return Outcome(json_response({"message": message + "/bony/api/v1/."}, 404))
        relative = incoming.path[len(api.mount) :] or "/"
        request = Request.parse(
            incoming.method,
            relative,
            incoming.query,
            incoming.headers,
            incoming.body,
            f"http://{incoming.host}{api.mount}",
        )
        with self.lock:
            fault = self.faults.next_fault(api.name, incoming.method, incoming.path, relative)
            response = self._answer(api, request, fault)
            if fault is not None and fault.kind in ("drop", "drop_after_write"):
                response = None
            self._record(api.name, incoming, response, fault)
        delay = fault.seconds if fault is not None and fault.kind == "slow" else 0.0
        return Outcome(response, delay)

    def _answer(self, api: VendorApi, request: Request, fault: Fault | None) -> Response | None:
        if fault is not None and fault.kind == "error":
            return gateway_error(fault.status)
        if fault is not None and fault.kind == "refuse":
            return api.render(Problem(fault.status, fault.message))
        if fault is not None and fault.kind == "rate_limit":
            return _with_retry_after(api.too_many_requests(), fault.retry_after)
        if fault is not None and fault.kind == "drop":
            return None
        credential = api.credential(request.headers)
        if credential is None:
            return api.unauthorized()
        retry_after = self.limiter.acquire(api.name, credential)
        if retry_after is not None:
            return _with_retry_after(api.too_many_requests(), retry_after)
        try:
            return api.handle(request)
        except Exception:  # a sandbox bug: answer it rather than hang the client
            logger.exception("sandbox error on %s %s", request.method, request.segments)
            return json_response({"message": "Sandbox internal error (see its log)."}, 500)

    def _record(
        self, vendor: str, incoming: Incoming, response: Response | None, fault: Fault | None
    ) -> None:
        self.journal.append(
            {
                "seq": next(self.sequence),
                "timestamp": time.time(),
                "vendor": vendor,
                "method": incoming.method,
                "path": incoming.path,
                "query": incoming.query,
                "headers": redact(incoming.headers),
                "body": incoming.body.decode("utf-8", errors="replace")[:BODY_KEPT],
                "status": response.status if response is not None else None,
                "fault": fault.kind if fault is not None else None,
            }
        )


def _with_retry_after(response: Response, seconds: int) -> Response:
    response.headers["Retry-After"] = str(seconds)
    return response
