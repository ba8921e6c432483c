"""HelpCrunch deliveries: the envelope, the signature, every event the sandbox raises, from API
writes (the back-office's own actions) and from simulated activity; reads agree afterwards."""

from __future__ import annotations

import re
import time

import pytest

from connectors.helpcrunch import HelpCrunchClient
from connectors.sandbox.seed import HELPCRUNCH_AGENT_ID, HELPCRUNCH_CUSTOMER_ID
from tests.connectors.sandbox.conftest import VendorSession
from tests.connectors.sandbox.webhooks.receiver import (
    SIGNING_KEY,
    Receiver,
    subscribe_helpcrunch,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
ENVELOPE = ["event", "eventData", "attempts", "lastAttemptAt", "createdAt", "id"]


def delivered(sandbox, receiver: Receiver, count: int) -> list[dict]:
    sandbox.wait_for_deliveries()
    requests = receiver.wait_for(count)
    assert len(requests) == count, [r.json()["event"] for r in requests]
    for request in requests:
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        assert request.signed_with(SIGNING_KEY), "signature does not verify"
        assert len(request.headers["x-helpcrunch-signature"]) == 40
    return receiver.bodies()


def test_an_agent_message_sent_through_the_api_is_delivered_signed(sandbox, control, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.agent")
    client = HelpCrunchClient("sandbox", base_url=sandbox.helpcrunch_url)
    before = int(time.time())

    sent = client.send_message(1, "Вітаю! Чим можу допомогти?", agent_id=HELPCRUNCH_AGENT_ID)

    [body] = delivered(sandbox, receiver, 1)
    request = receiver.requests[0]
    assert request.path == "/hooks/helpcrunch/message.chat.agent"
    assert list(body) == ENVELOPE
    assert body["event"] == "message.chat.agent"
    assert body["attempts"] == 0
    assert UUID.fullmatch(body["id"])
    assert before <= body["createdAt"] <= body["lastAttemptAt"] <= int(time.time())
    data = body["eventData"]
    assert data["chat_id"] == 1
    assert data["agent"] == {
        "id": 1,
        "name": data["agent"]["name"],
        "email": data["agent"]["email"],
    }
    assert data["customer"]["id"] == HELPCRUNCH_CUSTOMER_ID
    assert set(data["customer"]) == {"id", "name", "email", "userId"}
    assert data["message"]["id"] == sent.id
    assert data["message"]["text"] == "Вітаю! Чим можу допомогти?"
    assert set(data["message"]) == {
        "id", "text", "createdAt", "updatedAt", "read", "edited", "broadcastType", "applicationId"
    }  # fmt: skip
    # Non-ASCII travels as UTF-8 and the signature covers those very bytes.
    assert "Вітаю".encode() in request.body


def test_a_customer_message_and_a_private_note_through_the_api(
    sandbox, control, helpcrunch, receiver
):
    subscribe_helpcrunch(control, receiver, "message.chat.customer", "message.private")

    helpcrunch.post("/messages", json={"chat": 1, "text": "From the customer"})
    helpcrunch.post("/messages", json={"chat": 1, "text": "Note", "type": "private", "agent": 1})
    helpcrunch.post("/messages", json={"chat": 1, "text": "Agent", "agent": 1})  # not wanted

    bodies = delivered(sandbox, receiver, 2)
    assert [(b["event"], b["eventData"]["message"]["text"]) for b in bodies] == [
        ("message.chat.customer", "From the customer"),
        ("message.private", "Note"),
    ]
    assert bodies[0]["eventData"]["agent"] is None
    assert bodies[0]["id"] != bodies[1]["id"]


def test_customer_writes_raise_the_events_of_what_changed(sandbox, control, helpcrunch, receiver):
    subscribe_helpcrunch(
        control,
        receiver,
        "customer.email_updated",
        "customer.tags_changed",
        "customer.blocked",
        "customer.unblocked",
    )

    helpcrunch.patch("/customers/1", json={"name": "Only the name"})  # no event for a name
    helpcrunch.patch("/customers/1", json={"email": "new.address@example.org"})
    helpcrunch.put("/customers/1/tags", json={"tags": [{"name": "hooks-test", "color": "#f00"}]})
    helpcrunch.put("/customers/1/tags", json={"tags": [{"name": "hooks-test"}]})  # already there
    helpcrunch.patch("/customers/1", json={"blocked": True})
    helpcrunch.patch("/customers/1", json={"blocked": False})

    bodies = delivered(sandbox, receiver, 4)
    assert [b["event"] for b in bodies] == [
        "customer.email_updated",
        "customer.tags_changed",
        "customer.blocked",
        "customer.unblocked",
    ]
    assert bodies[0]["eventData"]["email"] == "new.address@example.org"
    assert bodies[0]["eventData"]["name"] == "Only the name"
    assert {"name": "hooks-test", "color": "#f00"} in bodies[1]["eventData"]["tags"]
    # Each event shows the customer as that change left it; the last one as it is now.
    assert bodies[2]["eventData"]["blocked"] is True
    assert bodies[3]["eventData"] == helpcrunch.get("/customers/1").json()


def test_a_customer_writes_in_a_chat(sandbox, control, helpcrunch, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")

    answer = control.post("/simulate/helpcrunch/chats/1/messages", json={"text": "Де посилка?"})

    [body] = delivered(sandbox, receiver, 1)
    assert body["event"] == "message.chat.customer"
    assert body["eventData"]["chat_id"] == 1
    assert body["eventData"]["agent"] is None
    assert body["eventData"]["message"]["text"] == "Де посилка?"
    assert re.fullmatch(r"\d{10}\.\d{3}", body["eventData"]["message"]["createdAt"])
    newest = helpcrunch.get("/chats/1/messages").json()["data"][0]
    assert (newest["id"], newest["text"], newest["from"]) == (
        body["eventData"]["message"]["id"],
        "Де посилка?",
        "customer",
    )
    assert answer.json()["messages"][-1]["text"] == "Де посилка?"
    chat = helpcrunch.get("/chats/1").json()
    assert chat["lastCustomerMessageAt"] == body["eventData"]["message"]["createdAt"]


def test_a_chat_is_closed_reopened_by_the_customer_and_assigned(
    sandbox, control, helpcrunch, receiver
):
    subscribe_helpcrunch(
        control,
        receiver,
        "chat.closed",
        "chat.status_updated",
        "chat.assigned",
        "message.chat.customer",
    )

    control.post("/simulate/helpcrunch/chats/1/close", json={"by": "agent"})
    closed = helpcrunch.get("/chats/1").json()
    control.post("/simulate/helpcrunch/chats/1/messages", json={"text": "Ще питання"})
    control.post("/simulate/helpcrunch/chats/1/assign", json={"agent": 2})
    control.post("/simulate/helpcrunch/chats/1/status", json={"status": "pending"})

    bodies = delivered(sandbox, receiver, 5)
    assert [b["event"] for b in bodies] == [
        "chat.closed",
        "chat.status_updated",
        "message.chat.customer",
        "chat.assigned",
        "chat.status_updated",
    ]
    first = bodies[0]["eventData"]
    assert (first["id"], first["status"], first["closedBy"]) == (1, "closed", "agent")
    assert first["closedAt"] == closed["closedAt"]
    assert closed["status"] == "closed"
    assert set(first) >= {
        "customer",
        "assignee",
        "createdAt",
        "lastMessageAt",
        "communicatedAgents",
    }
    assert bodies[1]["eventData"]["status"] == "opened"
    assert bodies[1]["eventData"]["closedAt"] is None
    assert bodies[3]["eventData"]["assignee"]["id"] == 2
    chat = helpcrunch.get("/chats/1").json()
    assert (chat["status"], chat["assignee"]["id"]) == ("pending", 2)


def test_a_new_chat_and_a_new_customer(sandbox, control, helpcrunch, receiver):
    subscribe_helpcrunch(control, receiver, "customer.new", "chat.new", "message.chat.customer")

    customer = control.post(
        "/simulate/helpcrunch/customers", json={"name": "Olena", "email": "olena@example.org"}
    ).json()
    chat = control.post(
        "/simulate/helpcrunch/chats", json={"customer": customer["id"], "text": "Привіт"}
    ).json()

    bodies = delivered(sandbox, receiver, 3)
    assert [b["event"] for b in bodies] == ["customer.new", "chat.new", "message.chat.customer"]
    assert bodies[0]["eventData"] == helpcrunch.get(f"/customers/{customer['id']}").json()
    assert bodies[1]["eventData"]["id"] == chat["id"]
    assert bodies[1]["eventData"]["status"] == "new"
    assert bodies[1]["eventData"]["customer"]["email"] == "olena@example.org"
    assert bodies[2]["eventData"]["chat_id"] == chat["id"]
    assert helpcrunch.get(f"/chats/{chat['id']}").json()["customer"]["id"] == customer["id"]


def test_a_customer_changed_and_deleted_at_the_vendor(sandbox, control, helpcrunch, receiver):
    subscribe_helpcrunch(
        control, receiver, "customer.email_updated", "customer.tags_changed", "customer.deleted"
    )
    chats_before = helpcrunch.get("/chats").json()
    theirs = [c for c in chats_before["data"] if c["customer"]["id"] == 2]

    changed = control.patch(
        "/simulate/helpcrunch/customers/2",
        json={"email": "changed@example.org", "tags": ["opt", {"name": "b2b", "color": "#00f"}]},
    )
    deleted = control.delete("/simulate/helpcrunch/customers/2")

    bodies = delivered(sandbox, receiver, 3)
    assert [b["event"] for b in bodies] == [
        "customer.email_updated",
        "customer.tags_changed",
        "customer.deleted",
    ]
    assert bodies[1]["eventData"]["tags"] == [
        {"name": "opt", "color": "#ccc"},
        {"name": "b2b", "color": "#00f"},
    ]
    assert bodies[2]["eventData"]["id"] == 2
    assert bodies[2]["eventData"] == deleted.json() == changed.json()
    assert helpcrunch.get("/customers/2").status_code == 404
    chats = helpcrunch.get("/chats").json()
    assert all(c["customer"]["id"] != 2 for c in chats["data"])
    assert chats["meta"]["total"] == chats_before["meta"]["total"] - len(theirs)
    # A new customer does not take the deleted one's id.
    fresh = control.post("/simulate/helpcrunch/customers", json={"name": "New"}).json()
    assert fresh["id"] > 2


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "error"),
    [
        (
            "post",
            "/simulate/helpcrunch/chats/999/messages",
            {"text": "x"},
            404,
            "no HelpCrunch chat",
        ),
        (
            "post",
            "/simulate/helpcrunch/chats/1/messages",
            {},
            400,
            "This value should not be blank",
        ),
        ("post", "/simulate/helpcrunch/chats/1/assign", {"agent": 999}, 400, "no HelpCrunch agent"),
        (
            "post",
            "/simulate/helpcrunch/chats/1/status",
            {"status": "closed"},
            400,
            "status must be",
        ),
        ("post", "/simulate/helpcrunch/chats/1/close", {"by": "bot"}, 400, "by must be"),
        ("patch", "/simulate/helpcrunch/customers/1", {"email": "nope"}, 400, "email must be"),
        ("patch", "/simulate/helpcrunch/customers/1", {"name": "x"}, 400, "unknown keys: name"),
        ("post", "/simulate/helpcrunch/chats", {"customer": 999, "text": "x"}, 404, "customer"),
    ],
)
def test_bad_simulations_are_refused_and_change_nothing(
    sandbox, control: VendorSession, helpcrunch, method, path, payload, status, error
):
    before = helpcrunch.get("/chats/1").json(), helpcrunch.get("/customers/1").json()

    response = getattr(control, method)(path, json=payload)

    assert response.status_code == status
    assert error in response.json()["error"]
    assert (helpcrunch.get("/chats/1").json(), helpcrunch.get("/customers/1").json()) == before
