"""The four staff roles, as Django groups kept in step with the table below.

``ROLES`` maps a group's name to the permissions it grants, each as ``"app_label.codename"``
(what ``user.has_perm`` takes); ``"app_label.view_*"`` stands for the view permission of every
model of that app, present and future. ``roles_sync`` makes the four groups hold exactly these
permissions: it runs in the ``0006_roles`` data migration and after every ``migrate``
(``post_migrate``), so a later migration that adds a permission keeps the groups in step, and a
group edited by hand in the admin is put back. Groups staff create themselves are left alone.

A permission named here that no model declares is an error that stops ``migrate``, with the
role and the codename in its message: a permission dropped by mistake never silently narrows a
role.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, router

SUPPORT_AGENT = "Support agent"
SUPPORT_LEAD = "Support lead"
INTEGRATION_ADMIN = "Integration admin"
AUDITOR = "Auditor"

WILDCARD = "*"

MIRROR_VIEW = frozenset(
    {
        "backoffice.view_contact",
        "backoffice.view_tag",
        "backoffice.view_ticket",
        "backoffice.view_ticketmessage",
        "backoffice.view_chatconversation",
        "backoffice.view_chatmessage",
        "backoffice.view_person",
    }
)
# What every role that acts at the vendors needs to follow its work: the accounts it works on
# and the operations and vendor calls its actions made.
PIPELINE_VIEW = frozenset(
    {
        "backoffice.view_vendoraccount",
        "backoffice.view_operation",
        "backoffice.view_apicall",
    }
)

_SUPPORT_AGENT = (
    MIRROR_VIEW
    | PIPELINE_VIEW
    | {
        "backoffice.reply_to_ticket",
        "backoffice.send_message",
        "backoffice.start_chat",
        "backoffice.add_feed_record",
        "backoffice.tag_contact",
    }
)

ROLES: dict[str, frozenset[str]] = {
    SUPPORT_AGENT: _SUPPORT_AGENT,
    SUPPORT_LEAD: _SUPPORT_AGENT
    | {
        # A contact's fields are edited here before they are pushed to the vendor.
        "backoffice.change_contact",
        "backoffice.push_contact",
        # Merging persons and splitting a contact off when the automatic link is wrong.
        "backoffice.manage_persons",
        "backoffice.retry_operation",
        "backoffice.sync_from_vendor",
        "backoffice.view_agentidentity",
    },
    INTEGRATION_ADMIN: PIPELINE_VIEW
    | {
        "backoffice.add_vendoraccount",
        "backoffice.change_vendoraccount",
        "backoffice.delete_vendoraccount",
        "backoffice.manage_credentials",
        "backoffice.test_connection",
        "backoffice.view_agentidentity",
        "backoffice.add_agentidentity",
        "backoffice.change_agentidentity",
        "backoffice.delete_agentidentity",
        "backoffice.view_ratebucket",
        "backoffice.view_synccursor",
        # An agent identity names a staff member, picked from the user list (the user model is
        # this app's, so its permissions are too).
        "backoffice.view_user",
    },
    AUDITOR: frozenset(
        {
            "backoffice.view_*",  # staff users included: the user model is this app's
            "auth.view_group",
            "admin.view_logentry",
        }
    ),
}


class RoleError(ImproperlyConfigured):
    """The role table names a permission that does not exist."""


def _permission_index(apps: Apps, using: str) -> dict[tuple[str, str], list[int]]:
    """Every permission's id by (app label, codename), read in one query."""
    Permission = apps.get_model("auth", "Permission")
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    rows = Permission.objects.using(using).values_list("pk", "content_type__app_label", "codename")
    for pk, app_label, codename in rows:
        index[(app_label, codename)].append(pk)
    return index


def _resolve(
    names: Iterable[str], index: Mapping[tuple[str, str], list[int]]
) -> tuple[set[int], list[str]]:
    """The permission ids ``names`` stand for, and the names that match none."""
    ids: set[int] = set()
    missing: list[str] = []
    for name in sorted(names):
        app_label, _, codename = name.partition(".")
        if codename.endswith(WILDCARD):
            prefix = codename.removesuffix(WILDCARD)
            found = [
                pk
                for (label, code), pks in index.items()
                if label == app_label and code.startswith(prefix)
                for pk in pks
            ]
        else:
            found = list(index.get((app_label, codename), ()))
        if found:
            ids.update(found)
        else:
            missing.append(name)
    return ids, missing


def roles_sync(
    *, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS, strict: bool = True
) -> dict[str, set[int]]:
    """Create or update the four role groups to hold exactly the permissions of ``ROLES``.

    ``strict``: a permission that does not exist raises ``RoleError`` naming it. The data
    migration passes False, since permissions added by later migrations do not exist yet at
    that point; ``post_migrate`` runs strictly once every migration has been applied. Returns
    each group's permission ids.
    """
    Group = apps.get_model("auth", "Group")
    if not router.allow_migrate_model(using, Group):
        return {}
    index = _permission_index(apps, using)
    resolved: dict[str, set[int]] = {}
    problems: list[str] = []
    for role, names in ROLES.items():
        ids, missing = _resolve(names, index)
        resolved[role] = ids
        if missing:
            problems.append(f"{role}: {', '.join(missing)}")
    if problems and strict:
        raise RoleError(
            "The staff roles in backoffice/roles.py grant permissions that no model declares ("
            + "; ".join(problems)
            + "). Declare each in its model's Meta.permissions, or take it out of ROLES."
        )
    for role, ids in resolved.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(ids)
    return resolved


def roles_after_migrate(*, using: str, apps: Apps = global_apps, **kwargs: object) -> None:
    """``post_migrate`` receiver: every app's permissions first (this app's signal comes before
    auth's own permission pass for the apps after it), then the groups. ``flush`` (a
    transactional test's teardown) sends the signal without ``apps``: the models as they are."""
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    roles_sync(apps=apps, using=using, strict=True)
