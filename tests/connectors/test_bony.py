from __future__ import annotations

import pytest

from connectors.bony import BonyClient, BonyContact
from connectors.errors import (
    AuthenticationError,
    Forbidden,
    InvalidRequest,
    NotFound,
    PageLimitExceeded,
    RateLimited,
    ServerError,
)
from connectors.transport import CallRecord
from tests.connectors import body_bytes, everything_said, sent_json

API = "https://app.bony.chat/api/v1"
TOKEN = "bony-channel-token-9c8b7a"
CONTACT = {
    "id": "1776025372480910",
    "custom_fields": {
        "firstName": "Mahin",
        "lastName": "Dar",
        "locale": "en_GB",
        "timezone": "5",
        "gender": "male",
        "phone": "123123",
        "email": "muhammad@bony.chat",
        "customerid": "1",
    },
    "tags": ["Blog Updates", "Platform Updates"],
    "created_at": 1575618542,
}


def _page(contacts: list[dict[str, object]], current: int, last: int, next_link: str | None):
    """A by_custom_field page shaped like vendor-docs 004 (links point at http://)."""
    return {
        "data": contacts,
        "links": {
            "first": "http://app.bony.chat/api/v1/contact/by_custom_field?page=1",
            "last": f"http://app.bony.chat/api/v1/contact/by_custom_field?page={last}",
            "prev": None,
            "next": next_link,
        },
        "meta": {"current_page": current, "last_page": last, "per_page": 10, "total": 99},
    }


@pytest.fixture
def client(records: list[CallRecord]) -> BonyClient:
    return BonyClient(TOKEN, recorder=records.append)


# --- vendor-docs 004: find contacts by custom field -------------------------------------------


def test_it_finds_contacts_with_the_vendor_pages_query_string(rsps, client):
    rsps.get(f"{API}/contact/by_custom_field", json=_page([CONTACT], 1, 1, None))

    contacts = list(client.find_contacts("firstName", "Muhammad Mahin"))

    request = rsps.calls[0].request
    assert request.method == "GET"
    assert request.url == (
        "https://app.bony.chat/api/v1/contact/by_custom_field?name=firstName&value=Muhammad%20Mahin"
    )
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert contacts == [
        BonyContact(
            id="1776025372480910",
            custom_fields=CONTACT["custom_fields"],
            tags=["Blog Updates", "Platform Updates"],
            created_at=1575618542,
            raw=CONTACT,
        )
    ]


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("+48 600 700 800", "%2B48%20600%20700%20800"),
        (True, "TRUE"),
        (False, "FALSE"),
        ("jan+tag@example.org", "jan%2Btag%40example.org"),
        ("Łódź & co", "%C5%81%C3%B3d%C5%BA%20%26%20co"),
    ],
)
def test_it_encodes_lookup_values_like_the_vendor_expects(rsps, client, value, encoded):
    rsps.get(f"{API}/contact/by_custom_field", json=_page([], 1, 1, None))

    list(client.find_contacts("phone", value))

    assert rsps.calls[0].request.url.endswith(f"?name=phone&value={encoded}")


def test_it_follows_every_page_on_its_own_base_url_keeping_the_filter(rsps, client):
    rsps.get(
        f"{API}/contact/by_custom_field",
        json=_page(
            [{**CONTACT, "id": "1"}],
            1,
            3,
            "http://app.bony.chat/api/v1/contact/by_custom_field?page=2",
        ),
    )
    rsps.get(
        f"{API}/contact/by_custom_field",
        json=_page([{**CONTACT, "id": "2"}], 2, 3, "https://attacker.example/steal?page=3&value=x"),
    )
    rsps.get(f"{API}/contact/by_custom_field", json=_page([{**CONTACT, "id": "3"}], 3, 3, None))

    ids = [c.id for c in client.find_contacts("email", "muhammad@bony.chat")]

    assert ids == ["1", "2", "3"]
    assert [call.request.url for call in rsps.calls] == [
        f"{API}/contact/by_custom_field?name=email&value=muhammad%40bony.chat",
        f"{API}/contact/by_custom_field?name=email&value=muhammad%40bony.chat&page=2",
        f"{API}/contact/by_custom_field?name=email&value=muhammad%40bony.chat&page=3",
    ]


def test_it_pages_by_meta_when_links_are_missing(rsps, client):
    rsps.get(
        f"{API}/contact/by_custom_field",
        json={"data": [CONTACT], "meta": {"current_page": 1, "last_page": 2}},
    )
    rsps.get(
        f"{API}/contact/by_custom_field",
        json={"data": [], "meta": {"current_page": 2, "last_page": 2}},
    )

    assert len(list(client.find_contacts("firstName", "Mahin"))) == 1
    assert rsps.calls[1].request.url.endswith("&page=2")


