"""Live round trips: the real clients against the sandbox over loopback (no database needed).

Each vendor's writes are read back through the same client (or the sandbox's state where the
vendor has no reader), and the error tree is exercised with the vendors' real error bodies.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.bony import BonyClient
from connectors.errors import (
    AuthenticationError,
    InvalidRequest,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
)
from connectors.helpcrunch import HelpCrunchClient
from connectors.sandbox.seed import BONY_CONTACT_ID, BONY_VIBER_CONTACT_ID
from connectors.sandbox.testing import SandboxHandle
from connectors.thulium import FeedMessage, ThuliumClient

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def thulium(sandbox: SandboxHandle) -> ThuliumClient:
    return ThuliumClient(sandbox.thulium_url, "sandbox", "sandbox", timeout=5)


@pytest.fixture
def helpcrunch(sandbox: SandboxHandle) -> HelpCrunchClient:
    return HelpCrunchClient("sandbox", base_url=sandbox.helpcrunch_url, timeout=5)


@pytest.fixture
def bony(sandbox: SandboxHandle) -> BonyClient:
    return BonyClient("sandbox", base_url=sandbox.bony_url, timeout=5)


# --- Thulium ---------------------------------------------------------------------------------


def test_it_adds_a_thulium_feed_record(thulium: ThuliumClient, sandbox: SandboxHandle) -> None:
    sent_at = datetime(2026, 5, 18, 11, 56, 5, tzinfo=UTC)

    thulium.add_feed_record(1, [FeedMessage(id="m-1", message="Dzień dobry!", time=sent_at)])

    record = sandbox.state.thulium.customers[1].feed_records[-1]
    assert record.type == "ZOWIE"
    assert record.entries == [
        {
            "id": "m-1",
            "type": "text",
            "payload": {"message": "Dzień dobry!"},
            "author": "customer",
            "time": "2026-05-18T13:56:05",
        }
    ]


def test_it_replies_to_a_thulium_ticket_and_reads_the_reply_back(thulium: ThuliumClient) -> None:
    token = thulium.upload_temporary_file("umowa.pdf", b"%PDF-1.4 umowa")

    thulium.reply_to_ticket(
        1,
        "Dzień dobry, w załączniku umowa.",
        user_login="agent.demo",
        body_type="PLAIN",
        date=datetime(2026, 5, 18, 11, 56, tzinfo=UTC),
        attachments=[token],
    )

    reply = thulium.get_ticket(1).messages[-1]
    assert reply.type == "REPLY"
    assert reply.body == "Dzień dobry, w załączniku umowa."
    assert reply.user_login == "agent.demo"
    assert reply.raw["date"] == "2026-05-18 13:56:00"
    assert reply.raw["attachments"] == [{"filename": "umowa.pdf", "token": token, "size": 14}]


def test_it_sees_a_thulium_reply_in_an_incremental_ticket_sync(thulium: ThuliumClient) -> None:
    since = datetime.now(WARSAW) - timedelta(minutes=2)
    assert [t.ticket_id for t in thulium.iter_tickets(date_from=since)] == []

    thulium.reply_to_ticket(2, "<p>Sprawdzone.</p>", user_login="agent.demo")

    changed = list(thulium.iter_tickets(date_from=since))
    assert [t.ticket_id for t in changed] == [2]
    assert isinstance(changed[0].status_id, str)


def test_it_starts_a_thulium_chat_matched_to_the_customer(
    thulium: ThuliumClient, sandbox: SandboxHandle
) -> None:
    conversation_id = thulium.start_chat(1, client_id="1234", client_name="Anna")

    conversation = sandbox.state.thulium.conversations[conversation_id]
    assert conversation.customer_id == 1
    assert conversation.client_name == "Anna"
    assert sandbox.received("thulium")[-1]["body"] == ""


def test_it_reads_thulium_customers(thulium: ThuliumClient) -> None:
    customers = list(thulium.iter_customers(page_size=7))
    by_email = list(thulium.iter_customers(email="anna.nowak@gmail.com"))

    assert [c.customer_id for c in customers] == list(range(1, 41))
    assert [c.customer_id for c in by_email] == [1]
    assert thulium.get_customer(1).custom_fields["miasto"] == "Warszawa"


def test_it_raises_invalid_request_with_thulium_words(thulium: ThuliumClient) -> None:
    with pytest.raises(InvalidRequest) as caught:
        thulium.reply_to_ticket(1, "Hej", user_login="nobody.here")

    assert caught.value.status == 400
    assert "nobody.here" in str(caught.value)
    assert caught.value.request_id
    assert caught.value.retryable is False
    with pytest.raises(NotFound):
        thulium.get_ticket(999999)


# --- HelpCrunch ------------------------------------------------------------------------------


def test_it_posts_helpcrunch_messages_as_agent_contact_and_note(
    helpcrunch: HelpCrunchClient,
) -> None:
    from_agent = helpcrunch.send_message(1, "Вітаю!", agent_id=1, markdown_text="**Вітаю!**")
    from_contact = helpcrunch.send_message(1, "Дякую")
    note = helpcrunch.send_message(1, "VIP", agent_id=2, type="private")

    assert (from_agent.from_, from_agent.text) == ("agent", "**Вітаю!**")
    assert from_agent.agent is not None
    assert from_agent.agent["id"] == 1
    assert (from_contact.from_, from_contact.agent) == ("customer", None)
    assert note.type == "private"
    newest = [m.id for m in helpcrunch.iter_chat_messages(1)][:3]
    assert newest == [note.id, from_contact.id, from_agent.id]
    latest_chat = next(helpcrunch.iter_chats(sort="chats.lastMessageAt", order="desc"))
    assert latest_chat.id == 1


def test_it_tags_and_patches_a_helpcrunch_customer(helpcrunch: HelpCrunchClient) -> None:
    before = helpcrunch.get_customer(2)

    helpcrunch.add_tags(2, ["Sandbox", "vip"])
    helpcrunch.update_customer(2, {"company": "Укрпошта"})
    helpcrunch.remove_tags(2, ["Sandbox"])

    after = helpcrunch.get_customer(2)
    assert "vip" in after.tags
    assert "Sandbox" not in after.tags
    assert after.raw["company"] == "Укрпошта"
    assert (after.name, after.email) == (before.name, before.email)
    found = list(
        helpcrunch.search_customers(
            [{"field": "customers.email", "operator": "=", "value": after.email}]
        )
    )
    assert [c.id for c in found] == [2]


# --- Bony.chat -------------------------------------------------------------------------------


def test_it_creates_bony_contacts_and_finds_them_across_pages(
    bony: BonyClient, sandbox: SandboxHandle
) -> None:
    created = [
        bony.create_contact({"firstName": f"Lucía {n}", "campaign": "otoño 2026"})
        for n in range(13)
    ]

    found = [c.id for c in bony.find_contacts("campaign", "otoño 2026")]

    assert found == created
    pages = [r["query"] for r in sandbox.received("bony") if r["method"] == "GET"]
    assert len(pages) == 2
    assert "name=campaign" in str(pages[1])
    assert "page=2" in str(pages[1])


def test_it_splits_bony_fields_and_tags_into_allowed_requests(
    bony: BonyClient, sandbox: SandboxHandle
) -> None:
    fields = {f"campo{n}": str(n) for n in range(35)}
    tags = [f"etiqueta {n}" for n in range(12)]

    created = bony.create_contact({"firstName": "Inés", **fields})
    bony.update_contact(BONY_CONTACT_ID, fields)
    bony.add_tags(BONY_CONTACT_ID, tags)
    bony.remove_tags(BONY_CONTACT_ID, tags[:11])

    assert bony.get_contact(created).custom_fields["campo34"] == "34"
    contact = bony.get_contact(BONY_CONTACT_ID)
    assert contact.custom_fields["campo34"] == "34"
    assert "etiqueta 11" in contact.tags
    assert "etiqueta 0" not in contact.tags
    methods = [(r["method"], r["status"]) for r in sandbox.received("bony")]
    assert methods.count(("PUT", 200)) == 3  # one follow-up after the create, two updates
    assert methods.count(("POST", 200)) == 3  # the create and two tag requests
    assert methods.count(("DELETE", 200)) == 2


def test_it_sends_bony_text_with_booleans_as_upper_case(
    bony: BonyClient, sandbox: SandboxHandle
) -> None:
    bony.update_contact(BONY_CONTACT_ID, {"vip": True})
    bony.send_text(BONY_CONTACT_ID, "¡Hola, Anna!")

    contact = sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID]
    assert contact.messages[-1].body == [{"type": "text", "text": "¡Hola, Anna!"}]
    assert contact.custom_fields["vip"] == "TRUE"
    assert BONY_CONTACT_ID in [c.id for c in bony.find_contacts("vip", True)]


def test_it_round_trips_a_bony_viber_channel(sandbox: SandboxHandle) -> None:
    viber = BonyClient("sandbox-viber", base_url=sandbox.bony_url, viber=True, timeout=5)

    created = viber.create_contact({"firstName": "Olena", "phone": "+380671112233"})
    viber.add_tags(created, ["Viber"])
    viber.send_text(created, "Привіт!")

    assert viber.get_contact(created).tags == ["Viber"]
    assert [c.id for c in viber.find_contacts("phone", "+380671112233")] == [created]
    assert viber.get_contact(BONY_VIBER_CONTACT_ID).id == BONY_VIBER_CONTACT_ID
    assert sandbox.state.bony["sandbox-viber"].contacts[created].messages
    assert created not in str(sandbox.received("bony")[-1]["path"])


# --- errors ----------------------------------------------------------------------------------


def test_it_raises_authentication_errors_in_each_vendors_words(sandbox: SandboxHandle) -> None:
    clients_and_words = [
        (
            lambda: ThuliumClient(sandbox.thulium_url, "sandbox", "nope").get_ticket(1),
            "Invalid API user or password.",
        ),
        (
            lambda: HelpCrunchClient("nope", base_url=sandbox.helpcrunch_url).get_chat(1),
            "Unauthorized",
        ),
        (
            lambda: BonyClient("nope", base_url=sandbox.bony_url).get_contact(BONY_CONTACT_ID),
            "API Token is invalid.",
        ),
    ]
    for call, words in clients_and_words:
        with pytest.raises(AuthenticationError) as caught:
            call()
        assert caught.value.status == 401
        assert words in str(caught.value)
        assert caught.value.retryable is False


def test_it_raises_rate_limited_with_retry_after_after_a_burst(
    helpcrunch: HelpCrunchClient, sandbox: SandboxHandle
) -> None:
    sandbox.set_limits(helpcrunch=3)
    for _ in range(3):
        helpcrunch.get_chat(1)

    with pytest.raises(RateLimited) as caught:
        helpcrunch.get_chat(1)

    assert caught.value.status == 429
    assert caught.value.retryable is True
    assert caught.value.retry_after is not None
    assert 1 <= caught.value.retry_after <= 60
    assert "Too many requests" in str(caught.value)


def test_it_raises_a_retryable_server_error_for_a_scripted_503(
    bony: BonyClient, sandbox: SandboxHandle
) -> None:
    sandbox.inject("error", vendor="bony", status=503)

    with pytest.raises(ServerError) as caught:
        bony.send_text(BONY_CONTACT_ID, "Hola")

    assert caught.value.status == 503
    assert caught.value.retryable is True
    assert sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].messages == []
    bony.send_text(BONY_CONTACT_ID, "Hola")
    assert len(sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].messages) == 1


def test_it_leaves_a_lost_write_unretryable_and_reconcilable(
    thulium: ThuliumClient, sandbox: SandboxHandle
) -> None:
    sandbox.inject("drop_after_write", vendor="thulium", path_prefix="/tickets/1/agent_response")

    with pytest.raises(TransportError) as caught:
        thulium.reply_to_ticket(1, "Czy to dotarło?", user_login="agent.demo")

    assert caught.value.retryable is False
    assert thulium.get_ticket(1).messages[-1].body == "Czy to dotarło?"


def test_it_times_out_on_a_slow_vendor_that_still_did_the_write(
    sandbox: SandboxHandle,
) -> None:
    helpcrunch = HelpCrunchClient("sandbox", base_url=sandbox.helpcrunch_url, timeout=0.3)
    sandbox.inject("slow", vendor="helpcrunch", method="POST", seconds=1.0)

    with pytest.raises(TransportError) as caught:
        helpcrunch.send_message(1, "Ви тут?", agent_id=1)

    assert caught.value.retryable is False
    assert helpcrunch.get_chat(1).raw["lastMessageText"] == "Ви тут?"
    assert helpcrunch.get_customer(1).id == 1  # an idempotent read is answered at once
