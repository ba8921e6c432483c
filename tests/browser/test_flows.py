"""Staff's everyday work, end to end: clicks in Chromium, a real worker, the vendor sandbox.

Each test logs a staff member in through the login page, has them run an action as a person
would (tick rows, pick the action, fill in its form, follow its progress), and checks both what
they see and what the vendor received. The pages come from the live server; the operations run
in a real ``manage.py qcluster`` on the test database (tests/browser/conftest.py), which calls
the sandbox over loopback. The test itself only sets up rows and reads outcomes.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from backoffice.models import (
    ChatConversation,
    ChatMessage,
    Contact,
    Operation,
    OperationState,
    Ticket,
    TicketMessage,
    User,
    VendorAccount,
)
from backoffice.operations.dispatch import RUN_TASK
from backoffice.operations.enqueue import operations_enqueue
from backoffice.roles import AUDITOR, INTEGRATION_ADMIN, SUPPORT_AGENT, SUPPORT_LEAD
from connectors.sandbox.seed import (
    HELPCRUNCH_AGENT_ID,
    HELPCRUNCH_CHAT_ID,
    THULIUM_AGENT_LOGIN,
    THULIUM_CHAT_QUEUE_ID,
    THULIUM_CUSTOMER_ID,
    THULIUM_TICKET_ID,
)
from connectors.sandbox.testing import SandboxHandle
from tests.browser.steps import (
    SETTLE_MS,
    admin_url,
    follow_progress,
    hide_side_bar,
    log_in,
    open_list,
    run_action,
    screenshot,
)
from tests.factories import (
    AgentIdentityFactory,
    ChatConversationFactory,
    ContactFactory,
    TicketFactory,
    role_user,
)
from tests.worker import Worker

pytestmark = pytest.mark.usefixtures("tasks_to_worker")

REPLY = "Dzień dobry, korekta faktury jest w załączniku. Pozdrawiam, Zespół wsparcia"
INVOICE = "korekta-faktury.txt"
INVOICE_BYTES = "Korekta faktury FV/2026/06/0042\nKwota: 1049,10 zł\n".encode()


def changelist(model: type[Any]) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


def unscheduled(account: VendorAccount) -> VendorAccount:
    """No scheduled sync: the worker would otherwise read the whole sandbox into the mirror
    while the test runs."""
    account.sync_interval_minutes = None
    account.save()
    return account


@pytest.fixture
def thulium(thulium_sandbox: VendorAccount) -> VendorAccount:
    return unscheduled(thulium_sandbox)


@pytest.fixture
def helpcrunch(helpcrunch_sandbox: VendorAccount) -> VendorAccount:
    return unscheduled(helpcrunch_sandbox)


@pytest.fixture
def bony(bony_sandbox: VendorAccount) -> VendorAccount:
    return unscheduled(bony_sandbox)


@pytest.fixture
def agent(thulium: VendorAccount) -> User:
    """A support agent who is the sandbox's agent.demo at the Thulium account."""
    user = role_user(SUPPORT_AGENT, username="ewa.agent")
    AgentIdentityFactory(user=user, account=thulium, login=THULIUM_AGENT_LOGIN)
    return user


@pytest.fixture
def invoice(tmp_path: Path) -> Path:
    path = tmp_path / INVOICE
    path.write_bytes(INVOICE_BYTES)
    return path


def ticket_replies(sandbox: SandboxHandle, body: str) -> list[Any]:
    messages = sandbox.state.thulium.tickets[THULIUM_TICKET_ID].messages
    return [m for m in messages if m.type == "REPLY" and m.body == body]


def assert_run_by_the_worker(worker: Worker) -> None:
    """Every operation was run by the worker, not inline in the web's request: its own log
    names each one's task (dispatch.py names them)."""
    output = worker.output()
    operations = list(Operation.objects.values_list("pk", flat=True))
    assert operations
    for pk in operations:
        assert f"Processed '{RUN_TASK}' (operation {pk})" in output, output


