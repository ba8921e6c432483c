from __future__ import annotations

import base64

import pytest
import requests

from connectors import USER_AGENT
from connectors.errors import InvalidRequest, NotFound, ServerError, VendorError
from connectors.transport import (
    BasicAuth,
    BearerAuth,
    CallRecord,
    CallStart,
    Transport,
    encode_query,
)
from tests.connectors import BASE, TOKEN, body_bytes, everything_said

# --- what goes on the wire --------------------------------------------------------------------


def test_it_encodes_json_once_as_compact_utf8_bytes(rsps, transport):
    rsps.post(f"{BASE}/things", json={"ok": True})

    result = transport.request(
        "POST", "things", json_body={"text": "Zażółć gęślą jaźń", "n": 1}, idempotent=False
    )

    request = rsps.calls[0].request
    expected = '{"text":"Zażółć gęślą jaźń","n":1}'.encode()
    assert body_bytes(request) == expected
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Content-Length"] == str(len(expected))
    assert len(expected) > len('{"text":"Zażółć gęślą jaźń","n":1}')  # bytes, not characters
    assert result == {"ok": True}


def test_it_sends_the_user_agent_accept_and_bearer_headers(rsps, transport):
    rsps.get(f"{BASE}/things", json=[])

    transport.request("GET", "things", idempotent=True)

    headers = rsps.calls[0].request.headers
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Content-Type" not in headers


def test_it_sends_basic_auth_in_utf8(rsps):
    transport = Transport(vendor="thulium", base_url=BASE, auth=BasicAuth("api_user", "hasło"))
    rsps.get(f"{BASE}/x", body="")

    transport.request("GET", "x", idempotent=True)

    assert rsps.calls[0].request.headers["Authorization"] == "Basic YXBpX3VzZXI6aGFzxYJv"


def test_it_ignores_credentials_from_a_netrc_file(rsps, tmp_path, monkeypatch):
    (tmp_path / ".netrc").write_text("machine api.example.test login other password stolen\n")
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    transport = Transport(vendor="bony", base_url=BASE, auth=BearerAuth(TOKEN))
    rsps.get(f"{BASE}/x", body="")

    transport.request("GET", "x", idempotent=True)

    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_it_encodes_spaces_and_plus_signs_in_the_query_like_the_vendors_do():
    assert encode_query([("value", "Muhammad Mahin")]) == "value=Muhammad%20Mahin"
    assert encode_query([("value", "+48 600 700 800")]) == "value=%2B48%20600%20700%20800"
    assert encode_query([("status_id[]", "2")]) == "status_id%5B%5D=2"
    assert encode_query([("q", "a&b=c/ż")]) == "q=a%26b%3Dc%2F%C5%BC"


def test_it_sends_raw_bytes_as_an_octet_stream(rsps, transport, records):
    rsps.post(f"{BASE}/files", json={"token": "t"})

    transport.request("POST", "files", content=b"%PDF-1.4\x00\xff", idempotent=False)

    request = rsps.calls[0].request
    assert body_bytes(request) == b"%PDF-1.4\x00\xff"
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.headers["Content-Length"] == "10"
    assert records[0].request_body == "<10 bytes application/octet-stream>"


