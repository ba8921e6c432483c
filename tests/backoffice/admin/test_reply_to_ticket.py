from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from backoffice.models import (
    ApiCall,
    Operation,
    StoredFile,
    Ticket,
    TicketMessage,
    User,
    VendorAccount,
)
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin.flow import (
    action_choices,
    apply,
    form_errors,
    messages,
    messages_html,
    operations,
    run,
    staff_client,
    start,
)
from tests.factories import AgentIdentityFactory, ThuliumAccountFactory, TicketFactory

pytestmark = pytest.mark.django_db

API = "https://your-system-name.thulium.com/api"
WARSAW = ZoneInfo("Europe/Warsaw")
# vendor-docs 001, "Przykładowy request", byte for byte.
AGENT_RESPONSE_BODY = (
    b'{"body":"Hello world.","user_login":"testowy.agent17","date":"2014-07-14 12:34",'
    b'"attachments":["61527075253ba62a76ca5c"]}'
)
PDF = b"%PDF-1.4 faktura 2014/07/0042"


@pytest.fixture
def account() -> VendorAccount:
    return ThuliumAccountFactory(name="Sklep", base_url=API, api_secret="thulium-api-pass")


@pytest.fixture
def ticket(account: VendorAccount, owner: User) -> Ticket:
    AgentIdentityFactory(user=owner, account=account, login="testowy.agent17")
    return TicketFactory(account=account, vendor_id="1234", subject="Reklamacja")


def reply(body: str = "Hello world.", **fields: object) -> dict[str, object]:
    return {"body": body, "body_type": "HTML", "date": "", **fields}


def test_it_sends_the_reply_and_its_attachment_as_the_vendor_page_shows(
    owner_client: Client, owner: User, ticket: Ticket, rsps
) -> None:
    rsps.post(
        f"{API}/temporary_files",
        json={"filename": "faktura.pdf", "token": "61527075253ba62a76ca5c", "size": len(PDF)},
    )
    rsps.post(f"{API}/tickets/1234/agent_response", json=[])

    form_page = start(owner_client, Ticket, "reply_to_ticket", [ticket.pk])
    assert "At Sklep: sent as testowy.agent17." in form_page.content.decode()
    response = run(
        owner_client,
        Ticket,
        "reply_to_ticket",
        [ticket.pk],
        reply(
            date="2014-07-14T12:34",
            attachments=[SimpleUploadedFile("faktura.pdf", PDF, "application/pdf")],
        ),
    )

    assert messages(response) == ["Queued 1 reply (follow their progress)."]
    upload, answer = rsps.calls
    assert upload.request.url == f"{API}/temporary_files?filename=faktura.pdf"
    assert upload.request.body == PDF
    assert upload.request.headers["Content-Type"] == "application/octet-stream"
    assert answer.request.body == AGENT_RESPONSE_BODY

    stored = StoredFile.objects.get()
    assert (stored.filename, stored.content_type, stored.size) == (
        "faktura.pdf",
        "application/pdf",
        len(PDF),
    )
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (bytes(stored.content), stored.uploaded_by) == (PDF, owner)

    op = Operation.objects.get()
    assert (op.state, op.actor, op.account_id, op.target) == (
        "succeeded",
        owner,
        ticket.account_id,
        ticket,
    )
    assert op.params == {
        "body": "Hello world.",
        "body_type": "HTML",
        "user_login": "testowy.agent17",
        "date": "2014-07-14T12:34:00+02:00",
        "attachments": [stored.pk],
    }
    calls = list(ApiCall.objects.filter(operation=op).order_by("pk"))
    assert [(c.method, c.url, c.status_code) for c in calls] == [
        ("POST", f"{API}/temporary_files?filename=faktura.pdf", 200),
        ("POST", f"{API}/tickets/1234/agent_response", 200),
    ]
    assert calls[1].request_body == AGENT_RESPONSE_BODY.decode()
    assert all(c.request_headers["Authorization"] == "[redacted]" for c in calls)
    assert "thulium-api-pass" not in str(op.params) + str([c.request_headers for c in calls])

    message = TicketMessage.objects.get(ticket=ticket)
    assert (message.kind, message.author, message.body) == (
        "REPLY",
        "testowy.agent17",
        "Hello world.",
    )
    assert message.sent_at == datetime(2014, 7, 14, 12, 34, tzinfo=WARSAW)


