"""Planted credentials never come out: not in a table, a task row, a log line, a page, an error
report or an exception.

Distinctive credentials are typed into the account form for three sandbox accounts. Every staff
action then runs through the admin (tasks in-process), along with every failure path: refused
credentials, 429, 500, a refused connection, a timeout, a lost answer, a vendor whose error
echoes the request back, a bug in a handler and a crash while saving an account. Every admin
page is rendered. Then every column of every table, django-q2's pickled task rows decoded, the
log records of every logger at DEBUG (SQL included), the pages, the error reports and the
exceptions are searched for each credential, raw and in the encodings it travels in.

Each scenario is one small function in ``SCENARIOS``; a new action is one more entry there.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import pickle
import socket
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import responses
from django.contrib import admin
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.db import DatabaseError, connection, connections, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django_q.conf import Conf
from django_q.signing import SignedPackage
from picklefield.fields import dbsafe_decode

from backoffice.adapters import vendor_client_build
from backoffice.compression import decompress_pair, decompress_text
from backoffice.models import (
    ChatConversation,
    Contact,
    Operation,
    RateBucket,
    Ticket,
    User,
    VendorAccount,
)
from backoffice.operations import runner
from connectors.sandbox.seed import (
    BONY_CONTACT_ID,
    HELPCRUNCH_AGENT_ID,
    HELPCRUNCH_CHAT_ID,
    HELPCRUNCH_CUSTOMER_ID,
    THULIUM_AGENT_LOGIN,
    THULIUM_CHAT_QUEUE_ID,
    THULIUM_CUSTOMER_ID,
    THULIUM_TICKET_ID,
)
from connectors.sandbox.testing import SandboxHandle, running_sandbox
from tests.backoffice.admin import flow
from tests.factories import (
    AgentIdentityFactory,
    ChatConversationFactory,
    ContactFactory,
    SuperuserFactory,
    TagFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

THULIUM_LOGIN = "S3CR3T-thulium-login-5e1d"
THULIUM_PASSWORD = "S3CR3T-thulium-pass-9b7c"
HELPCRUNCH_KEY = "S3CR3T-helpcrunch-key-3f2a"
BONY_TOKEN = "S3CR3T-bony-token-c84e"
WRONG_KEY = "S3CR3T-wrong-helpcrunch-key-0d6b"  # refused by the vendor: secret all the same
CREDENTIALS = (THULIUM_LOGIN, THULIUM_PASSWORD, HELPCRUNCH_KEY, BONY_TOKEN, WRONG_KEY)
MARKER = "s3cr3t"  # every credential holds it; found in any case, it is a leak


def encodings(text: str) -> list[str]:
    raw = text.encode()
    return [
        text,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
    ]


def needles(encryption_keys: Iterable[str]) -> list[str]:
    found = [MARKER]
    for credential in CREDENTIALS:
        found += encodings(credential)
    # HTTP Basic, as Thulium's credentials go on the wire.
    found += encodings(f"{THULIUM_LOGIN}:{THULIUM_PASSWORD}")
    found += list(encryption_keys)
    return found


# --- where secrets could end up -----------------------------------------------------------------


class RecordingClient(Client):
    """An admin client that keeps every page it was served."""

    def __init__(self, pages: list[tuple[str, bytes]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pages = pages

    def request(self, **request: Any) -> HttpResponse:
        response: HttpResponse = super().request(**request)
        where = f"{request.get('REQUEST_METHOD')} {request.get('PATH_INFO')}"
        content = b"".join(response.streaming_content) if response.streaming else response.content
        self.pages.append((where, content + str(response.headers).encode()))
        return response


@dataclass
class World:
    client: RecordingClient
    owner: User
    sandbox: SandboxHandle
    settings: Any
    monkeypatch: pytest.MonkeyPatch
    pages: list[tuple[str, bytes]]
    accounts: dict[str, VendorAccount] = field(default_factory=dict)
    # Text of every exception caught on the way: str, repr, args, attributes, pickled form.
    exceptions: list[tuple[str, str]] = field(default_factory=list)

    def catch(self, where: str, exc: BaseException) -> None:
        seen: BaseException | None = exc
        while seen is not None:
            text = "\n".join(
                [str(seen), repr(seen), repr(seen.args), repr(getattr(seen, "__dict__", {}))]
            )
            # An error that cannot be pickled cannot travel into a task row either.
            with contextlib.suppress(Exception):
                text += repr(pickle.dumps(seen))
            self.exceptions.append((where, text))
            seen = seen.__cause__ or seen.__context__


@pytest.fixture(scope="module")
def planted_sandbox() -> Iterator[SandboxHandle]:
    """A sandbox that accepts the planted credentials (and refuses WRONG_KEY)."""
    with running_sandbox(
        thulium_users={THULIUM_LOGIN: THULIUM_PASSWORD},
        helpcrunch_keys=[HELPCRUNCH_KEY],
        bony_tokens={BONY_TOKEN: "messenger"},
    ) as handle:
        yield handle


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every logger at DEBUG into caplog, SQL with its parameters included."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)
            if not logger.propagate:
                monkeypatch.setattr(logger, "propagate", True)
    for name in ("urllib3", "django.request", "django.db.backends", "django_q"):
        caplog.set_level(logging.DEBUG, logger=name)
    monkeypatch.setattr(connections["default"], "force_debug_cursor", True)
    return caplog


@pytest.fixture
def world(
    planted_sandbox: SandboxHandle, settings: Any, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> World:
    planted_sandbox.reset()
    # Production saves only failed tasks' rows (save_limit -1); here every task keeps its row, so
    # the search covers what django-q2 would write for any of them.
    monkeypatch.setattr(Conf, "SAVE_LIMIT", 0)
    owner = SuperuserFactory()
    pages: list[tuple[str, bytes]] = []
    client = RecordingClient(pages)
    client.force_login(owner)
    return World(client, owner, planted_sandbox, settings, monkeypatch, pages)


# --- the scenarios --------------------------------------------------------------------------


def account_form(world: World, **values: str) -> dict[str, str]:
    return {
        "vendor": "",
        "name": "",
        "base_url": "",
        "channel_kind": "",
        "rate_limit_per_minute": "",
        "max_attempts": "2",
        "time_zone": "Europe/Warsaw",
        "is_active": "on",
        "new_api_login": "",
        "new_api_secret": "",
        "agent_identities-TOTAL_FORMS": "0",
        "agent_identities-INITIAL_FORMS": "0",
        **values,
    }


def add_account(world: World, key: str, **values: str) -> VendorAccount:
    """Typed into the admin's account form, as staff do."""
    response = world.client.post(
        reverse("admin:backoffice_vendoraccount_add"), account_form(world, **values)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    account = VendorAccount.objects.get(name=values["name"])
    world.accounts[key] = account
    return account


def connect_accounts(world: World) -> None:
    sandbox = world.sandbox
    add_account(
        world,
        "thulium",
        vendor="thulium",
        name="Centrala",
        base_url=sandbox.thulium_url,
        new_api_login=THULIUM_LOGIN,
        new_api_secret=THULIUM_PASSWORD,
    )
    add_account(
        world,
        "helpcrunch",
        vendor="helpcrunch",
        name="Czat",
        base_url=sandbox.helpcrunch_url,
        new_api_secret=HELPCRUNCH_KEY,
    )
    add_account(
        world,
        "bony",
        vendor="bony",
        name="Messenger",
        base_url=sandbox.bony_url,
        channel_kind="messenger",
        new_api_secret=BONY_TOKEN,
    )
    add_account(
        world,
        "wrong",
        vendor="helpcrunch",
        name="Czat (old key)",
        base_url=sandbox.helpcrunch_url,
        new_api_secret=WRONG_KEY,
    )
    # Replacing a credential through the form, too.
    thulium = world.accounts["thulium"]
    data = account_form(
        world,
        vendor="thulium",
        name="Centrala",
        base_url=sandbox.thulium_url,
        new_api_secret=THULIUM_PASSWORD,
    )
    change = reverse("admin:backoffice_vendoraccount_change", args=[thulium.pk])
    assert world.client.post(change, data).status_code == 302
    AgentIdentityFactory(user=world.owner, account=thulium, login=THULIUM_AGENT_LOGIN)
    AgentIdentityFactory(
        user=world.owner, account=world.accounts["helpcrunch"], login=str(HELPCRUNCH_AGENT_ID)
    )


def last_operation(action: str) -> Operation:
    operation = Operation.objects.filter(action=action).order_by("-pk").first()
    assert operation is not None, action
    return operation


def connection_test(world: World) -> None:
    accounts = [world.accounts[k] for k in ("thulium", "helpcrunch", "bony")]
    flow.start(world.client, VendorAccount, "test_connection", [a.pk for a in accounts])
    states = Operation.objects.filter(action="test_connection").values_list("state", flat=True)
    assert list(states) == ["succeeded"] * 3


def reply_to_ticket(world: World) -> None:
    ticket = TicketFactory(account=world.accounts["thulium"], vendor_id=str(THULIUM_TICKET_ID))
    flow.run(
        world.client,
        Ticket,
        "reply_to_ticket",
        [ticket.pk],
        {"body": "Paczka wyszła dziś.", "body_type": "PLAIN", "date": ""},
    )
    assert last_operation("reply_to_ticket").state == "succeeded"


def contacts(world: World) -> list[Contact]:
    helpcrunch = world.accounts["helpcrunch"]
    bony = world.accounts["bony"]
    at_helpcrunch = Contact.objects.filter(account=helpcrunch).first() or ContactFactory(
        account=helpcrunch,
        vendor_id=str(HELPCRUNCH_CUSTOMER_ID),
        email="anna.nowak@example.pl",
        vendor_snapshot={"name": "Anna Nowak", "email": "anna@example.pl", "phone": ""},
    )
    at_bony = Contact.objects.filter(account=bony, vendor_id=BONY_CONTACT_ID).first()
    at_bony = at_bony or ContactFactory(account=bony, vendor_id=BONY_CONTACT_ID)
    return [at_helpcrunch, at_bony]


def add_tags(world: World) -> None:
    TagFactory(account=world.accounts["helpcrunch"], name="zwrot")
    selected = [c.pk for c in contacts(world)]
    flow.run(world.client, Contact, "add_tags", selected, {"names": "zwrot, vip"})
    assert set(Operation.objects.filter(action="add_tags").values_list("state", flat=True)) == {
        "succeeded"
    }


def remove_tags(world: World) -> None:
    selected = [c.pk for c in contacts(world)]
    flow.run(world.client, Contact, "remove_tags", selected, {"names": "", "existing": ["vip"]})
    states = Operation.objects.filter(action="remove_tags").values_list("state", flat=True)
    assert set(states) == {"succeeded"}


def push_to_vendor(world: World) -> None:
    new = ContactFactory(
        account=world.accounts["bony"], vendor_id=None, first_name="Łucja", email="l@example.pl"
    )
    selected = [contacts(world)[0].pk, new.pk]
    flow.run(world.client, Contact, "push_to_vendor", selected)
    states = Operation.objects.filter(action="push_to_vendor").values_list("state", flat=True)
    assert set(states) == {"succeeded"}


def thulium_contact(world: World) -> Contact:
    account = world.accounts["thulium"]
    found = Contact.objects.filter(account=account).first()
    return found or ContactFactory(
        account=account,
        vendor_id=str(THULIUM_CUSTOMER_ID),
        first_name="Anna",
        last_name="Nowak",
        email="ANNA.NOWAK@gmail.com",
    )


def add_feed_record(world: World) -> None:
    flow.run(
        world.client,
        Contact,
        "add_feed_record",
        [thulium_contact(world).pk],
        {"message": "Klientka dzwoniła.", "author": "agent", "time": ""},
    )
    assert last_operation("add_feed_record").state == "succeeded"


def start_chat(world: World) -> None:
    flow.run(
        world.client,
        Contact,
        "start_chat",
        [thulium_contact(world).pk],
        {"chat_queue_id": str(THULIUM_CHAT_QUEUE_ID)},
    )
    assert last_operation("start_chat").state == "succeeded"


def conversations(world: World) -> list[ChatConversation]:
    helpcrunch, bony = contacts(world)
    return [
        ChatConversation.objects.filter(account=helpcrunch.account).first()
        or ChatConversationFactory(
            account=helpcrunch.account, contact=helpcrunch, vendor_id=str(HELPCRUNCH_CHAT_ID)
        ),
        ChatConversation.objects.filter(account=bony.account).first()
        or ChatConversationFactory(account=bony.account, contact=bony, vendor_id="c"),
    ]


def send_message(world: World) -> None:
    selected = [c.pk for c in conversations(world)]
    flow.apply(
        world.client,
        ChatConversation,
        "send_message",
        selected,
        {"text": "Dzień dobry!", "sender": "agent"},
    )
    states = Operation.objects.filter(action="send_message").values_list("state", flat=True)
    assert set(states) == {"succeeded"}


def sync_accounts(world: World) -> None:
    accounts = [world.accounts[k] for k in ("thulium", "helpcrunch", "bony")]
    # A ticket's messages are one read each: the vendors' limits would only make this slow.
    VendorAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
        rate_limit_per_minute=100_000
    )
    flow.run(world.client, VendorAccount, "sync_from_vendor", [a.pk for a in accounts], {})
    syncs = Operation.objects.filter(action="sync_from_vendor", account__in=accounts)
    assert list(syncs.values_list("state", flat=True)) == ["succeeded"] * 3
    assert Contact.objects.filter(account=world.accounts["thulium"]).count() > 1


