"""Subscribing: Thulium's `webhooks` API (through the connector too), the HelpCrunch and Bony
settings pages as control calls; and nothing is delivered without a subscription."""

from __future__ import annotations

import pytest

from connectors.errors import InvalidRequest, NotFound
from connectors.thulium import ThuliumClient
from connectors.transport import CallRecord
from tests.connectors.sandbox.conftest import VendorSession
from tests.connectors.sandbox.webhooks.receiver import (
    SIGNING_KEY,
    Receiver,
    subscribe_bony,
    subscribe_helpcrunch,
)


def test_the_thulium_connector_registers_lists_and_deletes_webhooks(sandbox, receiver):
    records: list[CallRecord] = []
    client = ThuliumClient(sandbox.thulium_url, "sandbox", "sandbox", recorder=records.append)

    created = client.create_webhook(
        ["CUSTOMER_CREATED", "TICKET_UPDATED"],
        receiver.url("/hooks/thulium/t0k/"),
        http_auth_user="thulium",
        http_auth_password="Basic-Secret-9",
    )
    bare = client.create_webhook(["CHAT_AGENT_ASSIGNED"], receiver.url("/other"))

    assert (created.id, bare.id) == (1, 2)
    assert created.actions == ["CUSTOMER_CREATED", "TICKET_UPDATED"]
    assert (created.http_auth_user, created.http_auth_password) == ("thulium", "Basic-Secret-9")
    listed = client.list_webhooks()
    assert [(h.id, h.subscription_url) for h in listed] == [
        (1, receiver.url("/hooks/thulium/t0k/")),
        (2, receiver.url("/other")),
    ]
    assert (listed[1].http_auth_user, listed[1].http_auth_password) == ("", "")
    assert "Basic-Secret-9" not in repr(records)
    client.delete_webhook(1)
    assert [h.id for h in client.list_webhooks()] == [2]
    with pytest.raises(NotFound):
        client.delete_webhook(1)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"subscription_url": "http://127.0.0.1/h"}, "actions: This value should not be blank."),
        ({"actions": [], "subscription_url": "http://127.0.0.1/h"}, "actions: This value"),
        (
            {"actions": ["NO_SUCH"], "subscription_url": "http://x/h"},
            "actions: Invalid value 'NO_SUCH'",
        ),
        ({"actions": ["CUSTOMER_CREATED"]}, "subscription_url: This value is not a valid URL."),
        ({"actions": ["CUSTOMER_CREATED"], "subscription_url": "ftp://x/h"}, "subscription_url"),
        (
            {"actions": ["CUSTOMER_CREATED"], "subscription_url": "http://x/", "http_auth_user": 1},
            "http_auth_user: This value should be of type string.",
        ),
        (
            {"actions": ["CUSTOMER_CREATED"], "subscription_url": "http://x/", "secret": "x"},
            "secret: This field was not expected.",
        ),
    ],
)
def test_thulium_refuses_a_bad_registration_in_its_error_shape(thulium, payload, message):
    response = thulium.post("/webhooks", json=payload)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"request_id", "errors"}
    assert body["errors"][0]["code"] == 400001
    assert body["errors"][0]["message"].startswith(message)
    assert thulium.get("/webhooks").json() == []


def test_the_connector_surfaces_a_refused_registration(sandbox):
    client = ThuliumClient(sandbox.thulium_url, "sandbox", "sandbox")

    with pytest.raises(InvalidRequest, match="Invalid value 'CUSTOMER_DELETED'"):
        client.create_webhook(["CUSTOMER_DELETED"], "http://127.0.0.1:1/h")


def test_thulium_webhooks_need_the_api_credentials(sandbox):
    client = ThuliumClient(sandbox.thulium_url, "sandbox", "wrong")

    with pytest.raises(Exception, match="Invalid API user or password"):
        client.list_webhooks()


