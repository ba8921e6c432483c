"""``sync_from_vendor`` in the admin: on accounts (a form: full resync, Bony.chat import) and on
contacts (each re-read), with the permission both require."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from backoffice.models import Contact, Operation, User, VendorAccount
from connectors.sandbox.seed import BONY_CONTACT_ID, HELPCRUNCH_CUSTOMER_ID
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin import flow
from tests.factories import ContactFactory, HelpCrunchAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

UNTHROTTLED = 100_000


@pytest.fixture
def accounts(
    sandbox: SandboxHandle, helpcrunch_sandbox: VendorAccount, bony_sandbox: VendorAccount
) -> list[VendorAccount]:
    sandbox.set_limits(helpcrunch=0, bony=0)
    VendorAccount.objects.update(rate_limit_per_minute=UNTHROTTLED)
    return [helpcrunch_sandbox, bony_sandbox]


def test_it_syncs_the_selected_accounts_with_progress(
    owner_client: Client, sandbox: SandboxHandle, accounts: list[VendorAccount]
) -> None:
    helpcrunch, bony = accounts
    wanted = list(sandbox.state.bony["sandbox"].contacts.values())[:2]
    emails = "\n".join(str(c.custom_fields["email"]) for c in wanted)

    response = flow.run(
        owner_client,
        VendorAccount,
        "sync_from_vendor",
        [a.pk for a in accounts],
        {"full": "on", "search_field": "email", "search_values": emails},
    )

    (message,) = flow.messages(response)
    assert message.startswith("Queued 2 account syncs (follow their progress).")
    assert "?group_id=" in flow.messages_html(response)[0]
    operations = {op.account: op for op in flow.operations("sync_from_vendor")}
    assert [op.state for op in operations.values()] == ["succeeded", "succeeded"]
    assert {op.target_id for op in operations.values()} == {None}
    assert operations[helpcrunch].params == {"full": True}  # a search is for Bony.chat only
    assert operations[bony].params["search"] == [
        {"field": "email", "value": str(c.custom_fields["email"])} for c in wanted
    ]
    assert Contact.objects.filter(account=helpcrunch).count() == len(
        sandbox.state.helpcrunch.customers
    )
    assert set(Contact.objects.filter(account=bony).values_list("vendor_id", flat=True)) == {
        c.id for c in wanted
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"search_values": "a@example.org"},
            "search_field",
            "Import Bony.chat contacts by: choose the field the values are looked up by.",
        ),
        (
            {"search_field": "phone"},
            "search_values",
            "Values to look up: give at least one value to look up.",
        ),
        (
            {"search_field": "email", "search_values": "\n".join(f"{n}@x.pl" for n in range(51))},
            "search_values",
            "Values to look up: at most 50 values, got 51.",
        ),
    ],
)
def test_it_names_the_field_and_the_limit_of_a_bad_search(
    owner_client: Client, data: dict[str, str], field: str, message: str
) -> None:
    account = HelpCrunchAccountFactory()

    response = flow.apply(owner_client, VendorAccount, "sync_from_vendor", [account.pk], data)

    assert response.status_code == 200
    assert flow.form_errors(response)[field] == [message]
    assert not Operation.objects.exists()


def test_it_refreshes_the_selected_contacts(
    owner_client: Client, sandbox: SandboxHandle, accounts: list[VendorAccount]
) -> None:
    helpcrunch, bony = accounts
    renamed = ContactFactory(account=helpcrunch, vendor_id=str(HELPCRUNCH_CUSTOMER_ID))
    gone = ContactFactory(account=bony, vendor_id="1776025372489999")
    present = ContactFactory(account=bony, vendor_id=BONY_CONTACT_ID)
    local_only = ContactFactory(account=bony, vendor_id=None)

    response = flow.start(
        owner_client,
        Contact,
        "sync_from_vendor",
        [c.pk for c in (renamed, gone, present, local_only)],
    )

    (message,) = flow.messages(response)
    assert message.startswith("Queued 3 contact refreshes (follow their progress); 1 skipped:")
    assert "not at the vendor yet (no vendor id)" in message
    renamed.refresh_from_db()
    vendor = sandbox.state.helpcrunch.customers[HELPCRUNCH_CUSTOMER_ID]
    assert f"{renamed.first_name} {renamed.last_name}" == vendor.name
    gone.refresh_from_db()
    present.refresh_from_db()
    assert gone.vanished_at is not None
    assert present.vanished_at is None
    assert (
        present.email
        == sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].custom_fields["email"]
    )
    results = {op.target_id: op.result for op in flow.operations("sync_from_vendor")}
    assert results[gone.pk] == {"vanished": True, "flagged": True}
    assert results[present.pk] == {"vanished": False, "contact": "updated"}


# --- permission -------------------------------------------------------------------------------


@pytest.fixture
def viewer() -> tuple[User, Client]:
    user = UserFactory(username="viewer")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_vendoraccount",
                "delete_vendoraccount",
                "view_contact",
                "delete_contact",
            ]
        )
    )
    client = Client()
    client.force_login(user)
    return user, client


@pytest.mark.parametrize("model", [VendorAccount, Contact])
def test_it_is_offered_only_with_the_permission(viewer: tuple[User, Client], model: type) -> None:
    user, client = viewer
    without = flow.action_choices(client, model)
    user.user_permissions.add(Permission.objects.get(codename="sync_from_vendor"))
    user = User.objects.get(pk=user.pk)  # permissions are cached on the instance
    client.force_login(user)

    assert "sync_from_vendor" not in without
    assert "sync_from_vendor" in flow.action_choices(client, model)


def test_it_queues_nothing_for_crafted_posts_without_the_permission(
    viewer: tuple[User, Client],
) -> None:
    _, client = viewer
    account = HelpCrunchAccountFactory()
    contact = ContactFactory(account=account, vendor_id="1")

    for model, pk in ((VendorAccount, account.pk), (Contact, contact.pk)):
        response = flow.apply(client, model, "sync_from_vendor", [pk], {"full": "on"})
        assert flow.messages(response)[-1] == "No action selected."
    assert not Operation.objects.exists()


def test_it_shows_the_sync_settings_and_state_on_the_account(
    owner_client: Client, accounts: list[VendorAccount]
) -> None:
    helpcrunch = accounts[0]
    flow.run(owner_client, VendorAccount, "sync_from_vendor", [helpcrunch.pk], {})

    page = owner_client.get(f"/admin/backoffice/vendoraccount/{helpcrunch.pk}/change/")

    text = page.content.decode()
    assert 'name="sync_interval_minutes"' in text
    assert "Customers: last pass" in text
    assert "Chats: last pass" in text