def wait_until_settled(worker: Worker, operation_ids: list[int]) -> None:
    """Until the worker has finished the operations (a deadline, never a fixed wait)."""
    deadline = time.monotonic() + SETTLE_MS / 1000
    pending = Operation.objects.filter(pk__in=operation_ids, finished_at__isnull=True)
    while pending.exists():
        worker.assert_alive()
        assert time.monotonic() < deadline, (
            json.dumps(list(Operation.objects.values("pk", "state", "last_error")), default=str)
            + worker.output()
        )
        time.sleep(0.1)


def reply_from_ticket_list(
    page: Page, live_server: LiveServer, ticket_pk: int, body: str, files: list[Path]
) -> None:
    page.goto(admin_url(live_server, changelist(Ticket)))
    run_action(page, "reply_to_ticket", [ticket_pk])
    expect(page.locator("h1")).to_have_text("Reply to tickets")
    expect(page.locator(".action-intro")).to_contain_text(
        f"At Thulium sandbox: sent as {THULIUM_AGENT_LOGIN}."
    )
    page.fill("#id_body", body)
    page.check("input[name=body_type][value=PLAIN]")
    if files:
        page.set_input_files("#id_attachments", [str(f) for f in files])


def test_an_agent_replies_to_a_ticket_with_an_attachment_and_reads_it_on_the_ticket(
    page: Page,
    live_server: LiveServer,
    tasks_to_worker: Worker,
    sandbox: SandboxHandle,
    thulium: VendorAccount,
    agent: User,
    invoice: Path,
) -> None:
    subject = sandbox.state.thulium.tickets[THULIUM_TICKET_ID].subject
    ticket = TicketFactory(account=thulium, vendor_id=str(THULIUM_TICKET_ID), subject=subject)
    log_in(page, live_server, agent)

    reply_from_ticket_list(page, live_server, ticket.pk, REPLY, [invoice])
    expect(page.locator("#id_attachments")).to_have_js_property("files.length", 1)
    screenshot(page, "flow-ticket-reply-form")
    page.click("input[name=apply]")

    expect(page.locator(".messagelist")).to_contain_text("Queued 1 reply (follow their progress).")
    follow_progress(page, succeeded=1)
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".field-state")).to_have_text("Succeeded")
    expect(row.locator(".field-actor")).to_have_text(agent.get_username())
    screenshot(page, "flow-operation-progress")

    # The operation's page, then its ticket: the reply is in the conversation.
    row.locator(".field-id a").click()
    expect(page.locator(".operation-state-name")).to_have_text("Succeeded")
    page.click(".field-target_link a")
    expect(page.locator("h1")).to_have_text("View ticket")
    conversation = page.locator(".inline-group", has_text="Conversation")
    reply_row = conversation.locator("tbody tr", has_text=REPLY)
    expect(reply_row).to_have_count(1)
    expect(reply_row.locator(".field-kind")).to_have_text("Agent reply")
    expect(reply_row.locator(".field-author")).to_have_text(THULIUM_AGENT_LOGIN)
    screenshot(page, "flow-ticket-messages")

    # Thulium got one reply from agent.demo, with the file as chosen in the browser.
    (sent,) = ticket_replies(sandbox, REPLY)
    assert sent.user_login == THULIUM_AGENT_LOGIN
    assert sent.body_type == "PLAIN"
    assert [(a.filename, a.size) for a in sent.attachments] == [(INVOICE, len(INVOICE_BYTES))]
    assert sandbox.state.thulium.files[sent.attachments[0].token].content == INVOICE_BYTES
    assert_run_by_the_worker(tasks_to_worker)


