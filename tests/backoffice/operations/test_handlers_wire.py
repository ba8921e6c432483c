"""Each handler end to end, HTTP faked at the wire: the exact bytes each vendor receives (the
vendor pages in vendor-docs/ and CONTRACT.md), one audit row per request, the mirror updated."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import responses

from backoffice.actions.push_to_vendor import bony_fields, changed_fields, helpcrunch_fields
from backoffice.models import (
    BonyChannelKind,
    ChatConversation,
    ChatMessage,
    Contact,
    Operation,
    TicketMessage,
    User,
    VendorAccount,
)
from backoffice.operations.enqueue import SkipTarget, operations_enqueue
from tests.backoffice.operations import assert_audited, assert_no_secret, basic, enqueue_one
from tests.factories import (
    BonyAccountFactory,
    ChatConversationFactory,
    ContactFactory,
    HelpCrunchAccountFactory,
    StoredFileFactory,
    TagFactory,
    ThuliumAccountFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

THULIUM = "https://acme.thulium.com/api"
HELPCRUNCH = "https://api.helpcrunch.com/v1"
BONY = "https://app.bony.chat/api/v1"
# The factories' credentials; none may reach a row.
THULIUM_SECRETS = ["thulium-api-pass", basic("api_user", "thulium-api-pass")]
HELPCRUNCH_SECRETS = ["hc-api-key-0123456789"]
BONY_SECRETS = ["bony-channel-token"]

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
# vendor-docs 003: the request and the answer, as the page shows them.
HELPCRUNCH_MESSAGE_BODY = (
    b'{"chat":5215261,"text":"Can you can a can as a canner can can a can?",'
    b'"markdownText":"Can you can a **can** as a canner can can a **can**",'
    b'"agent":4188,"type":"message"}'
)
HELPCRUNCH_MESSAGE_ANSWER = {
    "id": 542335,
    "agent": {"id": 4188, "name": "string", "email": "string", "role": "string"},
    "type": "message",
    "text": "Can you can a <b>can</b> as a canner can can a <b>can</b>",
    "read": True,
    "createdAt": "1603885746",
    "updatedAt": "1603885746",
    "edited": False,
    "broadcastType": None,
    "chat": 5215261,
    "from": "agent",
}
HELPCRUNCH_CUSTOMER = {"id": 1, "name": "Anna Nowak", "tags": [], "customData": None}
BONY_TAGS_ADDED = {
    "status": "success",
    "message": "Contact Tags have been added successfully.",
    "data": [],
}
BONY_TAGS_DELETED = {
    "status": "success",
    "message": "Contact Tags deleted successfully.",
    "data": [],
}


def responses_json(body: object) -> object:
    assert isinstance(body, bytes)
    return json.loads(body)


def _request(rsps: responses.RequestsMock, index: int) -> tuple[str, str, bytes | None]:
    request = rsps.calls[index].request
    body = request.body
    assert body is None or isinstance(body, bytes)
    return request.method or "", request.url or "", body


# --- reply_to_ticket (vendor-docs 001, temporary files) ---------------------------------------


def test_it_uploads_the_attachment_then_replies_with_its_token(
    rsps: responses.RequestsMock, owner: User
) -> None:
    ticket = TicketFactory(account=ThuliumAccountFactory(), vendor_id="1234")
    stored = StoredFileFactory(filename="faktura.pdf", content=b"%PDF-1.4 sample")
    rsps.post(
        f"{THULIUM}/temporary_files",
        json={"filename": "faktura.pdf", "token": "61527075253ba62a76ca5c", "size": 15},
    )
    rsps.post(f"{THULIUM}/tickets/1234/agent_response", json=[])

    op = enqueue_one(
        actor=owner,
        action="reply_to_ticket",
        target=ticket,
        params={
            "body": "Hello world.",
            "body_type": "HTML",
            "user_login": "testowy.agent17",
            "date": "2014-07-14T12:34:00+02:00",  # 12:34 in Warsaw, as the page's example
            "attachments": [stored.pk],
        },
    )

    upload, reply = rsps.calls
    assert upload.request.url == f"{THULIUM}/temporary_files?filename=faktura.pdf"
    assert upload.request.body == b"%PDF-1.4 sample"
    assert upload.request.headers["Content-Type"] == "application/octet-stream"
    assert reply.request.body == AGENT_RESPONSE_BODY
    assert reply.request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.request.headers["Authorization"] == "Basic " + basic(
        "api_user", "thulium-api-pass"
    )
    assert op.state == Operation.State.SUCCEEDED
    assert op.result == {"attachments": 1}
    assert op.attempts == 1
    assert not op.needs_reconcile
    assert_audited(
        op,
        [
            ("POST", f"{THULIUM}/temporary_files?filename=faktura.pdf", 200),
            ("POST", f"{THULIUM}/tickets/1234/agent_response", 200),
        ],
    )
    assert op.api_calls.get(url__endswith="temporary_files?filename=faktura.pdf").request_body == (
        "<15 bytes application/octet-stream>"
    )
    assert_no_secret(op, THULIUM_SECRETS)
    reply_row = TicketMessage.objects.get(ticket=ticket)
    assert (reply_row.kind, reply_row.body, reply_row.author) == (
        TicketMessage.Kind.REPLY,
        "Hello world.",
        "testowy.agent17",
    )
    assert reply_row.sent_at == datetime(2014, 7, 14, 10, 34, tzinfo=UTC)


# --- add_tags / remove_tags -------------------------------------------------------------------


def test_it_sends_more_than_ten_bony_tags_in_requests_of_ten(
    rsps: responses.RequestsMock, owner: User
) -> None:
    contact = ContactFactory(account=BonyAccountFactory(), vendor_id="1776025372480910")
    names = [f"tag {n:02}" for n in range(1, 13)]
    url = f"{BONY}/contact/1776025372480910/tags"
    rsps.post(url, json=BONY_TAGS_ADDED)
    rsps.post(url, json=BONY_TAGS_ADDED)

    op = enqueue_one(
        actor=owner,
        action="add_tags",
        target=contact,
        params={"tags": [{"name": n} for n in names]},
    )

    assert [_request(rsps, i) for i in range(2)] == [
        ("POST", url, ('{"tags":[' + ",".join(f'"{n}"' for n in names[:10]) + "]}").encode()),
        ("POST", url, b'{"tags":["tag 11","tag 12"]}'),
    ]
    assert op.state == Operation.State.SUCCEEDED
    assert_audited(op, [("POST", url, 200), ("POST", url, 200)])
    assert_no_secret(op, BONY_SECRETS)
    assert sorted(contact.tags.values_list("name", flat=True)) == names


def test_it_removes_bony_tags_in_requests_of_ten(rsps: responses.RequestsMock, owner: User) -> None:
    account = BonyAccountFactory()
    contact = ContactFactory(account=account, vendor_id="1776025372480910")
    names = [f"tag {n:02}" for n in range(1, 12)]
    contact.tags.add(*(TagFactory(account=account, name=n) for n in [*names, "keep"]))
    url = f"{BONY}/contact/1776025372480910/tags"
    rsps.delete(url, json=BONY_TAGS_DELETED)
    rsps.delete(url, json=BONY_TAGS_DELETED)

    op = enqueue_one(
        actor=owner,
        action="remove_tags",
        target=contact,
        params={"tags": [{"name": n} for n in names]},
    )

    assert [_request(rsps, i)[0] for i in range(2)] == ["DELETE", "DELETE"]
    assert _request(rsps, 1)[2] == b'{"tags":["tag 11"]}'
    assert op.state == Operation.State.SUCCEEDED
    assert_audited(op, [("DELETE", url, 200), ("DELETE", url, 200)])
    assert list(contact.tags.values_list("name", flat=True)) == ["keep"]


@pytest.mark.parametrize(("action", "method"), [("add_tags", "PUT"), ("remove_tags", "DELETE")])
def test_it_tags_a_helpcrunch_customer_in_one_request(
    rsps: responses.RequestsMock, owner: User, action: str, method: str
) -> None:
    account = HelpCrunchAccountFactory()
    contact = ContactFactory(account=account, vendor_id="1")
    if action == "remove_tags":
        contact.tags.add(TagFactory(account=account, name="vip"), TagFactory(account=account))
    url = f"{HELPCRUNCH}/customers/1/tags"
    rsps.add(method, url, json=HELPCRUNCH_CUSTOMER)

    op = enqueue_one(
        actor=owner,
        action=action,
        target=contact,
        params={"tags": [{"name": "vip", "color": "#c377e0"}, {"name": "доставка"}]},
    )

    assert _request(rsps, 0) == (
        method,
        url,
        '{"tags":[{"name":"vip","color":"#c377e0"},{"name":"доставка"}]}'.encode(),
    )
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer hc-api-key-0123456789"
    assert op.state == Operation.State.SUCCEEDED
    assert_audited(op, [(method, url, 200)])
    assert_no_secret(op, HELPCRUNCH_SECRETS)
    names = set(contact.tags.values_list("name", flat=True))
    if action == "add_tags":
        assert names == {"vip", "доставка"}
    else:
        assert "vip" not in names
        assert len(names) == 1


# --- push_to_vendor ---------------------------------------------------------------------------


def _push_params(contact: Contact) -> dict[str, object]:
    """What the push form sends: the fields that differ from the vendor's copy."""
    build = bony_fields if contact.account.vendor == "bony" else helpcrunch_fields
    return {"fields": changed_fields(build(contact), contact.vendor_snapshot)}


