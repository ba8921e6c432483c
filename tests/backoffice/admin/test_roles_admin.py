"""Each role through the admin: what it sees, what it is offered, what a crafted post gets."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db.models import Model
from django.urls import reverse

from backoffice.models import (
    AgentIdentity,
    ChatConversation,
    Contact,
    Operation,
    Person,
    Tag,
    Ticket,
    VendorAccount,
)
from backoffice.roles import AUDITOR, INTEGRATION_ADMIN, SUPPORT_AGENT, SUPPORT_LEAD
from tests.backoffice.admin.flow import action_choices, changelist, messages, role_client, start
from tests.factories import (
    AgentIdentityFactory,
    ApiCallFactory,
    ChatMessageFactory,
    ContactFactory,
    OperationFactory,
    PersonFactory,
    RateBucketFactory,
    StoredFileFactory,
    SyncCursorFactory,
    TagFactory,
    TicketMessageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = [SUPPORT_AGENT, SUPPORT_LEAD, INTEGRATION_ADMIN, AUDITOR]
MIRROR = {"contact", "tag", "ticket", "ticketmessage", "chatconversation", "chatmessage", "person"}
FOLLOW_UP = {"vendoraccount", "operation", "apicall"}
# The back-office's own admin pages, the staff-action history and groups; not the task
# queue's pages, which no role is given.
OURS = {"backoffice", "admin", "auth"}
REGISTERED = [model for model in admin.site._registry if model._meta.app_label in OURS]
EVERY_MODEL = {model._meta.model_name for model in REGISTERED}

VISIBLE = {
    SUPPORT_AGENT: MIRROR | FOLLOW_UP,
    SUPPORT_LEAD: MIRROR | FOLLOW_UP | {"agentidentity"},
    INTEGRATION_ADMIN: FOLLOW_UP | {"agentidentity", "ratebucket", "synccursor", "user"},
    AUDITOR: EVERY_MODEL,
}

CONTACT_AGENT = {"add_tags", "remove_tags", "add_feed_record", "start_chat"}
OFFERED: dict[str, dict[type[Model], set[str]]] = {
    SUPPORT_AGENT: {
        Contact: CONTACT_AGENT,
        Person: set(),
        Ticket: {"reply_to_ticket"},
        ChatConversation: {"send_message"},
        Tag: set(),
        Operation: set(),
        VendorAccount: set(),
    },
    SUPPORT_LEAD: {
        Contact: CONTACT_AGENT | {"push_to_vendor", "split_from_person", "sync_from_vendor"},
        Person: {"merge_persons"},
        Ticket: {"reply_to_ticket", "refresh_from_vendor"},
        ChatConversation: {"send_message", "refresh_from_vendor"},
        Operation: {"retry_operations", "dismiss_operations"},
        VendorAccount: {"sync_from_vendor"},
        AgentIdentity: set(),
    },
    INTEGRATION_ADMIN: {
        VendorAccount: {"test_connection", "delete_selected"},
        AgentIdentity: {"delete_selected"},
        Operation: set(),
    },
    AUDITOR: {model: set() for model in (Contact, Ticket, ChatConversation, Operation, Tag, Person)}
    | {VendorAccount: set(), AgentIdentity: set(), LogEntry: set(), Group: set()},
}

# What each action form would take, so that an action that was not refused would do something.
FORM_DATA = {
    "names": "vip",
    "text": "Dzień dobry",
    "sender": "agent",
    "body": "Dzień dobry",
    "body_type": "html",
    "message": "Telefon od klienta",
    "author": "customer",
    "chat_queue_id": "1",
    "post": "yes",  # the delete confirmation
    "apply": "Apply",
}


@pytest.fixture
def one_of_everything(db: None) -> dict[type[Model], Model]:
    contact = ContactFactory(person=PersonFactory())
    message = TicketMessageFactory()
    chat = ChatMessageFactory()
    failed = OperationFactory(state="failed", account=contact.account, target_contact=contact)
    rows: list[Model] = [
        contact,
        contact.person,
        TagFactory(account=contact.account),
        message,
        message.ticket,
        chat,
        chat.conversation,
        contact.account,
        AgentIdentityFactory(),
        failed,
        ApiCallFactory(operation=failed),
        RateBucketFactory(),
        SyncCursorFactory(),
        StoredFileFactory(),
        UserFactory(),
        Group.objects.create(name="Night shift"),
    ]
    everything = {type(row): row for row in rows}
    LogEntry.objects.log_actions(
        user_id=UserFactory().pk, queryset=[contact], action_flag=2, change_message="Changed."
    )
    everything[LogEntry] = LogEntry.objects.get()
    assert set(everything) == set(REGISTERED), "a registered model has no row here"
    return everything


@pytest.mark.parametrize("role", ROLES)
def test_it_opens_exactly_the_role_s_changelists_and_change_pages(role: str, one_of_everything):
    _, client = role_client(role)
    for model, row in one_of_everything.items():
        name = model._meta.model_name
        expected = 200 if name in VISIBLE[role] else 403
        assert client.get(changelist(model)).status_code == expected, (role, name)
        url = reverse(f"admin:{model._meta.app_label}_{name}_change", args=[row.pk])
        assert client.get(url).status_code == expected, (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_it_offers_exactly_the_role_s_actions(role: str, one_of_everything) -> None:
    _, client = role_client(role)
    for model, expected in OFFERED[role].items():
        assert set(action_choices(client, model)) == expected, (role, model.__name__)


def required_permission(model: type[Model], permission: str) -> str:
    """The ``user.has_perm`` name an action's declared permission stands for."""
    if permission in ("add", "change", "delete", "view"):
        return f"{model._meta.app_label}.{permission}_{model._meta.model_name}"
    return f"backoffice.{permission}"


