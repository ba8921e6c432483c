from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from backoffice.models import ApiCall, Operation, VendorAccount
from tests.backoffice.admin.flow import account_form
from tests.factories import (
    AgentIdentityFactory,
    ApiCallFactory,
    BonyAccountFactory,
    ChatMessageFactory,
    ContactFactory,
    PersonFactory,
    RateBucketFactory,
    StoredFileFactory,
    SyncCursorFactory,
    TagFactory,
    ThuliumAccountFactory,
    TicketMessageFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "thulium-pass-Ż-0042"


@pytest.fixture
def one_of_everything(owner) -> dict[str, object]:
    contact = ContactFactory(person=PersonFactory())
    contact.tags.add(TagFactory(account=contact.account))
    message = TicketMessageFactory(ticket__account=ThuliumAccountFactory(api_secret=SECRET))
    call = ApiCallFactory(operation__target_contact=contact)
    return {
        "contact": contact,
        "ticket_message": message,
        "chat_message": ChatMessageFactory(),
        "identity": AgentIdentityFactory(),
        "api_call": call,
        "rate_bucket": RateBucketFactory(),
        "file": StoredFileFactory(),
        "cursor": SyncCursorFactory(),
    }


def registered_models() -> list[type]:
    return [m for m in admin.site._registry if m._meta.app_label == "backoffice"]


def test_it_registers_every_backoffice_model() -> None:
    from django.apps import apps

    assert set(apps.get_app_config("backoffice").get_models()) == set(registered_models())


def test_it_renders_every_changelist_and_change_page(
    owner_client: Client, one_of_everything
) -> None:
    for model in registered_models():
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        changelist = owner_client.get(reverse(f"{prefix}_changelist"))
        assert changelist.status_code == 200, meta.model_name
        obj = model._default_manager.first()
        assert obj is not None, meta.model_name
        change = owner_client.get(reverse(f"{prefix}_change", args=[obj.pk]))
        assert change.status_code == 200, meta.model_name


def test_it_searches_and_filters_the_audit_trail(owner_client: Client, one_of_everything) -> None:
    url = reverse("admin:backoffice_apicall_changelist")
    assert owner_client.get(url, {"outcome": "2xx"}).context["cl"].result_count == 1
    assert owner_client.get(url, {"outcome": "5xx"}).context["cl"].result_count == 0
    op_url = reverse("admin:backoffice_operation_changelist")
    assert owner_client.get(op_url, {"state": "queued"}).status_code == 200
    assert owner_client.get(op_url, {"q": "vip"}).status_code == 200


@pytest.mark.parametrize("model", [Operation, ApiCall])
def test_it_keeps_the_audit_trail_read_only_even_for_a_superuser(
    owner_client: Client,
    one_of_everything,
    model: type,
) -> None:
    name = model._meta.model_name
    obj = model.objects.first()
    count = model.objects.count()

    assert owner_client.get(reverse(f"admin:backoffice_{name}_add")).status_code == 403
    assert owner_client.post(reverse(f"admin:backoffice_{name}_add"), {}).status_code == 403
    change_url = reverse(f"admin:backoffice_{name}_change", args=[obj.pk])
    page = owner_client.get(change_url)
    assert b'name="_save"' not in page.content  # shown, but not editable
    assert owner_client.post(change_url, {"state": "dismissed"}).status_code == 403
    delete_url = reverse(f"admin:backoffice_{name}_delete", args=[obj.pk])
    assert owner_client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = owner_client.get(reverse(f"admin:backoffice_{name}_changelist"))
    assert b"delete_selected" not in changelist.content
    bulk = owner_client.post(
        reverse(f"admin:backoffice_{name}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert model.objects.count() == count
    obj.refresh_from_db()
    assert obj.state != "dismissed"


def test_it_never_shows_credentials_back(owner_client: Client) -> None:
    account = ThuliumAccountFactory(api_secret=SECRET)
    page = owner_client.get(reverse("admin:backoffice_vendoraccount_change", args=[account.pk]))
    assert page.status_code == 200
    assert SECRET.encode() not in page.content
    assert "Set; type a new value to replace it." in page.content.decode()


def test_it_keeps_a_credential_left_blank_and_replaces_a_typed_one(owner_client: Client) -> None:
    account = BonyAccountFactory(api_secret="old-token")
    url = reverse("admin:backoffice_vendoraccount_change", args=[account.pk])

    response = owner_client.post(url, account_form(account, name="Renamed"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.api_secret.reveal()) == ("Renamed", "old-token")

    owner_client.post(url, account_form(account, new_api_secret="new-token"))
    account.refresh_from_db()
    assert account.api_secret.reveal() == "new-token"


def test_it_requires_credentials_when_adding_an_account(owner_client: Client) -> None:
    response = owner_client.post(
        reverse("admin:backoffice_vendoraccount_add"),
        {
            "vendor": "thulium",
            "name": "Sklep",
            "base_url": "https://sklep.thulium.com/api",
            "time_zone": "Europe/Warsaw",
            "agent_identities-TOTAL_FORMS": "0",
            "agent_identities-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "new_api_secret" in errors
    assert "new_api_login" in errors
    assert not VendorAccount.objects.filter(name="Sklep").exists()


def test_it_refuses_a_base_url_off_the_vendor_hosts_in_the_form(owner_client: Client) -> None:
    response = owner_client.post(
        reverse("admin:backoffice_vendoraccount_add"),
        {
            "vendor": "helpcrunch",
            "name": "HC",
            "base_url": "https://api.helpcrunch.com.attacker.io/v1",
            "time_zone": "Europe/Warsaw",
            "new_api_secret": "k",
            "agent_identities-TOTAL_FORMS": "0",
            "agent_identities-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "api.helpcrunch.com" in str(response.context["adminform"].form.errors["base_url"])


def test_it_counts_a_huge_unfiltered_audit_list_from_statistics(owner_client: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backoffice.admin.pagination import EstimatedCountPaginator

    ApiCallFactory.create_batch(3)
    url = reverse("admin:backoffice_apicall_changelist")
    original = EstimatedCountPaginator.exact_below
    EstimatedCountPaginator.exact_below = 0
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE backoffice_apicall")
        with CaptureQueriesContext(connection) as queries:
            page = owner_client.get(url)
    finally:
        EstimatedCountPaginator.exact_below = original
    assert page.context["cl"].result_count == 3
    counted = [
        q["sql"] for q in queries if "COUNT(*)" in q["sql"].upper() and "apicall" in q["sql"]
    ]
    if connection.vendor == "postgresql":
        assert counted == []  # the estimate answered; no scan of the table
    else:
        assert len(counted) == 1  # SQLite has no statistics to ask: an exact count


def test_it_counts_a_filtered_audit_list_exactly(owner_client: Client) -> None:
    ApiCallFactory.create_batch(2)
    ApiCallFactory(status_code=503)
    response = owner_client.get(reverse("admin:backoffice_apicall_changelist"), {"outcome": "5xx"})
    assert response.context["cl"].result_count == 1
