"""``send_message`` on chat conversations, end to end through the admin (tasks run in-process)."""

from __future__ import annotations

import json

import pytest
import responses
from django.contrib.auth.models import Permission
from django.test import Client

from backoffice.models import (
    ApiCall,
    BonyChannelKind,
    ChatConversation,
    ChatMessage,
    Operation,
    User,
)
from connectors.sandbox.seed import BONY_CONTACT_ID, BONY_VIBER_CONTACT_ID
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin.posting import changelist_url, messages_of, post_action
from tests.factories import (
    AgentIdentityFactory,
    BonyAccountFactory,
    ChatConversationFactory,
    ContactFactory,
    HelpCrunchAccountFactory,
    ThuliumAccountFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HELPCRUNCH = "https://api.helpcrunch.com/v1"
BONY = "https://app.bony.chat/api/v1"
# vendor-docs 003: the request example, byte for byte as the connector encodes it.
PAGE_TEXT = "Can you can a can as a canner can can a can?"
PAGE_MARKDOWN = "Can you can a **can** as a canner can can a **can**"
PAGE_BODY = (
    b'{"chat":5215261,"text":"Can you can a can as a canner can can a can?",'
    b'"markdownText":"Can you can a **can** as a canner can can a **can**",'
    b'"agent":4188,"type":"message"}'
)
PAGE_RESPONSE = {
    "id": 542335,
    "agent": {"id": 4188, "name": "string", "email": "string", "role": "string"},
    "type": "message",
    "text": PAGE_MARKDOWN,
    "read": True,
    "createdAt": "1603885746",
    "updatedAt": "1603885746",
    "edited": False,
    "broadcastType": "trigger",
    "chat": 5215261,
    "from": "agent",
}
BONY_SENT = {"status": "Success", "message": "Message Sent", "data": []}


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


def send(client: Client, conversations, **data: object):
    return post_action(client, ChatConversation, "send_message", conversations, data)


def helpcrunch_conversation(owner: User, *, login: str = "4188", **kwargs) -> ChatConversation:
    conversation = ChatConversationFactory(vendor_id="5215261", **kwargs)
    AgentIdentityFactory(user=owner, account=conversation.account, login=login)
    return conversation


# --- HelpCrunch, at the wire ----------------------------------------------------------------


def test_it_posts_the_vendor_pages_message_and_mirrors_it(owner_client, owner, rsps) -> None:
    conversation = helpcrunch_conversation(owner)
    rsps.post(f"{HELPCRUNCH}/messages", json=PAGE_RESPONSE)

    response = send(
        owner_client, [conversation], text=PAGE_TEXT, markdown_text=PAGE_MARKDOWN, sender="agent"
    )

    assert response.status_code == 302
    assert rsps.calls[0].request.body == PAGE_BODY
    operation = Operation.objects.get()
    assert (operation.action, operation.state, operation.attempts) == (
        "send_message",
        "succeeded",
        1,
    )
    assert operation.params == {
        "text": PAGE_TEXT,
        "markdown_text": PAGE_MARKDOWN,
        "sender": "agent",
        "agent_id": 4188,
    }
    call = ApiCall.objects.get()
    assert (call.operation_id, call.method, call.url, call.status_code) == (
        operation.pk,
        "POST",
        f"{HELPCRUNCH}/messages",
        200,
    )
    assert call.request_body.encode() == PAGE_BODY
    message = ChatMessage.objects.get(conversation=conversation)
    assert (message.vendor_id, message.sender, message.agent_ref) == ("542335", "agent", "4188")
    assert (message.text, message.markdown_text) == (PAGE_TEXT, PAGE_MARKDOWN)
    [text] = messages_of(response)
    assert "Queued 1 message " in text
    assert f"?group_id={operation.group_id}" in text


def test_it_writes_as_the_contact_without_an_agent_id(owner_client, rsps) -> None:
    conversation = ChatConversationFactory(vendor_id="5215261")  # no agent identity needed
    rsps.post(f"{HELPCRUNCH}/messages", json={**PAGE_RESPONSE, "agent": None, "from": "customer"})

    send(owner_client, [conversation], text="Dzień dobry, mam pytanie", sender="contact")

    assert rsps.calls[0].request.body == (
        '{"chat":5215261,"text":"Dzień dobry, mam pytanie","type":"message"}'.encode()
    )
    message = ChatMessage.objects.get()
    assert (message.sender, message.agent_ref) == ("contact", "")


def test_it_skips_conversations_where_the_staff_member_has_no_agent_id(
    owner_client, owner, rsps
) -> None:
    mine = helpcrunch_conversation(owner)
    elsewhere = ChatConversationFactory(account=HelpCrunchAccountFactory(name="HC Kyiv"))
    wrong = ChatConversationFactory(account=HelpCrunchAccountFactory(name="HC Lviv"))
    AgentIdentityFactory(user=owner, account=wrong.account, login="anna.k")
    thulium = ChatConversationFactory(account=ThuliumAccountFactory())
    rsps.post(f"{HELPCRUNCH}/messages", json=PAGE_RESPONSE)

    response = send(owner_client, [mine, elsewhere, wrong, thulium], text="Hi", sender="note")

    assert json.loads(rsps.calls[0].request.body)["type"] == "private"
    assert Operation.objects.get().target_id == mine.pk
    [text] = messages_of(response)
    assert "Queued 1 message " in text
    assert "3 skipped" in text
    assert "you have no HelpCrunch agent id at HC Kyiv" in text
    assert "your agent identity at HC Lviv is &#x27;anna.k&#x27;, not a numeric" in text
    assert "Thulium does not support this action" in text


# --- Bony.chat, at the wire -----------------------------------------------------------------


def test_it_sends_a_text_to_a_messenger_contact(owner_client, rsps) -> None:
    account = BonyAccountFactory()
    contact = ContactFactory(account=account, vendor_id="1776025372480910")
    conversation = ChatConversationFactory(account=account, contact=contact, vendor_id="x")
    rsps.post(f"{BONY}/message/sendContent/1776025372480910", json=BONY_SENT)

    send(owner_client, [conversation], text="Zamówienie wysłane 📦", sender="agent")

    assert rsps.calls[0].request.body == (
        '{"body":[{"type":"text","text":"Zamówienie wysłane 📦"}]}'.encode()
    )
    assert Operation.objects.get().params == {"text": "Zamówienie wysłane 📦", "sender": "agent"}
    assert ApiCall.objects.get().status_code == 200
    message = ChatMessage.objects.get(conversation=conversation)
    assert (message.sender, message.text) == ("agent", "Zamówienie wysłane 📦")


def test_it_base64_encodes_a_viber_contact_id_in_the_path(owner_client, rsps) -> None:
    account = BonyAccountFactory(channel_kind=BonyChannelKind.VIBER)
    conversation = ChatConversationFactory(account=account, vendor_id="5VJAZzcm2ltdqkI0ZH8x1w==")
    rsps.post(f"{BONY}/message/sendContent/NVZKQVp6Y20ybHRkcWtJMFpIOHgxdz09", json=BONY_SENT)

    send(owner_client, [conversation], text="Привіт", sender="agent")

    assert Operation.objects.get().state == "succeeded"
    assert ChatMessage.objects.get().text == "Привіт"


def test_it_skips_bony_conversations_for_a_note_or_formatted_text(owner_client, owner, rsps):
    hc = helpcrunch_conversation(owner)
    bony = ChatConversationFactory(account=BonyAccountFactory(name="Bony FB"))
    rsps.post(f"{HELPCRUNCH}/messages", json=PAGE_RESPONSE)
    rsps.post(f"{HELPCRUNCH}/messages", json={**PAGE_RESPONSE, "id": 542336})

    note = send(owner_client, [hc, bony], text="internal", sender="note")
    formatted = send(owner_client, [hc, bony], text="x", markdown_text="**x**", sender="agent")

    assert Operation.objects.filter(target_id=bony.pk).count() == 0
    assert "only as the channel&#x27;s agent" in messages_of(note)[-1]
    assert "Bony.chat takes plain text only" in messages_of(formatted)[-1]


def test_it_offers_bony_only_selections_no_markdown_and_no_other_sender(owner_client) -> None:
    bony = ChatConversationFactory(account=BonyAccountFactory())

    page = post_action(owner_client, ChatConversation, "send_message", [bony], apply=False)
    crafted = send(owner_client, [bony], text="x", sender="note", markdown_text="**x**")

    assert page.status_code == 200
    assert 'name="markdown_text"' not in page.content.decode()
    assert 'value="contact"' not in page.content.decode()
    assert crafted.status_code == 200
    assert crafted.context["form"].errors["sender"]
    assert not Operation.objects.exists()


# --- limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account_factory", "kwargs", "limit", "name"),
    [
        (
            BonyAccountFactory,
            {"channel_kind": BonyChannelKind.MESSENGER},
            2000,
            "Facebook Messenger",
        ),
        (BonyAccountFactory, {"channel_kind": BonyChannelKind.VIBER}, 7000, "Viber"),
        (HelpCrunchAccountFactory, {}, 10000, "HelpCrunch (Switchboard&#x27;s limit)"),
    ],
)
def test_it_refuses_a_text_over_the_channels_limit_and_names_it(
    owner_client, rsps, account_factory, kwargs, limit, name
) -> None:
    conversation = ChatConversationFactory(account=account_factory(**kwargs))

    response = send(owner_client, [conversation], text="ż" * (limit + 1), sender="contact")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"{name} allows at most {limit:,} characters in a message; this text has" in page
    assert f"{limit + 1:,}." in page
    assert not Operation.objects.exists()


