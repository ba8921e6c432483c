"""Bony.chat deliveries: `event_type` / `event_id` / `timestamp` / `contact` (/ `message`) to the
channel's URL for the events it chose; API writes and simulated activity."""

from __future__ import annotations

import time
from urllib.parse import quote

from connectors.bony import BonyClient
from connectors.sandbox.seed import BONY_CONTACT_ID, BONY_VIBER_CONTACT_ID
from tests.connectors.sandbox.webhooks.receiver import subscribe_bony

EVERY = (
    "contact.created",
    "contact.updated",
    "message.received",
    "message.sent",
    "conversation.opened",
    "conversation.closed",
)


def delivered(sandbox, receiver, count):
    sandbox.wait_for_deliveries()
    requests = receiver.wait_for(count)
    assert len(requests) == count, [r.json()["event_type"] for r in requests]
    for request in requests:
        assert request.headers["content-type"] == "application/json"
        assert "authorization" not in request.headers
        assert "x-helpcrunch-signature" not in request.headers
    return receiver.bodies()


def test_the_back_offices_writes_are_delivered(sandbox, control, bony, receiver):
    subscribe_bony(control, receiver, *EVERY)
    before = int(time.time())

    created = bony.post("/contact", json={"custom_fields": [{"name": "email", "value": "a@b.pl"}]})
    contact_id = created.json()["data"]["id"]
    bony.put(
        f"/contact/{contact_id}", json={"custom_fields": [{"name": "firstName", "value": "Ola"}]}
    )
    bony.post(f"/contact/{contact_id}/tags", json={"tags": ["vip"]})
    bony.post(f"/contact/{contact_id}/tags", json={"tags": ["vip"]})  # nothing changes
    bony.post(
        f"/message/sendContent/{contact_id}",
        json={"body": [{"type": "text", "text": "Dzień dobry"}]},
    )

    bodies = delivered(sandbox, receiver, 4)
    assert receiver.requests[0].path == "/hooks/bony/sandbox"
    assert [b["event_type"] for b in bodies] == [
        "contact.created",
        "contact.updated",
        "contact.updated",
        "message.sent",
    ]
    for body in bodies:
        assert isinstance(body["event_id"], str)
        assert body["event_id"]
        assert before <= body["timestamp"] <= int(time.time())
        assert body["contact"]["id"] == contact_id
    assert len({b["event_id"] for b in bodies}) == 4
    assert "message" not in bodies[0]
    assert bodies[0]["contact"]["custom_fields"] == {"email": "a@b.pl"}
    assert bodies[1]["contact"]["custom_fields"] == {"email": "a@b.pl", "firstName": "Ola"}
    assert bodies[2]["contact"]["tags"] == ["vip"]
    assert bodies[3]["message"] == {"type": "text", "text": "Dzień dobry"}


def test_a_contact_writes_and_the_conversation_opens_and_closes(sandbox, control, bony, receiver):
    subscribe_bony(control, receiver, *EVERY)
    path = f"/simulate/bony/sandbox/contacts/{BONY_CONTACT_ID}"

    control.post(f"{path}/messages", json={"text": "Cześć, mam pytanie"})
    control.post(f"{path}/messages", json={"text": "Jeszcze jedno"})  # already open
    control.post(f"{path}/conversation/close")

    bodies = delivered(sandbox, receiver, 4)
    assert [b["event_type"] for b in bodies] == [
        "conversation.opened",
        "message.received",
        "message.received",
        "conversation.closed",
    ]
    assert bodies[1]["message"] == {"type": "text", "text": "Cześć, mam pytanie"}
    assert bodies[1]["contact"]["id"] == BONY_CONTACT_ID
    state = control.get(f"/state/bony/sandbox/contacts/{BONY_CONTACT_ID}").json()
    assert state["conversation"] == "closed"
    assert [(m["body"][0]["text"], m["direction"]) for m in state["messages"][-2:]] == [
        ("Cześć, mam pytanie", "incoming"),
        ("Jeszcze jedno", "incoming"),
    ]
    assert control.post(f"{path}/conversation/close").status_code == 409
    control.post(f"{path}/conversation/open")
    sandbox.wait_for_deliveries()
    assert receiver.bodies()[-1]["event_type"] == "conversation.opened"


def test_a_contact_updated_at_the_vendor_reads_back_through_the_api(sandbox, control, receiver):
    subscribe_bony(control, receiver, "contact.updated", token="sandbox-viber")
    raw = quote(BONY_VIBER_CONTACT_ID, safe="")

    control.patch(
        f"/simulate/bony/sandbox-viber/contacts/{raw}",
        json={"custom_fields": {"city": "Kraków"}, "tags": ["nowy", "nowy"]},
    )

    [body] = delivered(sandbox, receiver, 1)
    assert body["event_type"] == "contact.updated"
    assert body["contact"]["id"] == BONY_VIBER_CONTACT_ID
    assert body["contact"]["tags"] == ["nowy"]
    client = BonyClient("sandbox-viber", base_url=sandbox.bony_url, viber=True)
    contact = client.get_contact(BONY_VIBER_CONTACT_ID)
    assert contact.custom_fields["city"] == "Kraków"
    assert contact.tags == ["nowy"]


def test_only_the_chosen_events_of_the_channel_go_out(sandbox, control, bony, receiver):
    subscribe_bony(control, receiver, "message.received")

    bony.put(f"/contact/{BONY_CONTACT_ID}", json={"custom_fields": [{"name": "x", "value": "1"}]})
    created = control.post(
        "/simulate/bony/sandbox/contacts", json={"custom_fields": {"email": "n@b.pl"}}
    ).json()
    control.post(f"/simulate/bony/sandbox/contacts/{created['id']}/messages", json={"text": "Hi"})
    control.post(
        f"/simulate/bony/sandbox-viber/contacts/{quote(BONY_VIBER_CONTACT_ID, safe='')}/messages",
        json={"text": "other channel"},
    )

    [body] = delivered(sandbox, receiver, 1)
    assert (body["event_type"], body["contact"]["id"]) == ("message.received", created["id"])
    assert bony.get(f"/contact/{created['id']}").json()["data"]["custom_fields"] == {
        "email": "n@b.pl"
    }


def test_bad_bony_simulations_are_refused(sandbox, control):
    base = "/simulate/bony/sandbox/contacts"
    assert control.post(f"{base}/nope/messages", json={"text": "x"}).status_code == 404
    assert control.post("/simulate/bony/nope/contacts", json={}).status_code == 404
    refused = control.post(base, json={"custom_fields": {"a": [1]}})
    assert refused.status_code == 400
    assert "custom_fields must be an object of scalar values" in refused.json()["error"]
    empty = control.post(f"{base}/{BONY_CONTACT_ID}/messages", json={"text": " "})
    assert empty.status_code == 400
