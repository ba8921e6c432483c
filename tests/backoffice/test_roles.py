from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from backoffice import roles
from backoffice.roles import AUDITOR, INTEGRATION_ADMIN, SUPPORT_AGENT, SUPPORT_LEAD, RoleError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACTION_PERMISSIONS = {
    "backoffice.reply_to_ticket",
    "backoffice.send_message",
    "backoffice.start_chat",
    "backoffice.add_feed_record",
    "backoffice.tag_contact",
    "backoffice.push_contact",
    "backoffice.retry_operation",
    "backoffice.test_connection",
    "backoffice.manage_credentials",
}


def granted(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_it_creates_the_four_role_groups_on_migrate() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {
        SUPPORT_AGENT,
        SUPPORT_LEAD,
        INTEGRATION_ADMIN,
        AUDITOR,
    }
    for role, names in roles.ROLES.items():
        exact = {name for name in names if not name.endswith("*")}
        assert exact <= granted(role), role


def test_it_lets_a_support_agent_act_on_the_mirror_but_not_push_retry_or_configure() -> None:
    agent = granted(SUPPORT_AGENT)
    assert {
        "backoffice.view_contact",
        "backoffice.view_ticket",
        "backoffice.reply_to_ticket",
        "backoffice.send_message",
        "backoffice.start_chat",
        "backoffice.add_feed_record",
        "backoffice.tag_contact",
    } <= agent
    assert (
        not {
            "backoffice.push_contact",
            "backoffice.retry_operation",
            "backoffice.test_connection",
            "backoffice.manage_credentials",
            "backoffice.change_contact",
            "backoffice.change_vendoraccount",
            "admin.view_logentry",
        }
        & agent
    )


def test_it_gives_a_support_lead_everything_an_agent_has_and_pushing_and_retrying() -> None:
    lead = granted(SUPPORT_LEAD)
    assert granted(SUPPORT_AGENT) < lead
    assert {"backoffice.push_contact", "backoffice.retry_operation"} <= lead
    assert (
        not {
            "backoffice.manage_credentials",
            "backoffice.test_connection",
            "backoffice.change_vendoraccount",
            "backoffice.add_agentidentity",
        }
        & lead
    )


def test_it_gives_an_integration_admin_accounts_credentials_and_identities_only() -> None:
    integration = granted(INTEGRATION_ADMIN)
    assert {
        "backoffice.add_vendoraccount",
        "backoffice.change_vendoraccount",
        "backoffice.manage_credentials",
        "backoffice.test_connection",
        "backoffice.add_agentidentity",
        "backoffice.change_agentidentity",
    } <= integration
    assert (
        not (ACTION_PERMISSIONS - {"backoffice.test_connection", "backoffice.manage_credentials"})
        & integration
    )
    assert "backoffice.view_contact" not in integration


def test_it_lets_an_auditor_view_everything_and_change_or_run_nothing() -> None:
    auditor = granted(AUDITOR)
    every_view = {
        f"backoffice.{codename}"
        for codename in Permission.objects.filter(
            content_type__app_label="backoffice", codename__startswith="view_"
        ).values_list("codename", flat=True)
    }
    assert auditor == every_view | {"auth.view_group", "admin.view_logentry"}
    assert {
        "backoffice.view_operation",
        "backoffice.view_apicall",
        "backoffice.view_user",
    } <= auditor
    assert all(name.split(".")[1].startswith("view_") for name in auditor)
    assert not ACTION_PERMISSIONS & auditor


def test_it_puts_back_a_role_group_edited_by_hand() -> None:
    group = Group.objects.get(name=SUPPORT_AGENT)
    push = Permission.objects.get(codename="push_contact")
    reply = Permission.objects.get(codename="reply_to_ticket")
    group.permissions.add(push)
    group.permissions.remove(reply)
    Group.objects.get(name=AUDITOR).delete()

    roles.roles_sync()

    assert "backoffice.push_contact" not in granted(SUPPORT_AGENT)
    assert "backoffice.reply_to_ticket" in granted(SUPPORT_AGENT)
    assert "admin.view_logentry" in granted(AUDITOR)


def test_it_leaves_groups_staff_made_themselves_alone() -> None:
    night_shift = Group.objects.create(name="Night shift")
    night_shift.permissions.add(Permission.objects.get(codename="push_contact"))
    night_shift.user_set.add(UserFactory())

    roles.roles_sync()

    assert list(night_shift.permissions.values_list("codename", flat=True)) == ["push_contact"]
    assert night_shift.user_set.count() == 1


def test_it_keeps_the_members_of_a_role_group() -> None:
    user = UserFactory()
    user.groups.add(Group.objects.get(name=SUPPORT_LEAD))

    roles.roles_sync()

    assert user.has_perm("backoffice.push_contact")
    assert list(user.groups.values_list("name", flat=True)) == [SUPPORT_LEAD]


def test_it_refuses_a_role_naming_a_permission_no_model_declares(monkeypatch) -> None:
    lead = roles.ROLES[SUPPORT_LEAD] | {"backoffice.sync_everything"}
    monkeypatch.setitem(roles.ROLES, SUPPORT_LEAD, lead)

    with pytest.raises(RoleError, match=r"Support lead: backoffice\.sync_everything"):
        roles.roles_sync()
    # The migration's own pass, before later migrations add their permissions, goes on.
    assert roles.roles_sync(strict=False)[SUPPORT_LEAD]


def test_it_puts_the_groups_back_after_every_migrate() -> None:
    Group.objects.filter(name__in=roles.ROLES).delete()

    call_command("migrate", verbosity=0)

    assert "backoffice.push_contact" in granted(SUPPORT_LEAD)
    assert "admin.view_logentry" in granted(AUDITOR)


def test_it_creates_the_groups_in_the_data_migration() -> None:
    Group.objects.filter(name__in=roles.ROLES).delete()
    migration = importlib.import_module("backoffice.migrations.0006_roles")
    state = MigrationExecutor(connection).loader.project_state(("backoffice", "0006_roles"))

    # The data migration reads only the connection from its schema editor; SQLite opens no
    # schema editor inside the test's transaction.
    migration.create_role_groups(state.apps, SimpleNamespace(connection=connection))

    assert granted(SUPPORT_AGENT) == set(roles.ROLES[SUPPORT_AGENT])
    assert "backoffice.manage_credentials" in granted(INTEGRATION_ADMIN)