def every_action() -> list[tuple[type[Model], str, list[str]]]:
    found = []
    for model in REGISTERED:
        for func, name, _ in admin.site._registry[model]._get_base_actions():
            permissions = getattr(func, "allowed_permissions", ())
            found.append((model, name, [required_permission(model, p) for p in permissions]))
    return found


def test_it_declares_a_permission_on_every_action() -> None:
    actions = every_action()
    assert {name for _, name, _ in actions} >= {
        "reply_to_ticket",
        "add_tags",
        "remove_tags",
        "push_to_vendor",
        "add_feed_record",
        "start_chat",
        "send_message",
        "test_connection",
        "retry_operations",
        "dismiss_operations",
        "delete_selected",
    }
    assert all(permissions for _, _, permissions in actions)


def state_of(rows: dict[type[Model], Model]) -> dict[str, Any]:
    operation = rows[Operation]
    return {
        "operations": list(Operation.objects.values_list("pk", "state").order_by("pk")),
        "rows": {m.__name__: m._default_manager.filter(pk=r.pk).exists() for m, r in rows.items()},
        "operation": Operation.objects.get(pk=operation.pk).state,
    }


@pytest.mark.parametrize("role", ROLES)
def test_it_refuses_every_action_the_role_may_not_run_even_when_posted_by_hand(
    role: str, one_of_everything
) -> None:
    user, client = role_client(role)
    before = state_of(one_of_everything)
    refused = []
    for model, action, permissions in every_action():
        if all(user.has_perm(p) for p in permissions):
            continue
        row = one_of_everything[model]
        for step in ("index", "apply"):  # the changelist's own post, then the form's
            data = {**FORM_DATA, "index": "0"} if step == "index" else FORM_DATA
            response = start(client, model, action, [row.pk], data=data)
            if response.status_code == 200:
                # A list the staff member may run no action on: the post is not read as one.
                assert response.context["action_form"] is None, (role, action)
            elif response.status_code == 302:
                assert set(messages(response)) == {"No action selected."}, (role, action)
            else:
                assert response.status_code == 403, (role, action, response.status_code)
        refused.append(action)
    assert refused, role
    assert state_of(one_of_everything) == before


def test_it_shows_the_role_s_action_forms(one_of_everything) -> None:
    contact = one_of_everything[Contact]
    _, agent = role_client(SUPPORT_AGENT)
    page = start(agent, Contact, "add_tags", [contact.pk])
    assert page.status_code == 200
    assert "form" in page.context

    _, lead = role_client(SUPPORT_LEAD)
    page = start(lead, Contact, "push_to_vendor", [contact.pk])
    assert page.status_code == 200
    assert "form" in page.context


def test_it_lets_a_lead_dismiss_a_failed_operation(one_of_everything) -> None:
    failed = one_of_everything[Operation]
    _, client = role_client(SUPPORT_LEAD)

    response = start(client, Operation, "dismiss_operations", [failed.pk], data={"apply": "1"})

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == "dismissed"


@pytest.mark.parametrize("model", [Contact, VendorAccount, AgentIdentity, Group, Operation])
def test_it_lets_an_auditor_change_nothing(model: type[Model], one_of_everything) -> None:
    row = one_of_everything[model]
    _, client = role_client(AUDITOR)
    meta = model._meta
    change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])

    page = client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(change, {"name": "Renamed"}).status_code == 403
    delete = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 403
    assert model._default_manager.filter(pk=row.pk).exists()
