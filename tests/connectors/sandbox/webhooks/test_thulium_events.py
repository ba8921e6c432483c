"""Thulium deliveries: flat bodies with `action` and a local `date`, Basic credentials from the
registration, to every subscription listing the action; API writes and simulated activity."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from connectors.thulium import ThuliumClient
from tests.connectors.sandbox.webhooks.receiver import (
    HOOK_PASSWORD,
    HOOK_USER,
    subscribe_thulium,
)

WARSAW = ZoneInfo("Europe/Warsaw")


def delivered(sandbox, receiver, count):
    sandbox.wait_for_deliveries()
    requests = receiver.wait_for(count)
    assert len(requests) == count, [r.json()["action"] for r in requests]
    for request in requests:
        assert request.headers["content-type"] == "application/json"
        assert request.basic() == (HOOK_USER, HOOK_PASSWORD)
    return receiver.bodies()


def assert_local_now(date: str) -> None:
    moment = datetime.strptime(date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=WARSAW)
    assert abs(datetime.now(WARSAW) - moment) < timedelta(seconds=30)


def test_the_back_offices_writes_are_delivered_with_basic_credentials(sandbox, thulium, receiver):
    subscribe_thulium(
        thulium, receiver, "CUSTOMER_UPDATED", "TICKET_UPDATED", "CHAT_CONVERSATION_CREATED"
    )
    client = ThuliumClient(sandbox.thulium_url, "sandbox", "sandbox")

    client.add_feed_record(1, [{"id": "m1", "type": "text", "payload": {"message": "Hej"}}])
    client.reply_to_ticket(1, "Dzień dobry", user_login="agent.demo")
    conversation_id = client.start_chat(1, client_id="1234", client_name="Anna")

    bodies = delivered(sandbox, receiver, 3)
    assert [b["action"] for b in bodies] == [
        "CUSTOMER_UPDATED",
        "TICKET_UPDATED",
        "CHAT_CONVERSATION_CREATED",
    ]
    assert receiver.requests[0].path == "/hooks/thulium"
    for body in bodies:
        assert list(body)[:2] == ["action", "date"]
        assert_local_now(body["date"])
    customer = thulium.get("/customers/1").json()
    assert bodies[0] == {
        "action": "CUSTOMER_UPDATED",
        "date": bodies[0]["date"],
        "customer_id": 1,
        "name": customer["name"],
        "surname": customer["surname"],
        "email": customer["email"],
        "phone_number": customer["phone_number"],
        "company_name": customer["company_name"],
        "tags": customer["tags"],
        "custom_fields": customer["custom_fields"],
    }
    ticket = thulium.get("/tickets/1").json()
    assert bodies[1]["ticket_id"] == 1
    assert bodies[1]["status_id"] == ticket["status_id"] == "2"
    assert bodies[1]["ticket_queue_id"] == ticket["queue_id"]
    assert bodies[1]["from"] == ticket["customer_email"]
    assert bodies[1]["updated_at"] == ticket["updated_at"][:16]
    assert bodies[2]["conversation_id"] == conversation_id
    assert (bodies[2]["customer_id"], bodies[2]["client_name"]) == (1, "Anna")
    assert bodies[2]["user_login"] is None


def test_each_subscription_gets_the_actions_it_lists_with_its_own_credentials(
    sandbox, thulium, control, receiver
):
    subscribe_thulium(thulium, receiver, "TICKET_UPDATED")
    other = thulium.post(
        "/webhooks",
        json={
            "actions": ["TICKET_UPDATED", "TICKET_CREATED"],
            "subscription_url": receiver.url("/open"),
        },
    ).json()

    control.post("/simulate/thulium/tickets", json={"subject": "Nowe", "customer_id": 1})
    control.patch("/simulate/thulium/tickets/1", json={"status_id": 4})

    sandbox.wait_for_deliveries()
    got = sorted((r.path, r.json()["action"], r.basic()) for r in receiver.wait_for(3))
    assert got == [
        ("/hooks/thulium", "TICKET_UPDATED", (HOOK_USER, HOOK_PASSWORD)),
        ("/open", "TICKET_CREATED", None),
        ("/open", "TICKET_UPDATED", None),
    ]
    assert "authorization" not in next(r for r in receiver.requests if r.path == "/open").headers
    assert other["http_auth_user"] == ""


def test_a_ticket_created_and_its_status_changed_at_the_vendor(sandbox, thulium, control, receiver):
    subscribe_thulium(thulium, receiver, "TICKET_CREATED", "TICKET_UPDATED")

    created = control.post(
        "/simulate/thulium/tickets",
        json={"subject": "Reklamacja", "customer_id": 1, "queue_id": 2, "body": "Zepsute"},
    ).json()
    control.patch(f"/simulate/thulium/tickets/{created['ticket_id']}", json={"status_id": 3})

    bodies = delivered(sandbox, receiver, 2)
    assert [b["action"] for b in bodies] == ["TICKET_CREATED", "TICKET_UPDATED"]
    assert bodies[0]["subject"] == "Reklamacja"
    assert (bodies[0]["status_id"], bodies[1]["status_id"]) == ("1", "3")
    assert bodies[0]["ticket_queue_id"] == 2
    assert bodies[0]["from"] == thulium.get("/customers/1").json()["email"]
    ticket = thulium.get(f"/tickets/{created['ticket_id']}").json()
    assert ticket["status_id"] == "3"
    assert ticket["messages"][0]["body"] == "Zepsute"
    listed = thulium.get("/tickets", params={"status_id[]": "3", "customer_id": "1"}).json()
    assert created["ticket_id"] in [t["ticket_id"] for t in listed]


def test_a_customer_created_and_changed_at_the_vendor(sandbox, thulium, control, receiver):
    subscribe_thulium(thulium, receiver, "CUSTOMER_CREATED", "CUSTOMER_UPDATED")

    created = control.post(
        "/simulate/thulium/customers",
        json={"name": "Zofia", "surname": "Nowak", "email": "zofia@example.pl", "tags": ["vip"]},
    ).json()
    control.patch(
        f"/simulate/thulium/customers/{created['customer_id']}",
        json={"phone_number": "+48 601 000 111", "custom_fields": {"segment": "B2B"}},
    )

    bodies = delivered(sandbox, receiver, 2)
    assert [b["action"] for b in bodies] == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"]
    assert bodies[0]["customer_id"] == created["customer_id"]
    assert (bodies[0]["name"], bodies[0]["tags"], bodies[0]["phone_number"]) == (
        "Zofia",
        ["vip"],
        None,
    )
    assert bodies[1]["phone_number"] == "+48 601 000 111"
    assert bodies[1]["custom_fields"]["segment"] == "B2B"
    read = thulium.get(f"/customers/{created['customer_id']}").json()
    assert (read["phone_number"], read["custom_fields"]) == ("+48 601 000 111", {"segment": "B2B"})
    by_phone = thulium.get("/customers", params={"phone_number": "48601000111"}).json()
    assert [c["customer_id"] for c in by_phone] == [created["customer_id"]]


def test_a_chat_conversation_created_assigned_and_closed(sandbox, thulium, control, receiver):
    subscribe_thulium(
        thulium,
        receiver,
        "CHAT_CONVERSATION_CREATED",
        "CHAT_AGENT_ASSIGNED",
        "CHAT_CONVERSATION_CLOSED",
    )
    email = thulium.get("/customers/1").json()["email"]

    started = control.post(
        "/simulate/thulium/conversations",
        json={"chat_queue_id": 1, "client_email": email, "client_name": "Jan"},
    ).json()
    path = f"/simulate/thulium/conversations/{started['conversation_id']}"
    control.post(f"{path}/assign", json={"user_login": "agent.demo"})
    control.post(f"{path}/close")

    bodies = delivered(sandbox, receiver, 3)
    assert [b["action"] for b in bodies] == [
        "CHAT_CONVERSATION_CREATED",
        "CHAT_AGENT_ASSIGNED",
        "CHAT_CONVERSATION_CLOSED",
    ]
    assert {b["conversation_id"] for b in bodies} == {started["conversation_id"]}
    assert bodies[0]["customer_id"] == 1  # matched on the e-mail address
    assert (bodies[0]["client_email"], bodies[0]["chat_queue_id"]) == (email, 1)
    assert (bodies[0]["user_login"], bodies[1]["user_login"]) == (None, "agent.demo")
    read = thulium.get(f"/chat_conversations/{started['conversation_id']}").json()
    assert read["user_login"] == "agent.demo"
    assert read["closed_at"] is not None
    again = control.post(f"{path}/close")
    assert again.status_code == 409


def test_bad_thulium_simulations_are_refused(sandbox, control):
    assert control.post("/simulate/thulium/customers", json={"surname": "x"}).status_code == 400
    assert control.patch("/simulate/thulium/customers/999999", json={}).status_code == 404
    refused = control.patch("/simulate/thulium/tickets/1", json={"status_id": "3"})
    assert refused.status_code == 400
    assert "status_id must be a positive integer" in refused.json()["error"]
    queue = control.post("/simulate/thulium/conversations", json={"chat_queue_id": 99})
    assert "chat_queue_id must be one of" in queue.json()["error"]
    agent = control.post(
        "/simulate/thulium/conversations/nope/assign", json={"user_login": "agent.demo"}
    )
    assert agent.status_code == 404
