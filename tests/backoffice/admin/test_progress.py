"""A bulk action's progress: the box above its operations, its JSON, and the links to it."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.models import ChatConversation, Contact, Operation, User
from tests.backoffice.admin.posting import changelist_url, messages_of, post_action
from tests.factories import (
    BonyAccountFactory,
    ChatConversationFactory,
    HelpCrunchAccountFactory,
    OperationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PROGRESS = "/admin/backoffice/operation/progress/"
STATES = {
    "succeeded": 3,
    "failed": 1,
    "unknown": 1,
    "dismissed": 1,
    "queued": 2,
    "running": 1,
    "retrying": 1,
}


@pytest.fixture
def group() -> uuid.UUID:
    group_id = uuid.uuid4()
    account = BonyAccountFactory()
    for state, n in STATES.items():
        for _ in range(n):
            OperationFactory(group_id=group_id, state=state, account=account)
    OperationFactory(group_id=uuid.uuid4(), state="failed", account=account)  # another action
    return group_id


def test_it_counts_a_bulk_action_by_outcome(owner_client, group) -> None:
    response = owner_client.get(PROGRESS, {"group_id": str(group)})

    assert response.status_code == 200
    assert response.json() == {
        "total": 10,
        "succeeded": 3,
        "failed": 3,  # failed, unknown and dismissed
        "pending": 4,  # queued, running and retrying
        "by_state": STATES,
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_counts_in_one_grouped_query(owner_client, group) -> None:
    with CaptureQueriesContext(connection) as queries:
        owner_client.get(PROGRESS, {"group_id": str(group)})

    counting = [q["sql"] for q in queries if "backoffice_operation" in q["sql"]]
    assert len(counting) == 1
    assert "GROUP BY" in counting[0]
    assert "COUNT(" in counting[0]


def test_it_follows_a_list_of_ids_too(owner_client) -> None:
    first, second = OperationFactory(state="succeeded"), OperationFactory(state="queued")
    OperationFactory(state="failed")

    response = owner_client.get(PROGRESS, {"id__in": f"{first.pk},{second.pk}"})

    assert response.json()["total"] == 2
    assert response.json()["pending"] == 1


@pytest.mark.parametrize(
    "query", [{}, {"group_id": "not-a-uuid"}, {"id__in": "1,x"}, {"id__in": ",".join(["1"] * 501)}]
)
def test_it_refuses_a_progress_request_without_a_valid_scope(owner_client, query) -> None:
    assert owner_client.get(PROGRESS, query).status_code == 400


def test_it_checks_permission_like_the_changelist(group) -> None:
    outsider = UserFactory(username="outsider")
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_operation"))
    anonymous, refused, allowed = Client(), Client(), Client()
    refused.force_login(outsider)
    allowed.force_login(viewer)
    query = {"group_id": str(group)}

    assert anonymous.get(PROGRESS, query).status_code == 302  # to the login page
    assert refused.get(PROGRESS, query).status_code == 403
    assert allowed.get(PROGRESS, query).json()["total"] == 10


def test_it_shows_the_progress_box_above_a_bulk_actions_list(owner_client, group) -> None:
    response = owner_client.get(changelist_url(Operation, f"?group_id={group}"))

    page = response.content.decode()
    assert response.context["cl"].result_count == 10
    assert f'data-url="{PROGRESS}?group_id={group}"' in page
    assert 'data-pending="4"' in page
    assert '<strong data-count="succeeded">3</strong> done' in page
    assert '<strong data-count="failed">3</strong> failed' in page
    assert '<strong data-count="pending">4</strong> pending' in page
    assert 'of <strong data-count="total">10</strong>' in page
    assert 'data-bar="succeeded" data-width="30.0"' in page
    assert 'data-bar="pending" data-width="40.0"' in page
    assert "backoffice/operation_progress.js" in page
    assert "Updating every few seconds" in page


def test_it_shows_no_box_on_the_unfiltered_list(owner_client, group) -> None:
    page = owner_client.get(changelist_url(Operation)).content.decode()

    assert "operation-progress" not in page
    assert "operation_progress.js" not in page


def test_it_stops_updating_a_settled_bulk_action(owner_client) -> None:
    group = uuid.uuid4()
    OperationFactory(group_id=group, state="succeeded")

    page = owner_client.get(changelist_url(Operation, f"?group_id={group}")).content.decode()

    assert 'data-pending="0"' in page
    assert "Updating every few seconds" not in page


def test_it_links_the_action_message_to_the_progress_box(owner_client) -> None:
    account = HelpCrunchAccountFactory(is_active=True)
    conversations = ChatConversationFactory.create_batch(2, account=account)

    response = post_action(
        owner_client,
        ChatConversation,
        "send_message",
        conversations,
        {"text": "Hi", "sender": "contact"},
    )
    group = Operation.objects.values_list("group_id", flat=True).distinct().get()
    text = messages_of(response)[-1]
    follow = owner_client.get(changelist_url(Operation, f"?group_id={group}"))

    assert f'href="/admin/backoffice/operation/?group_id={group}"' in text
    assert follow.context["cl"].result_count == 2
    assert 'id="operation-progress"' in follow.content.decode()


# --- each target's page links to its operations --------------------------------------------


def test_it_links_an_account_to_its_operations(owner_client) -> None:
    account, other = BonyAccountFactory(), BonyAccountFactory()
    OperationFactory.create_batch(2, account=account)
    OperationFactory(account=other)

    page = owner_client.get(reverse("admin:backoffice_vendoraccount_change", args=[account.pk]))
    url = f"{changelist_url(Operation)}?account__id__exact={account.pk}"
    listing = owner_client.get(url)

    assert f'href="{url}"' in page.content.decode()
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 2


def test_it_links_a_conversation_to_the_operations_on_it(owner_client, owner) -> None:
    conversation, other = ChatConversationFactory(), ChatConversationFactory()
    content_type = ContentType.objects.get_for_model(ChatConversation)
    for target in (conversation, conversation, other):
        Operation.objects.create(
            action="send_message",
            account=target.account,
            target_type=content_type,
            target_id=target.pk,
            actor=owner,
        )
    # An operation on a contact whose primary key is the conversation's: not the conversation's.
    Operation.objects.create(
        action="add_tags",
        account=conversation.account,
        target_type=ContentType.objects.get_for_model(Contact),
        target_id=conversation.pk,
        actor=owner,
    )

    page = owner_client.get(
        reverse("admin:backoffice_chatconversation_change", args=[conversation.pk])
    )
    url = (
        f"{changelist_url(Operation)}?target_type__id__exact={content_type.pk}"
        f"&amp;target_id={conversation.pk}"
    )
    listing = owner_client.get(url.replace("&amp;", "&"))

    assert f'href="{url}"' in page.content.decode()
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 2


def test_it_filters_operations_by_bulk_action(owner_client, group) -> None:
    response = owner_client.get(changelist_url(Operation, f"?group_id={group}&state=failed"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_it_shows_the_box_to_a_viewer() -> None:
    viewer: User = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_operation"))
    client = Client()
    client.force_login(viewer)
    group = uuid.uuid4()
    OperationFactory(group_id=group, state="queued")

    page = client.get(changelist_url(Operation, f"?group_id={group}")).content.decode()

    assert 'data-pending="1"' in page