def test_it_always_sets_a_connect_and_read_timeout_and_verifies_tls(rsps, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    session = requests.Session()
    session.verify = False  # a careless session must not turn verification off
    rsps.get(f"{BASE}/a", body="")
    rsps.get(f"{BASE}/b", body="")

    Transport(vendor="x", base_url=BASE, auth=BearerAuth(TOKEN), session=session).request(
        "GET", "a", idempotent=True
    )
    Transport(vendor="x", base_url=BASE, auth=BearerAuth(TOKEN), timeout=4).request(
        "GET", "b", idempotent=True
    )

    first, second = (call.request.req_kwargs for call in rsps.calls)
    assert first["timeout"] == (10.0, 30.0)
    assert first["verify"] is True
    assert second["timeout"] == (4.0, 4.0)
    assert second["verify"] is True


def test_it_does_not_follow_redirects(rsps, transport):
    rsps.get(f"{BASE}/moved", status=302, headers={"Location": "https://elsewhere.test/x"})

    with pytest.raises(InvalidRequest) as raised:
        transport.request("GET", "moved", idempotent=True)

    assert len(rsps.calls) == 1
    assert raised.value.status == 302
    assert raised.value.retryable is False
    assert "https://elsewhere.test/x" in str(raised.value)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.helpcrunch.com/v1",
        "https://user:secret@api.helpcrunch.com/v1",
        "https://api.helpcrunch.com/v1?x=1",
        "ftp://api.helpcrunch.com",
        "api.helpcrunch.com/v1",
    ],
)
def test_it_refuses_unsafe_base_urls(base_url):
    with pytest.raises(ValueError, match="base_url"):
        Transport(vendor="x", base_url=base_url, auth=BearerAuth(TOKEN))


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8765/api", "http://localhost:1/v1"])
def test_it_allows_plain_http_to_a_local_simulator(base_url):
    assert Transport(vendor="x", base_url=base_url, auth=BearerAuth(TOKEN)).base_url == base_url


# --- hooks: before_send, recorder, rate limiter -----------------------------------------------


def test_it_records_a_success_exactly_once(rsps, transport, records):
    rsps.post(
        f"{BASE}/x",
        json={"id": 1},
        headers={"X-Request-Id": "r-1", "Set-Cookie": "s=1", "Retry-After": "3"},
    )

    transport.request("POST", "x", query=[("a", "b c")], json_body={"t": "ż"}, idempotent=False)

    assert len(records) == 1
    record = records[0]
    assert record.vendor == "helpcrunch"
    assert record.method == "POST"
    assert record.url == f"{BASE}/x?a=b%20c"
    assert record.request_headers["Authorization"] == "[redacted]"
    assert record.request_headers["Content-Type"] == "application/json; charset=utf-8"
    assert record.request_body == '{"t":"ż"}'
    assert record.idempotent is False
    assert record.status == 200
    assert record.response_body == '{"id": 1}'
    assert record.response_headers["x-request-id"] == "r-1"
    assert record.response_headers["retry-after"] == "3"
    assert "set-cookie" not in record.response_headers
    assert record.request_id == "r-1"
    assert record.error is None
    assert record.ok
    assert record.duration_ms >= 0


def test_it_records_a_vendor_error_exactly_once(rsps, transport, records):
    rsps.get(f"{BASE}/x", status=404, json={"errors": [{"code": "nf", "message": "Not found"}]})

    with pytest.raises(NotFound) as raised:
        transport.request("GET", "x", idempotent=True)

    assert len(records) == 1
    assert records[0].status == 404
    assert records[0].error is raised.value
    assert not records[0].ok


def test_it_announces_each_attempt_before_it_leaves(rsps, records):
    seen: list[tuple[CallStart, int]] = []
    transport = Transport(
        vendor="bony",
        base_url=BASE,
        auth=BearerAuth(TOKEN),
        recorder=records.append,
        before_send=lambda start: seen.append((start, len(rsps.calls))),
    )
    rsps.post(f"{BASE}/x", json={})

    transport.request("POST", "x", json_body={"a": 1}, idempotent=False)

    (start, calls_so_far), record = seen[0], records[0]
    assert calls_so_far == 0
    assert start.call_id == record.call_id
    assert (start.method, start.url, start.request_body) == ("POST", f"{BASE}/x", '{"a":1}')
    assert start.request_headers["Authorization"] == "[redacted]"
    assert start.idempotent is False


def test_it_sends_nothing_when_before_send_fails(rsps, records):
    def refuse(start: CallStart) -> None:
        raise RuntimeError("audit database is down")

    transport = Transport(
        vendor="bony",
        base_url=BASE,
        auth=BearerAuth(TOKEN),
        recorder=records.append,
        before_send=refuse,
    )

    with pytest.raises(RuntimeError, match="audit database"):
        transport.request("POST", "x", json_body={}, idempotent=False)

    assert len(rsps.calls) == 0
    assert records == []


