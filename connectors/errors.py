"""The error tree every connector raises, and the one place a failed call becomes an error.

Every error carries what a caller needs to decide and to explain:

- ``status``: the HTTP status, or None when no response arrived;
- ``errors``: the vendor's own list, normalised to ``[{"code": ..., "message": ...}, ...]``
  (HelpCrunch's and Thulium's ``errors`` arrays as given, Bony.chat's single ``message`` as one
  entry with ``code`` None);
- ``request_id``: Thulium's ``request_id`` from the error body, else an ``X-Request-Id`` header;
  support asks for it;
- ``retryable``: whether sending the same request again later may succeed and cannot duplicate
  anything (see ``TransportError`` for the cases that depend on idempotency);
- ``response_body``: the response text, truncated and with credentials scrubbed.

``error_from_response`` maps an error status, ``error_from_exception`` a failure without a
response; ``error_class_for_status`` is the single status-to-class table.

``str(error)`` is the vendor's own words (``"Invalid request; This value should be of type
numeric."``), so it can be shown to staff as is. Credentials never reach an error: the transport
scrubs them from everything it hands over.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3.exceptions

__all__ = [
    "AuthenticationError",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "PageLimitExceeded",
    "RateLimited",
    "ServerError",
    "TransportError",
    "VendorError",
    "error_class_for_status",
    "error_from_exception",
    "error_from_response",
    "parse_retry_after",
    "vendor_error_details",
]


class VendorError(Exception):
    """Base class: a vendor call did not do what was asked."""

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        response_body: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors: list[dict[str, Any]] = list(errors or [])
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable
        self.response_body = response_body
        # Set by a call made of several requests (Bony.chat's create_contact) when the record
        # was created but a follow-up request failed: resume with an update, never re-create.
        self.created_id: str | None = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"request_id={self.request_id!r}, retryable={self.retryable!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default Exception pickling, and task
        # queues pickle results; rebuild from the instance state instead.
        return (_restore, (type(self), self.message, self.__dict__.copy()))


def _restore(cls: type[VendorError], message: str, state: dict[str, Any]) -> VendorError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class AuthenticationError(VendorError):
    """401: the credentials were refused."""


class Forbidden(VendorError):
    """403: authenticated, but not allowed to do this."""


class NotFound(VendorError):
    """404: the path or the record does not exist."""


class InvalidRequest(VendorError):
    """Any other 4xx (and any 3xx, which is never followed): resending unchanged cannot help."""


class RateLimited(VendorError):
    """429: slow down; ``retry_after`` holds the seconds the vendor asked for, or None."""

    default_retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(VendorError):
    """5xx: the vendor failed; worth another try later."""

    default_retryable = True


class TransportError(VendorError):
    """No usable response: connection failure, timeout, or a 2xx body that is not JSON.

    ``sent`` tells whether the request may have reached the vendor. A failure before sending
    (connect timeout, refused connection, DNS) is always retryable. After sending (read timeout,
    connection dropped, unparseable 2xx body) the vendor may have acted on it, so it is
    retryable only when the call is idempotent; otherwise the outcome is unknown and a person
    or a reconciling read must decide.
    """

    def __init__(self, message: str, *, sent: bool, **kwargs: Any) -> None:
        kwargs.setdefault("retryable", not sent)
        super().__init__(message, **kwargs)
        self.sent = sent


class PageLimitExceeded(VendorError):
    """A reader reached its ``max_pages`` cap while the vendor still had more pages.

    Raised rather than stopping quietly, so a sync never mistakes a truncated listing for the
    whole of it. Everything yielded before it is valid.
    """


def error_class_for_status(status: int) -> type[VendorError]:
    """The one mapping from an HTTP status that is not a success to an error class."""
    if status == 401:
        return AuthenticationError
    if status == 403:
        return Forbidden
    if status == 404:
        return NotFound
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    return InvalidRequest


def vendor_error_details(body: object) -> tuple[list[dict[str, Any]], str | None]:
    """The vendor's error list and request id from a parsed error body, whatever its shape.

    HelpCrunch: ``{"errors": [{"code", "message"}]}``; Thulium: ``{"request_id",
    "errors": [{"message", "code"}]}``; Bony.chat: ``{"status": "error", "message", "data"}``.
    """
    if not isinstance(body, Mapping):
        return [], None
    errors: list[dict[str, Any]] = []
    raw_errors = body.get("errors")
    if isinstance(raw_errors, list):
        for item in raw_errors:
            if isinstance(item, Mapping):
                extra = {k: v for k, v in item.items() if k not in ("code", "message")}
                message = item.get("message")
                errors.append(
                    {
                        "code": item.get("code"),
                        "message": None if message is None else str(message),
                        **extra,
                    }
                )
            elif item is not None:
                errors.append({"code": None, "message": str(item)})
    elif isinstance(raw_errors, str):
        errors.append({"code": None, "message": raw_errors})
    for key in ("message", "error"):
        if not errors and isinstance(body.get(key), str) and body[key]:
            errors.append({"code": None, "message": body[key]})
    request_id = body.get("request_id")
    return errors, (None if request_id in (None, "") else str(request_id))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def error_from_response(
    *,
    status: int,
    body: object,
    response_body: str | None,
    headers: Mapping[str, str],
    reason: str = "",
) -> VendorError:
    """Build the error for a response whose status is not a success.

    ``body`` is the parsed JSON (None if it was not JSON), ``response_body`` the (already
    scrubbed, truncated) text, ``headers`` the response headers (case-insensitive mapping).
    """
    errors, request_id = vendor_error_details(body)
    if request_id is None:
        request_id = headers.get("X-Request-Id") or headers.get("Request-Id") or None
    words = [e["message"] for e in errors if e.get("message")]
    if words:
        message = "; ".join(words)
    else:
        message = f"HTTP {status} {reason}".strip()
        if 300 <= status < 400:
            location = headers.get("Location")
            message += f": redirect to {location} not followed" if location else ": redirect"
    cls = error_class_for_status(status)
    common: dict[str, Any] = {
        "status": status,
        "errors": errors,
        "request_id": request_id,
        "response_body": response_body,
    }
    if cls is RateLimited:
        return RateLimited(
            message, retry_after=parse_retry_after(headers.get("Retry-After")), **common
        )
    return cls(message, **common)


def error_from_exception(
    exc: BaseException, *, where: str, timeout: tuple[float, float], idempotent: bool
) -> TransportError:
    """The one mapping from a failure without a response to a ``TransportError``.

    ``where`` names the call (method and URL without its query, credentials already scrubbed).
    The original exception's text is not copied: it is chained by the caller instead.
    """
    sent = may_have_been_sent(exc)
    if isinstance(exc, requests.ConnectTimeout):
        what = f"connection timed out after {timeout[0]:g}s"
    elif isinstance(exc, requests.ReadTimeout):
        what = f"no response within {timeout[1]:g}s"
    elif isinstance(exc, requests.exceptions.SSLError):
        what = "TLS handshake or certificate verification failed"
    elif isinstance(exc, requests.ConnectionError):
        what = "connection dropped" if sent else "connection failed"
    else:
        what = f"request failed ({type(exc).__name__})"
    return TransportError(f"{what} ({where})", sent=sent, retryable=(not sent) or idempotent)


_NOT_SENT = (
    urllib3.exceptions.NewConnectionError,  # refused, unreachable, DNS (NameResolutionError)
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.ProxyError,
    urllib3.exceptions.SSLError,
)


def may_have_been_sent(exc: BaseException) -> bool:
    """Could the request bytes have reached the vendor? Unknown causes count as sent."""
    not_sent = (
        requests.ConnectTimeout,
        requests.exceptions.SSLError,
        requests.exceptions.ProxyError,
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidHeader,
    )
    if isinstance(exc, not_sent):
        return False
    if isinstance(exc, requests.ReadTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        return not _caused_by(exc, _NOT_SENT)
    return True


def _caused_by(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, kinds):
            return True
        pending.extend(item.args)
        pending.append(getattr(item, "reason", None))
        pending.extend((item.__cause__, item.__context__))
    return False