def refresh_contacts(world: World) -> None:
    selected = [c.pk for c in contacts(world)]
    flow.start(world.client, Contact, "sync_from_vendor", selected)
    refreshes = Operation.objects.filter(action="sync_from_vendor", target_id__in=selected)
    assert set(refreshes.values_list("state", flat=True)) == {"succeeded"}


def wrong_credentials(world: World) -> None:
    account = world.accounts["wrong"]
    flow.start(world.client, VendorAccount, "test_connection", [account.pk])
    operation = last_operation("test_connection")
    assert (operation.state, "HTTP 401" in operation.last_error) == ("failed", True)
    flow.run(world.client, VendorAccount, "sync_from_vendor", [account.pk], {})
    operation = last_operation("sync_from_vendor")
    assert (operation.state, "HTTP 401" in operation.last_error) == ("failed", True)


def rate_limited(world: World) -> None:
    world.sandbox.inject("rate_limit", vendor="bony", retry_after=30)
    bony = contacts(world)[1]
    flow.run(world.client, Contact, "add_tags", [bony.pk], {"names": "limit"})
    operation = last_operation("add_tags")
    assert (operation.state, "HTTP 429" in operation.last_error) == ("retrying", True)
    RateBucket.objects.filter(account=bony.account).delete()  # the pause is over