def test_it_creates_a_bony_contact_with_thirty_fields_then_puts_the_rest(
    rsps: responses.RequestsMock, owner: User
) -> None:
    custom = {f"field{n:02}": f"value {n}" for n in range(1, 32)}
    contact = ContactFactory(
        account=BonyAccountFactory(),
        vendor_id=None,
        first_name="Muhammad Mahin",
        last_name="Dar",
        email="muhammad@bony.chat",
        phone="03244077087",
        custom_fields=custom,
    )
    rsps.post(f"{BONY}/contact", json={"data": {"id": "cus_112233344555"}})
    rsps.put(f"{BONY}/contact/cus_112233344555", json={"data": {"id": "cus_112233344555"}})

    op = enqueue_one(actor=owner, action="push_to_vendor", target=contact, params=_push_params)

    sent = [
        {"name": "firstName", "value": "Muhammad Mahin"},
        {"name": "lastName", "value": "Dar"},
        {"name": "email", "value": "muhammad@bony.chat"},
        {"name": "phone", "value": "03244077087"},
        *({"name": k, "value": v} for k, v in custom.items()),
    ]
    assert len(sent) == 35
    create, update = rsps.calls
    assert create.request.method == "POST"
    assert responses_json(create.request.body) == {"custom_fields": sent[:30]}
    assert create.request.body.startswith(
        b'{"custom_fields":[{"name":"firstName","value":"Muhammad Mahin"},'
    )
    assert update.request.method == "PUT"
    assert responses_json(update.request.body) == {"custom_fields": sent[30:]}
    assert op.state == Operation.State.SUCCEEDED
    assert op.result == {"created_id": "cus_112233344555", "fields": 35}
    assert_audited(
        op,
        [("POST", f"{BONY}/contact", 200), ("PUT", f"{BONY}/contact/cus_112233344555", 200)],
    )
    assert_no_secret(op, BONY_SECRETS)
    contact.refresh_from_db()
    assert contact.vendor_id == "cus_112233344555"
    assert contact.vendor_snapshot == {s["name"]: s["value"] for s in sent}


