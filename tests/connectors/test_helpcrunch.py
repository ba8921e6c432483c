from __future__ import annotations

import json

import pytest

from connectors.errors import (
    AuthenticationError,
    InvalidRequest,
    NotFound,
    PageLimitExceeded,
    RateLimited,
)
from connectors.helpcrunch import HelpCrunchClient, HelpCrunchMessage
from connectors.transport import CallRecord
from tests.connectors import body_bytes, everything_said, sent_json

API = "https://api.helpcrunch.com/v1"
KEY = "hc-live-7f3e2d1c0b9a8"

# vendor-docs 003: the request example, as compact JSON bytes.
MESSAGE_BODY = (
    b'{"chat":5215261,"text":"Can you can a can as a canner can can a can?",'
    b'"markdownText":"Can you can a **can** as a canner can can a **can**",'
    b'"agent":4188,"type":"message"}'
)
# vendor-docs 003: the successful response example.
MESSAGE_RESPONSE = {
    "id": 542335,
    "agent": {"id": 542335, "name": "string", "email": "string", "role": "string"},
    "type": "tech",
    "text": "string",
    "read": True,
    "createdAt": "1603885746",
    "updatedAt": "1603885746",
    "edited": True,
    "broadcastType": "trigger",
    "chat": 542335,
    "from": "agent",
}
ERRORS_400 = {
    "errors": [
        {"code": "invalid_request", "message": "Invalid request"},
        {"code": "customer", "message": "This value should be of type numeric."},
        {"code": "filter[0].field", "message": "This value should not be blank."},
    ]
}
ERRORS_401 = {
    "errors": [
        {"code": "invalid_request", "message": "Invalid request"},
        {"code": "unauthorized", "message": "Unauthorized"},
    ]
}
ERRORS_429 = {
    "errors": [
        {"code": "invalid_request", "message": "Invalid request"},
        {"code": "too_many_requests", "message": "Too many requests"},
    ]
}


@pytest.fixture
def client(records: list[CallRecord]) -> HelpCrunchClient:
    return HelpCrunchClient(KEY, recorder=records.append)


# --- vendor-docs 003: POST /messages ----------------------------------------------------------


def test_it_posts_a_message_byte_for_byte_as_the_vendor_page(rsps, client, records):
    rsps.post(f"{API}/messages", json=MESSAGE_RESPONSE)

    message = client.send_message(
        5215261,
        "Can you can a can as a canner can can a can?",
        markdown_text="Can you can a **can** as a canner can can a **can**",
        agent_id=4188,
    )

    request = rsps.calls[0].request
    assert request.method == "POST"
    assert request.url == "https://api.helpcrunch.com/v1/messages"
    assert body_bytes(request) == MESSAGE_BODY
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Content-Length"] == str(len(MESSAGE_BODY))
    assert records[0].idempotent is False
    assert isinstance(message, HelpCrunchMessage)
    assert message.id == message["id"] == 542335
    assert message["from"] == message.from_ == "agent"
    assert message.agent == MESSAGE_RESPONSE["agent"]
    assert message.created_at == 1603885746.0
    assert message.raw["broadcastType"] == "trigger"


def test_it_omits_the_agent_for_a_message_from_the_contact(rsps, client):
    rsps.post(f"{API}/messages", json={**MESSAGE_RESPONSE, "agent": None, "from": "customer"})

    message = client.send_message("5215261", "Dzień dobry, mam pytanie o fakturę")

    assert body_bytes(rsps.calls[0].request) == (
        '{"chat":5215261,"text":"Dzień dobry, mam pytanie o fakturę","type":"message"}'.encode()
    )
    assert message.agent is None
    assert message.get("markdownText") is None


def test_it_posts_a_private_note(rsps, client):
    rsps.post(f"{API}/messages", json=MESSAGE_RESPONSE)

    client.send_message(1, "internal", agent_id="4188", type="private")

    assert sent_json(rsps.calls[0].request) == {
        "chat": 1,
        "text": "internal",
        "agent": 4188,
        "type": "private",
    }


def test_it_refuses_an_unknown_message_type_or_a_non_numeric_chat(client):
    with pytest.raises(ValueError, match="message, private"):
        client.send_message(1, "x", type="broadcast")
    with pytest.raises(ValueError, match="chat_id"):
        client.send_message("chat-1", "x")


def test_it_parses_fractional_string_timestamps(rsps, client):
    rsps.post(
        f"{API}/messages",
        json={"id": 9577571, "createdAt": "1594139170.913", "chat": 5215261, "text": "hi"},
    )

    message = client.send_message(5215261, "hi")

    assert message.created_at == 1594139170.913
    assert message.chat == 5215261


# --- errors (vendor-docs 003) -----------------------------------------------------------------


def test_it_maps_a_400_to_invalid_request_in_the_vendors_words(rsps, client):
    rsps.post(f"{API}/messages", status=400, json=ERRORS_400)

    with pytest.raises(InvalidRequest) as raised:
        client.send_message(1, "x")

    error = raised.value
    assert str(error) == (
        "Invalid request; This value should be of type numeric.; This value should not be blank."
    )
    assert error.status == 400
    assert error.errors == ERRORS_400["errors"]
    assert error.retryable is False
    assert error.request_id is None