def test_it_stops_at_the_page_cap_and_says_so(rsps, client):
    for page in (1, 2):
        rsps.get(
            f"{API}/contact/by_custom_field",
            json=_page([{**CONTACT, "id": str(page)}], page, 50, f"{API}/x?page={page + 1}"),
        )
    seen: list[str] = []

    with pytest.raises(PageLimitExceeded):
        seen.extend(c.id for c in client.find_contacts("gender", "male", max_pages=2))

    assert seen == ["1", "2"]


def test_it_gets_a_contact(rsps, client):
    rsps.get(f"{API}/contact/1776025372480910", json={"data": {**CONTACT, "status": "open"}})

    contact = client.get_contact("1776025372480910")

    assert contact.custom_fields["email"] == "muhammad@bony.chat"
    assert contact.raw["status"] == "open"


def test_it_reads_a_contact_with_missing_optional_keys(rsps, client):
    rsps.get(f"{API}/contact/5", json={"data": {"id": 5}})

    assert client.get_contact(5) == BonyContact(id="5", raw={"id": 5})


# --- updates and creation: at most 30 fields a request ----------------------------------------


def test_it_updates_a_contact_with_the_vendor_pages_body(rsps, client, records):
    rsps.put(f"{API}/contact/1776025372480910", json={"data": {"id": "cus_112233344555"}})

    reported = client.update_contact(
        "1776025372480910", {"firstName": "Muhammad Mahin", "lastName": "Dar"}
    )

    request = rsps.calls[0].request
    assert reported == "cus_112233344555"
    assert request.method == "PUT"
    assert body_bytes(request) == (
        b'{"custom_fields":[{"name":"firstName","value":"Muhammad Mahin"},'
        b'{"name":"lastName","value":"Dar"}]}'
    )
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert records[0].idempotent is True


def test_it_splits_an_update_of_31_fields_into_two_requests_in_order(rsps, client):
    rsps.put(f"{API}/contact/77", json={"data": {"id": "77"}})
    fields = {f"field{n:02}": f"wartość {n}" for n in range(31)}

    client.update_contact(77, fields)

    sent = [sent_json(call.request)["custom_fields"] for call in rsps.calls]
    assert [len(chunk) for chunk in sent] == [30, 1]
    assert [f["name"] for chunk in sent for f in chunk] == list(fields)
    assert sent[1] == [{"name": "field30", "value": "wartość 30"}]


def test_it_sends_booleans_as_true_and_false(rsps, client):
    rsps.put(f"{API}/contact/77", json={"data": {"id": "77"}})

    client.update_contact(77, {"vip": True, "blocked": False})

    assert body_bytes(rsps.calls[0].request) == (
        b'{"custom_fields":[{"name":"vip","value":"TRUE"},{"name":"blocked","value":"FALSE"}]}'
    )


def test_it_creates_a_contact_with_the_vendor_pages_body(rsps, client, records):
    rsps.post(f"{API}/contact", json={"data": {"id": "cus_112233344555"}})

    created = client.create_contact(
        {"phone": "03244077087", "firstName": "Muhammad Mahin", "lastName": "Dar"}
    )

    request = rsps.calls[0].request
    assert created == "cus_112233344555"
    assert request.url == "https://app.bony.chat/api/v1/contact"
    assert body_bytes(request) == (
        b'{"custom_fields":[{"name":"phone","value":"03244077087"},'
        b'{"name":"firstName","value":"Muhammad Mahin"},{"name":"lastName","value":"Dar"}]}'
    )
    assert records[0].idempotent is False


def test_it_creates_with_30_fields_and_updates_the_other_15(rsps, client):
    rsps.post(f"{API}/contact", json={"data": {"id": "555"}})
    rsps.put(f"{API}/contact/555", json={"data": {"id": "555"}})
    fields = {f"f{n:02}": str(n) for n in range(45)}

    assert client.create_contact(fields) == "555"

    create, update = (call.request for call in rsps.calls)
    assert (create.method, update.method) == ("POST", "PUT")
    assert [f["name"] for f in sent_json(create)["custom_fields"]] == list(fields)[:30]
    assert [f["name"] for f in sent_json(update)["custom_fields"]] == list(fields)[30:]


def test_it_tells_which_contact_was_created_when_a_follow_up_fails(rsps, client):
    rsps.post(f"{API}/contact", json={"data": {"id": "555"}})
    rsps.put(f"{API}/contact/555", status=503, body="")

    with pytest.raises(ServerError) as raised:
        client.create_contact({f"f{n}": "x" for n in range(31)})

    assert raised.value.created_id == "555"


# --- tags: at most 10 a request ---------------------------------------------------------------


def test_it_adds_tags_with_the_vendor_pages_body(rsps, client):
    rsps.post(
        f"{API}/contact/1776025372480910/tags",
        json={
            "status": "success",
            "message": "Contact Tags have been added successfully.",
            "data": [],
        },
    )

    assert client.add_tags("1776025372480910", ["Blog Updates", "Platform Updates"]) is None

    assert body_bytes(rsps.calls[0].request) == b'{"tags":["Blog Updates","Platform Updates"]}'


