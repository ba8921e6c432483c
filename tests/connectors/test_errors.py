"""Failures become the right error, with the right retry decision: through the transport."""

from __future__ import annotations

import pickle
import socket
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.client import RemoteDisconnected

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from connectors.errors import (
    AuthenticationError,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    parse_retry_after,
)
from connectors.transport import BearerAuth, Transport
from tests.connectors import BASE, TOKEN

# --- responses --------------------------------------------------------------------------------


def test_it_returns_none_for_an_empty_body(rsps, transport):
    rsps.post(f"{BASE}/x", body="", status=201)
    rsps.post(f"{BASE}/y", body="", status=204)

    assert transport.request("POST", "x", json_body={}, idempotent=False) is None
    assert transport.request("POST", "y", json_body={}, idempotent=False) is None


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequest),
        (401, AuthenticationError),
        (403, Forbidden),
        (404, NotFound),
        (405, InvalidRequest),
        (409, InvalidRequest),
        (422, InvalidRequest),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (301, InvalidRequest),
    ],
)
def test_it_maps_each_status_to_one_error_class(rsps, transport, status, cls):
    rsps.get(f"{BASE}/x", status=status, body="<html>nope</html>")

    with pytest.raises(cls) as raised:
        transport.request("GET", "x", idempotent=True)

    error = raised.value
    assert type(error) is cls
    assert error.status == status
    assert error.retryable is (status == 429 or status >= 500)
    assert error.response_body == "<html>nope</html>"
    assert str(error).startswith(f"HTTP {status}")


def test_it_keeps_the_vendor_request_id_from_a_header(rsps, transport, records):
    rsps.get(f"{BASE}/x", status=500, json={"errors": []}, headers={"X-Request-Id": "req-77"})

    with pytest.raises(ServerError) as raised:
        transport.request("GET", "x", idempotent=True)

    assert raised.value.request_id == "req-77"
    assert records[0].request_id == "req-77"


def test_it_reads_retry_after_as_seconds(rsps, transport):
    rsps.get(f"{BASE}/x", status=429, json={"errors": []}, headers={"Retry-After": "17"})

    with pytest.raises(RateLimited) as raised:
        transport.request("GET", "x", idempotent=True)

    assert raised.value.retry_after == 17.0
    assert raised.value.retryable is True


def test_it_reads_retry_after_as_an_http_date():
    now = datetime(2026, 5, 18, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)

    assert parse_retry_after(later, now=now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("", now=now) is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") is None


def test_it_has_no_retry_after_when_the_vendor_sends_none(rsps, transport):
    rsps.get(f"{BASE}/x", status=429, body="")

    with pytest.raises(RateLimited) as raised:
        transport.request("GET", "x", idempotent=True)

    assert raised.value.retry_after is None


@pytest.mark.parametrize(("idempotent", "retryable"), [(True, True), (False, False)])
def test_it_treats_an_unparseable_success_body_as_a_transport_error(
    rsps, transport, records, idempotent, retryable
):
    rsps.post(f"{BASE}/x", body="<html>maintenance</html>", status=200)

    with pytest.raises(TransportError) as raised:
        transport.request("POST", "x", json_body={}, idempotent=idempotent)

    assert raised.value.sent is True
    assert raised.value.retryable is retryable
    assert raised.value.status == 200
    assert records[0].error is raised.value


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    return requests.ConnectionError(MaxRetryError(None, "/x", reason))


def _dropped() -> requests.ConnectionError:
    return requests.ConnectionError(
        ProtocolError("Connection aborted.", RemoteDisconnected("closed without response"))
    )


@pytest.mark.parametrize(
    ("failure", "idempotent", "sent", "retryable"),
    [
        (requests.ConnectTimeout("connect timed out"), True, False, True),
        (requests.ConnectTimeout("connect timed out"), False, False, True),
        (_refused(), True, False, True),
        (_refused(), False, False, True),
        (requests.ReadTimeout("read timed out"), True, True, True),
        (requests.ReadTimeout("read timed out"), False, True, False),
        (_dropped(), True, True, True),
        (_dropped(), False, True, False),
        (requests.exceptions.ChunkedEncodingError("broken"), False, True, False),
    ],
)
def test_it_decides_retryable_by_whether_the_request_may_have_been_sent(
    rsps, transport, records, failure, idempotent, sent, retryable
):
    rsps.post(f"{BASE}/x", body=failure)

    with pytest.raises(TransportError) as raised:
        transport.request("POST", "x", json_body={"a": 1}, idempotent=idempotent)

    error = raised.value
    assert (error.sent, error.retryable, error.status) == (sent, retryable, None)
    assert error.__cause__ is failure
    assert failure.request is None  # the prepared request carried the Authorization header
    assert len(records) == 1
    assert records[0].error is error
    assert records[0].status is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_it_knows_a_refused_connection_never_reached_the_vendor(records):
    transport = Transport(
        vendor="bony",
        base_url=f"http://127.0.0.1:{_free_port()}/api/v1",
        auth=BearerAuth(TOKEN),
        timeout=2,
        recorder=records.append,
    )

    with pytest.raises(TransportError) as raised:
        transport.request("POST", "contact", json_body={"a": 1}, idempotent=False)

    assert raised.value.sent is False
    assert raised.value.retryable is True
    assert len(records) == 1


def test_it_knows_a_read_timeout_may_have_reached_the_vendor(records):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)  # accepts the connection (backlog) and never answers
    port = server.getsockname()[1]
    transport = Transport(
        vendor="bony",
        base_url=f"http://127.0.0.1:{port}/api/v1",
        auth=BearerAuth(TOKEN),
        timeout=0.3,
        recorder=records.append,
    )
    try:
        with pytest.raises(TransportError) as raised:
            transport.request("POST", "contact", json_body={"a": 1}, idempotent=False)
    finally:
        server.close()

    assert raised.value.sent is True
    assert raised.value.retryable is False
    assert "no response within 0.3s" in str(raised.value)
    assert len(records) == 1


def test_it_knows_a_dropped_connection_may_have_reached_the_vendor(records):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def hang_up() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    transport = Transport(
        vendor="bony",
        base_url=f"http://127.0.0.1:{port}/api/v1",
        auth=BearerAuth(TOKEN),
        timeout=5,
        recorder=records.append,
    )
    try:
        with pytest.raises(TransportError) as raised:
            transport.request("PUT", "contact/1", json_body={"a": 1}, idempotent=True)
    finally:
        thread.join(5)
        server.close()

    assert raised.value.sent is True
    assert raised.value.retryable is True  # idempotent: safe to send again


def test_it_pickles_errors_with_their_attributes():
    error = RateLimited(
        "Too many requests",
        status=429,
        errors=[{"code": "too_many_requests", "message": "Too many requests"}],
        retry_after=30.0,
    )
    transport_error = TransportError("dropped", sent=True, retryable=False)

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    copy2 = pickle.loads(pickle.dumps(transport_error))  # noqa: S301

    assert (type(copy), str(copy), copy.status, copy.retry_after) == (
        RateLimited,
        "Too many requests",
        429,
        30.0,
    )
    assert copy.errors == error.errors
    assert (copy2.sent, copy2.retryable) == (True, False)
