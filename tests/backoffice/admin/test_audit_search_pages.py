"""A searched audit list at scale: its first pages and its count from one read of its first ids
(PostgreSQL, when the matches are rare), and the row checkbox written without a widget."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.admin.audit import ApiCallAdmin
from backoffice.admin.pagination import EstimatedCountPaginator
from backoffice.models import ApiCall
from tests.factories import ApiCallFactory

pytestmark = pytest.mark.django_db

CALLS = reverse("admin:backoffice_apicall_changelist")


@pytest.fixture
def rare_in_a_big_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven matches (so estimated, rightly) among "ten million" rows, three to a page, counted
    exactly up to four."""
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 4)
    monkeypatch.setattr(EstimatedCountPaginator, "_table_estimate", staticmethod(lambda qs: 10**7))
    monkeypatch.setattr(EstimatedCountPaginator, "_query_estimate", staticmethod(lambda qs: 7))
    monkeypatch.setattr(ApiCallAdmin, "list_per_page", 3)


@pytest.mark.usefixtures("rare_in_a_big_table")
def test_a_search_with_rare_matches_pages_through_its_first_ids(owner_client: Client) -> None:
    matches = ApiCallFactory.create_batch(7, error_message="Customer 4711 not found")
    ApiCallFactory.create_batch(2, error_message="")
    newest_first = [row.pk for row in reversed(matches)]
    pages = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(CALLS, {"q": "not found", "p": str(number)})
        assert response.status_code == 200
        pages.append([row.pk for row in response.context["cl"].result_list])
        sql = [query["sql"] for query in queries.captured_queries]
    # The same rows, newest first, as without the search's first ids.
    assert pages == [newest_first[:3], newest_first[3:6], newest_first[6:]]
    if connection.vendor == "postgresql":
        # The first five ids, read in order, are the count (more than four: an estimate) and
        # the first pages; the search is not run a second time to count.
        assert any(query.endswith("LIMIT 5") and "ORDER BY" in query for query in sql)
        assert not any(query.startswith("SELECT COUNT(*)") for query in sql)
        assert response.context["cl"].paginator.estimated


def test_the_row_checkbox_is_djangos_own() -> None:
    call = ApiCallFactory()
    ours = admin.site._registry[ApiCall]
    assert ours.action_checkbox(call) == admin.ModelAdmin.action_checkbox(ours, call)