def test_it_accepts_a_text_at_the_limit_and_checks_each_channel_in_the_selection(
    owner_client, rsps
) -> None:
    viber = ChatConversationFactory(
        account=BonyAccountFactory(channel_kind=BonyChannelKind.VIBER), vendor_id="5VJA"
    )
    messenger = ChatConversationFactory(account=BonyAccountFactory(), vendor_id="1776")
    rsps.post(f"{BONY}/message/sendContent/NVZKQQ%3D%3D", json=BONY_SENT)

    mixed = send(owner_client, [viber, messenger], text="a" * 2001, sender="agent")
    alone = send(owner_client, [viber], text="a" * 7000, sender="agent")

    assert mixed.context["form"].errors["text"] == [
        "Facebook Messenger allows at most 2,000 characters in a message; this text has 2,001.",
        "Shorten it, or leave those conversations out of the selection: the others take it.",
    ]
    assert alone.status_code == 302
    assert Operation.objects.get().state == "succeeded"


def test_it_refuses_formatted_text_over_helpcrunchs_limit(owner_client) -> None:
    conversation = ChatConversationFactory()

    response = send(
        owner_client, [conversation], text="x", markdown_text="*" * 10_001, sender="contact"
    )

    assert response.context["form"].errors["markdown_text"] == [
        "HelpCrunch (Switchboard's limit) allows at most 10,000 characters in a message;"
        " this text has 10,001."
    ]


