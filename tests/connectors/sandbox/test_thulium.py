"""The sandbox speaks Thulium's wire format (vendor pages 000-002 and the documented readers)."""

from __future__ import annotations

import json
import re

import requests

from connectors.sandbox.testing import SandboxHandle
from tests.connectors.sandbox.conftest import VendorSession

FEED_PAYLOAD = json.dumps(
    [
        {
            "id": "sample-id",
            "type": "text",
            "payload": {"message": "Zażółć gęślą jaźń"},
            "author": "customer",
            "time": "2021-02-02T10:10:12",
        }
    ]
)


def assert_thulium_error(response: requests.Response, status: int, fragment: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"request_id", "errors"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["request_id"])
    assert isinstance(body["errors"][0]["code"], int)
    assert fragment in body["errors"][0]["message"]


def test_it_answers_bad_credentials_with_thulium_401(sandbox: SandboxHandle) -> None:
    wrong = VendorSession(sandbox.thulium_url)
    wrong.auth = ("sandbox", "wrong")

    response = wrong.get("/tickets/1")

    assert_thulium_error(response, 401, "Invalid API user or password.")
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert VendorSession(sandbox.thulium_url).get("/agents").status_code == 401


def test_it_appends_an_agent_reply_to_the_ticket(
    thulium: VendorSession, sandbox: SandboxHandle
) -> None:
    before = len(thulium.get("/tickets/1").json()["messages"])

    response = thulium.post(
        "/tickets/1/agent_response",
        json={
            "body": "Dzień dobry, już sprawdzamy.",
            "user_login": "agent.demo",
            "body_type": "PLAIN",
            "date": "2026-05-18 13:56",
        },
    )

    assert response.status_code == 200
    assert response.json() == []
    ticket = thulium.get("/tickets/1").json()
    assert len(ticket["messages"]) == before + 1
    reply = ticket["messages"][-1]
    assert reply["type"] == "REPLY"
    assert reply["user_login"] == "agent.demo"
    assert reply["body"] == "Dzień dobry, już sprawdzamy."
    assert reply["body_type"] == "PLAIN"
    assert reply["date"] == "2026-05-18 13:56:00"
    assert ticket["status_id"] == "2"
    assert sandbox.state.thulium.tickets[1].messages[-1].body == "Dzień dobry, już sprawdzamy."


def test_it_refuses_a_reply_from_an_unknown_login(thulium: VendorSession) -> None:
    response = thulium.post(
        "/tickets/1/agent_response", json={"body": "Hello", "user_login": "nobody.here"}
    )

    assert_thulium_error(response, 400, "user_login")
    assert len(thulium.get("/tickets/1").json()["messages"]) == 3


def test_it_validates_reply_fields(thulium: VendorSession) -> None:
    def reply(payload: dict[str, object]) -> requests.Response:
        return thulium.post("/tickets/1/agent_response", json=payload)

    assert_thulium_error(reply({"user_login": "agent.demo"}), 400, "body")
    valid = {"body": "x", "user_login": "agent.demo"}
    assert_thulium_error(reply({**valid, "body_type": "MARKDOWN"}), 400, "body_type")
    assert_thulium_error(reply({**valid, "date": "2026-05-18T13:56:00"}), 400, "YYYY-MM-DD HH:MM")
    assert_thulium_error(reply({**valid, "attachments": ["missing"]}), 400, "attachments")
    assert_thulium_error(thulium.post("/tickets/999999/agent_response", json=valid), 404, "999999")


def test_it_attaches_uploaded_temporary_files(thulium: VendorSession) -> None:
    upload = thulium.post(
        "/temporary_files",
        params={"filename": "faktura.pdf"},
        data=b"%PDF-1.4 sandbox",
        headers={"Content-Type": "application/octet-stream"},
    )
    token = upload.json()["token"]
    assert upload.json() == {"filename": "faktura.pdf", "token": token, "size": 16}

    thulium.post(
        "/tickets/1/agent_response",
        json={"body": "<p>W załączniku</p>", "user_login": "agent.demo", "attachments": [token]},
    )

    reply = thulium.get("/tickets/1").json()["messages"][-1]
    assert reply["body_type"] == "HTML"
    assert reply["attachments"] == [{"filename": "faktura.pdf", "token": token, "size": 16}]


def test_it_stores_a_feed_record_and_answers_an_empty_body(
    thulium: VendorSession, sandbox: SandboxHandle
) -> None:
    updated_before = thulium.get("/customers/1").json()["updated_at"]

    response = thulium.post(
        "/customers/1/feed_records", json={"type": "ZOWIE", "payload": FEED_PAYLOAD}
    )

    assert response.status_code == 200
    assert response.content == b""
    record = sandbox.state.thulium.customers[1].feed_records[0]
    assert record.payload == FEED_PAYLOAD
    assert record.entries == json.loads(FEED_PAYLOAD)
    assert thulium.get("/customers/1").json()["updated_at"] > updated_before


def test_it_refuses_a_feed_payload_that_is_not_a_json_string(thulium: VendorSession) -> None:
    as_array = thulium.post(
        "/customers/1/feed_records", json={"type": "ZOWIE", "payload": json.loads(FEED_PAYLOAD)}
    )
    wrong_type = thulium.post("/customers/1/feed_records", json={"type": "NOTE", "payload": "[]"})

    assert_thulium_error(as_array, 400, "payload")
    assert_thulium_error(wrong_type, 400, "ZOWIE")