@pytest.mark.parametrize("method", ["add_tags", "remove_tags"])
def test_it_splits_25_tags_into_requests_of_10_10_and_5(rsps, client, records, method):
    http = "POST" if method == "add_tags" else "DELETE"
    rsps.add(http, f"{API}/contact/9/tags", json={"status": "success", "message": "", "data": []})
    tags = [f"tag-{n}" for n in range(25)]

    getattr(client, method)(9, tags)

    sent = [sent_json(call.request)["tags"] for call in rsps.calls]
    assert [len(chunk) for chunk in sent] == [10, 10, 5]
    assert [t for chunk in sent for t in chunk] == tags
    assert {call.request.method for call in rsps.calls} == {http}
    assert all(r.idempotent for r in records)


# --- messages ---------------------------------------------------------------------------------


def test_it_sends_a_text_message(rsps, client, records):
    rsps.post(
        f"{API}/message/sendContent/1776025372480910",
        json={"status": "Success", "message": "Message Sent", "data": []},
    )

    client.send_text("1776025372480910", "Zażółć gęślą jaźń")

    request = rsps.calls[0].request
    expected = '{"body":[{"type":"text","text":"Zażółć gęślą jaźń"}]}'.encode()
    assert body_bytes(request) == expected
    assert request.headers["Content-Length"] == str(len(expected))
    assert records[0].idempotent is False


# --- Viber: base64 contact ids in every path --------------------------------------------------


def test_it_base64_encodes_contact_ids_on_viber_channels(rsps):
    client = BonyClient(TOKEN, viber=True)
    viber_id = "01ab+/cd=="  # base64 "MDFhYisvY2Q9PQ==" -> %3D%3D in the path
    encoded = "MDFhYisvY2Q9PQ%3D%3D"
    rsps.get(f"{API}/contact/{encoded}", json={"data": {"id": viber_id}})
    rsps.put(f"{API}/contact/{encoded}", json={"data": {"id": viber_id}})
    rsps.post(f"{API}/contact/{encoded}/tags", json={"status": "success"})
    rsps.delete(f"{API}/contact/{encoded}/tags", json={"status": "success"})
    rsps.post(f"{API}/message/sendContent/{encoded}", json={"status": "Success"})

    client.get_contact(viber_id)
    client.update_contact(viber_id, {"firstName": "Jan"})
    client.add_tags(viber_id, ["a"])
    client.remove_tags(viber_id, ["a"])
    client.send_text(viber_id, "hi")

    assert len(rsps.calls) == 5
    assert all(encoded in call.request.url for call in rsps.calls)


def test_it_percent_encodes_slashes_from_base64(rsps):
    client = BonyClient(TOKEN, viber=True)
    rsps.get(f"{API}/contact/Pz8%2F", json={"data": {"id": "???"}})

    client.get_contact("???")  # base64 "Pz8/"

    assert rsps.calls[0].request.url == f"{API}/contact/Pz8%2F"


# --- errors (vendor-docs 004) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message", "cls", "retryable"),
    [
        (401, "API Token is invalid.", AuthenticationError, False),
        (403, "Message String", Forbidden, False),
        (405, "405 Method Not Allowed.", InvalidRequest, False),
        (429, "Too many requests", RateLimited, True),
    ],
)
def test_it_maps_each_documented_error(rsps, client, status, message, cls, retryable):
    rsps.get(
        f"{API}/contact/1",
        status=status,
        json={"status": "error", "message": message, "data": []},
    )

    with pytest.raises(cls) as raised:
        client.get_contact(1)

    error = raised.value
    assert str(error) == message
    assert error.status == status
    assert error.errors == [{"code": None, "message": message}]
    assert error.retryable is retryable
    assert error.request_id is None


def test_it_keeps_the_token_out_of_errors_and_records(rsps, client, records):
    rsps.post(
        f"{API}/message/sendContent/1",
        status=401,
        json={"status": "error", "message": f"API Token is invalid. ({TOKEN})", "data": []},
    )

    with pytest.raises(AuthenticationError) as raised:
        client.send_text(1, "hi")

    said = everything_said(raised.value, *records, client)
    assert TOKEN not in said
    assert str(raised.value) == "API Token is invalid. ([redacted])"


def test_it_checks_the_connection_with_a_lookup_that_cannot_match(rsps, client):
    rsps.get(f"{API}/contact/by_custom_field", json=_page([], 1, 1, None))

    client.check_connection()

    assert rsps.calls[0].request.url == (
        f"{API}/contact/by_custom_field"
        "?name=email&value=switchboard-connection-check%40example.invalid"
    )


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (404, '{"status":"error","message":"Not Found.","data":[]}', NotFound),
        (
            401,
            '{"status":"error","message":"API Token is invalid.","data":[]}',
            AuthenticationError,
        ),
    ],
)
def test_it_fails_the_connection_check_on_a_wrong_url_or_token(rsps, client, status, body, cls):
    rsps.get(f"{API}/contact/by_custom_field", status=status, body=body)

    with pytest.raises(cls):
        client.check_connection()