def test_the_helpcrunch_settings_page_is_set_read_and_cleared(control, receiver):
    urls = {"message.chat.customer": receiver.url("/a"), "chat.closed": receiver.url("/b")}

    put = control.put("/webhooks/helpcrunch", json={"signing_key": SIGNING_KEY, "urls": urls})

    assert put.json() == {"signing_key": SIGNING_KEY, "urls": urls}
    assert control.get("/webhooks/helpcrunch").json() == put.json()
    assert control.get("/webhooks").json()["helpcrunch"] == put.json()
    assert control.delete("/webhooks/helpcrunch").json() == {"signing_key": None, "urls": {}}
    assert control.get("/webhooks/helpcrunch").json()["urls"] == {}


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"urls": {}}, "signing_key must be a non-empty string"),
        ({"signing_key": "", "urls": {}}, "signing_key must be a non-empty string"),
        ({"signing_key": "k", "urls": []}, "urls must be an object"),
        ({"signing_key": "k", "urls": {"chat.opened": "http://x/"}}, "unknown event 'chat.opened'"),
        ({"signing_key": "k", "urls": {"chat.new": "x.example/h"}}, "urls['chat.new'] must be"),
        ({"signing_key": "k", "url": "http://x/"}, "unknown keys: url"),
    ],
)
def test_a_bad_helpcrunch_setting_is_refused_and_changes_nothing(control, payload, error):
    control.put("/webhooks/helpcrunch", json={"signing_key": "kept", "urls": {}})

    response = control.put("/webhooks/helpcrunch", json=payload)

    assert response.status_code == 400
    assert error in response.json()["error"]
    assert control.get("/webhooks/helpcrunch").json()["signing_key"] == "kept"


def test_a_bony_channel_webhook_is_set_read_and_cleared(control, receiver):
    put = control.put(
        "/webhooks/bony/sandbox-viber",
        json={"url": receiver.url("/v"), "events": ["message.received", "message.received"]},
    )
    every = control.put("/webhooks/bony/sandbox", json={"url": receiver.url("/m")})

    assert put.json() == {"url": receiver.url("/v"), "events": ["message.received"]}
    assert len(every.json()["events"]) == 6  # no list: every event type
    assert control.get("/webhooks/bony/sandbox-viber").json() == put.json()
    assert control.get("/webhooks").json()["bony"]["sandbox-viber"] == put.json()
    assert control.delete("/webhooks/bony/sandbox-viber").json() == {"url": None, "events": []}
    assert control.get("/webhooks/bony/nope").status_code == 404
    bad = control.put("/webhooks/bony/sandbox", json={"url": "http://x/", "events": ["x.y"]})
    assert bad.status_code == 400
    assert "unknown event 'x.y'" in bad.json()["error"]
    assert control.get("/webhooks/bony/sandbox").json() == every.json()


def test_nothing_is_delivered_without_a_subscription(
    sandbox,
    control: VendorSession,
    helpcrunch: VendorSession,
    thulium: VendorSession,
    bony: VendorSession,
    receiver: Receiver,
):
    # A URL for another event only, a Thulium hook for another action, a Bony hook on another
    # channel: none of them wants what follows.
    subscribe_helpcrunch(control, receiver, "chat.closed")
    thulium.post(
        "/webhooks",
        json={"actions": ["TICKET_CREATED"], "subscription_url": receiver.url("/t")},
    )
    subscribe_bony(control, receiver, "message.sent", token="sandbox-viber")

    helpcrunch.post("/messages", json={"chat": 1, "text": "Hej", "agent": 1})
    control.post("/simulate/helpcrunch/chats/1/messages", json={"text": "Dzień dobry"})
    thulium.post("/tickets/1/agent_response", json={"body": "Hej", "user_login": "agent.demo"})
    bony.post("/contact", json={"custom_fields": [{"name": "email", "value": "a@b.pl"}]})
    control.delete("/webhooks/helpcrunch")
    control.post("/simulate/helpcrunch/chats/1/close")

    waited = control.get("/deliveries", params={"wait": "1", "timeout": "5"}).json()
    assert waited == {"deliveries": [], "pending": 0, "idle": True}
    assert receiver.requests == []


def test_reset_forgets_every_subscription(sandbox, control, thulium, receiver):
    subscribe_helpcrunch(control, receiver, "chat.closed")
    subscribe_bony(control, receiver, "message.sent")
    thulium.post("/webhooks", json={"actions": ["TICKET_CREATED"], "subscription_url": "http://x/"})

    control.post("/reset")

    assert control.get("/webhooks").json() == {
        "thulium": [],
        "helpcrunch": {"signing_key": None, "urls": {}},
        "bony": {
            "sandbox": {"url": None, "events": []},
            "sandbox-viber": {"url": None, "events": []},
        },
    }