def test_it_updates_a_bony_contact_with_only_the_changed_fields(
    rsps: responses.RequestsMock, owner: User
) -> None:
    contact = ContactFactory(
        account=BonyAccountFactory(),
        vendor_id="1776025372480910",
        first_name="Muhammad Mahin",
        last_name="Dar",
        email="muhammad@bony.chat",
        phone="123123",
        vendor_snapshot={
            "firstName": "Mahin",
            "lastName": "D.",
            "email": "muhammad@bony.chat",
            "phone": "123123",
        },
    )
    url = f"{BONY}/contact/1776025372480910"
    rsps.put(url, json={"data": {"id": "1776025372480910"}})

    op = enqueue_one(actor=owner, action="push_to_vendor", target=contact, params=_push_params)

    # vendor-docs 004, "Ejemplo de solicitud PUT", compact.
    assert _request(rsps, 0) == (
        "PUT",
        url,
        b'{"custom_fields":[{"name":"firstName","value":"Muhammad Mahin"},'
        b'{"name":"lastName","value":"Dar"}]}',
    )
    assert op.state == Operation.State.SUCCEEDED
    assert_audited(op, [("PUT", url, 200)])
    assert_no_secret(op, BONY_SECRETS)
    contact.refresh_from_db()
    assert contact.vendor_snapshot["firstName"] == "Muhammad Mahin"
    assert contact.vendor_snapshot["lastName"] == "Dar"