def test_an_agent_tags_three_bony_contacts_at_once(
    page: Page,
    live_server: LiveServer,
    tasks_to_worker: Worker,
    sandbox: SandboxHandle,
    bony: VendorAccount,
    agent: User,
) -> None:
    channel = sandbox.state.bony["sandbox"]
    seeded = list(channel.contacts.values())[:4]
    contacts = [
        ContactFactory(
            account=bony,
            vendor_id=c.id,
            first_name=c.custom_fields["firstName"],
            last_name=c.custom_fields["lastName"],
            email=c.custom_fields["email"],
        )
        for c in seeded
    ]
    chosen, left_alone = contacts[:3], contacts[3]
    tags_before = {c.id: list(c.tags) for c in seeded}
    log_in(page, live_server, agent)

    page.goto(admin_url(live_server, changelist(Contact)))
    run_action(page, "add_tags", [c.pk for c in chosen])
    expect(page.locator("h1")).to_have_text("Add tags")
    expect(page.locator(".action-scope")).to_contain_text("3 selected contacts")
    page.fill("#id_names", "reklamacja, oddzwonić")
    page.click("input[name=apply]")

    expect(page.locator(".messagelist")).to_contain_text("Queued 3 tag changes")
    follow_progress(page, succeeded=3)
    expect(page.locator("#result_list .field-state")).to_have_text(["Succeeded"] * 3)

    open_list(page, "Contacts")
    for contact in chosen:
        row = page.locator("#result_list tbody tr", has_text=contact.last_name)
        expect(row.locator(".field-tag_list")).to_have_text("oddzwonić, reklamacja")
    others = page.locator("#result_list tbody tr", has_text=left_alone.last_name)
    expect(others.locator(".field-tag_list")).to_have_text("-")
    hide_side_bar(page)
    page.locator("#result_list .field-tag_list").first.scroll_into_view_if_needed()
    screenshot(page, "flow-contacts-tagged")

    # Bony.chat has the two tags on the three contacts, after the ones they had; not the fourth.
    for contact in chosen:
        tags = channel.contacts[contact.vendor_id].tags
        assert tags == [*tags_before[contact.vendor_id], "reklamacja", "oddzwonić"]
    assert channel.contacts[left_alone.vendor_id].tags == tags_before[left_alone.vendor_id]
    assert len([r for r in sandbox.received("bony") if r["method"] != "GET"]) == 3
    assert_run_by_the_worker(tasks_to_worker)


def test_an_agent_starts_a_thulium_chat_from_a_contact(
    page: Page,
    live_server: LiveServer,
    tasks_to_worker: Worker,
    sandbox: SandboxHandle,
    thulium: VendorAccount,
    agent: User,
) -> None:
    customer = sandbox.state.thulium.customers[THULIUM_CUSTOMER_ID]
    contact = ContactFactory(
        account=thulium,
        vendor_id=str(THULIUM_CUSTOMER_ID),
        first_name=customer.name,
        last_name=customer.surname,
        email=customer.email,
    )
    before = set(sandbox.state.thulium.conversations)
    log_in(page, live_server, agent)

    page.goto(admin_url(live_server, changelist(Contact)))
    run_action(page, "start_chat", [contact.pk])
    expect(page.locator("h1")).to_have_text("Start chats")
    page.fill("#id_chat_queue_id", str(THULIUM_CHAT_QUEUE_ID))
    page.click("input[name=apply]")

    expect(page.locator(".messagelist")).to_contain_text("Queued 1 chat start")
    follow_progress(page, succeeded=1)
    page.locator("#result_list .field-id a").click()
    expect(page.locator(".operation-state-name")).to_have_text("Succeeded")

    # Thulium has a new chat in the queue for the customer, and the chat list shows it.
    (started,) = set(sandbox.state.thulium.conversations) - before
    conversation = sandbox.state.thulium.conversations[started]
    assert (conversation.chat_queue_id, conversation.customer_id) == (
        THULIUM_CHAT_QUEUE_ID,
        THULIUM_CUSTOMER_ID,
    )
    expect(page.locator(".field-result_pretty")).to_contain_text(started)
    open_list(page, "Chat conversations")
    row = page.locator("#result_list tbody tr", has_text=started)
    expect(row).to_have_count(1)
    expect(row.locator(".field-contact")).to_contain_text(customer.surname)
    assert_run_by_the_worker(tasks_to_worker)


