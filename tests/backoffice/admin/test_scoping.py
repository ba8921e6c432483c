"""Staff limited to some vendor accounts see and act on those accounts' rows only."""

from __future__ import annotations

import uuid

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import ForeignKey, Model
from django.test import Client
from django.urls import reverse

from backoffice.actions.sync_from_vendor import account_syncs_enqueue
from backoffice.admin.scoping import AccountScopedAdminMixin
from backoffice.models import (
    AgentIdentity,
    ApiCall,
    ChatConversation,
    ChatMessage,
    Contact,
    Operation,
    Person,
    RateBucket,
    SyncCursor,
    Tag,
    Ticket,
    TicketMessage,
    VendorAccount,
)
from backoffice.operations.enqueue import operations_enqueue, operations_retry
from backoffice.roles import AUDITOR, INTEGRATION_ADMIN, SUPPORT_AGENT, SUPPORT_LEAD
from backoffice.scoping import queryset_in_accounts, vendor_accounts_visible_to
from connectors.sandbox.seed import BONY_CONTACT_ID
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin.flow import apply, changelist, messages, role_client
from tests.factories import (
    AgentIdentityFactory,
    ApiCallFactory,
    ChatMessageFactory,
    ContactFactory,
    HelpCrunchAccountFactory,
    OperationFactory,
    PersonFactory,
    RateBucketFactory,
    SuperuserFactory,
    SyncCursorFactory,
    TagFactory,
    TicketFactory,
    TicketMessageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SCOPED = [
    VendorAccount,
    Contact,
    Tag,
    Ticket,
    TicketMessage,
    ChatConversation,
    ChatMessage,
    AgentIdentity,
    Operation,
    ApiCall,
    RateBucket,
    SyncCursor,
    Person,
]


def rows_at(account: VendorAccount, group_id: uuid.UUID) -> dict[type[Model], Model]:
    """One row of every account-bound model at ``account``."""
    contact = ContactFactory(
        account=account, last_name=f"at {account.name}", person=PersonFactory()
    )
    message = TicketMessageFactory(ticket=TicketFactory(account=account, contact=contact))
    chat = ChatMessageFactory(conversation__account=account, conversation__contact=contact)
    operation = OperationFactory(
        account=account, target_contact=contact, state="failed", group_id=group_id
    )
    rows: list[Model] = [
        account,
        contact,
        TagFactory(account=account),
        message.ticket,
        message,
        chat.conversation,
        chat,
        AgentIdentityFactory(account=account),
        operation,
        ApiCallFactory(operation=operation),
        RateBucketFactory(account=account),
        SyncCursorFactory(account=account),
        contact.person,
    ]
    return {type(row): row for row in rows}


@pytest.fixture
def group_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def mine(group_id: uuid.UUID) -> dict[type[Model], Model]:
    return rows_at(HelpCrunchAccountFactory(name="Ours"), group_id)


@pytest.fixture
def theirs(group_id: uuid.UUID) -> dict[type[Model], Model]:
    return rows_at(HelpCrunchAccountFactory(name="Theirs"), group_id)


def shown(client: Client, model: type[Model], query: str = "") -> set[int]:
    page = client.get(changelist(model, query))
    assert page.status_code == 200, model.__name__
    return {row.pk for row in page.context["cl"].result_list}


def change_url(row: Model) -> str:
    meta = row._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])


def test_it_scopes_every_admin_of_a_model_bound_to_an_account() -> None:
    def bound(model: type[Model]) -> bool:
        for field in model._meta.get_fields():
            if isinstance(field, ForeignKey) and field.related_model is not None:
                related = field.related_model
                if related is VendorAccount or any(
                    isinstance(f, ForeignKey) and f.related_model is VendorAccount
                    for f in related._meta.get_fields()
                ):
                    return True
        return model is VendorAccount

    registry = admin.site._registry
    bound_models = {m for m in registry if m._meta.app_label == "backoffice" and bound(m)}
    # A person is bound to accounts through their contacts (a to-many path).
    bound_models.add(Person)
    assert bound_models == set(SCOPED)
    for model in bound_models:
        assert isinstance(registry[model], AccountScopedAdminMixin), model.__name__


def test_it_shows_limited_staff_only_their_accounts_rows_in_every_changelist(mine, theirs):
    _, client = role_client(AUDITOR, accounts=[mine[VendorAccount]])
    for model in SCOPED:
        assert shown(client, model) == {mine[model].pk}, model.__name__


