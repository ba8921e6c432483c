"""Retrying and dismissing operations from the (read-only) operation list and page."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from backoffice.models import ApiCall, ChatConversation, ChatMessage, Operation, User
from connectors.sandbox.seed import BONY_CONTACT_ID
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin.posting import changelist_url, messages_of, post_action
from tests.factories import (
    AgentIdentityFactory,
    BonyAccountFactory,
    ChatConversationFactory,
    ContactFactory,
    HelpCrunchAccountFactory,
    OperationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def send_message(client: Client, conversation: ChatConversation, **data: object) -> None:
    post_action(client, ChatConversation, "send_message", [conversation], data)


@pytest.fixture
def failed_message(owner_client, owner, sandbox: SandboxHandle) -> Operation:
    """A HelpCrunch message that met an outage and, with one attempt allowed, failed."""
    account = HelpCrunchAccountFactory(
        base_url=sandbox.helpcrunch_url, api_secret="sandbox", max_attempts=1
    )
    AgentIdentityFactory(user=owner, account=account, login="1")
    conversation = ChatConversationFactory(account=account, vendor_id="1")
    sandbox.inject("error", vendor="helpcrunch", method="POST", status=503)
    send_message(owner_client, conversation, text="Paczka wyszła dziś", sender="agent")
    operation = Operation.objects.get()
    assert operation.state == "failed"
    return operation


@pytest.fixture
def unknown_message(owner_client, sandbox: SandboxHandle) -> Operation:
    """A Bony.chat text whose answer was lost after the vendor took it: nobody can tell."""
    account = BonyAccountFactory(base_url=sandbox.bony_url, api_secret="sandbox")
    contact = ContactFactory(account=account, vendor_id=BONY_CONTACT_ID)
    conversation = ChatConversationFactory(account=account, contact=contact, vendor_id="c")
    sandbox.inject("drop_after_write", vendor="bony", method="POST")
    send_message(owner_client, conversation, text="Dziękujemy!", sender="agent")
    operation = Operation.objects.get()
    assert operation.state == "unknown"
    return operation


def retry(client: Client, operations: list[Operation], *, confirm: bool = False, **data: object):
    """The changelist's first post; ``confirm``: the confirmation page's submit."""
    return post_action(client, Operation, "retry_operations", operations, data, apply=confirm)


def test_it_retries_a_failed_operation_with_a_second_attempt(
    owner_client, failed_message: Operation, sandbox: SandboxHandle
) -> None:
    assert "HTTP 503" in failed_message.last_error
    sandbox.clear_faults()  # the outage is over

    response = retry(owner_client, [failed_message])

    failed_message.refresh_from_db()
    assert failed_message.state == "succeeded"
    assert failed_message.last_error == ""
    calls = list(ApiCall.objects.filter(operation=failed_message).order_by("id"))
    assert [c.status_code for c in calls] == [503, 200]
    assert sandbox.state.helpcrunch.chats[1].messages[-1].text == "Paczka wyszła dziś"
    assert ChatMessage.objects.filter(vendor_id__isnull=False).count() == 1
    [text] = messages_of(response)[-1:]
    assert "Queued 1 operation again" in text
    assert f"?group_id={failed_message.group_id}" in text


def test_it_lists_operations_it_leaves_alone(owner_client, failed_message: Operation) -> None:
    done = OperationFactory(state="succeeded", target_label="Anna Nowak · Bony")

    response = retry(owner_client, [failed_message, done])

    text = messages_of(response)[-1]
    assert "Queued 1 operation again" in text
    assert "1 left alone (only failed or outcome-unknown operations are retried)" in text
    assert f"#{done.pk} Add tags · Anna Nowak · Bony</a> (succeeded)" in text
    done.refresh_from_db()
    assert (done.state, done.attempts) == ("succeeded", 0)


def test_it_follows_retries_from_several_bulk_actions_by_their_ids(owner_client) -> None:
    account = BonyAccountFactory()  # operations without a target: their runs send nothing
    first = OperationFactory(state="failed", account=account, group_id=uuid.uuid4())
    second = OperationFactory(state="unknown", account=account, group_id=uuid.uuid4())

    response = retry(owner_client, [first, second], confirm=True)

    link = f"?id__in={first.pk},{second.pk}"
    assert link in messages_of(response)[-1]
    follow = owner_client.get(changelist_url(Operation, link))
    assert follow.context["cl"].result_count == 2
    assert 'id="operation-progress"' in follow.content.decode()


def test_it_asks_before_resending_an_operation_whose_outcome_is_unknown(
    owner_client, unknown_message: Operation, sandbox: SandboxHandle
) -> None:
    page = retry(owner_client, [unknown_message])

    unknown_message.refresh_from_db()
    assert unknown_message.state == "unknown"  # nothing resent yet
    content = page.content.decode()
    assert "1 selected operation has an unknown outcome." in content
    assert "a customer may get the same message twice" in content
    assert 'value="Yes, I checked: retry them"' in content

    retry(owner_client, [unknown_message], confirm=True)

    unknown_message.refresh_from_db()
    assert unknown_message.state == "succeeded"
    assert ApiCall.objects.filter(operation=unknown_message).count() == 2
    texts = sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].messages
    assert len(texts) == 2  # the person decided the vendor had not got it: sent again


def test_it_says_nothing_was_retried_when_nothing_could_be(owner_client) -> None:
    queued = OperationFactory(state="queued")

    response = retry(owner_client, [queued])

    assert messages_of(response)[-1].startswith("Nothing retried; 1 left alone")
    queued.refresh_from_db()
    assert queued.state == "queued"


def test_it_dismisses_an_unknown_operation_after_a_confirmation(
    owner_client, unknown_message: Operation, sandbox: SandboxHandle
) -> None:
    sent_before = len(sandbox.received("bony"))

    page = post_action(
        owner_client, Operation, "dismiss_operations", [unknown_message], apply=False
    )
    unknown_message.refresh_from_db()
    assert unknown_message.state == "unknown"  # not before the confirmation
    content = page.content.decode()
    assert page.status_code == 200
    assert "1 failed or outcome-unknown operation will be dismissed." in content
    assert "Yes, I checked: dismiss them" in content

    done = post_action(owner_client, Operation, "dismiss_operations", [unknown_message])

    unknown_message.refresh_from_db()
    assert unknown_message.state == "dismissed"
    assert unknown_message.finished_at is not None
    assert "Dismissed 1 operation; it will not be sent again." in messages_of(done)[-1]
    assert len(sandbox.received("bony")) == sent_before  # nothing sent to the vendor


def test_it_dismisses_only_failed_or_unknown_ones(owner_client, failed_message) -> None:
    running = OperationFactory(state="running")

    page = post_action(
        owner_client, Operation, "dismiss_operations", [failed_message, running], apply=False
    )
    done = post_action(owner_client, Operation, "dismiss_operations", [failed_message, running])

    assert "1 other selected operation is left as it is." in page.content.decode()
    assert "1 left alone" in messages_of(done)[-1]
    running.refresh_from_db()
    failed_message.refresh_from_db()
    assert (running.state, failed_message.state) == ("running", "dismissed")


def test_it_shows_no_confirmation_when_nothing_can_be_dismissed(owner_client) -> None:
    done = OperationFactory(state="succeeded")

    response = post_action(owner_client, Operation, "dismiss_operations", [done], apply=False)

    assert response.status_code == 302
    assert messages_of(response)[-1].startswith("Nothing to dismiss")


# --- the operation's page ---------------------------------------------------------------------


def change_url(operation: Operation) -> str:
    return reverse("admin:backoffice_operation_change", args=[operation.pk])


def test_it_shows_an_unknown_operations_state_error_and_what_to_do(
    owner_client, unknown_message: Operation
) -> None:
    page = owner_client.get(change_url(unknown_message)).content.decode()

    assert '<p class="operation-state-name">Outcome unknown</p>' in page
    assert "The request may have reached Bony.chat, and Bony.chat offers no way to check." in page
    assert "if the change is there, dismiss this operation; if it" in page
    assert unknown_message.last_error.split(".")[0] in page
    assert 'value="retry_operations"' in page
    assert 'value="dismiss_operations"' in page


def test_it_retries_from_the_operations_page_and_returns_to_it(
    owner_client, failed_message: Operation
) -> None:
    url = change_url(failed_message)
    page = owner_client.get(url).content.decode()
    assert '<p class="operation-state-name">Failed</p>' in page
    assert "HTTP 503" in page

    response = retry(owner_client, [failed_message], _return_to=url)

    assert response.status_code == 302
    assert response["Location"] == url
    failed_message.refresh_from_db()
    assert failed_message.state == "succeeded"


def test_it_never_returns_to_another_site(owner_client, failed_message: Operation) -> None:
    response = retry(owner_client, [failed_message], _return_to="https://evil.example/")

    assert response["Location"] == changelist_url(Operation)


# --- permission -------------------------------------------------------------------------------


@pytest.fixture
def viewer() -> User:
    user = UserFactory(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_operation"))
    return user


def test_it_offers_retry_and_dismiss_only_with_the_permission(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    operation = OperationFactory(state="failed", last_error="HTTP 503")

    listing = client.get(changelist_url(Operation)).content.decode()
    page = client.get(change_url(operation)).content.decode()
    viewer.user_permissions.add(Permission.objects.get(codename="retry_operation"))
    listing_with = client.get(changelist_url(Operation)).content.decode()

    assert 'value="retry_operations"' not in listing + page
    assert 'value="dismiss_operations"' not in listing + page
    assert 'value="retry_operations"' in listing_with
    assert 'value="dismiss_operations"' in listing_with


@pytest.mark.parametrize("action", ["retry_operations", "dismiss_operations"])
def test_it_changes_nothing_for_a_crafted_post_without_the_permission(
    viewer: User, action: str
) -> None:
    client = Client()
    client.force_login(viewer)
    operation = OperationFactory(state="failed")

    first = post_action(client, Operation, action, [operation], apply=False)
    confirmed = post_action(client, Operation, action, [operation])

    assert (first.status_code, confirmed.status_code) == (200, 200)  # just the list again
    operation.refresh_from_db()
    assert (operation.state, operation.attempts) == ("failed", 0)
    assert not ApiCall.objects.exists()


def test_it_keeps_the_operation_list_read_only_with_the_permission(owner_client) -> None:
    operation = OperationFactory(state="failed")

    page = owner_client.get(change_url(operation))
    edit = owner_client.post(change_url(operation), {"state": "succeeded"})

    assert b'name="_save"' not in page.content
    assert edit.status_code == 403
