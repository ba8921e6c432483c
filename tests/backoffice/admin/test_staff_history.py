"""Credentials behind their own permission, and the staff-action history auditors read."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from backoffice.models import User, VendorAccount
from backoffice.roles import AUDITOR, INTEGRATION_ADMIN, SUPPORT_AGENT
from tests.backoffice.admin.flow import account_form, changelist, role_client, staff_client
from tests.factories import BonyAccountFactory, HelpCrunchAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_SECRET = "bony-token-Ż-new-0042"


def change_url(obj: object) -> str:
    meta = obj._meta  # type: ignore[attr-defined]
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])  # type: ignore[attr-defined]


def test_it_changes_credentials_only_with_the_credentials_permission() -> None:
    account = BonyAccountFactory(api_secret="old-token")
    _, client = staff_client("view_vendoraccount", "change_vendoraccount")

    page = client.get(change_url(account))
    assert page.status_code == 200
    assert 'name="new_api_secret"' not in page.content.decode()
    assert "new_api_secret" not in page.context["adminform"].form.fields

    response = client.post(
        change_url(account),
        account_form(account, name="Renamed", vendor="helpcrunch", new_api_secret=NEW_SECRET),
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.api_secret.reveal() == "old-token"
    assert account.vendor == "bony"  # another vendor would need other credentials


def test_it_lets_an_integration_admin_replace_a_secret_and_records_only_that_it_changed() -> None:
    account = BonyAccountFactory(api_secret="old-token")
    _, client = role_client(INTEGRATION_ADMIN)
    page = client.get(change_url(account))
    assert 'name="new_api_secret"' in page.content.decode()

    response = client.post(change_url(account), account_form(account, new_api_secret=NEW_SECRET))

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.api_secret.reveal() == NEW_SECRET
    entry = LogEntry.objects.get(object_id=str(account.pk))
    assert entry.action_flag == CHANGE
    assert entry.get_change_message() == "Changed API secret."
    recorded = LogEntry.objects.values_list("change_message", "object_repr")
    assert NEW_SECRET not in str(list(recorded))
    _, auditor = role_client(AUDITOR)
    for url in (
        changelist(LogEntry),
        change_url(entry),
        reverse("admin:backoffice_vendoraccount_history", args=[account.pk]),
    ):
        page = auditor.get(url)
        assert page.status_code == 200, url
        assert "API secret" in page.content.decode(), url
        assert NEW_SECRET not in page.content.decode(), url


def test_it_lets_only_staff_who_manage_credentials_add_an_account() -> None:
    _, without = staff_client("view_vendoraccount", "add_vendoraccount")
    assert without.get(reverse("admin:backoffice_vendoraccount_add")).status_code == 403

    _, client = role_client(INTEGRATION_ADMIN)
    response = client.post(
        reverse("admin:backoffice_vendoraccount_add"),
        account_form(
            VendorAccount(vendor="helpcrunch", name="Sklep", base_url="", max_attempts=6),
            time_zone="Europe/Warsaw",
            new_api_secret=NEW_SECRET,
        ),
    )

    assert response.status_code == 302
    account = VendorAccount.objects.get(name="Sklep")
    assert account.api_secret.reveal() == NEW_SECRET
    entry = LogEntry.objects.get(object_id=str(account.pk))
    assert entry.action_flag == ADDITION
    assert NEW_SECRET not in entry.change_message


def test_it_shows_the_history_to_auditors_with_its_filters_and_lets_them_change_nothing() -> None:
    account = HelpCrunchAccountFactory()
    editor = UserFactory()
    LogEntry.objects.log_actions(
        user_id=editor.pk, queryset=[account], action_flag=CHANGE, change_message="Changed."
    )
    entry = LogEntry.objects.get()
    _, client = role_client(AUDITOR)
    accounts = ContentType.objects.get_for_model(VendorAccount)

    page = client.get(changelist(LogEntry))
    assert page.status_code == 200
    assert page.context["title"] == "Staff-action history"
    dates = next(s for s in page.context["cl"].filter_specs if s.title == "action time")
    past_week = next(c for c in dates.choices(page.context["cl"]) if c["display"] == "Past 7 days")
    for query in (
        f"user__id__exact={editor.pk}",
        f"content_type__id__exact={accounts.pk}",
        f"action_flag__exact={CHANGE}",
        past_week["query_string"].lstrip("?"),
    ):
        found = client.get(changelist(LogEntry, query)).context["cl"].result_list
        assert list(found) == [entry], query
    assert (
        not client.get(changelist(LogEntry, f"action_flag__exact={ADDITION}"))
        .context["cl"]
        .result_list
    )

    assert client.post(change_url(entry), {"change_message": "Nothing."}).status_code == 403
    delete = reverse("admin:admin_logentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.change_message == "Changed."


def test_it_keeps_the_history_from_staff_without_the_auditor_s_permission() -> None:
    for role in (SUPPORT_AGENT, INTEGRATION_ADMIN):
        _, client = role_client(role)
        assert client.get(changelist(LogEntry)).status_code == 403, role


def test_it_records_group_and_permission_changes(owner_client: Client) -> None:
    group = Group.objects.create(name="Night shift")
    push = Permission.objects.get(codename="push_contact")

    response = owner_client.post(
        change_url(group), {"name": "Night shift", "permissions": [push.pk]}
    )

    assert response.status_code == 302
    entry = LogEntry.objects.get(object_id=str(group.pk))
    assert entry.get_change_message() == "Changed Permissions."


def user_form(user: User, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
        "groups": [Group.objects.get(name=SUPPORT_AGENT).pk],
    }
    data.update(overrides)
    return data


def test_it_records_a_staff_member_s_accounts_and_groups(owner_client: Client) -> None:
    user = UserFactory()
    account = HelpCrunchAccountFactory()

    response = owner_client.post(
        change_url(user),
        user_form(user, limited_to_accounts="on", vendor_accounts=[account.pk]),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.limited_to_accounts
    assert list(user.vendor_accounts.all()) == [account]
    message = LogEntry.objects.get(object_id=str(user.pk)).get_change_message()
    assert "Groups" in message
    assert "Limited to some vendor accounts and Vendor accounts" in message


def test_it_refuses_chosen_accounts_without_the_limit_ticked(owner_client: Client) -> None:
    user = UserFactory()
    account = HelpCrunchAccountFactory()

    response = owner_client.post(change_url(user), user_form(user, vendor_accounts=[account.pk]))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["limited_to_accounts"]
    assert "Tick this for the chosen vendor accounts" in errors[0]
    assert not user.vendor_accounts.exists()
