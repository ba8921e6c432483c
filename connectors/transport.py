"""The one HTTP transport every vendor request goes through.

A ``Transport`` owns a ``requests.Session`` and applies, in one place: the base URL, the query
string and JSON encoding (``connectors.encoding``, so the bytes on the wire are predictable),
authentication, the ``User-Agent`` and ``Accept`` headers, the (connect, read) timeout, TLS
verification, the refusal to follow redirects, response parsing, the mapping of failures to errors
(``connectors.errors.error_from_response`` / ``error_from_exception``) and the audit hooks.

Hooks, in the order they run for each HTTP request:

1. ``rate_limiter()`` — may block until a token is free, or raise to defer the call;
2. ``before_send(CallStart)`` — just before the request leaves (the back-office writes and
   commits an in-flight audit row here);
3. ``recorder(CallRecord)`` — exactly once per request that ``before_send`` announced, whatever
   the outcome: success, an error status, a connection failure.

They travel together as one ``Hooks`` object (``hooks=``); the clients and ``Transport`` still take
each one as its own keyword argument too, and ``hooks_from`` turns either spelling into the one
object, refusing a mix of both.

Exceptions raised by any hook propagate to the caller unchanged: a ``before_send`` failure means
the request is not sent, a ``recorder`` failure surfaces after the request (replacing its result
or its error, which stays chained as ``__context__``). Hooks are the caller's code; hiding their
failures would hide lost audit rows.

Credentials never leave this module: the ``Authorization`` header is shown as ``[redacted]`` and
every secret the client registers is scrubbed from URLs, bodies, headers and error messages
before they reach a hook or an exception. A client may also name ``sensitive_keys``: JSON keys
whose values are secrets in any body, sent or received (``connectors.redaction``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from connectors import USER_AGENT
from connectors.auth import REDACTED, BasicAuth, BearerAuth
from connectors.encoding import (
    JSON_CONTENT_TYPE,
    OCTET_STREAM,
    encode_json,
    encode_query,
    truncate,
)
from connectors.encoding import path_segment as path_segment  # importable here, as it always was
from connectors.errors import (
    TransportError,
    VendorError,
    error_from_exception,
    error_from_response,
)
from connectors.net import is_loopback
from connectors.redaction import Scrubber

__all__ = [
    "JSON_CONTENT_TYPE",
    "BasicAuth",
    "BearerAuth",
    "BeforeSend",
    "CallRecord",
    "CallStart",
    "Hooks",
    "RateLimiter",
    "Recorder",
    "Transport",
    "encode_json",
    "encode_query",
    "hooks_from",
]

MAX_CONNECT_TIMEOUT: Final = 10.0
# Response headers worth keeping in the audit trail.
RECORDED_RESPONSE_HEADERS: Final = frozenset(
    {"content-type", "content-length", "date", "location", "retry-after", "x-request-id"}
    | {"request-id"}
)

Query = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class CallStart:
    """An HTTP request about to leave. ``call_id`` matches the ``CallRecord`` that follows."""

    call_id: str
    vendor: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    idempotent: bool
    started_at: datetime


@dataclass(frozen=True)
class CallRecord(CallStart):
    """The outcome of one HTTP request (its ``CallStart`` plus what came back), reported once."""

    status: int | None
    response_headers: dict[str, str]
    response_body: str | None
    duration_ms: float
    request_id: str | None
    error: VendorError | None

    @property
    def ok(self) -> bool:
        return self.error is None


Recorder = Callable[[CallRecord], None]
BeforeSend = Callable[[CallStart], None]
RateLimiter = Callable[[], None]


@dataclass(frozen=True)
class Hooks:
    """The caller's hooks for every request, in one value a caller builds once and hands to any
    client (``hooks=``) instead of repeating three keyword arguments. Each is optional."""

    recorder: Recorder | None = None
    before_send: BeforeSend | None = None
    rate_limiter: RateLimiter | None = None


def hooks_from(
    hooks: Hooks | None = None,
    *,
    recorder: Recorder | None = None,
    before_send: BeforeSend | None = None,
    rate_limiter: RateLimiter | None = None,
) -> Hooks:
    """The one ``Hooks`` for a constructor that takes ``hooks=`` beside the individual hook
    arguments it always had.

    Mixing the two spellings is refused rather than merged: which of two recorders should win is
    not something to guess, and a silently dropped recorder would be a lost audit trail.
    """
    individual = Hooks(recorder=recorder, before_send=before_send, rate_limiter=rate_limiter)
    if hooks is None:
        return individual
    given = [f.name for f in fields(Hooks) if getattr(individual, f.name) is not None]
    if given:
        named = ", ".join(f"{name}=" for name in given)
        raise TypeError(
            f"pass the hooks either as hooks= or as individual arguments, not both (got hooks= "
            f"and {named})"
        )
    return hooks


class Transport:
    """One vendor account's HTTP channel. Clients call ``request`` and nothing else."""

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        auth: BasicAuth | BearerAuth,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        hooks: Hooks | None = None,
        recorder: Recorder | None = None,
        before_send: BeforeSend | None = None,
        rate_limiter: RateLimiter | None = None,
        sensitive_keys: Sequence[str] = (),
    ) -> None:
        self.hooks = hooks_from(
            hooks, recorder=recorder, before_send=before_send, rate_limiter=rate_limiter
        )
        parts = urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("base_url must be an absolute https:// URL")
        if parts.username is not None or parts.password is not None:
            raise ValueError("base_url must not carry credentials")
        if parts.query or parts.fragment:
            raise ValueError("base_url must not have a query string or a fragment")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            # Credentials travel in a header: plain HTTP only to a local simulator.
            raise ValueError("base_url must use https:// (http:// only for loopback hosts)")
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.timeout = (min(MAX_CONNECT_TIMEOUT, float(timeout)), float(timeout))
        self._auth = auth
        self._scrub = Scrubber(auth.secrets, sensitive_keys)
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"Transport(vendor={self.vendor!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def url(self, path: str, query: Query = ()) -> str:
        """The full URL for a path relative to the base URL (path segments already quoted)."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        encoded = encode_query(query)
        return f"{url}?{encoded}" if encoded else url

    def scrub(self, text: str) -> str:
        return self._scrub(text)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query = (),
        json_body: object = None,
        content: bytes | None = None,
        idempotent: bool,
    ) -> Any:
        """Send one request; return the parsed JSON body (None when empty) or raise.

        ``json_body`` (any JSON value but None) is sent as compact UTF-8 JSON, ``content`` as raw
        ``application/octet-stream`` bytes. ``idempotent`` says whether sending it twice is
        harmless; it decides whether a failure after sending is retryable.
        """
        if json_body is not None and content is not None:
            raise ValueError("send either a JSON body or raw content, not both")
        if self.hooks.rate_limiter is not None:
            self.hooks.rate_limiter()
        scrub = self._scrub.with_body(json_body)
        prepared, start = self._prepare(method, path, query, json_body, content, idempotent, scrub)
        if self.hooks.before_send is not None:
            self.hooks.before_send(start)
        return self._send(prepared, start, scrub)

    def _prepare(
        self,
        method: str,
        path: str,
        query: Query,
        json_body: object,
        content: bytes | None,
        idempotent: bool,
        scrub: Scrubber,
    ) -> tuple[requests.PreparedRequest, CallStart]:
        """The request as it will leave, and its announcement with the secrets scrubbed out."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        body: bytes | None = None
        body_text: str | None = None
        if json_body is not None:
            body = encode_json(json_body)
            headers["Content-Type"] = JSON_CONTENT_TYPE
            body_text = scrub(body.decode("utf-8"))
        elif content is not None:
            body = bytes(content)
            headers["Content-Type"] = OCTET_STREAM
            body_text = f"<{len(body)} bytes {OCTET_STREAM}>"
        prepared = self._session.prepare_request(
            requests.Request(
                method, self.url(path, query), headers=headers, data=body, auth=self._auth
            )
        )
        sent_headers = {
            k: (REDACTED if k.lower() == "authorization" else scrub(v))
            for k, v in prepared.headers.items()
        }
        start = CallStart(
            call_id=uuid.uuid4().hex,
            vendor=self.vendor,
            method=method,
            url=scrub(prepared.url or ""),
            request_headers=sent_headers,
            request_body=body_text,
            idempotent=idempotent,
            started_at=datetime.now(UTC),
        )
        return prepared, start

    def _send(self, prepared: requests.PreparedRequest, start: CallStart, scrub: Scrubber) -> Any:
        """The one HTTP request ``start`` announced: sent, recorded once, parsed or raised."""
        url = prepared.url or ""
        # requests' own merge of environment settings (proxies, REQUESTS_CA_BUNDLE); verify=True
        # here wins over a session that had verification turned off.
        settings = self._session.merge_environment_settings(url, {}, False, True, None)
        if settings.get("verify") is False:
            settings["verify"] = True
        began = time.perf_counter()
        try:
            response = self._session.send(
                prepared, timeout=self.timeout, allow_redirects=False, **settings
            )
        except Exception as exc:
            # Whatever went wrong, the request is recorded once and surfaces as a TransportError.
            duration = (time.perf_counter() - began) * 1000
            where = f"{start.method} {scrub(url.split('?', 1)[0])}"
            error = error_from_exception(
                exc, where=where, timeout=self.timeout, idempotent=start.idempotent
            )
            if isinstance(exc, requests.RequestException):
                exc.request = None  # the prepared request holds the Authorization header
            self._record(start, None, {}, None, duration, None, error)
            raise error from exc
        duration = (time.perf_counter() - began) * 1000
        return self._handle(start, response, duration, scrub)

    def _handle(
        self, start: CallStart, response: requests.Response, duration: float, scrub: Scrubber
    ) -> Any:
        idempotent = start.idempotent
        raw = response.content or b""
        text = scrub(raw.decode("utf-8", errors="replace"))
        recorded_body = truncate(text) if raw else None
        kept = {
            k.lower(): scrub(v)
            for k, v in response.headers.items()
            if k.lower() in RECORDED_RESPONSE_HEADERS or k.lower().startswith("x-ratelimit")
        }
        header_request_id = (
            response.headers.get("X-Request-Id") or response.headers.get("Request-Id") or None
        )
        status = response.status_code
        result: Any = None
        error: VendorError | None = None
        if 200 <= status < 300:
            try:
                result = json.loads(raw) if raw.strip() else None
            except ValueError:
                error = TransportError(
                    f"HTTP {status} with a body that is not JSON",
                    sent=True,
                    retryable=idempotent,
                    status=status,
                    request_id=header_request_id,
                    response_body=recorded_body,
                )
        else:
            try:
                parsed: object = json.loads(text) if text.strip() else None
            except ValueError:
                parsed = None
            error = error_from_response(
                status=status,
                body=parsed,
                response_body=recorded_body,
                headers=response.headers,
                reason=response.reason or "",
            )
        request_id = error.request_id if error is not None else header_request_id
        self._record(start, status, kept, recorded_body, duration, request_id, error)
        if error is not None:
            raise error
        return result

    def _record(
        self,
        start: CallStart,
        status: int | None,
        response_headers: dict[str, str],
        response_body: str | None,
        duration: float,
        request_id: str | None,
        error: VendorError | None,
    ) -> None:
        recorder = self.hooks.recorder
        if recorder is None:
            return
        recorder(
            CallRecord(
                **{f.name: getattr(start, f.name) for f in fields(CallStart)},
                status=status,
                response_headers=response_headers,
                response_body=response_body,
                duration_ms=round(duration, 1),
                request_id=request_id,
                error=error,
            )
        )
