from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from backoffice.models import Contact, Operation, Ticket
from tests.backoffice.admin.flow import staff_client
from tests.factories import ContactFactory, OperationFactory, TicketFactory

pytestmark = pytest.mark.django_db


def operation_on(target: Model, action: str) -> Operation:
    return OperationFactory(
        action=action,
        account=target.account,  # type: ignore[attr-defined]
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        target_label=str(target),
    )


def change_page(client: Client, obj: Model) -> str:
    meta = obj._meta
    response = client.get(reverse(f"admin:backoffice_{meta.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("model", "factory"), [(Ticket, TicketFactory), (Contact, ContactFactory)])
def test_it_links_a_change_page_to_the_operations_on_that_record_only(
    owner_client: Client, model: type[Model], factory
) -> None:
    obj = factory()
    mine = [operation_on(obj, "reply_to_ticket"), operation_on(obj, "add_tags")]
    operation_on(factory(), "add_tags")  # another record of the same kind
    # A record of the other kind with the same primary key: the content type tells them apart.
    twin = (ContactFactory if model is Ticket else TicketFactory)(id=obj.pk)
    operation_on(twin, "start_chat")
    content_type = ContentType.objects.get_for_model(model)
    url = (
        f"/admin/backoffice/operation/?target_type__id__exact={content_type.pk}"
        f"&amp;target_id={obj.pk}"
    )

    page = change_page(owner_client, obj)
    assert (
        f'<a href="{url}" class="operationslink">Operations on this {model._meta.verbose_name}</a>'
        in page
    )

    listed = owner_client.get(url.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert {op.pk for op in listed.context["cl"].result_list} == {op.pk for op in mine}


def test_it_shows_no_link_to_staff_who_may_not_see_operations() -> None:
    ticket = TicketFactory()
    _, client = staff_client("view_ticket")

    assert "Operations on this ticket" not in change_page(client, ticket)
    _, auditor = staff_client("view_ticket", "view_operation")
    assert "Operations on this ticket" in change_page(auditor, ticket)