def test_it_shows_every_account_to_unlimited_staff_and_superusers(mine, theirs):
    _, unlimited = role_client(AUDITOR)
    owner = SuperuserFactory(limited_to_accounts=True)  # the tick does not bind a superuser
    owner_client = Client()
    owner_client.force_login(owner)
    for model in SCOPED:
        both = {mine[model].pk, theirs[model].pk}
        assert shown(unlimited, model) == both, model.__name__
        assert shown(owner_client, model) == both, model.__name__


def test_it_shows_nothing_to_staff_limited_to_no_account(mine, theirs):
    _, client = role_client(AUDITOR, accounts=[])
    for model in SCOPED:
        assert shown(client, model) == set(), model.__name__


def test_it_treats_another_account_s_rows_as_missing(mine, theirs):
    _, client = role_client(AUDITOR, accounts=[mine[VendorAccount]])
    for model in SCOPED:
        row = theirs[model]
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        for url in (change_url(row), reverse(f"{prefix}_history", args=[row.pk])):
            response = client.get(url)
            assert response.status_code == 302, (model.__name__, url)
            assert response["Location"] == reverse("admin:index")
            assert "Perhaps it was deleted?" in messages(response)[-1]
        assert client.get(change_url(mine[model])).status_code == 200, model.__name__


def test_it_deletes_none_of_another_account_s_rows(mine, theirs):
    _, client = role_client(INTEGRATION_ADMIN, accounts=[mine[VendorAccount]])
    for model in (VendorAccount, AgentIdentity):
        row = theirs[model]
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[row.pk])

        response = client.post(url, {"post": "yes"})

        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")
        assert model.objects.filter(pk=row.pk).exists()


def test_it_offers_only_the_staff_member_s_accounts_in_forms_and_filters(mine, theirs):
    contact = mine[Contact]
    third = HelpCrunchAccountFactory(name="Third")
    _, client = role_client(SUPPORT_LEAD, accounts=[mine[VendorAccount], third])

    page = client.get(change_url(contact))
    field = page.context["adminform"].form.fields["account"]
    assert list(field.queryset) == [mine[VendorAccount], third]
    assert "Theirs" not in page.content.decode()

    account_filter = next(
        spec
        for spec in client.get(changelist(Contact)).context["cl"].filter_specs
        if getattr(spec, "field_path", "") == "account"
    )
    assert [label for _, label in account_filter.lookup_choices] == [
        str(mine[VendorAccount]),
        str(third),
    ]


def test_it_refuses_moving_a_row_to_another_staff_member_s_account(mine, theirs):
    contact = mine[Contact]
    _, client = role_client(SUPPORT_LEAD, accounts=[mine[VendorAccount]])

    response = client.post(
        change_url(contact),
        {
            "account": theirs[VendorAccount].pk,
            "first_name": "Zofia",
            "custom_fields": "{}",
            "vendor_snapshot": "{}",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors["account"])
    contact.refresh_from_db()
    assert contact.account == mine[VendorAccount]


def test_it_autocompletes_only_the_staff_member_s_rows(mine, theirs):
    _, client = role_client(SUPPORT_AGENT, accounts=[mine[VendorAccount]])

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "backoffice", "model_name": "ticket", "field_name": "contact", "term": ""},
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(mine[Contact].pk)]


def test_it_queues_an_action_only_for_the_staff_member_s_rows(
    helpcrunch_sandbox: VendorAccount, bony_sandbox: VendorAccount, sandbox: SandboxHandle
) -> None:
    anna = ContactFactory(account=helpcrunch_sandbox, vendor_id="1")
    other = ContactFactory(account=bony_sandbox, vendor_id=BONY_CONTACT_ID)
    _, client = role_client(SUPPORT_AGENT, accounts=[helpcrunch_sandbox])

    # A crafted post naming both; the list never showed the other account's contact.
    response = apply(client, Contact, "add_tags", [anna.pk, other.pk], {"names": "vip"})

    assert response.status_code == 302
    assert [(op.target_id, op.state) for op in Operation.objects.all()] == [(anna.pk, "succeeded")]
    assert "vip" in [tag.name for tag in sandbox.state.helpcrunch.customers[1].tags]
    assert sandbox.received("bony") == []


def test_it_skips_another_account_s_targets_when_queueing(mine, theirs):
    user = UserFactory(limited_to_accounts=True)
    user.vendor_accounts.add(mine[VendorAccount])
    target = theirs[Contact]
    before = Operation.objects.count()

    result = operations_enqueue(
        actor=user, action="add_tags", targets=[target], params={"tags": [{"name": "vip"}]}
    )

    assert result.count == 0
    assert [(s.label, s.reason) for s in result.skipped] == [
        (f"#{target.pk}", "not at a vendor account you work with")
    ]
    assert Operation.objects.count() == before


