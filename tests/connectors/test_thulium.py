from __future__ import annotations

import base64
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from connectors.errors import InvalidRequest, PageLimitExceeded, TransportError
from connectors.thulium import FeedMessage, ThuliumClient
from connectors.transport import CallRecord
from tests.connectors import body_bytes, everything_said

API = "https://your-system-name.thulium.com/api"
WARSAW = ZoneInfo("Europe/Warsaw")

# vendor-docs 000, "Przykładowy request", byte for byte.
FEED_RECORD_BODY = (
    rb'{"type":"ZOWIE","payload":"[{\"id\":\"sample-id\",\"type\":\"text\",'
    rb"\"payload\":{\"message\":\"Sample message\"},\"author\":\"customer\","
    rb'\"time\":\"2021-02-02T10:10:12\"}]"}'
)
# vendor-docs 001, "Przykładowy request", byte for byte.
AGENT_RESPONSE_BODY = (
    b'{"body":"Hello world.","user_login":"testowy.agent17","date":"2014-07-14 12:34",'
    b'"attachments":["61527075253ba62a76ca5c"]}'
)


@pytest.fixture
def client(records: list[CallRecord]) -> ThuliumClient:
    return ThuliumClient(f"{API}/", "api_user", "api_pass", recorder=records.append)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- vendor-docs 000: POST customers/:id/feed_records -----------------------------------------


def test_it_adds_a_feed_record_byte_for_byte_as_the_vendor_page(rsps, client):
    rsps.post(f"{API}/customers/23/feed_records", body="")

    result = client.add_feed_record(
        23,
        [
            FeedMessage(
                id="sample-id", message="Sample message", time=datetime(2021, 2, 2, 10, 10, 12)
            )
        ],
    )

    request = rsps.calls[0].request
    assert result is None
    assert request.method == "POST"
    assert request.url == "https://your-system-name.thulium.com/api/customers/23/feed_records"
    assert body_bytes(request) == FEED_RECORD_BODY
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Content-Length"] == str(len(FEED_RECORD_BODY))
    assert request.headers["Authorization"] == _basic("api_user", "api_pass")


def test_it_renders_feed_times_in_the_system_time_zone(rsps, client):
    rsps.post(f"{API}/customers/23/feed_records", body="")

    # 09:10:12 UTC in February is 10:10:12 in Warsaw (CET, UTC+1).
    client.add_feed_record(
        "23",
        [
            FeedMessage(
                id="sample-id",
                message="Sample message",
                time=datetime(2021, 2, 2, 9, 10, 12, tzinfo=UTC),
            )
        ],
    )

    assert body_bytes(rsps.calls[0].request) == FEED_RECORD_BODY


def test_it_passes_plain_feed_messages_through_as_given(rsps, client):
    rsps.post(f"{API}/customers/23/feed_records", body="")
    message = {
        "id": "sample-id",
        "type": "text",
        "payload": {"message": "Sample message"},
        "author": "customer",
        "time": "2021-02-02T10:10:12",
    }

    client.add_feed_record(23, [message])

    assert body_bytes(rsps.calls[0].request) == FEED_RECORD_BODY


def test_it_counts_polish_text_in_bytes(rsps, client):
    rsps.post(f"{API}/customers/7/feed_records", body="")

    client.add_feed_record(
        7, [FeedMessage(id="m1", message="Zażółć gęślą jaźń", time=datetime(2024, 7, 1, 8, 0))]
    )

    request = rsps.calls[0].request
    sent = body_bytes(request)
    assert "Zażółć gęślą jaźń".encode() in sent  # UTF-8, not \\u escapes
    assert request.headers["Content-Length"] == str(len(sent))
    assert len(sent) > len(sent.decode("utf-8"))


def test_it_refuses_an_empty_feed_record(client):
    with pytest.raises(ValueError, match="at least one message"):
        client.add_feed_record(23, [])


# --- vendor-docs 001: POST tickets/:id/agent_response -----------------------------------------