def test_it_skips_a_contact_the_vendor_already_has_as_it_is(owner: User) -> None:
    contact = ContactFactory(
        account=BonyAccountFactory(),
        first_name="Anna",
        last_name="Nowak",
        email="anna@example.pl",
        phone="48601234567",
    )
    contact.vendor_snapshot = bony_fields(contact)
    contact.save()

    def params(target: Contact) -> dict[str, object]:
        fields = changed_fields(bony_fields(target), target.vendor_snapshot)
        if not fields:
            raise SkipTarget("nothing changed since the last push")
        return {"fields": fields}

    enqueued = operations_enqueue(
        actor=owner, action="push_to_vendor", targets=[contact], params=params
    )

    assert enqueued.count == 0
    assert [s.reason for s in enqueued.skipped] == ["nothing changed since the last push"]
    assert not Operation.objects.exists()


def test_it_patches_a_helpcrunch_customer(rsps: responses.RequestsMock, owner: User) -> None:
    contact = ContactFactory(
        account=HelpCrunchAccountFactory(),
        vendor_id="1",
        first_name="Anna",
        last_name="Kowalska",
        email="anna.nowak@gmail.com",
        phone="+48601234567",
        custom_fields={"plan": "pro"},
        vendor_snapshot={
            "name": "Anna Nowak",
            "email": "anna.nowak@gmail.com",
            "phone": "+48601234567",
        },
    )
    url = f"{HELPCRUNCH}/customers/1"
    rsps.patch(url, json=HELPCRUNCH_CUSTOMER)

    op = enqueue_one(actor=owner, action="push_to_vendor", target=contact, params=_push_params)

    assert _request(rsps, 0) == (
        "PATCH",
        url,
        b'{"name":"Anna Kowalska","customData":{"plan":"pro"}}',
    )
    assert op.state == Operation.State.SUCCEEDED
    assert_audited(op, [("PATCH", url, 200)])
    assert_no_secret(op, HELPCRUNCH_SECRETS)
    contact.refresh_from_db()
    assert contact.vendor_snapshot["name"] == "Anna Kowalska"
    assert contact.vendor_snapshot["customData"] == {"plan": "pro"}


# --- add_feed_record (vendor-docs 000) --------------------------------------------------------


def test_it_adds_a_feed_record_with_its_payload_as_a_json_string(
    rsps: responses.RequestsMock, owner: User
) -> None:
    contact = ContactFactory(account=ThuliumAccountFactory(), vendor_id="23")
    url = f"{THULIUM}/customers/23/feed_records"
    rsps.post(url, body="")

    op = enqueue_one(
        actor=owner,
        action="add_feed_record",
        target=contact,
        params={
            "record_id": "sample-id",
            "message": "Sample message",
            "author": "customer",
            "time": "2021-02-02T10:10:12+01:00",
        },
    )

    assert _request(rsps, 0) == ("POST", url, FEED_RECORD_BODY)
    assert op.state == Operation.State.SUCCEEDED
    assert op.result == {"record_id": "sample-id"}
    assert_audited(op, [("POST", url, 200)])
    assert_no_secret(op, THULIUM_SECRETS)


# --- start_chat (vendor-docs 002) -------------------------------------------------------------


def test_it_starts_a_chat_with_its_parameters_in_the_query_string(
    rsps: responses.RequestsMock, owner: User
) -> None:
    account = ThuliumAccountFactory()
    contact = ContactFactory(
        account=account,
        vendor_id="1",
        first_name="Jan",
        last_name="Kowalski",
        email="jan.kowalski@example.org",
    )
    rsps.post(
        f"{THULIUM}/chat_conversations/start",
        json={"conversation_id": "6ed7c941-2c8a-411e-95d2-338a9f64800a"},
    )

    op = enqueue_one(actor=owner, action="start_chat", target=contact, params={"chat_queue_id": 3})

    url = (
        f"{THULIUM}/chat_conversations/start?chat_queue_id=3&client_name=Jan"
        "&client_surname=Kowalski&client_email=jan.kowalski%40example.org&customer_id=1"
    )
    method, sent_url, body = _request(rsps, 0)
    assert (method, sent_url) == ("POST", url)
    assert not body
    assert op.state == Operation.State.SUCCEEDED
    assert op.result == {"conversation_id": "6ed7c941-2c8a-411e-95d2-338a9f64800a"}
    assert_audited(op, [("POST", url, 200)])
    assert_no_secret(op, THULIUM_SECRETS)
    conversation = ChatConversation.objects.get(account=account)
    assert conversation.vendor_id == "6ed7c941-2c8a-411e-95d2-338a9f64800a"
    assert conversation.contact == contact
    assert conversation.status == ChatConversation.Status.OPEN