def test_it_syncs_none_of_another_account_s_accounts(mine, theirs):
    user = UserFactory(limited_to_accounts=True)
    user.vendor_accounts.add(mine[VendorAccount])
    before = Operation.objects.count()

    result = account_syncs_enqueue(actor=user, accounts=[theirs[VendorAccount]])

    assert result.count == 0
    assert [(s.label, s.reason) for s in result.skipped] == [
        (f"#{theirs[VendorAccount].pk}", "not at a vendor account you work with")
    ]
    assert Operation.objects.count() == before


def test_it_retries_none_of_another_account_s_operations(mine, theirs):
    user = UserFactory(limited_to_accounts=True)
    user.vendor_accounts.add(mine[VendorAccount])
    failed = theirs[Operation]

    count, _ = operations_retry(operations=[failed], actor=user)

    assert count == 0
    failed.refresh_from_db()
    assert failed.state == "failed"


def test_it_retries_only_the_staff_member_s_operations_from_the_list(mine, theirs):
    _, client = role_client(SUPPORT_LEAD, accounts=[mine[VendorAccount]])
    ours, others = mine[Operation], theirs[Operation]

    apply(client, Operation, "dismiss_operations", [ours.pk, others.pk])

    assert Operation.objects.get(pk=ours.pk).state == "dismissed"
    assert Operation.objects.get(pk=others.pk).state == "failed"


def test_it_counts_only_the_staff_member_s_operations_in_a_bulk_action_s_progress(
    mine, theirs, group_id: uuid.UUID
) -> None:
    _, client = role_client(SUPPORT_AGENT, accounts=[mine[VendorAccount]])

    progress = client.get(reverse("admin:backoffice_operation_progress"), {"group_id": group_id})
    page = client.get(changelist(Operation, f"group_id={group_id}"))

    assert progress.json()["total"] == 1
    assert page.context["progress"].total == 1
    assert {op.pk for op in page.context["cl"].result_list} == {mine[Operation].pk}


def test_it_shows_limited_auditors_the_history_of_their_accounts_and_their_own_changes(
    mine, theirs
) -> None:
    user, client = role_client(AUDITOR, accounts=[mine[VendorAccount]])
    someone = UserFactory()
    for account in (mine[VendorAccount], theirs[VendorAccount]):
        LogEntry.objects.log_actions(
            user_id=someone.pk, queryset=[account], action_flag=2, change_message="Changed."
        )
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[someone], action_flag=2, change_message="Changed."
    )

    entries = client.get(changelist(LogEntry)).context["cl"].result_list

    assert sorted(e.object_repr for e in entries) == sorted(
        [str(mine[VendorAccount]), str(someone)]
    )


def test_it_finds_a_row_reached_through_a_to_many_path_once(mine, theirs):
    account = mine[VendorAccount]
    TagFactory(account=account).contacts.add(mine[Contact])
    mine[Tag].contacts.add(mine[Contact], ContactFactory(account=account))

    tags = queryset_in_accounts(
        Tag.objects.all(), path="contacts__account", account_ids=frozenset({account.pk})
    )

    assert sorted(tags.values_list("pk", flat=True)) == sorted(
        Tag.objects.filter(account=account).values_list("pk", flat=True)
    )


def test_it_selects_the_accounts_a_staff_member_sees(mine, theirs):
    limited = UserFactory(limited_to_accounts=True)
    limited.vendor_accounts.add(mine[VendorAccount])

    assert list(vendor_accounts_visible_to(user=limited)) == [mine[VendorAccount]]
    assert set(vendor_accounts_visible_to(user=UserFactory())) == {
        mine[VendorAccount],
        theirs[VendorAccount],
    }
    assert not vendor_accounts_visible_to(user=UserFactory(is_active=False)).exists()


def test_it_shows_a_person_only_their_contacts_tickets_chats_and_operations_in_scope(mine, theirs):
    person = mine[Contact].person
    Contact.objects.filter(pk=theirs[Contact].pk).update(person=person)
    _, client = role_client(SUPPORT_AGENT, accounts=[mine[VendorAccount]])

    page = client.get(change_url(person))

    assert page.status_code == 200
    overview = page.context["overview"]
    assert [c.pk for c in overview.contacts] == [mine[Contact].pk]
    assert [t.pk for t in overview.tickets] == [mine[Ticket].pk]
    assert [c.pk for c in overview.conversations] == [mine[ChatConversation].pk]
    assert [o.pk for o in overview.operations] == [mine[Operation].pk]
    assert "at Theirs" not in page.content.decode()
