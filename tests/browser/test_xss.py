"""Script planted in vendor data never runs in the admin, and staff read it as text.

Each payload goes where a vendor (or a customer writing to one) could put it: a ticket's e-mail
HTML and subject, a chat message, a contact's names, a tag, an operation's target and error, an
audit row's response. A staff member logs in through the real login page and opens every page
that shows them. Run twice: with the Content-Security-Policy, and with the browser told to ignore
it, so the escaping and the cleaning are proven on their own, not only behind the policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from backoffice.models import (
    ApiCall,
    ChatConversation,
    Contact,
    Operation,
    OperationState,
    Ticket,
    User,
)
from tests.browser.steps import PageWatch, admin_url, log_in, screenshot
from tests.factories import (
    ApiCallFactory,
    BonyAccountFactory,
    ChatConversationFactory,
    ChatMessageFactory,
    ContactFactory,
    OperationFactory,
    TagFactory,
    ThuliumAccountFactory,
    TicketFactory,
    TicketMessageFactory,
)

SCRIPT = '<script>window.__xss=1;alert("script")</script>'
IMG = '<img src=x onerror="window.__xss=1;alert(1)">'
SVG = '<svg onload="window.__xss=1;alert(2)">'

FIRST_NAME = f"Zofia{SCRIPT}"
LAST_NAME = f"{IMG}Nowak"
TAG = f"vip{SVG}"
SUBJECT = f"Reklamacja {IMG}"
TICKET_HTML = (
    "<p>Paczka nie dotarła.</p>"
    f"{SCRIPT}{IMG}"
    '<a id="planted-link" href="javascript:window.__xss=1;alert(3)">kliknij tutaj</a>'
    '<p id="planted-hover" onmouseover="window.__xss=1;alert(4)">najedź tutaj</p>'
    # Last: an unclosed <svg> takes what follows into it, and the cleaner drops it all.
    f"{SVG}"
)
CHAT_TEXT = f"Dzień dobry {SCRIPT} {IMG}"
ASSIGNEE = f"{IMG}agent"
LAST_ERROR = f"HTTP 422: {IMG} {SCRIPT}"

CSP = pytest.mark.parametrize(
    "page",
    [{}, {"bypass_csp": True}],
    indirect=True,
    ids=["with-csp", "csp-ignored"],
)


@dataclass
class Planted:
    ticket: Ticket
    thulium_contact: Contact
    bony_contact: Contact
    conversation: ChatConversation
    operation: Operation
    call: ApiCall


@pytest.fixture
def planted(owner: User) -> Planted:
    thulium = ThuliumAccountFactory(name=f"Thulium {SVG}")
    thulium_contact = ContactFactory(
        account=thulium, vendor_id="7", first_name=FIRST_NAME, last_name=LAST_NAME
    )
    # Not at Bony.chat yet: a tag action skips it (and sends nothing anywhere).
    bony_contact = ContactFactory(
        account=BonyAccountFactory(),
        vendor_id=None,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        email="",
    )
    bony_contact.tags.add(TagFactory(account=bony_contact.account, name=TAG))
    ticket = TicketFactory(account=thulium, contact=thulium_contact, subject=SUBJECT)
    TicketMessageFactory(ticket=ticket, body=TICKET_HTML, author=f"klient{IMG}@example.pl")
    conversation = ChatConversationFactory(contact=bony_contact, assignee=ASSIGNEE)
    ChatMessageFactory(conversation=conversation, text=CHAT_TEXT, markdown_text=f"**{SVG}**")
    operation = OperationFactory(
        account=bony_contact.account,
        actor=owner,
        target_contact=bony_contact,
        state=OperationState.FAILED,
        last_error=LAST_ERROR,
    )
    call = ApiCallFactory(
        operation=operation,
        status_code=422,
        response_body=f'{{"message": "{SCRIPT}"}}',
        error_message=IMG,
    )
    return Planted(ticket, thulium_contact, bony_contact, conversation, operation, call)


def assert_nothing_ran(page: Page, watch: PageWatch) -> None:
    """No planted script ran, no dialog opened, and none of the markup became live elements."""
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert watch.dialogs == []
    assert watch.errors == []
    # With the policy on, nothing inline even tried to run: the markup never became code.
    assert watch.csp_violations == []
    live = page.evaluate(
        """() => ({
            scripts: [...document.scripts].filter(s => s.text.includes("__xss")).length,
            handlers: document.querySelectorAll("[onerror], [onload], [onmouseover]").length,
            svgs: document.querySelectorAll("svg[onload]").length,
            jsLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
        })"""
    )
    assert live == {"scripts": 0, "handlers": 0, "svgs": 0, "jsLinks": 0}


def assert_shown_as_text(page: Page, *texts: str) -> None:
    body = page.locator("body").inner_text()
    for text in texts:
        assert text in body, f"not shown as text: {text}"


def visit(page: Page, live_server: LiveServer, name: str, *args: object) -> None:
    response = page.goto(admin_url(live_server, reverse(name, args=args)))
    assert response is not None
    assert response.status == 200, response.status


@CSP
def test_it_never_runs_script_planted_in_vendor_data(
    request: pytest.FixtureRequest,
    page: Page,
    watch: PageWatch,
    live_server: LiveServer,
    owner: User,
    planted: Planted,
) -> None:
    log_in(page, live_server, owner)
    run = request.node.callspec.id

    # The ticket: its e-mail shown as formatted text, cleaned; the subject and author escaped.
    visit(page, live_server, "admin:backoffice_ticket_change", planted.ticket.pk)
    message = page.locator(".vendor-html").first
    expect(message).to_contain_text("Paczka nie dotarła.")
    expect(message).to_contain_text("kliknij tutaj")
    # The link lost its javascript: target and the paragraph its handler (and both their ids).
    message.get_by_text("kliknij tutaj").click()
    message.get_by_text("najedź tutaj").hover()
    assert message.locator("script, img, svg").count() == 0
    assert_shown_as_text(page, SUBJECT, f"klient{IMG}@example.pl")
    assert_nothing_ran(page, watch)
    screenshot(page, f"xss-ticket-{run}")

    # Contacts: the list (names, tags) and a contact's page (its names in the form fields).
    visit(page, live_server, "admin:backoffice_contact_changelist")
    assert_shown_as_text(page, f"{FIRST_NAME} {LAST_NAME}", TAG)
    assert_nothing_ran(page, watch)
    visit(page, live_server, "admin:backoffice_contact_change", planted.bony_contact.pk)
    expect(page.locator("#id_first_name")).to_have_value(FIRST_NAME)
    expect(page.locator("#id_last_name")).to_have_value(LAST_NAME)
    assert_shown_as_text(page, TAG)
    assert_nothing_ran(page, watch)

    # A chat: the conversation's assignee and its messages.
    visit(page, live_server, "admin:backoffice_chatconversation_change", planted.conversation.pk)
    assert_shown_as_text(page, CHAT_TEXT)
    expect(page.locator("#id_assignee")).to_have_value(ASSIGNEE)
    assert_nothing_ran(page, watch)

    # The operation list and page, and the audit row of its call.
    visit(page, live_server, "admin:backoffice_operation_changelist")
    assert_shown_as_text(page, planted.operation.target_label)
    assert_nothing_ran(page, watch)
    visit(page, live_server, "admin:backoffice_operation_change", planted.operation.pk)
    assert_shown_as_text(page, LAST_ERROR, planted.operation.target_label)
    assert_nothing_ran(page, watch)
    visit(page, live_server, "admin:backoffice_apicall_change", planted.call.pk)
    assert_shown_as_text(page, SCRIPT, IMG)
    assert_nothing_ran(page, watch)

    # The dismiss confirmation lists the operation's target and error.
    visit(page, live_server, "admin:backoffice_operation_change", planted.operation.pk)
    page.click("text=Dismiss…")
    expect(page.locator("h1")).to_have_text("Dismiss operations")
    assert_shown_as_text(page, planted.operation.target_label, LAST_ERROR)
    assert_nothing_ran(page, watch)


@CSP
def test_it_never_runs_script_in_an_action_form_or_its_report(
    request: pytest.FixtureRequest,
    page: Page,
    watch: PageWatch,
    live_server: LiveServer,
    owner: User,
    planted: Planted,
) -> None:
    log_in(page, live_server, owner)
    visit(page, live_server, "admin:backoffice_contact_changelist")

    # Tick every row, pick "Add tags", press Go: the form lists the contacts and their tags.
    page.check("#action-toggle")
    page.select_option("select[name=action]", "add_tags")
    page.click("button[name=index]")
    expect(page.locator("h1")).to_have_text("Add tags")
    assert_shown_as_text(page, f"{FIRST_NAME} {LAST_NAME}", TAG)
    assert_nothing_ran(page, watch)
    screenshot(page, f"xss-add-tags-form-{request.node.callspec.id}")

    # Both contacts are skipped (Thulium has no tags; the other is not at Bony.chat yet); the
    # report names them.
    page.fill("#id_names", "vip")
    page.click("input[name=apply]")
    report = page.locator("ul.messagelist li").first
    expect(report).to_contain_text("Nothing queued; 2 skipped:")
    expect(report).to_contain_text(f"{FIRST_NAME} {LAST_NAME}")
    assert_nothing_ran(page, watch)
    assert Operation.objects.count() == 1  # the planted one only
