"""Posting admin actions with model instances: a thin layer over ``flow`` for tests that hold
objects rather than primary keys."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Model
from django.http import HttpResponse
from django.test import Client

from tests.backoffice.admin import flow


def changelist_url(model: type[Model], query: str = "") -> str:
    """The changelist URL; ``query`` starts with ``?`` when given."""
    return flow.changelist(model, query.lstrip("?"))


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
    pks = [obj.pk for obj in objects]
    if not apply:
        return flow.start(
            client,
            model,
            action,
            pks,
            query=query.lstrip("?"),
            select_across=select_across,
            data=data,
        )
    return flow.apply(
        client, model, action, pks, data, query=query.lstrip("?"), select_across=select_across
    )


def messages_of(response: HttpResponse) -> list[str]:
    return flow.messages_html(response)
