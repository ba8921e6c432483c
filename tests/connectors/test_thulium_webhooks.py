"""Thulium's webhook subscriptions at the wire: GET / POST webhooks and DELETE webhooks/:id."""

from __future__ import annotations

import base64
import json

import pytest
import responses

from connectors.errors import InvalidRequest, NotFound
from connectors.thulium import ThuliumClient, ThuliumWebhook
from connectors.transport import CallRecord, CallStart
from tests.connectors import body_bytes, everything_said

API = "https://your-system-name.thulium.com/api"
PASSWORD = 'hook-Pa55-"quoted"\\'  # a quote and a backslash: escaped in the JSON text


@pytest.fixture
def client(records: list[CallRecord]) -> ThuliumClient:
    return ThuliumClient(API, "api_user", "api_pass", recorder=records.append)


def test_it_lists_the_webhooks_as_the_vendor_page_shows_them(rsps, client, records):
    rsps.get(
        f"{API}/webhooks",
        json=[
            {
                "id": 1,
                "actions": ["CHAT_AGENT_ASSIGNED"],
                "subscription_url": "https://example.com/",
                "http_auth_user": "",
                "http_auth_password": "",
            },
            {
                "id": "2",
                "actions": ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"],
                "subscription_url": "https://sb.example/hooks/thulium/t0k/",
                "http_auth_user": "thulium",
                "http_auth_password": "listed-secret-9",
            },
        ],
    )

    hooks = client.list_webhooks()

    assert hooks[0] == ThuliumWebhook(
        id=1,
        actions=["CHAT_AGENT_ASSIGNED"],
        subscription_url="https://example.com/",
        raw=hooks[0].raw,
    )
    assert (hooks[1].id, hooks[1].actions) == (2, ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"])
    assert (hooks[1].http_auth_user, hooks[1].http_auth_password) == ("thulium", "listed-secret-9")
    request = rsps.calls[0].request
    assert request.method == "GET"
    assert request.url == f"{API}/webhooks"
    assert request.body is None
    # The passwords the vendor lists are secrets too: the record shows neither.
    assert "listed-secret-9" not in everything_said(*records, *hooks)
    listed = json.loads(records[0].response_body or "")
    assert [h["http_auth_password"] for h in listed] == ["", "[redacted]"]
    assert records[0].idempotent is True


def test_it_creates_a_webhook_with_the_exact_body(rsps, client, records):
    rsps.post(
        f"{API}/webhooks",
        json={
            "id": 7,
            "actions": ["CUSTOMER_CREATED"],
            "subscription_url": "https://sb.example/hooks/thulium/t0k/",
            "http_auth_user": "thulium-sb",
            "http_auth_password": PASSWORD,
        },
    )

    hook = client.create_webhook(
        ["CUSTOMER_CREATED"],
        "https://sb.example/hooks/thulium/t0k/",
        http_auth_user="thulium-sb",
        http_auth_password=PASSWORD,
    )

    request = rsps.calls[0].request
    expected = (
        b'{"actions":["CUSTOMER_CREATED"],"subscription_url":"https://sb.example/hooks/thulium/'
        b't0k/","http_auth_user":"thulium-sb","http_auth_password":"hook-Pa55-\\"quoted\\"\\\\"}'
    )
    assert body_bytes(request) == expected
    assert json.loads(expected)["http_auth_password"] == PASSWORD
    assert request.method == "POST"
    assert request.url == f"{API}/webhooks"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Content-Length"] == str(len(expected))
    assert request.headers["Authorization"] == (
        "Basic " + base64.b64encode(b"api_user:api_pass").decode()
    )
    assert (hook.id, hook.http_auth_password) == (7, PASSWORD)
    assert PASSWORD not in repr(hook)
    assert records[0].request_body == (
        '{"actions":["CUSTOMER_CREATED"],"subscription_url":"https://sb.example/hooks/thulium/'
        't0k/","http_auth_user":"thulium-sb","http_auth_password":"[redacted]"}'
    )
    assert json.loads(records[0].response_body or "")["http_auth_password"] == "[redacted]"
    assert records[0].idempotent is False


def test_it_omits_empty_credentials(rsps, client):
    rsps.post(f"{API}/webhooks", json={"id": 8, "actions": ["TICKET_UPDATED"]})

    hook = client.create_webhook(("TICKET_UPDATED", "TICKET_CREATED"), "https://x.example/h")

    assert body_bytes(rsps.calls[0].request) == (
        b'{"actions":["TICKET_UPDATED","TICKET_CREATED"],"subscription_url":"https://x.example/h"}'
    )
    assert hook.id == 8
    assert hook.subscription_url == ""  # the vendor answered without it: nothing is made up


def test_a_refused_registration_keeps_the_password_out_of_the_error_and_records(rsps, records):
    starts: list[CallStart] = []
    client = ThuliumClient(
        API, "api_user", "api_pass", recorder=records.append, before_send=starts.append
    )
    rsps.post(
        f"{API}/webhooks",
        status=400,
        json={"errors": [{"message": "Password s3cret-hook is too weak", "code": 1}]},
    )

    with pytest.raises(InvalidRequest) as raised:
        client.create_webhook(
            ["CUSTOMER_CREATED"], "https://x.example/h", http_auth_password="s3cret-hook"
        )

    said = everything_said(raised.value, *records, *starts)
    assert "s3cret-hook" not in said
    assert "Password [redacted] is too weak" in str(raised.value)


def test_it_refuses_bad_arguments_before_sending(client):
    with pytest.raises(TypeError, match="actions"):
        client.create_webhook("CUSTOMER_CREATED", "https://x.example/h")
    with pytest.raises(ValueError, match="actions"):
        client.create_webhook([], "https://x.example/h")
    with pytest.raises(ValueError, match="subscription_url"):
        client.create_webhook(["CUSTOMER_CREATED"], "")


def test_it_deletes_a_webhook(rsps, client, records):
    rsps.delete(f"{API}/webhooks/7", body="")

    assert client.delete_webhook(7) is None

    request = rsps.calls[0].request
    assert request.method == "DELETE"
    assert request.url == f"{API}/webhooks/7"
    assert request.body is None
    assert records[0].status == 200


def test_deleting_an_unknown_webhook_is_the_vendors_404(rsps, client):
    rsps.add(
        responses.DELETE,
        f"{API}/webhooks/99",
        status=404,
        json={"errors": [{"message": "Not found", "code": 404}]},
    )

    with pytest.raises(NotFound):
        client.delete_webhook("99")