def test_it_replies_to_a_ticket_byte_for_byte_as_the_vendor_page(rsps, client):
    rsps.post(f"{API}/tickets/1234/agent_response", json=[])

    result = client.reply_to_ticket(
        1234,
        "Hello world.",
        user_login="testowy.agent17",
        date=datetime(2014, 7, 14, 12, 34),
        attachments=["61527075253ba62a76ca5c"],
    )

    request = rsps.calls[0].request
    assert result is None
    assert request.url == "https://your-system-name.thulium.com/api/tickets/1234/agent_response"
    assert body_bytes(request) == AGENT_RESPONSE_BODY
    assert request.headers["Content-Length"] == str(len(AGENT_RESPONSE_BODY))


def test_it_sends_body_type_only_when_plain_and_omits_what_is_unset(rsps, client):
    rsps.post(f"{API}/tickets/9/agent_response", json=[])

    client.reply_to_ticket(9, "Dzień dobry", user_login="jan.kowalski", body_type="PLAIN")

    assert body_bytes(rsps.calls[0].request) == (
        '{"body":"Dzień dobry","body_type":"PLAIN","user_login":"jan.kowalski"}'.encode()
    )


def test_it_converts_an_aware_reply_date_to_warsaw_time(rsps, client):
    rsps.post(f"{API}/tickets/9/agent_response", json=[])

    # 10:34 UTC in July is 12:34 in Warsaw (CEST, UTC+2).
    client.reply_to_ticket(9, "x", user_login="a", date=datetime(2014, 7, 14, 10, 34, tzinfo=UTC))

    assert b'"date":"2014-07-14 12:34"' in body_bytes(rsps.calls[0].request)


def test_it_refuses_an_unknown_body_type(client):
    with pytest.raises(ValueError, match="HTML, PLAIN"):
        client.reply_to_ticket(9, "x", user_login="a", body_type="MARKDOWN")


# --- vendor-docs 002: POST chat_conversations/start -------------------------------------------


def test_it_starts_a_chat_with_the_vendor_pages_query_string_and_no_body(rsps, client, records):
    rsps.post(
        f"{API}/chat_conversations/start",
        json={"conversation_id": "6ed7c941-2c8a-411e-95d2-338a9f64800a"},
    )

    conversation_id = client.start_chat(3, client_id=1234)

    request = rsps.calls[0].request
    assert conversation_id == "6ed7c941-2c8a-411e-95d2-338a9f64800a"
    assert request.url == (
        "https://your-system-name.thulium.com/api/chat_conversations/start"
        "?chat_queue_id=3&client_id=1234"
    )
    assert request.body is None
    assert request.headers["Content-Length"] == "0"
    assert "Content-Type" not in request.headers
    assert records[0].idempotent is False


def test_it_puts_every_chat_parameter_in_the_query_in_the_pages_order(rsps, client):
    rsps.post(f"{API}/chat_conversations/start", json={"conversation_id": "c-1"})

    client.start_chat(
        3,
        customer_id=1,
        client_id="ext 9",
        client_email="jan.kowalski+chat@example.org",
        client_name="Jan",
        client_surname="Kowalski-Żółć",
    )

    assert rsps.calls[0].request.url.split("?", 1)[1] == (
        "chat_queue_id=3&client_name=Jan&client_surname=Kowalski-%C5%BB%C3%B3%C5%82%C4%87"
        "&client_email=jan.kowalski%2Bchat%40example.org&client_id=ext%209&customer_id=1"
    )


def test_it_complains_when_no_conversation_id_comes_back(rsps, client):
    rsps.post(f"{API}/chat_conversations/start", json={})

    with pytest.raises(TransportError, match="conversation_id"):
        client.start_chat(3)


# --- temporary files --------------------------------------------------------------------------