def test_an_agent_sends_a_helpcrunch_message_as_the_agent_from_a_chat(
    page: Page,
    live_server: LiveServer,
    tasks_to_worker: Worker,
    sandbox: SandboxHandle,
    helpcrunch: VendorAccount,
    agent: User,
) -> None:
    AgentIdentityFactory(user=agent, account=helpcrunch, login=str(HELPCRUNCH_AGENT_ID))
    chat = ChatConversationFactory(account=helpcrunch, vendor_id=str(HELPCRUNCH_CHAT_ID))
    text = "Sprawdziłam: paczka wyjechała dziś rano, numer przesyłki jest w e-mailu."
    log_in(page, live_server, agent)

    page.goto(admin_url(live_server, changelist(ChatConversation)))
    run_action(page, "send_message", [chat.pk])
    expect(page.locator("h1")).to_have_text("Send a chat message")
    page.fill("#id_text", text)
    page.check("input[name=sender][value=agent]")
    page.click("input[name=apply]")

    expect(page.locator(".messagelist")).to_contain_text("Queued 1 message")
    follow_progress(page, succeeded=1)
    page.locator("#result_list .field-id a").click()
    expect(page.locator(".operation-state-name")).to_have_text("Succeeded")
    page.click(".field-target_link a")
    message = page.locator(".inline-group tbody tr", has_text=text)
    expect(message).to_have_count(1)
    expect(message.locator(".field-sender")).to_have_text("Agent")

    # HelpCrunch's chat got it once, from agent 1, as a message the customer sees.
    sent = [
        m for m in sandbox.state.helpcrunch.chats[HELPCRUNCH_CHAT_ID].messages if m.text == text
    ]
    assert [(m.agent_id, m.type) for m in sent] == [(HELPCRUNCH_AGENT_ID, "message")]
    assert ChatMessage.objects.filter(conversation=chat, text=text).count() == 1
    assert_run_by_the_worker(tasks_to_worker)


def test_a_refused_reply_shows_the_vendors_words_and_a_lead_retries_it_once(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    tasks_to_worker: Worker,
    sandbox: SandboxHandle,
    thulium: VendorAccount,
    agent: User,
) -> None:
    VendorAccount.objects.filter(pk=thulium.pk).update(max_attempts=1)
    ticket = TicketFactory(account=thulium, vendor_id=str(THULIUM_TICKET_ID))
    reply_path = f"/thulium/api/tickets/{THULIUM_TICKET_ID}/agent_response"
    # Thulium refuses the one attempt the account allows, in its own words (a 429).
    sandbox.inject("rate_limit", vendor="thulium", method="POST", path_prefix=reply_path)
    body = "Przepraszamy za opóźnienie, zwrot środków zlecony."
    log_in(page, live_server, agent)

    reply_from_ticket_list(page, live_server, ticket.pk, body, [])
    page.click("input[name=apply]")
    expect(page.locator(".messagelist")).to_contain_text("Queued 1 reply")
    follow_progress(page, failed=1)
    page.locator("#result_list .field-id a").click()
    expect(page.locator(".operation-state-name")).to_have_text("Failed")
    error = page.locator(".operation-last-error")
    expect(error).to_contain_text("Gave up after 1 attempt")
    expect(error).to_contain_text("Too many requests.")
    expect(page.locator(".field-status_code")).to_have_text("429")
    screenshot(page, "flow-operation-failed")
    assert ticket_replies(sandbox, body) == []

    # A support lead retries it from the operation list.
    lead = role_user(SUPPORT_LEAD, username="marta.lead")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    lead_page = context.new_page()
    try:
        log_in(lead_page, live_server, lead)
        open_list(lead_page, "Operations")
        lead_page.click("#changelist-filter >> text=Failed")
        (failed,) = Operation.objects.filter(state=OperationState.FAILED)
        run_action(lead_page, "retry_operations", [failed.pk])
        expect(lead_page.locator(".messagelist")).to_contain_text("Queued 1 operation again")
        follow_progress(lead_page, succeeded=1)
        expect(lead_page.locator("#result_list .field-state")).to_have_text("Succeeded")
        expect(lead_page.locator("#result_list .field-attempts")).to_have_text("1")
    finally:
        context.close()

    # Thulium has the reply exactly once, and so has the ticket here.
    assert len(ticket_replies(sandbox, body)) == 1
    posts = [r for r in sandbox.received("thulium") if r["path"] == reply_path]
    assert [(r["status"], r["fault"]) for r in posts] == [
        (429, "rate_limit"),
        (200, None),
    ]
    assert TicketMessage.objects.filter(ticket=ticket, body=body).count() == 1
    assert_run_by_the_worker(tasks_to_worker)


