"""The audit lists render their rows once per column (``backoffice.admin.lean_rows``): staff see
exactly the HTML Django's admin would show them, link, filters kept, empty values, choices in
their language and dates in their time zone included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.test import Client, RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone, translation

from backoffice.admin.lean_rows import lean_results
from backoffice.models import ApiCall, Operation
from tests.factories import ApiCallFactory, OperationFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail() -> None:
    """Rows with every kind of value the columns show: finished and not, with and without an
    actor, an error text with markup in it, a call still in flight."""
    done = OperationFactory(state=Operation.State.SUCCEEDED, target_label="Anna <b>Nowak</b>")
    done.finished_at = timezone.now()
    done.save()
    OperationFactory(state=Operation.State.FAILED, actor=None, target_label="")
    ApiCallFactory(operation=done, status_code=404, error_message='Not "found" & <gone>')
    ApiCallFactory(operation=done, status_code=None, state=ApiCall.State.IN_FLIGHT)
    for minutes in range(3):
        ApiCallFactory(operation=done, started_at=timezone.now() - timedelta(minutes=minutes))


def _changelist(model: type, query: dict[str, str]) -> object:
    path = reverse(f"admin:backoffice_{model._meta.model_name}_changelist")
    request = RequestFactory().get(path, query)
    request.resolver_match = resolve(path)
    request.user = SuperuserFactory()
    cl = admin.site._registry[model].get_changelist_instance(request)
    cl.formset = None  # as the changelist view sets it for a list without editable columns
    return cl


def _html(rows: object) -> list[list[str]]:
    return [[str(cell) for cell in row] for row in rows]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("trail")
@pytest.mark.parametrize("model", [Operation, ApiCall])
@pytest.mark.parametrize("query", [{}, "searched", "filtered", {"o": "-2"}], ids=str)
@pytest.mark.parametrize(("language", "zone"), [("en", "UTC"), ("pl", "Europe/Warsaw")])
def test_rows_are_djangos_own_html(
    model: type, query: dict | str, language: str, zone: str
) -> None:
    if query == "searched":
        query = {"q": "Nowak"} if model is Operation else {"q": "found"}
    if query == "filtered":
        query = {"state__exact": "failed"} if model is Operation else {"outcome": "4xx"}
    with translation.override(language), timezone.override(zone):
        cl = _changelist(model, query)
        ours = _html(lean_results(cl))
        django = _html(results(cl))
    assert ours == django
    assert ours, "the list shows rows"


@pytest.mark.usefixtures("trail")
def test_the_row_link_keeps_the_lists_filters() -> None:
    cl = _changelist(Operation, {"state__exact": "failed"})
    failed = Operation.objects.get(state=Operation.State.FAILED)
    (row,) = _html(lean_results(cl))
    change = reverse("admin:backoffice_operation_change", args=[failed.pk])
    link = f'<a href="{change}?_changelist_filters=state__exact%3Dfailed">{failed.pk}</a>'
    assert row[1] == f'<th class="field-id">{link}</th>'


@pytest.mark.usefixtures("trail")
def test_a_popup_list_is_left_to_django() -> None:
    cl = _changelist(Operation, {"_popup": "1", "_to_field": "id"})
    assert _html(lean_results(cl)) == _html(results(cl))


@pytest.mark.usefixtures("trail")
def test_the_page_shows_the_rows(client: Client) -> None:
    client.force_login(SuperuserFactory())
    response = client.get(reverse("admin:backoffice_apicall_changelist"))
    assert response.status_code == 200
    for call in ApiCall.objects.all():
        change = reverse("admin:backoffice_apicall_change", args=[call.pk])
        assert f'<th class="field-id"><a href="{change}">{call.pk}</a></th>' in (
            response.content.decode()
        )
    response = client.get(reverse("admin:backoffice_operation_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Anna &lt;b&gt;Nowak&lt;/b&gt;" in page  # the operation's target, escaped
    assert page.count('class="action-select"') == Operation.objects.count()