def test_it_maps_a_401_to_an_authentication_error(rsps, client):
    rsps.post(f"{API}/messages", status=401, json=ERRORS_401)

    with pytest.raises(AuthenticationError) as raised:
        client.send_message(1, "x")

    assert str(raised.value) == "Invalid request; Unauthorized"
    assert raised.value.errors[1] == {"code": "unauthorized", "message": "Unauthorized"}
    assert raised.value.retryable is False


@pytest.mark.parametrize(("header", "retry_after"), [({"Retry-After": "60"}, 60.0), ({}, None)])
def test_it_maps_a_429_to_rate_limited(rsps, client, header, retry_after):
    rsps.post(f"{API}/messages", status=429, json=ERRORS_429, headers=header)

    with pytest.raises(RateLimited) as raised:
        client.send_message(1, "x")

    assert str(raised.value) == "Invalid request; Too many requests"
    assert raised.value.retry_after == retry_after
    assert raised.value.retryable is True


def test_it_keeps_the_api_key_out_of_errors_and_records(rsps, client, records):
    rsps.post(f"{API}/messages", status=401, json=ERRORS_401)
    rsps.get(f"{API}/agents", body=ConnectionError("reset"))

    errors = []
    with pytest.raises(AuthenticationError) as first:
        client.send_message(1, "x")
    errors.append(first.value)
    with pytest.raises(Exception) as second:  # noqa: PT011
        client.check_connection()
    errors.append(second.value)

    said = everything_said(*errors, *records, client)
    assert KEY not in said
    assert all(r.request_headers["Authorization"] == "[redacted]" for r in records)


# --- tags and updates -------------------------------------------------------------------------


def test_it_tags_and_untags_a_customer(rsps, client, records):
    customer = {"id": 7831827, "tags": [{"name": "vip", "color": "#c377e0"}]}
    rsps.put(f"{API}/customers/7831827/tags", json=customer)
    rsps.delete(f"{API}/customers/7831827/tags", json={"id": 7831827, "tags": []})

    tagged = client.add_tags(7831827, ["vip", ("Paid", "#c377e0"), {"name": "Lead"}])
    untagged = client.remove_tags(7831827, ["vip"])

    put, delete = (call.request for call in rsps.calls)
    assert (put.method, delete.method) == ("PUT", "DELETE")
    assert body_bytes(put) == (
        b'{"tags":[{"name":"vip"},{"name":"Paid","color":"#c377e0"},{"name":"Lead"}]}'
    )
    assert body_bytes(delete) == b'{"tags":[{"name":"vip"}]}'
    assert tagged is not None
    assert tagged.tags == ["vip"]
    assert untagged is not None
    assert untagged.tags == []
    assert all(r.idempotent for r in records)


def test_it_refuses_a_bare_string_of_tags(client):
    with pytest.raises(TypeError):
        client.add_tags(1, "vip")
    with pytest.raises(ValueError, match="no tags"):
        client.add_tags(1, [])


def test_it_updates_a_customer_with_patch_never_put(rsps, client):
    rsps.patch(f"{API}/customers/42", json={"id": 42, "name": "Łucja"})

    customer = client.update_customer(42, {"name": "Łucja", "customData": {"plan": "gold"}})

    request = rsps.calls[0].request
    assert request.method == "PATCH"
    assert body_bytes(request) == '{"name":"Łucja","customData":{"plan":"gold"}}'.encode()
    assert customer is not None
    assert customer.name == "Łucja"


# --- readers ----------------------------------------------------------------------------------


def test_it_reads_customers_until_the_top_level_total(rsps, client):
    rsps.get(f"{API}/customers", json={"data": [{"id": n} for n in range(100)], "total": 150})
    rsps.get(f"{API}/customers", json={"data": [{"id": n} for n in range(100, 150)], "total": 150})

    ids = [c.id for c in client.iter_customers()]

    assert ids == list(range(150))
    assert [c.request.url for c in rsps.calls] == [
        f"{API}/customers?offset=0&limit=100",
        f"{API}/customers?offset=100&limit=100",
    ]


def test_it_keeps_reading_when_the_vendor_returns_fewer_than_asked_but_total_says_more(
    rsps, client
):
    rsps.get(f"{API}/agents", json={"data": [{"id": 1}, {"id": 2}], "meta": {"total": 3}})
    rsps.get(f"{API}/agents", json={"data": [{"id": 3}], "meta": {"total": 3}})

    assert [a.id for a in client.iter_agents(page_size=5)] == [1, 2, 3]
    assert rsps.calls[1].request.url == f"{API}/agents?offset=2&limit=5"