def test_it_sends_plain_text_without_a_date_as_now(
    owner_client: Client, ticket: Ticket, rsps
) -> None:
    rsps.post(f"{API}/tickets/1234/agent_response", json=[])

    run(
        owner_client,
        Ticket,
        "reply_to_ticket",
        [ticket.pk],
        {"body": "Dzień dobry, paczka już jedzie 📦", "body_type": "PLAIN", "date": ""},
    )

    assert (
        rsps.calls[0].request.body
        == (
            '{"body":"Dzień dobry, paczka już jedzie 📦","body_type":"PLAIN",'
            '"user_login":"testowy.agent17"}'
        ).encode()
    )
    op = Operation.objects.get()
    assert (op.state, op.params["date"], op.params["attachments"]) == ("succeeded", None, [])
    assert not StoredFile.objects.exists()


def test_it_replies_through_the_sandbox_which_then_shows_the_reply(
    owner_client: Client, owner: User, thulium_sandbox: VendorAccount, sandbox: SandboxHandle
) -> None:
    AgentIdentityFactory(user=owner, account=thulium_sandbox, login="agent.demo")
    ticket = TicketFactory(account=thulium_sandbox, vendor_id="1")
    notes = b"Numer zamowienia: 2014/07/0042\n"

    run(
        owner_client,
        Ticket,
        "reply_to_ticket",
        [ticket.pk],
        reply(
            "<p>Paczka wyszła dziś.</p>",
            date="2014-07-14T12:34",
            attachments=[
                SimpleUploadedFile("faktura.pdf", PDF, "application/pdf"),
                SimpleUploadedFile("notatka.txt", notes, "text/plain"),
            ],
        ),
    )

    op = Operation.objects.get()
    assert op.state == "succeeded", op.last_error
    assert op.result == {"attachments": 2}
    last = sandbox.state.thulium.tickets[1].messages[-1]
    assert (last.type, last.body, last.user_login) == (
        "REPLY",
        "<p>Paczka wyszła dziś.</p>",
        "agent.demo",
    )
    assert last.date == datetime(2014, 7, 14, 12, 34, tzinfo=WARSAW)
    assert [(a.filename, a.size) for a in last.attachments] == [
        ("faktura.pdf", len(PDF)),
        ("notatka.txt", len(notes)),
    ]
    received = sandbox.received("thulium")
    assert [(r["method"], r["status"]) for r in received] == [("POST", 200)] * 3
    assert TicketMessage.objects.filter(ticket=ticket, kind="REPLY").count() == 1


def test_it_shows_the_vendors_refusal_of_an_unknown_agent_login_on_the_operation(
    owner_client: Client, owner: User, thulium_sandbox: VendorAccount, sandbox: SandboxHandle
) -> None:
    AgentIdentityFactory(user=owner, account=thulium_sandbox, login="nie.ma.takiego")
    ticket = TicketFactory(account=thulium_sandbox, vendor_id="1")
    before = len(sandbox.state.thulium.tickets[1].messages)

    run(owner_client, Ticket, "reply_to_ticket", [ticket.pk], reply())

    op = Operation.objects.get()
    assert op.state == "failed"
    assert "Agent with login 'nie.ma.takiego' does not exist." in op.last_error
    assert "HTTP 400" in op.last_error
    assert ApiCall.objects.get(operation=op).status_code == 400
    assert len(sandbox.state.thulium.tickets[1].messages) == before
    assert not TicketMessage.objects.filter(ticket=ticket).exists()