def server_error(world: World) -> None:
    world.sandbox.inject("error", vendor="helpcrunch", status=500)
    helpcrunch = contacts(world)[0]
    flow.run(world.client, Contact, "add_tags", [helpcrunch.pk], {"names": "awaria"})
    operation = last_operation("add_tags")
    assert (operation.state, "HTTP 500" in operation.last_error) == ("retrying", True)


def connection_refused(world: World) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    account = world.accounts["bony"]
    VendorAccount.objects.filter(pk=account.pk).update(
        base_url=f"http://127.0.0.1:{port}/bony/api/v1"
    )
    try:
        flow.start(world.client, VendorAccount, "test_connection", [account.pk])
    finally:
        VendorAccount.objects.filter(pk=account.pk).update(base_url=world.sandbox.bony_url)
    operation = last_operation("test_connection")
    assert operation.state == "failed", operation.last_error
    assert "connect" in operation.last_error.lower(), operation.last_error


def timeout(world: World) -> None:
    world.settings.VENDOR_TIMEOUT_SECONDS = 0.3
    world.sandbox.inject("slow", vendor="thulium", seconds=1.0)
    account = world.accounts["thulium"]
    flow.start(world.client, VendorAccount, "test_connection", [account.pk])
    world.settings.VENDOR_TIMEOUT_SECONDS = 30
    operation = last_operation("test_connection")
    assert operation.state == "failed"
    assert operation.last_error.startswith("no response within 0.3s"), operation.last_error