def test_it_reads_a_customer_tolerantly(rsps, client):
    rsps.get(
        f"{API}/customers/7831827",
        json={
            "id": 7831827,
            "name": "Hakim Zarakim",
            "email": "hzarakim@example.com",
            "userId": "example_22",
            "phone": None,
            "lastSeen": 1593547200,
            "tags": [{"name": "Lead", "color": "#ccc"}, {"name": "Paid", "color": "#c377e0"}],
            "customData": {"subscription_status": "Active"},
            "device": {"platform": "desktop"},
        },
    )
    rsps.get(f"{API}/customers/1", json={"id": "1"})

    full = client.get_customer(7831827)
    sparse = client.get_customer(1)

    assert (full.name, full.email, full.user_id, full.phone) == (
        "Hakim Zarakim",
        "hzarakim@example.com",
        "example_22",
        None,
    )
    assert full.tags == ["Lead", "Paid"]
    assert full.custom_data == {"subscription_status": "Active"}
    assert full.last_seen == 1593547200.0
    assert full.raw["device"] == {"platform": "desktop"}
    assert (sparse.id, sparse.tags, sparse.custom_data, sparse.last_seen) == (1, [], {}, None)


def test_it_reads_chats_sorted_by_last_message_for_incremental_sync(rsps, client):
    chat = {
        "id": 5217453,
        "status": "on hold",
        "createdAt": 1593108596,
        "lastMessageAt": "1593151172.5",
        "customer": {"id": 9740824, "name": "mateus"},
        "assignee": {"id": 6691, "name": "Lisa Rodes"},
        "department": None,
    }
    rsps.get(
        f"{API}/chats", json={"data": [chat, {"id": 2, "assignee": None}], "meta": {"total": 2}}
    )

    chats = list(client.iter_chats(sort="chats.lastMessageAt", order="desc"))

    assert rsps.calls[0].request.url == (
        f"{API}/chats?sort=chats.lastMessageAt&order=desc&offset=0&limit=100"
    )
    first, second = chats
    assert (first.id, first.customer_id, first.assignee_id, first.status) == (
        5217453,
        9740824,
        6691,
        "on hold",
    )
    assert (first.created_at, first.last_message_at) == (1593108596.0, 1593151172.5)
    assert (second.customer_id, second.assignee_id, second.status) == (None, None, None)


def test_it_reads_a_chats_messages_newest_first(rsps, client):
    rsps.get(
        f"{API}/chats/5215261/messages",
        json={
            "data": [
                {"id": 9577571, "createdAt": "1594139170.913", "from": "customer", "agent": None},
                {
                    "id": 9577567,
                    "createdAt": "1593887537.924",
                    "from": "agent",
                    "agent": {"id": 4188, "name": "Frodo"},
                },
            ],
            "total": 2,
        },
    )

    messages = list(client.iter_chat_messages(5215261))

    assert [m.id for m in messages] == [9577571, 9577567]
    assert messages[0].created_at is not None
    assert messages[1].created_at is not None
    assert messages[0].created_at > messages[1].created_at
    assert messages[1].agent == {"id": 4188, "name": "Frodo"}


def test_it_accepts_messages_listed_under_messages(rsps, client):
    rsps.get(f"{API}/chats/1/messages", json={"messages": [{"id": 5}], "total": 1})

    assert [m.id for m in client.iter_chat_messages(1)] == [5]


def test_it_gets_one_chat(rsps, client):
    rsps.get(f"{API}/chats/77", json={"data": {"id": 77, "customer": {"id": 5}}})

    assert client.get_chat(77).customer_id == 5


def test_it_searches_customers_with_a_post_that_is_safe_to_repeat(rsps, client, records):
    rsps.post(f"{API}/customers/search", json={"data": [{"id": 1}], "total": 1})

    found = list(
        client.search_customers(
            [{"field": "customers.email", "operator": "=", "value": "jan@example.org"}]
        )
    )

    assert [c.id for c in found] == [1]
    assert json.loads(body_bytes(rsps.calls[0].request)) == {
        "filter": [{"field": "customers.email", "operator": "=", "value": "jan@example.org"}],
        "comparison": "AND",
        "limit": 100,
        "offset": 0,
    }
    assert records[0].idempotent is True


def test_it_stops_at_the_page_cap_and_says_so(rsps, client):
    for start in (0, 2):
        rsps.get(f"{API}/customers", json={"data": [{"id": start}, {"id": start + 1}], "total": 9})

    with pytest.raises(PageLimitExceeded):
        list(client.iter_customers(page_size=2, max_pages=2))

    assert len(rsps.calls) == 2


def test_it_refuses_a_page_size_above_the_vendors_limit(client):
    with pytest.raises(ValueError, match="page_size"):
        list(client.iter_customers(page_size=101))


def test_it_checks_the_connection_with_one_cheap_read(rsps, client):
    rsps.get(f"{API}/agents", json={"data": [], "meta": {"total": 0}})
    rsps.get(f"{API}/agents", status=404, json={"errors": [{"code": "x", "message": "No route"}]})

    client.check_connection()
    with pytest.raises(NotFound):
        client.check_connection()

    assert rsps.calls[0].request.url == f"{API}/agents?limit=1"