def test_it_skips_tickets_where_the_staff_member_has_no_agent_identity(
    owner_client: Client, ticket: Ticket, rsps
) -> None:
    elsewhere = TicketFactory(account=ThuliumAccountFactory(name="Hurtownia"), subject="Zwrot")
    rsps.post(f"{API}/tickets/1234/agent_response", json=[])

    form_page = start(owner_client, Ticket, "reply_to_ticket", [ticket.pk, elsewhere.pk])
    assert "At Hurtownia: you have no agent identity" in form_page.content.decode()
    response = run(owner_client, Ticket, "reply_to_ticket", [ticket.pk, elsewhere.pk], reply())

    assert messages(response) == [
        f"Queued 1 reply (follow their progress); 1 skipped: {elsewhere} — you have no agent"
        " identity at Hurtownia."
    ]
    assert (
        f'<a href="/admin/backoffice/ticket/{elsewhere.pk}/change/">' in messages_html(response)[0]
    )
    assert [op.target for op in operations("reply_to_ticket")] == [ticket]


def test_it_stores_no_file_when_every_ticket_is_skipped(owner_client: Client) -> None:
    lonely = TicketFactory()

    response = run(
        owner_client,
        Ticket,
        "reply_to_ticket",
        [lonely.pk],
        reply(attachments=[SimpleUploadedFile("a.pdf", PDF)]),
    )

    assert messages(response)[0].startswith("Nothing queued; 1 skipped:")
    assert not Operation.objects.exists()
    assert not StoredFile.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (reply(""), "body", "Body: This field is required."),
        (reply("   "), "body", "Body: This field is required."),
        (
            reply("x" * 100_001),
            "body",
            "Body: Ensure this value has at most 100000 characters (it has 100001).",
        ),
        (reply("null \x00 char"), "body", "Body: Null characters are not allowed."),
        (reply(body_type="XML"), "body_type", "Body type: Select a valid choice."),
        (reply(date="yesterday"), "date", "Send date: Enter a valid date/time."),
        (reply(date="2999-01-01T10:00"), "date", "Send date: 2999-01-01 10:00 is in the future."),
        (reply(date=["2014-07-14", "x"]), "date", "Send date: Enter a valid date/time."),
        (
            reply(date="0001-01-01T00:00"),
            "date",
            "Send date: 0001-01-01 00:00 is before 2000-01-01, the earliest date taken.",
        ),
        (reply(date="2024-03-31T02:30"), "date", "Send date: 2024-03-31 02:30:00 couldn\u2019t be"),
    ],
)
def test_it_refuses_what_the_vendor_would_not_take_naming_the_field(
    owner_client: Client, ticket: Ticket, data: dict[str, object], field: str, error: str
) -> None:
    response = apply(owner_client, Ticket, "reply_to_ticket", [ticket.pk], data)

    assert response.status_code == 200
    assert any(e.startswith(error) for e in form_errors(response)[field]), form_errors(response)
    assert not Operation.objects.exists()


def test_it_refuses_a_future_send_date_by_a_minute(owner_client: Client, ticket: Ticket) -> None:
    soon = timezone.localtime() + timedelta(minutes=2)

    response = apply(
        owner_client,
        Ticket,
        "reply_to_ticket",
        [ticket.pk],
        reply(date=soon.strftime("%Y-%m-%dT%H:%M")),
    )

    assert (
        "is in the future. Thulium records it as when the reply was sent"
        in form_errors(response)["date"][0]
    )


@override_settings(THULIUM_ATTACHMENT_MAX_BYTES=1024 * 1024)
def test_it_refuses_a_file_over_the_size_limit_naming_it_and_the_limit(
    owner_client: Client, ticket: Ticket
) -> None:
    big = SimpleUploadedFile("skan.pdf", b"x" * (1024 * 1024 + 1))
    fine = SimpleUploadedFile("ok.pdf", b"x" * 1024 * 1024)

    response = apply(
        owner_client, Ticket, "reply_to_ticket", [ticket.pk], reply(attachments=[fine, big])
    )

    assert form_errors(response)["attachments"] == [
        "Attachments: “skan.pdf” is 1 MB; Thulium takes files of at most 1 MB each."
    ]
    assert b'enctype="multipart/form-data"' in response.content
    assert not StoredFile.objects.exists()
    assert not Operation.objects.exists()