def test_it_uploads_a_temporary_file_as_raw_bytes(rsps, client, records):
    rsps.post(
        f"{API}/temporary_files",
        json={"filename": "umowa 1.pdf", "token": "61527075253ba62a76ca5c", "size": 5},
    )

    token = client.upload_temporary_file("umowa 1.pdf", b"%PDF-")

    request = rsps.calls[0].request
    assert token == "61527075253ba62a76ca5c"
    assert request.url == f"{API}/temporary_files?filename=umowa%201.pdf"
    assert body_bytes(request) == b"%PDF-"
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert records[0].request_body == "<5 bytes application/octet-stream>"
    assert records[0].idempotent is False


# --- errors -----------------------------------------------------------------------------------


def test_it_maps_a_thulium_error_with_its_request_id(rsps, client, records):
    rsps.post(
        f"{API}/tickets/1234/agent_response",
        status=400,
        json={
            "request_id": "5f0c1e2d3b4a",
            "errors": [{"message": "Ticket is closed", "code": 111111}],
        },
    )

    with pytest.raises(InvalidRequest) as raised:
        client.reply_to_ticket(1234, "Hello world.", user_login="testowy.agent17")

    error = raised.value
    assert str(error) == "Ticket is closed"
    assert error.status == 400
    assert error.errors == [{"code": 111111, "message": "Ticket is closed"}]
    assert error.request_id == "5f0c1e2d3b4a"
    assert error.retryable is False
    assert records[0].request_id == "5f0c1e2d3b4a"


def test_it_keeps_the_password_out_of_errors_and_records(rsps, records):
    client = ThuliumClient(API, "api_user", "Tajne-Hasło-1", recorder=records.append)
    rsps.get(f"{API}/customers", status=401, json={"errors": [{"message": "Unauthorized"}]})

    with pytest.raises(Exception) as raised:  # noqa: PT011 - any error; we read what it says
        client.check_connection()

    said = everything_said(raised.value, *records, client)
    assert "Tajne-Hasło-1" not in said
    assert base64.b64encode(b"api_user:" + "Tajne-Hasło-1".encode()).decode() not in said
    assert records[0].request_headers["Authorization"] == "[redacted]"


# --- readers ----------------------------------------------------------------------------------


def _customer(n: int, **extra: object) -> dict[str, object]:
    return {"customer_id": n, "name": f"Jan {n}", "surname": "Kowalski", **extra}


def test_it_reads_customers_page_after_page_until_a_short_page(rsps, client):
    rsps.get(f"{API}/customers", json=[_customer(n) for n in range(100)])
    rsps.get(f"{API}/customers", json=[_customer(n) for n in range(100, 103)])

    customers = list(client.iter_customers(email="jan@example.org"))

    assert [c.customer_id for c in customers] == list(range(103))
    assert [call.request.url.split("?", 1)[1] for call in rsps.calls] == [
        "email=jan%40example.org&include_custom_fields=true&limit=100&offset=0",
        "email=jan%40example.org&include_custom_fields=true&limit=100&offset=100",
    ]


@pytest.mark.parametrize("key", ["data", "items", "customers", "results"])
def test_it_accepts_a_customer_list_wrapped_in_an_object(rsps, client, key):
    rsps.get(f"{API}/customers", json={key: [_customer(1)], "total": 1})

    assert [c.customer_id for c in client.iter_customers()] == [1]


def test_it_reads_a_customer_tolerantly(rsps, client):
    rsps.get(
        f"{API}/customers/273",
        json={
            "customer_id": 273,
            "name": "Jan",
            "surname": "Kowalski",
            "phone_number": "222333444",
            "email": "jan.kowalski@foo.bar",
            "updated_at": "2024-07-01 10:15",
            "custom_fields": {"ID": None, "Dodatkowe informacje": "Numer dowodu - AXX 121212"},
            "phone_numbers": ["222333444", "213443523"],
        },
    )
    rsps.get(f"{API}/customers/274", json={"customer_id": "274", "updated_at": ""})

    full = client.get_customer(273)
    sparse = client.get_customer(274)

    assert rsps.calls[0].request.url == f"{API}/customers/273?include_custom_fields=true"
    assert (full.name, full.surname, full.email, full.phone_number) == (
        "Jan",
        "Kowalski",
        "jan.kowalski@foo.bar",
        "222333444",
    )
    assert full.custom_fields["Dodatkowe informacje"] == "Numer dowodu - AXX 121212"
    assert full.updated_at == datetime(2024, 7, 1, 10, 15, tzinfo=WARSAW)
    assert full.raw["phone_numbers"] == ["222333444", "213443523"]  # unknown keys kept
    assert (sparse.customer_id, sparse.name, sparse.updated_at, sparse.custom_fields) == (
        274,
        None,
        None,
        {},
    )