def lost_answer(world: World) -> None:
    """A message the vendor took but whose answer was lost: the operation's outcome is unknown."""
    world.sandbox.inject("drop_after_write", vendor="bony", method="POST")
    flow.apply(
        world.client,
        ChatConversation,
        "send_message",
        [conversations(world)[1].pk],
        {"text": "Dziękujemy!", "sender": "agent"},
    )
    assert last_operation("send_message").state == "unknown"


def echoing_vendor(world: World) -> None:
    """A vendor whose error repeats the request, credentials and all, in several encodings."""

    def echo(request: Any) -> tuple[int, dict[str, str], str]:
        authorization = request.headers["Authorization"]
        scheme, _, value = authorization.partition(" ")
        decoded = base64.b64decode(value).decode() if scheme == "Basic" else value
        said = f"Rejected {authorization} ({decoded}) for {request.body!r} at {request.url}"
        body = {"errors": [{"code": "invalid", "message": said}], "message": said}
        return 400, {"Content-Type": "application/json", "X-Echo": authorization}, json.dumps(body)

    sandbox = world.sandbox
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add_passthru(sandbox.base_url)
        rsps.add_callback("POST", f"{sandbox.helpcrunch_url}/messages", callback=echo)
        ticket_url = f"{sandbox.thulium_url}/tickets/{THULIUM_TICKET_ID}/agent_response"
        rsps.add_callback("POST", ticket_url, callback=echo)
        flow.apply(
            world.client,
            ChatConversation,
            "send_message",
            [conversations(world)[0].pk],
            {"text": "Echo?", "sender": "agent"},
        )
        ticket = Ticket.objects.get(account=world.accounts["thulium"])
        flow.run(
            world.client,
            Ticket,
            "reply_to_ticket",
            [ticket.pk],
            {"body": "Echo?", "body_type": "PLAIN", "date": ""},
        )
    for action in ("send_message", "reply_to_ticket"):
        operation = last_operation(action)
        assert operation.state == "failed", (action, operation.state)
        assert operation.last_error.startswith("Rejected [redacted] ("), operation.last_error
    assert "([redacted]:[redacted])" in last_operation("reply_to_ticket").last_error


