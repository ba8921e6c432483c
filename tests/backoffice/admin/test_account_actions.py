"""``test_connection`` on vendor accounts, end to end through the admin (tasks run in-process)."""

from __future__ import annotations

import pytest
import responses
from django.contrib.auth.models import Permission
from django.test import Client

from backoffice.models import ApiCall, BonyChannelKind, Operation, User, VendorAccount
from tests.backoffice.admin.posting import changelist_url, messages_of, post_action
from tests.factories import (
    BonyAccountFactory,
    HelpCrunchAccountFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {
    "errors": [
        {"code": "invalid_request", "message": "Invalid request"},
        {"code": "unauthorized", "message": "Unauthorized"},
    ]
}


def check(client: Client, accounts: list[VendorAccount]):
    # The changelist's own first post (with ``index``): no form comes in between.
    return post_action(client, VendorAccount, "test_connection", accounts, apply=False)


@pytest.fixture
def sandbox_accounts(
    thulium_sandbox: VendorAccount, helpcrunch_sandbox: VendorAccount, bony_sandbox: VendorAccount
) -> list[VendorAccount]:
    return [thulium_sandbox, helpcrunch_sandbox, bony_sandbox]


def test_it_checks_every_vendor_against_the_sandbox_and_keeps_the_result(
    owner_client, sandbox_accounts
) -> None:
    response = check(owner_client, sandbox_accounts)

    assert response.status_code == 302
    assert "Queued 3 connection tests" in messages_of(response)[0]
    for account in sandbox_accounts:
        account.refresh_from_db()
        assert account.last_check_ok is True, account.name
        assert account.last_checked_at is not None
        assert account.last_check_message == "Connected: the vendor accepted the credentials."
    assert set(Operation.objects.values_list("state", flat=True)) == {"succeeded"}
    assert Operation.objects.filter(result={"connected": True}).count() == 3
    assert ApiCall.objects.filter(status_code=200).count() == 3


def test_it_records_a_refusal_on_the_account_and_the_operation(owner_client, sandbox) -> None:
    account = HelpCrunchAccountFactory(base_url=sandbox.helpcrunch_url, api_secret="wrong-key")

    check(owner_client, [account])

    account.refresh_from_db()
    assert account.last_check_ok is False
    assert "Unauthorized" in account.last_check_message
    assert "HTTP 401" in account.last_check_message
    operation = Operation.objects.get()
    assert (operation.state, operation.last_error) == ("failed", account.last_check_message)
    assert ApiCall.objects.get().status_code == 401


def test_it_reports_a_vendor_outage_at_once_instead_of_retrying(owner_client, sandbox) -> None:
    account = BonyAccountFactory(base_url=sandbox.bony_url, api_secret="sandbox")
    sandbox.inject("error", vendor="bony", status=503)

    check(owner_client, [account])

    account.refresh_from_db()
    assert account.last_check_ok is False
    assert "HTTP 503" in account.last_check_message
    assert Operation.objects.get().state == "failed"


def test_it_sends_helpcrunch_one_authenticated_read(owner_client) -> None:
    account = HelpCrunchAccountFactory(api_secret="hc-key-1")
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.helpcrunch.com/v1/agents?limit=1", status=401, json=UNAUTHORIZED)

        check(owner_client, [account])

        request = rsps.calls[0].request
    assert request.headers["Authorization"] == "Bearer hc-key-1"
    account.refresh_from_db()
    assert account.last_check_ok is False


def test_it_shows_the_result_in_the_account_list_and_page(owner_client, sandbox) -> None:
    account = BonyAccountFactory(
        base_url=sandbox.bony_url, api_secret="sandbox", channel_kind=BonyChannelKind.MESSENGER
    )
    check(owner_client, [account])

    listing = owner_client.get(changelist_url(VendorAccount)).content.decode()
    page = owner_client.get(f"/admin/backoffice/vendoraccount/{account.pk}/change/")

    assert "Connected: the vendor accepted the credentials." in listing
    assert "Connected: the vendor accepted the credentials." in page.content.decode()


def test_it_tests_an_inactive_account_before_it_is_switched_on(owner_client, sandbox) -> None:
    account = HelpCrunchAccountFactory(
        name="New HC", is_active=False, base_url=sandbox.helpcrunch_url, api_secret="sandbox"
    )

    response = check(owner_client, [account])

    assert "Queued 1 connection test " in messages_of(response)[0]
    account.refresh_from_db()
    assert account.last_check_ok is True
    assert Operation.objects.get().state == "succeeded"


# --- permission -------------------------------------------------------------------------------


@pytest.fixture
def viewer() -> User:
    user = UserFactory(username="viewer")
    user.user_permissions.add(
        Permission.objects.get(codename="view_vendoraccount"),
        Permission.objects.get(codename="delete_vendoraccount"),
    )
    return user


def test_it_is_offered_only_with_the_permission(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    HelpCrunchAccountFactory()

    without = client.get(changelist_url(VendorAccount)).content.decode()
    viewer.user_permissions.add(Permission.objects.get(codename="test_connection"))
    with_it = client.get(changelist_url(VendorAccount)).content.decode()

    assert 'value="test_connection"' not in without
    assert 'value="test_connection"' in with_it


def test_it_queues_nothing_for_a_crafted_post_without_the_permission(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    account = HelpCrunchAccountFactory()

    response = check(client, [account])

    assert messages_of(response) == ["No action selected."]
    assert not Operation.objects.exists()
    account.refresh_from_db()
    assert account.last_checked_at is None