def test_it_lets_a_failing_recorder_surface(rsps):
    def broken(record: CallRecord) -> None:
        raise RuntimeError("could not write the audit row")

    transport = Transport(vendor="bony", base_url=BASE, auth=BearerAuth(TOKEN), recorder=broken)
    rsps.post(f"{BASE}/x", json={})

    with pytest.raises(RuntimeError, match="audit row"):
        transport.request("POST", "x", json_body={}, idempotent=False)

    assert len(rsps.calls) == 1


def test_it_asks_the_rate_limiter_before_announcing_the_attempt(rsps):
    order: list[str] = []
    transport = Transport(
        vendor="bony",
        base_url=BASE,
        auth=BearerAuth(TOKEN),
        rate_limiter=lambda: order.append("limiter"),
        before_send=lambda start: order.append("before_send"),
        recorder=lambda record: order.append("recorder"),
    )
    rsps.get(f"{BASE}/x", json={})

    transport.request("GET", "x", idempotent=True)

    assert order == ["limiter", "before_send", "recorder"]


def test_it_truncates_long_bodies_in_the_record(rsps, transport, records):
    rsps.get(f"{BASE}/x", status=500, body="e" * 20000)

    with pytest.raises(ServerError) as raised:
        transport.request("GET", "x", idempotent=True)

    assert records[0].response_body is not None
    assert len(records[0].response_body) < 8300
    assert records[0].response_body.startswith("e" * 8192)
    assert "truncated" in records[0].response_body
    assert raised.value.response_body == records[0].response_body


# --- secrets ----------------------------------------------------------------------------------


def test_it_keeps_credentials_out_of_errors_and_records(rsps, records):
    password = "s3cret-Pa55"
    starts: list[CallStart] = []
    auth = BasicAuth("api_user", password)
    transport = Transport(
        vendor="thulium",
        base_url=BASE,
        auth=auth,
        recorder=records.append,
        before_send=starts.append,
    )
    echoed = f'{{"errors": [{{"message": "bad password {password}", "code": 1}}]}}'
    rsps.get(f"{BASE}/a", status=401, body=echoed, headers={"X-Echo": password})
    rsps.get(f"{BASE}/b", body=requests.ConnectionError(f"failed for {password}"))

    errors: list[VendorError] = []
    for path in ("a", "b"):
        with pytest.raises(VendorError) as raised:
            transport.request("GET", path, idempotent=True)
        errors.append(raised.value)

    said = everything_said(*errors, *records, *starts, transport, auth)

    assert password not in said
    assert base64.b64encode(f"api_user:{password}".encode()).decode() not in said
    assert "bad password [redacted]" in str(errors[0])


def test_it_scrubs_the_api_login_a_vendor_echoes_with_the_password(rsps, records):
    transport = Transport(
        vendor="thulium",
        base_url=BASE,
        auth=BasicAuth("api_switchboard", "s3cret-Pa55"),
        recorder=records.append,
    )
    echoed = '{"errors": [{"message": "refused api_switchboard:s3cret-Pa55", "code": 1}]}'
    rsps.get(f"{BASE}/a", status=401, body=echoed)

    with pytest.raises(VendorError) as raised:
        transport.request("GET", "a", idempotent=True)

    assert "refused [redacted]:[redacted]" in str(raised.value)
    assert "api_switchboard" not in everything_said(raised.value, *records)


def test_it_redacts_the_values_of_sensitive_keys_whatever_their_length(rsps, records):
    transport = Transport(
        vendor="thulium",
        base_url=BASE,
        auth=BasicAuth("api_user", "s3cret-Pa55"),
        recorder=records.append,
        sensitive_keys=("http_auth_password",),
    )
    rsps.post(f"{BASE}/hooks", body='{"hooks": [{"http_auth_password" : "ab", "name": "ab"}]}')

    transport.request(
        "POST",
        "hooks",
        json_body={"nested": [{"http_auth_password": "ab"}], "note": "ab", "empty": ""},
        idempotent=False,
    )

    # Too short to scrub as a string everywhere, but hidden under its key.
    assert records[0].request_body == (
        '{"nested":[{"http_auth_password":"[redacted]"}],"note":"ab","empty":""}'
    )
    assert records[0].response_body == (
        '{"hooks": [{"http_auth_password" : "[redacted]", "name": "ab"}]}'
    )