def test_it_refuses_more_than_ten_files_and_empty_ones(
    owner_client: Client, ticket: Ticket
) -> None:
    files = [SimpleUploadedFile(f"plik-{i}.txt", b"tresc") for i in range(10)]
    files.append(SimpleUploadedFile("pusty.txt", b""))

    response = apply(owner_client, Ticket, "reply_to_ticket", [ticket.pk], reply(attachments=files))

    assert form_errors(response)["attachments"] == [
        "Attachments: At most 10 files per reply; 11 were attached.",
        "Attachments: “pusty.txt” is empty.",
    ]
    assert not StoredFile.objects.exists()


def test_it_replies_to_every_ticket_matching_the_filter_across_pages(
    owner_client: Client, owner: User, account: VendorAccount, rsps, monkeypatch
) -> None:
    import re

    monkeypatch.setattr(admin.site._registry[Ticket], "list_per_page", 2)
    AgentIdentityFactory(user=owner, account=account, login="testowy.agent17")
    mine = TicketFactory.create_batch(3, account=account)
    other = ThuliumAccountFactory(name="Inne")
    AgentIdentityFactory(user=owner, account=other, login="agent.inne")
    TicketFactory.create_batch(2, account=other)
    rsps.post(re.compile(rf"{API}/tickets/\d+/agent_response"), json=[])
    query = f"account__id__exact={account.pk}"
    first_page = owner_client.get(f"/admin/backoffice/ticket/?{query}")
    shown = [t.pk for t in first_page.context["cl"].result_list]
    assert len(shown) == 2

    form_page = start(
        owner_client, Ticket, "reply_to_ticket", shown, query=query, select_across=True
    )
    assert "3 selected" in form_page.content.decode()
    response = run(
        owner_client, Ticket, "reply_to_ticket", shown, reply(), query=query, select_across=True
    )

    assert messages(response) == ["Queued 3 replies (follow their progress)."]
    assert {op.target_id for op in operations("reply_to_ticket")} == {t.pk for t in mine}
    assert len(rsps.calls) == 3


def test_it_neither_offers_nor_runs_the_action_for_staff_without_the_permission(
    ticket: Ticket, rsps
) -> None:
    user, client = staff_client("view_ticket")
    AgentIdentityFactory(user=user, account=ticket.account)

    assert "reply_to_ticket" not in action_choices(client, Ticket)
    crafted = apply(client, Ticket, "reply_to_ticket", [ticket.pk], reply())

    assert crafted.status_code in (200, 302)
    assert not Operation.objects.exists()
    assert not StoredFile.objects.exists()


def test_it_lets_staff_with_only_that_permission_reply(ticket: Ticket, rsps) -> None:
    user, client = staff_client("view_ticket", "reply_to_ticket")
    AgentIdentityFactory(user=user, account=ticket.account, login="jan.kowalski")
    rsps.post(f"{API}/tickets/1234/agent_response", json=[])

    assert action_choices(client, Ticket) == ["reply_to_ticket"]
    run(client, Ticket, "reply_to_ticket", [ticket.pk], reply())

    op = Operation.objects.get()
    assert (op.state, op.actor, op.params["user_login"]) == ("succeeded", user, "jan.kowalski")


@pytest.mark.parametrize("selected", [["abc"], ["1", "1.5"], [""], ["9" * 30]])
def test_it_answers_a_garbled_selection_with_a_message(
    owner_client: Client, ticket: Ticket, selected: list[str]
) -> None:
    response = apply(owner_client, Ticket, "reply_to_ticket", selected, reply())

    assert response.status_code == 302
    assert messages(response) == ["The selection was not understood; select the rows again."]
    assert not Operation.objects.exists()
