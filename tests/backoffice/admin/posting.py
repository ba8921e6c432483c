"""Posting admin actions the way the changelist and the intermediate forms do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.messages import get_messages
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse


def changelist_url(model: type[Model], query: str = "") -> str:
    return reverse(f"admin:backoffice_{model._meta.model_name}_changelist") + query


def post_action(
    client: Client,
    model: type[Model],
    action: str,
    objects: Iterable[Model],
    data: Mapping[str, object] | None = None,
    *,
    apply: bool = True,
    select_across: bool = False,
    query: str = "",
) -> HttpResponse:
    """The first click on the changelist (``apply=False``), or the intermediate form's submit."""
    payload: dict[str, object] = {
        "action": action,
        "_selected_action": [str(obj.pk) for obj in objects],
        "select_across": "1" if select_across else "0",
        **(data or {}),
    }
    if apply:
        payload["apply"] = "Apply"
    else:
        payload["index"] = "0"
    response: HttpResponse = client.post(changelist_url(model, query), payload)
    return response


def messages_of(response: HttpResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]