# --- send_message (vendor-docs 003; Bony.chat messages) ---------------------------------------


def test_it_posts_a_helpcrunch_message_as_the_agent(
    rsps: responses.RequestsMock, owner: User
) -> None:
    conversation = ChatConversationFactory(account=HelpCrunchAccountFactory(), vendor_id="5215261")
    rsps.post(f"{HELPCRUNCH}/messages", json=HELPCRUNCH_MESSAGE_ANSWER)

    op = enqueue_one(
        actor=owner,
        action="send_message",
        target=conversation,
        params={
            "text": "Can you can a can as a canner can can a can?",
            "markdown_text": "Can you can a **can** as a canner can can a **can**",
            "sender": "agent",
            "agent_id": 4188,
        },
    )

    assert _request(rsps, 0) == ("POST", f"{HELPCRUNCH}/messages", HELPCRUNCH_MESSAGE_BODY)
    assert op.state == Operation.State.SUCCEEDED
    assert op.result == {"message_id": 542335}
    assert_audited(op, [("POST", f"{HELPCRUNCH}/messages", 200)])
    assert_no_secret(op, HELPCRUNCH_SECRETS)
    message = ChatMessage.objects.get(conversation=conversation)
    assert (message.vendor_id, message.sender, message.agent_ref) == ("542335", "agent", "4188")
    assert message.markdown_text == "Can you can a **can** as a canner can can a **can**"
    assert message.sent_at == datetime.fromtimestamp(1603885746, tz=UTC)
    conversation.refresh_from_db()
    assert conversation.last_message_at == message.sent_at


@pytest.mark.parametrize(
    ("sender", "agent_id", "body"),
    [
        ("contact", None, b'{"chat":5215261,"text":"Dzie\xc5\x84 dobry","type":"message"}'),
        # From the contact, an agent id given by mistake is not sent (vendor-docs 003).
        ("contact", 4188, b'{"chat":5215261,"text":"Dzie\xc5\x84 dobry","type":"message"}'),
        (
            "note",
            4188,
            b'{"chat":5215261,"text":"Dzie\xc5\x84 dobry","agent":4188,"type":"private"}',
        ),
    ],
)
def test_it_posts_a_helpcrunch_message_as_the_contact_or_as_a_private_note(
    rsps: responses.RequestsMock, owner: User, sender: str, agent_id: int | None, body: bytes
) -> None:
    conversation = ChatConversationFactory(account=HelpCrunchAccountFactory(), vendor_id="5215261")
    rsps.post(
        f"{HELPCRUNCH}/messages",
        json={**HELPCRUNCH_MESSAGE_ANSWER, "id": 7, "text": "Dzień dobry"},
    )

    op = enqueue_one(
        actor=owner,
        action="send_message",
        target=conversation,
        params={"text": "Dzień dobry", "markdown_text": "", "sender": sender, "agent_id": agent_id},
    )

    assert _request(rsps, 0)[2] == body
    assert op.state == Operation.State.SUCCEEDED
    assert_audited(op, [("POST", f"{HELPCRUNCH}/messages", 200)])
    assert_no_secret(op, HELPCRUNCH_SECRETS)
    message = ChatMessage.objects.get(conversation=conversation)
    assert (message.vendor_id, message.sender, message.text) == ("7", sender, "Dzień dobry")