def handler_bug(world: World) -> None:
    """A bug while the attempt runs: its message and traceback go to the log and the operation."""

    def broken(self: Any, handler: Any, attempt: Any) -> Any:
        raise RuntimeError(f"bug near {attempt.client!r}, {attempt.account!r}, {self.account}")

    with world.monkeypatch.context() as patch:
        patch.setattr(runner._Run, "attempt", broken)
        flow.run(world.client, Contact, "add_tags", [contacts(world)[0].pk], {"names": "błąd"})
    operation = last_operation("add_tags")
    assert (operation.state, operation.last_error.startswith("RuntimeError: bug near")) == (
        "failed",
        True,
    )


def account_form_crash(world: World) -> None:
    """Saving an account fails: the error report (mailed, or the DEBUG page) masks the typed
    credentials."""
    world.settings.ADMINS = [("Ops", "ops@example.org")]
    crashing = RecordingClient(world.pages, raise_request_exception=False)
    crashing.force_login(world.owner)

    def disk_full(self: VendorAccount, *args: Any, **kwargs: Any) -> None:
        raise DatabaseError("could not extend file: No space left on device")

    with world.monkeypatch.context() as patch:
        patch.setattr(VendorAccount, "save", disk_full)
        data = account_form(
            world,
            vendor="thulium",
            name="Zapasowa",
            base_url=world.sandbox.thulium_url,
            new_api_login=THULIUM_LOGIN,
            new_api_secret=THULIUM_PASSWORD,
        )
        url = reverse("admin:backoffice_vendoraccount_add")
        world.settings.DEBUG = False
        assert crashing.post(url, data).status_code == 500
        world.settings.DEBUG = True
        debug_page = crashing.post(url, data)
        world.settings.DEBUG = False
    assert debug_page.status_code == 500
    assert b"could not extend file" in debug_page.content  # the technical page it is
    (report,) = mail.outbox
    assert "could not extend file" in report.body
    for message in mail.outbox:
        world.pages.append(("mail to ADMINS", message.message().as_bytes()))