def test_it_answers_invalid_json_in_thulium_format(thulium: VendorSession) -> None:
    response = thulium.post(
        "/customers/1/feed_records",
        data=b'{"type": "ZOWIE", ',
        headers={"Content-Type": "application/json"},
    )

    assert_thulium_error(response, 400, "not valid JSON")


def test_it_tolerates_a_wrong_content_type(thulium: VendorSession) -> None:
    response = thulium.post(
        "/customers/1/feed_records",
        data=json.dumps({"type": "ZOWIE", "payload": "[]"}).encode(),
        headers={"Content-Type": "text/plain"},
    )

    assert response.status_code == 200


def test_it_starts_a_chat_from_query_parameters_and_matches_the_customer(
    thulium: VendorSession,
) -> None:
    by_client_id = thulium.post(
        "/chat_conversations/start", params={"chat_queue_id": 1, "client_id": "1234"}
    )
    by_email = thulium.post(
        "/chat_conversations/start",
        params={"chat_queue_id": 1, "client_email": "ANNA.NOWAK@gmail.com", "client_name": "Anna"},
    )
    nobody = thulium.post(
        "/chat_conversations/start", params={"chat_queue_id": 1, "client_email": "x@example.org"}
    )

    conversation_id = by_client_id.json()["conversation_id"]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", conversation_id
    )
    started = thulium.get(f"/chat_conversations/{conversation_id}").json()
    assert started["customer_id"] == 1
    assert started["chat_queue_id"] == 1
    assert (
        thulium.get(f"/chat_conversations/{by_email.json()['conversation_id']}").json()[
            "customer_id"
        ]
        == 1
    )
    assert (
        thulium.get(f"/chat_conversations/{nobody.json()['conversation_id']}").json()["customer_id"]
        is None
    )


def test_it_requires_an_existing_chat_queue(thulium: VendorSession) -> None:
    assert_thulium_error(thulium.post("/chat_conversations/start"), 400, "chat_queue_id")
    missing = thulium.post("/chat_conversations/start", params={"chat_queue_id": 99})
    assert_thulium_error(missing, 400, "chat_queue_id")


def test_it_pages_customers_as_a_bare_array(thulium: VendorSession) -> None:
    first = thulium.get("/customers", params={"limit": 10, "offset": 0}).json()
    second = thulium.get("/customers", params={"limit": 10, "offset": 10}).json()

    assert isinstance(first, list)
    assert [c["customer_id"] for c in first] == list(range(1, 11))
    assert [c["customer_id"] for c in second] == list(range(11, 21))
    assert set(first[0]) >= {
        "customer_id",
        "name",
        "surname",
        "email",
        "phone_number",
        "custom_fields",
        "updated_at",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", first[0]["updated_at"])
    assert_thulium_error(thulium.get("/customers", params={"limit": 101}), 400, "limit")


def test_it_filters_customers_by_email_phone_and_date(thulium: VendorSession) -> None:
    by_email = thulium.get("/customers", params={"email": "anna.nowak@gmail.com"}).json()
    by_phone = thulium.get("/customers", params={"phone_number": "+48601234567"}).json()
    thulium.post("/customers/5/feed_records", json={"type": "ZOWIE", "payload": "[]"})
    recent = thulium.get("/customers", params={"date_from": "2030-01-01"}).json()
    changed = thulium.get("/customers", params={"date_from": "2026-11-01 00:00"}).json()

    assert [c["customer_id"] for c in by_email] == [1]
    assert [c["customer_id"] for c in by_phone] == [1]
    assert recent == []
    assert 5 in [c["customer_id"] for c in changed]


def test_it_lists_tickets_with_filters_and_string_status(thulium: VendorSession) -> None:
    tickets = thulium.get("/tickets", params={"customer_id": 1}).json()
    open_or_new = thulium.get(
        "/tickets", params=[("status_id[]", "1"), ("status_id[]", "2")]
    ).json()

    assert 1 in [t["ticket_id"] for t in tickets]
    assert all(t["customer_id"] == 1 for t in tickets)
    assert "messages" not in tickets[0]
    assert {t["status_id"] for t in open_or_new} <= {"1", "2"}
    assert all(isinstance(t["status_id"], str) for t in open_or_new)


def test_it_shows_ticket_threads_with_all_message_types(thulium: VendorSession) -> None:
    types: set[str] = set()
    for ticket in thulium.get("/tickets", params={"limit": 100}).json():
        messages = thulium.get(f"/tickets/{ticket['ticket_id']}").json()["messages"]
        assert messages[0]["type"] == "MAIL"
        types.update(m["type"] for m in messages)

    assert types == {"MAIL", "REPLY", "COMMENT"}


def test_it_lists_agents_and_answers_unknown_ids_with_404(thulium: VendorSession) -> None:
    logins = [agent["login"] for agent in thulium.get("/agents").json()]

    assert "agent.demo" in logins
    assert_thulium_error(thulium.get("/customers/424242"), 404, "424242")
    assert_thulium_error(thulium.get("/chat_conversations/nope"), 404, "nope")
    assert_thulium_error(thulium.delete("/tickets/1"), 405, "Method")