@pytest.mark.parametrize(
    ("kind", "vendor_id", "path_id"),
    [
        (BonyChannelKind.MESSENGER, "1776025372480910", "1776025372480910"),
        (BonyChannelKind.VIBER, "5VJAZzcm2ltdqkI0ZH8x1w==", "NVZKQVp6Y20ybHRkcWtJMFpIOHgxdz09"),
    ],
)
def test_it_sends_a_bony_text_to_the_contact(
    rsps: responses.RequestsMock, owner: User, kind: str, vendor_id: str, path_id: str
) -> None:
    account = BonyAccountFactory(channel_kind=kind)
    contact = ContactFactory(account=account, vendor_id=vendor_id)
    conversation = ChatConversationFactory(account=account, vendor_id=vendor_id, contact=contact)
    url = f"{BONY}/message/sendContent/{path_id}"
    rsps.post(url, json={"status": "Success", "message": "Message Sent", "data": []})

    op = enqueue_one(
        actor=owner,
        action="send_message",
        target=conversation,
        params={"text": "¡Hola! ¿Cómo va?", "sender": "agent"},
    )

    assert _request(rsps, 0) == (
        "POST",
        url,
        '{"body":[{"type":"text","text":"¡Hola! ¿Cómo va?"}]}'.encode(),
    )
    assert op.state == Operation.State.SUCCEEDED
    assert_audited(op, [("POST", url, 200)])
    assert_no_secret(op, BONY_SECRETS)
    message = ChatMessage.objects.get(conversation=conversation)
    assert (message.sender, message.text) == ("agent", "¡Hola! ¿Cómo va?")


# --- test_connection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "url"),
    [
        (ThuliumAccountFactory, f"{THULIUM}/customers?limit=1"),
        (HelpCrunchAccountFactory, f"{HELPCRUNCH}/agents?limit=1"),
        (
            BonyAccountFactory,
            f"{BONY}/contact/by_custom_field?name=email"
            "&value=switchboard-connection-check%40example.invalid",
        ),
    ],
)
def test_it_records_a_successful_connection_check_on_the_account(
    rsps: responses.RequestsMock, owner: User, factory: type, url: str
) -> None:
    account: VendorAccount = factory()
    rsps.get(url.split("?")[0], json={"data": []})

    op = enqueue_one(actor=owner, action="test_connection", target=account, params={})

    assert _request(rsps, 0) == ("GET", url, None)
    assert op.state == Operation.State.SUCCEEDED
    assert_audited(op, [("GET", url, 200)])
    account.refresh_from_db()
    assert account.last_check_ok is True
    assert account.last_checked_at is not None
    assert account.last_check_message.startswith("Connected")


@pytest.mark.parametrize(
    ("factory", "url", "answer", "words"),
    [
        (
            ThuliumAccountFactory,
            f"{THULIUM}/customers",
            {
                "request_id": "5f0e3b1c9a8d4e7f",
                "errors": [{"message": "Invalid API user or password.", "code": 401001}],
            },
            "Invalid API user or password. (HTTP 401, request id 5f0e3b1c9a8d4e7f)",
        ),
        (
            HelpCrunchAccountFactory,
            f"{HELPCRUNCH}/agents",
            {
                "errors": [
                    {"code": "invalid_request", "message": "Invalid request"},
                    {"code": "unauthorized", "message": "Unauthorized"},
                ]
            },
            "Invalid request; Unauthorized (HTTP 401)",
        ),
        (
            BonyAccountFactory,
            f"{BONY}/contact/by_custom_field",
            {"status": "error", "message": "API Token is invalid.", "data": []},
            "API Token is invalid. (HTTP 401)",
        ),
    ],
)
def test_it_records_a_refused_connection_check_in_the_vendors_words(
    rsps: responses.RequestsMock,
    owner: User,
    factory: type,
    url: str,
    answer: dict[str, object],
    words: str,
) -> None:
    account: VendorAccount = factory()
    rsps.get(url, json=answer, status=401)

    op = enqueue_one(actor=owner, action="test_connection", target=account, params={})

    assert len(rsps.calls) == 1  # a connection test reports at once, never retries
    assert_audited(op, [("GET", rsps.calls[0].request.url, 401)])
    assert op.state == Operation.State.FAILED
    assert op.last_error == words
    account.refresh_from_db()
    assert account.last_check_ok is False
    assert account.last_check_message == words
    assert_no_secret(op, THULIUM_SECRETS + HELPCRUNCH_SECRETS + BONY_SECRETS)