def connector_errors(world: World) -> None:
    """The errors the connectors raise, caught and kept whole for the search."""
    wrong = vendor_client_build(account=world.accounts["wrong"])
    try:
        wrong.check_connection()
    except Exception as exc:
        world.catch("401", exc)
    thulium = world.accounts["thulium"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    thulium.base_url = f"http://127.0.0.1:{port}/thulium/api"
    try:
        vendor_client_build(account=thulium).check_connection()
    except Exception as exc:
        world.catch("refused", exc)
    world.settings.VENDOR_TIMEOUT_SECONDS = 0.3
    world.sandbox.inject("slow", vendor="thulium", seconds=1.0)
    thulium.base_url = world.sandbox.thulium_url
    try:
        vendor_client_build(account=thulium).check_connection()
    except Exception as exc:
        world.catch("timeout", exc)
    world.settings.VENDOR_TIMEOUT_SECONDS = 30
    assert [where for where, _ in world.exceptions[:1]] == ["401"]
    assert {"refused", "timeout"} <= {where for where, _ in world.exceptions}


def retry(world: World) -> None:
    retryable = Operation.objects.filter(state="failed")
    assert retryable.exists()
    flow.start(world.client, Operation, "retry_operations", retryable.values_list("pk", flat=True))
    unknown = Operation.objects.filter(state="unknown").values_list("pk", flat=True)
    flow.apply(world.client, Operation, "retry_operations", list(unknown))


def dismiss(world: World) -> None:
    world.sandbox.inject("drop_after_write", vendor="bony", method="POST")
    flow.apply(
        world.client,
        ChatConversation,
        "send_message",
        [conversations(world)[1].pk],
        {"text": "Jeszcze raz", "sender": "agent"},
    )
    closable = list(
        Operation.objects.filter(state__in=["failed", "unknown"]).values_list("pk", flat=True)
    )
    assert closable
    flow.start(world.client, Operation, "dismiss_operations", closable)
    flow.apply(world.client, Operation, "dismiss_operations", closable)
    assert not Operation.objects.filter(state__in=["failed", "unknown"]).exists()


Scenario = Callable[[World], None]
# In order: each may use what the ones before it set up.
SCENARIOS: list[Scenario] = [
    connect_accounts,
    connection_test,
    reply_to_ticket,
    add_tags,
    remove_tags,
    push_to_vendor,
    add_feed_record,
    start_chat,
    send_message,
    wrong_credentials,
    rate_limited,
    server_error,
    connection_refused,
    timeout,
    lost_answer,
    echoing_vendor,
    handler_bug,
    account_form_crash,
    connector_errors,
    sync_accounts,
    refresh_contacts,
    retry,
    dismiss,
]


def render_every_admin_page(world: World) -> None:
    client = world.client
    for model in admin.site._registry:
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        assert client.get(reverse(f"{prefix}_changelist")).status_code == 200, prefix
        try:
            add = reverse(f"{prefix}_add")
        except NoReverseMatch:
            add = None
        if add is not None:
            client.get(add)
        for pk in model._default_manager.values_list("pk", flat=True):
            page = client.get(reverse(f"{prefix}_change", args=[pk]))
            assert page.status_code == 200, (prefix, pk)
            client.get(reverse(f"{prefix}_history", args=[pk]))
    progress = reverse("admin:backoffice_operation_progress")
    for group in Operation.objects.values_list("group_id", flat=True).distinct():
        assert client.get(progress, {"group_id": str(group)}).status_code == 200
        client.get(flow.changelist(Operation, f"group_id={group}"))


# --- the search -------------------------------------------------------------------------------


def decoded(value: str) -> list[str]:
    """What a stored text may hide: django-q2's signed pickles and pickled fields, sessions."""
    found = []
    for decode in (SignedPackage.loads, dbsafe_decode, SessionStore().decode):
        try:
            found.append(repr(decode(value)))
        except Exception:  # noqa: S112 - not that encoding
            continue
    return found


def texts_of(value: object) -> list[str]:
    if value is None or isinstance(value, int | float | bool):
        return []
    if isinstance(value, memoryview | bytes | bytearray):
        raw = bytes(value)
        found = [raw.decode("latin-1"), raw.decode("utf-8", errors="replace")]
        # An audit body or headers, stored compressed; both bodies of a call, as one stream.
        with contextlib.suppress(zlib.error, ValueError):
            found.append(decompress_text(raw))
        with contextlib.suppress(zlib.error, ValueError):
            pair = decompress_pair(raw)
            found += [pair.request, pair.response]
        return found
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False), json.dumps(value)]
    text = str(value)
    return [text, *decoded(text)]


