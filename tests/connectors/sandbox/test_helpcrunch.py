"""The sandbox speaks HelpCrunch's wire format (vendor page 003 and the documented API)."""

from __future__ import annotations

import requests

from connectors.sandbox.testing import SandboxHandle
from tests.connectors.sandbox.conftest import VendorSession

INVALID_REQUEST = {"code": "invalid_request", "message": "Invalid request"}
MESSAGE_KEYS = {
    "id",
    "agent",
    "type",
    "text",
    "read",
    "createdAt",
    "updatedAt",
    "edited",
    "broadcastType",
    "chat",
    "from",
}


def assert_helpcrunch_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status
    errors = response.json()["errors"]
    assert errors[0] == INVALID_REQUEST
    assert code in [e["code"] for e in errors[1:]]


def test_it_answers_a_wrong_key_with_the_pages_401_body(sandbox: SandboxHandle) -> None:
    wrong = VendorSession(sandbox.helpcrunch_url)
    wrong.headers["Authorization"] = "Bearer nope"

    response = wrong.get("/chats")

    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {"code": "invalid_request", "message": "Invalid request"},
            {"code": "unauthorized", "message": "Unauthorized"},
        ]
    }


def test_it_posts_an_agent_message_shaped_like_the_page(helpcrunch: VendorSession) -> None:
    response = helpcrunch.post(
        "/messages",
        json={
            "chat": 1,
            "text": "Can you can a can?",
            "markdownText": "Can you can a **can**?",
            "agent": 1,
            "type": "message",
        },
    )

    message = response.json()
    assert response.status_code == 200
    assert set(message) == MESSAGE_KEYS
    assert message["text"] == "Can you can a **can**?"
    assert "markdownText" not in message
    assert message["agent"] == {
        "id": 1,
        "name": "Demo Agent",
        "email": "agent.demo@switchboard.example",
        "role": "admin",
    }
    assert message["from"] == "agent"
    assert message["chat"] == 1
    assert isinstance(message["createdAt"], str)
    assert float(message["createdAt"]) > 1_700_000_000
    newest = helpcrunch.get("/chats/1/messages").json()["data"][0]
    assert newest["id"] == message["id"]


def test_it_posts_a_message_from_the_contact_when_agent_is_omitted(
    helpcrunch: VendorSession,
) -> None:
    before = helpcrunch.get("/chats/1").json()

    message = helpcrunch.post("/messages", json={"chat": 1, "text": "Дякую!"}).json()

    assert message["agent"] is None
    assert message["from"] == "customer"
    chat = helpcrunch.get("/chats/1").json()
    assert chat["lastMessageText"] == "Дякую!"
    assert float(chat["lastMessageAt"]) >= float(before["lastMessageAt"])
    assert chat["lastCustomerMessageAt"] == message["createdAt"]


def test_it_keeps_private_notes_out_of_the_last_message(helpcrunch: VendorSession) -> None:
    before = helpcrunch.get("/chats/1").json()["lastMessageText"]

    note = helpcrunch.post(
        "/messages", json={"chat": 1, "text": "VIP", "agent": 2, "type": "private"}
    ).json()

    assert note["type"] == "private"
    assert helpcrunch.get("/chats/1").json()["lastMessageText"] == before
    no_agent = helpcrunch.post("/messages", json={"chat": 1, "text": "x", "type": "private"})
    assert_helpcrunch_error(no_agent, 400, "agent")


def test_it_validates_messages(helpcrunch: VendorSession) -> None:
    def post(payload: dict[str, object]) -> requests.Response:
        return helpcrunch.post("/messages", json=payload)

    assert_helpcrunch_error(post({"chat": 1}), 400, "text")
    assert_helpcrunch_error(post({"chat": "abc", "text": "x"}), 400, "chat")
    assert_helpcrunch_error(post({"chat": 1, "text": "x", "agent": 999}), 400, "agent")
    assert_helpcrunch_error(post({"chat": 1, "text": "x", "type": "tech"}), 400, "type")
    assert_helpcrunch_error(post({"chat": 999999, "text": "x"}), 404, "not_found")
    assert_helpcrunch_error(
        helpcrunch.post("/messages", data=b"{nope", headers={"Content-Type": "application/json"}),
        400,
        "invalid_json",
    )