def test_it_reads_tickets_with_its_filters(rsps, client):
    rsps.get(f"{API}/tickets", json=[{"ticket_id": 1, "status_id": "2"}])

    tickets = list(
        client.iter_tickets(
            date_from=datetime(2014, 7, 4, 8, 5), customer_id=32122, status_ids=[1, 2]
        )
    )

    assert tickets[0].status_id == "2"
    assert rsps.calls[0].request.url.split("?", 1)[1] == (
        "date_from=2014-07-04%2008%3A05&customer_id=32122&status_id%5B%5D=1&status_id%5B%5D=2"
        "&limit=100&offset=0"
    )


def test_it_reads_a_ticket_with_its_messages(rsps, client):
    rsps.get(
        f"{API}/tickets/1234",
        json={
            "ticket_id": 1234,
            "subject": "Example ticket subject",
            "status_id": "2",
            "customer_id": 32122,
            "created_at": "2014-07-08 08:05",
            "updated_at": "2014-07-11 08:05",
            "ticket_queue_id": 32,
            "messages": [
                {
                    "message_id": 431,
                    "user_login": None,
                    "type": "MAIL",
                    "body": "<p>Pomocy</p>",
                    "created_at": "2014-07-08 08:00",
                },
                {
                    "message_id": 432,
                    "user_login": "akowalski",
                    "type": "COMMENT",
                    "body": "",
                    "comment": "Example comment",
                    "created_at": "2014-07-08 08:05",
                },
                {"type": "REPLY", "body": "Dzień dobry"},
            ],
        },
    )

    ticket = client.get_ticket(1234)

    assert (ticket.ticket_id, ticket.subject, ticket.status_id, ticket.customer_id) == (
        1234,
        "Example ticket subject",
        "2",
        32122,
    )
    assert ticket.created_at == datetime(2014, 7, 8, 8, 5, tzinfo=WARSAW)
    assert ticket.raw["ticket_queue_id"] == 32
    assert [(m.id, m.type, m.body) for m in ticket.messages] == [
        (431, "MAIL", "<p>Pomocy</p>"),
        (432, "COMMENT", "Example comment"),
        (None, "REPLY", "Dzień dobry"),
    ]
    assert ticket.messages[1].user_login == "akowalski"


def test_it_stops_at_the_page_cap_and_says_so(rsps, client):
    rsps.get(f"{API}/tickets", json=[{"ticket_id": n} for n in range(2)])
    rsps.get(f"{API}/tickets", json=[{"ticket_id": n} for n in range(2, 4)])
    seen: list[int] = []

    with pytest.raises(PageLimitExceeded):
        seen.extend(t.ticket_id for t in client.iter_tickets(page_size=2, max_pages=2))

    assert seen == [0, 1, 2, 3]
    assert len(rsps.calls) == 2


def test_it_skips_records_repeated_across_pages(rsps, client):
    rsps.get(f"{API}/customers", json=[_customer(1), _customer(2)])
    rsps.get(f"{API}/customers", json=[_customer(2)])

    assert [c.customer_id for c in client.iter_customers(page_size=2)] == [1, 2]


def test_it_checks_the_connection_with_one_cheap_read(rsps, client):
    rsps.get(f"{API}/customers", json=[])

    client.check_connection()

    assert rsps.calls[0].request.url == f"{API}/customers?limit=1"
    assert rsps.calls[0].request.method == "GET"