def database_texts() -> Iterator[tuple[str, str]]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        assert "backoffice_apicall" in tables
        assert "django_q_task" in tables
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    for text in texts_of(value):
                        yield f"{table}.{column}", text


def log_texts(caplog: pytest.LogCaptureFixture) -> Iterator[tuple[str, str]]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        yield f"log {record.name}", formatter.format(record) + repr(record.__dict__)


def leaks(sources: Iterable[tuple[str, str]], encryption_keys: Iterable[str]) -> list[str]:
    wanted = needles(encryption_keys)
    found = []
    for where, text in sources:
        lowered = text.lower()
        for needle in wanted:
            if needle in text or needle.lower() in lowered:
                at = lowered.index(needle.lower())
                context = text[max(0, at - 80) : at + 40].replace(needle, "<" + needle[:6] + "…>")
                found.append(f"{where}: {needle[:6]}… in …{context}…")
    return found


def every_source(world: World, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[str, str]]:
    yield from database_texts()
    yield from log_texts(caplog)
    for where, content in world.pages:
        yield f"page {where}", content.decode("utf-8", errors="replace")
    for name, morsel in world.client.cookies.items():
        yield f"cookie {name}", morsel.value + "".join(decoded(morsel.value))
    yield from world.exceptions


def test_it_never_lets_a_planted_credential_out(world: World, logs: Any) -> None:
    for scenario in SCENARIOS:
        scenario(world)
    render_every_admin_page(world)

    # The paths ran: rows to search in every audit table, django-q2's task rows, logs, pages.
    assert Operation.objects.values("state").distinct().count() >= 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_q_task")
        assert cursor.fetchone()[0] >= 20
    assert any(r.name == "urllib3.connectionpool" for r in logs.records)
    assert any(r.name == "django.db.backends" for r in logs.records)
    assert any(r.name == "django.request" and r.exc_info for r in logs.records)
    assert any(r.name == "backoffice.operations.runner" and r.exc_info for r in logs.records)
    assert len(world.pages) > 100

    found = leaks(every_source(world, logs), world.settings.FIELD_ENCRYPTION_KEYS)
    assert not found, "\n".join(found)


def test_it_finds_a_credential_wherever_it_searches(world: World, logs: Any) -> None:
    """The search itself can fail: a credential planted in each place is found there."""
    with transaction.atomic():
        ContactFactory(custom_fields={"pasted": base64.b64encode(BONY_TOKEN.encode()).decode()})
        from django_q.tasks import async_task

        async_task("builtins.len", HELPCRUNCH_KEY)  # a task row holding it, pickled
        in_tables = [
            where for where, text in database_texts() if leaks([(where, text)], encryption_keys=[])
        ]
        transaction.set_rollback(True)
    logging.getLogger("urllib3").debug("header %s", THULIUM_PASSWORD)
    world.pages.append(("page", f"<p>{THULIUM_LOGIN.upper()}</p>".encode()))
    world.catch("error", ValueError(f"{THULIUM_LOGIN}:{THULIUM_PASSWORD}"))

    assert any(where.startswith("backoffice_contact.") for where in in_tables), in_tables
    assert any(where.startswith("django_q_task.") for where in in_tables), in_tables
    places = {where.split(":")[0].split(" ")[0] for where in leaks(every_source(world, logs), [])}
    assert {"log", "page", "error"} <= places