def assert_no_actions(page: Page) -> None:
    """A list page that offers nothing to do: no action drop-down, no row boxes, no Add."""
    expect(page.locator("#changelist")).to_be_visible()
    expect(page.locator("select[name=action]")).to_have_count(0)
    expect(page.locator("input.action-select")).to_have_count(0)
    expect(page.locator(".object-tools .addlink")).to_have_count(0)


def assert_read_only_page(page: Page) -> None:
    """A record's page with nothing to save, delete or run."""
    expect(page.locator("h1")).to_have_text(re.compile(r"^View "))
    expect(
        page.locator("#content").locator("input[type=submit], button[type=submit]")
    ).to_have_count(0)
    expect(page.locator(".deletelink")).to_have_count(0)
    expect(page.locator("input[name=_save]")).to_have_count(0)


def test_an_auditor_reads_the_audit_trail_and_is_offered_no_action(
    page: Page,
    live_server: LiveServer,
    tasks_to_worker: Worker,
    sandbox: SandboxHandle,
    thulium: VendorAccount,
    bony: VendorAccount,
    agent: User,
) -> None:
    # An agent's work, run by the worker: a reply and a tag change, with their API calls.
    ticket = TicketFactory(account=thulium, vendor_id=str(THULIUM_TICKET_ID))
    contact = ContactFactory(
        account=bony, vendor_id=next(iter(sandbox.state.bony["sandbox"].contacts))
    )
    reply = operations_enqueue(
        actor=agent,
        action="reply_to_ticket",
        targets=[ticket],
        params={"body": "Odpowiedź do audytu.", "user_login": THULIUM_AGENT_LOGIN},
    )
    tagging = operations_enqueue(
        actor=agent, action="add_tags", targets=[contact], params={"tags": [{"name": "audyt"}]}
    )
    LogEntry.objects.log_actions(
        user_id=role_user(INTEGRATION_ADMIN, username="piotr.integracje").pk,
        queryset=VendorAccount.objects.filter(pk=thulium.pk),
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["Attempts per operation"]}}]),
    )
    wait_until_settled(tasks_to_worker, reply.operation_ids + tagging.operation_ids)
    auditor = role_user(AUDITOR, username="jan.audytor")
    log_in(page, live_server, auditor)

    open_list(page, "Operations")
    expect(page.locator("h1")).to_have_text("Select operation to view")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.locator(".field-state")).to_have_text(["Succeeded", "Succeeded"])
    assert_no_actions(page)
    hide_side_bar(page)
    screenshot(page, "flow-auditor-operations")

    page.locator("#result_list tbody tr", has_text="Reply to ticket").locator(".field-id a").click()
    expect(page.locator(".operation-state-name")).to_have_text("Succeeded")
    expect(page.locator(".field-params_pretty")).to_contain_text("Odpowiedź do audytu.")
    assert_read_only_page(page)
    expect(page.locator(".object-tools >> text=Retry")).to_have_count(0)

    open_list(page, "API calls")
    expect(page.locator("h1")).to_have_text("Select API call to view")
    calls = page.locator("#result_list tbody tr")
    expect(calls).to_have_count(2)
    expect(calls.locator(".field-status_code")).to_have_text(["200", "200"])
    assert_no_actions(page)
    screenshot(page, "flow-api-calls")
    calls.filter(has_text="agent_response").locator(".field-id a").click()
    expect(page.locator(".field-request_headers_pretty")).to_contain_text(
        '"Authorization": "[redacted]"'
    )
    expect(page.locator(".field-request_body_pretty")).to_contain_text("Odpowiedź do audytu.")
    assert_read_only_page(page)

    open_list(page, "Log entries")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Thulium sandbox")
    assert_no_actions(page)
    page.locator("#result_list tbody tr a").first.click()
    assert_read_only_page(page)

    # The vendor-action lists offer nothing to run either, and a record's page saves nothing.
    for label in ("Contacts", "Tickets", "Chat conversations", "Vendor accounts"):
        open_list(page, label)
        assert_no_actions(page)
    open_list(page, "Tickets")
    page.locator("#result_list tbody tr a").first.click()
    assert_read_only_page(page)