# --- the live sandbox ------------------------------------------------------------------------


def test_it_sends_a_private_note_to_the_sandbox(owner_client, owner, sandbox: SandboxHandle):
    account = HelpCrunchAccountFactory(base_url=sandbox.helpcrunch_url, api_secret="sandbox")
    AgentIdentityFactory(user=owner, account=account, login="1")
    conversation = ChatConversationFactory(account=account, vendor_id="1")

    send(owner_client, [conversation], text="Klient dzwonił, oddzwonić jutro", sender="note")

    sent = sandbox.state.helpcrunch.chats[1].messages[-1]
    assert (sent.type, sent.agent_id, sent.text) == (
        "private",
        1,
        "Klient dzwonił, oddzwonić jutro",
    )
    message = ChatMessage.objects.get(conversation=conversation)
    assert (message.vendor_id, message.sender) == (str(sent.id), "note")
    assert ApiCall.objects.get().url == f"{sandbox.helpcrunch_url}/messages"


@pytest.mark.parametrize(
    ("token", "kind", "contact_id"),
    [
        ("sandbox", BonyChannelKind.MESSENGER, BONY_CONTACT_ID),
        ("sandbox-viber", BonyChannelKind.VIBER, BONY_VIBER_CONTACT_ID),
    ],
)
def test_it_sends_a_text_to_the_sandboxs_bony_channels(
    owner_client, sandbox: SandboxHandle, token, kind, contact_id
) -> None:
    account = BonyAccountFactory(base_url=sandbox.bony_url, api_secret=token, channel_kind=kind)
    contact = ContactFactory(account=account, vendor_id=contact_id)
    conversation = ChatConversationFactory(account=account, contact=contact, vendor_id=contact_id)

    send(owner_client, [conversation], text="Dziękujemy za zamówienie!", sender="agent")

    received = sandbox.state.bony[token].contacts[contact_id].messages[-1]
    assert received.body == [{"type": "text", "text": "Dziękujemy za zamówienie!"}]
    assert Operation.objects.get().state == "succeeded"
    assert ChatMessage.objects.filter(conversation=conversation, sender="agent").count() == 1


# --- permission -------------------------------------------------------------------------------


@pytest.fixture
def viewer() -> User:
    user = UserFactory(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_chatconversation"))
    return user


def test_it_offers_the_action_only_with_the_permission(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    ChatConversationFactory()

    without = client.get(changelist_url(ChatConversation)).content.decode()
    viewer.user_permissions.add(Permission.objects.get(codename="send_message"))
    with_it = client.get(changelist_url(ChatConversation)).content.decode()

    assert 'value="send_message"' not in without
    assert 'value="send_message"' in with_it


def test_it_queues_nothing_for_a_crafted_post_without_the_permission(viewer: User, rsps) -> None:
    client = Client()
    client.force_login(viewer)
    conversation = ChatConversationFactory()

    response = send(client, [conversation], text="Hi", sender="contact")

    assert response.status_code == 200  # the list again: it offers this user no action at all
    assert response.context["cl"].result_count == 1
    assert not Operation.objects.exists()


def test_it_says_no_action_selected_when_the_user_has_other_actions(viewer: User, rsps) -> None:
    viewer.user_permissions.add(Permission.objects.get(codename="delete_chatconversation"))
    client = Client()
    client.force_login(viewer)
    conversation = ChatConversationFactory()

    response = send(client, [conversation], text="Hi", sender="contact")

    assert response.status_code == 302
    assert messages_of(response) == ["No action selected."]
    assert not Operation.objects.exists()
