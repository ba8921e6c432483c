"""What a staff member does in the changelist, as test steps."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from backoffice.models import Operation, User, VendorAccount
from tests.factories import UserFactory, role_user


def changelist(model: type[Model], query: str = "") -> str:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{query}" if query else url


def _post_action(
    client: Client,
    model: type[Model],
    action: str,
    selected: Iterable[Any],
    fields: Mapping[str, Any],
    *,
    query: str,
    select_across: bool,
) -> HttpResponse:
    response = client.post(
        changelist(model, query),
        {
            "action": action,
            "_selected_action": [str(pk) for pk in selected],
            "select_across": "1" if select_across else "0",
            **fields,
        },
    )
    return response  # type: ignore[no-any-return]


def start(
    client: Client,
    model: type[Model],
    action: str,
    selected: Iterable[Any],
    *,
    query: str = "",
    select_across: bool = False,
    data: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Tick rows, pick the action, press Go: the intermediate form (``data``: extra fields the
    page's own buttons post, such as a return address)."""
    fields = {"index": "0", **(data or {})}
    return _post_action(
        client, model, action, selected, fields, query=query, select_across=select_across
    )


def apply(
    client: Client,
    model: type[Model],
    action: str,
    selected: Iterable[Any],
    data: Mapping[str, Any] | None = None,
    *,
    query: str = "",
    select_across: bool = False,
) -> HttpResponse:
    """Fill in the intermediate form and submit it (its button is named ``apply``)."""
    fields = {"apply": "Apply", **(data or {})}
    return _post_action(
        client, model, action, selected, fields, query=query, select_across=select_across
    )


def run(
    client: Client,
    model: type[Model],
    action: str,
    selected: Iterable[Any],
    data: Mapping[str, Any] | None = None,
    *,
    query: str = "",
    select_across: bool = False,
) -> HttpResponse:
    """The whole path: the form is offered, then submitted; back on the changelist."""
    selected = list(selected)
    form_page = start(client, model, action, selected, query=query, select_across=select_across)
    assert form_page.status_code == 200, form_page
    assert "form" in form_page.context, "the intermediate form was not shown"
    response = apply(
        client, model, action, selected, data, query=query, select_across=select_across
    )
    assert response.status_code == 302, form_errors(response)
    assert response["Location"] == changelist(model, query)
    return response


def form_errors(response: HttpResponse) -> dict[str, list[str]]:
    context = getattr(response, "context", None)
    if not context or "form" not in context:
        return {}
    return {name: list(errors) for name, errors in context["form"].errors.items()}


def messages_html(response: HttpResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def messages(response: HttpResponse) -> list[str]:
    """The messages as the staff member reads them (links as their text)."""
    return [html.unescape(strip_tags(m)) for m in messages_html(response)]


def action_choices(client: Client, model: type[Model]) -> list[str]:
    page = client.get(changelist(model))
    assert page.status_code == 200
    form = page.context["action_form"]
    return [] if form is None else [name for name, _ in form.fields["action"].choices if name]


def staff_client(*codenames: str) -> tuple[User, Client]:
    """A staff member holding exactly these ``backoffice`` permissions, logged in."""
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="backoffice", codename__in=codenames)
    )
    assert user.user_permissions.count() == len(codenames)
    client = Client()
    client.force_login(user)
    return user, client


def role_client(
    role: str, *, accounts: Iterable[VendorAccount] | None = None
) -> tuple[User, Client]:
    """A staff member in one role group, logged in; limited to ``accounts`` when given."""
    user = role_user(role, accounts=accounts)
    client = Client()
    client.force_login(user)
    return user, client


def sent(call: Any) -> Any:
    """The JSON a vendor received in one ``responses`` call."""
    return json.loads(call.request.body)


def operations(action: str) -> list[Operation]:
    return list(Operation.objects.filter(action=action).order_by("pk"))


def account_form(account: VendorAccount, **overrides: str) -> dict[str, str]:
    """What the vendor account's page posts back unchanged, with ``overrides`` typed in."""
    data = {
        "vendor": account.vendor,
        "name": account.name,
        "base_url": account.base_url,
        "channel_kind": account.channel_kind,
        "rate_limit_per_minute": str(account.rate_limit_per_minute or ""),
        "max_attempts": str(account.max_attempts),
        "time_zone": account.time_zone,
        "is_active": "on" if account.is_active else "",
        "sync_interval_minutes": str(account.sync_interval_minutes or ""),
        "new_api_login": "",
        "new_api_secret": "",
        "agent_identities-TOTAL_FORMS": "0",
        "agent_identities-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data