def test_it_lists_messages_newest_first_with_a_total(helpcrunch: VendorSession) -> None:
    page = helpcrunch.get("/chats/1/messages", params={"limit": 2}).json()

    assert set(page) == {"data", "total"}
    assert page["total"] == 4
    stamps = [float(m["createdAt"]) for m in helpcrunch.get("/chats/1/messages").json()["data"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len(page["data"]) == 2


def test_it_creates_unknown_tags_and_removes_them(helpcrunch: VendorSession) -> None:
    tagged = helpcrunch.put(
        "/customers/1/tags", json={"tags": [{"name": "Sandbox VIP", "color": "#c377e0"}]}
    ).json()

    assert {"name": "Sandbox VIP", "color": "#c377e0"} in tagged["tags"]
    assert "Sandbox VIP" in [t["name"] for t in helpcrunch.get("/customers/1").json()["tags"]]
    untagged = helpcrunch.delete("/customers/1/tags", json={"tags": [{"name": "Sandbox VIP"}]})
    assert "Sandbox VIP" not in [t["name"] for t in untagged.json()["tags"]]
    assert_helpcrunch_error(helpcrunch.put("/customers/1/tags", json={"tags": []}), 400, "tags")


def test_it_patches_only_the_fields_sent(helpcrunch: VendorSession) -> None:
    before = helpcrunch.get("/customers/2").json()

    after = helpcrunch.patch(
        "/customers/2", json={"company": "Нова Пошта", "customData": {"plan": "pro"}}
    ).json()

    assert after["company"] == "Нова Пошта"
    assert after["name"] == before["name"]
    assert after["email"] == before["email"]
    assert after["customData"] == {**before["customData"], "plan": "pro"}
    unexpected = helpcrunch.patch("/customers/2", json={"custom_data": {}})
    assert_helpcrunch_error(unexpected, 400, "custom_data")


def test_it_nulls_every_field_a_put_omits(helpcrunch: VendorSession) -> None:
    after = helpcrunch.put("/customers/3", json={"company": "ACME"}).json()

    assert after["company"] == "ACME"
    assert after["name"] is None
    assert after["email"] is None
    assert after["customData"] is None


def test_it_pages_customers_and_searches_them(helpcrunch: VendorSession) -> None:
    page = helpcrunch.get("/customers", params={"offset": 5, "limit": 5}).json()
    found = helpcrunch.post(
        "/customers/search",
        json={
            "filter": [
                {"field": "customers.email", "operator": "=", "value": "OKSANA.MELNYK@gmail.com"}
            ],
            "limit": 10,
        },
    ).json()

    assert set(page) == {"data", "total"}
    assert [c["id"] for c in page["data"]] == [6, 7, 8, 9, 10]
    assert page["total"] == 40
    assert [c["id"] for c in found["data"]] == [2]
    assert found["total"] == 1
    blank = helpcrunch.post("/customers/search", json={"filter": [{"operator": "="}]})
    assert_helpcrunch_error(blank, 400, "filter[0].field")
    assert_helpcrunch_error(helpcrunch.get("/customers", params={"limit": 101}), 400, "limit")


def test_it_sorts_chats_by_last_message_with_a_meta_total(helpcrunch: VendorSession) -> None:
    helpcrunch.post("/messages", json={"chat": 7, "text": "Привіт"})

    page = helpcrunch.get(
        "/chats", params={"sort": "chats.lastMessageAt", "order": "desc", "limit": 5}
    ).json()

    assert page["meta"] == {"total": 40}
    assert page["data"][0]["id"] == 7
    assert {"id", "customer", "assignee", "lastMessageAt", "status"} <= set(page["data"][0])
    stamps = [float(c["lastMessageAt"]) for c in page["data"]]
    assert stamps == sorted(stamps, reverse=True)
    bad = helpcrunch.get("/chats", params={"sort": "chats.nope"})
    assert_helpcrunch_error(bad, 400, "sort")


def test_it_seeds_timestamps_as_strings_with_fractions(helpcrunch: VendorSession) -> None:
    stamps = [
        m["createdAt"]
        for chat in range(1, 11)
        for m in helpcrunch.get(f"/chats/{chat}/messages").json()["data"]
    ]

    assert all(isinstance(s, str) for s in stamps)
    assert any("." in s for s in stamps)
    assert any("." not in s for s in stamps)


def test_it_lists_agents_with_a_meta_total(helpcrunch: VendorSession) -> None:
    agents = helpcrunch.get("/agents").json()

    assert agents["meta"]["total"] == len(agents["data"])
    assert agents["data"][0] == {
        "id": 1,
        "name": "Demo Agent",
        "email": "agent.demo@switchboard.example",
        "role": "admin",
    }
    assert_helpcrunch_error(helpcrunch.get("/customers/999999"), 404, "not_found")
