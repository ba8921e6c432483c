"""The audit lists at scale: searches staff type, counts that are exact or visibly estimated, a
month's list newest first, an operation page with a sync's many calls."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.admin.audit import ApiCallAdmin
from backoffice.admin.audit_search import LatestCallsFormSet
from backoffice.admin.pagination import EstimatedCountPaginator, approximate_count_label
from backoffice.models import ApiCall, Operation
from backoffice.roles import AUDITOR
from tests.backoffice.admin.flow import role_client
from tests.factories import (
    ApiCallFactory,
    BonyAccountFactory,
    OperationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CALLS = reverse("admin:backoffice_apicall_changelist")
OPERATIONS = reverse("admin:backoffice_operation_changelist")


def listed(client: Client, url: str, **params: str) -> list[int]:
    response = client.get(url, params)
    assert response.status_code == 200
    return [row.pk for row in response.context["cl"].result_list]


@pytest.fixture
def calls() -> dict[str, ApiCall]:
    return {
        "tagged": ApiCallFactory(
            vendor_request_id="req-7Hq2", url="https://app.bony.chat/api/v1/contact/77/tags"
        ),
        "refused": ApiCallFactory(
            vendor_request_id="req-9ZZa",
            url="https://app.bony.chat/api/v1/contact/78",
            status_code=422,
            error_class="VendorRefused",
            error_message="Phone number has an invalid format",
        ),
        "timeout": ApiCallFactory(
            vendor_request_id="",
            url="https://app.bony.chat/api/v1/contact/79",
            status_code=None,
            error_class="Timeout",
            error_message="Read timed out after 30 s",
        ),
    }


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("req-7Hq2", ["tagged"]),  # a vendor request id, exactly
        ("req-7", []),  # ...and not a part of one
        ("/contact/78", ["refused"]),  # part of the URL
        ("INVALID FORMAT", ["refused"]),  # part of the error text, in any case
        ("timed out", ["timeout"]),
    ],
)
def test_it_finds_api_calls_by_what_staff_type(
    owner_client: Client, calls: dict[str, ApiCall], term: str, expected: list[str]
) -> None:
    found = listed(owner_client, CALLS, q=term)
    assert sorted(found) == sorted(calls[name].pk for name in expected)


def test_it_finds_the_api_calls_of_an_operation_by_its_id(
    owner_client: Client, calls: dict[str, ApiCall]
) -> None:
    operation = calls["refused"].operation
    again = ApiCallFactory(operation=operation, url="https://app.bony.chat/api/v1/x")
    assert sorted(listed(owner_client, CALLS, q=str(operation.pk))) == sorted(
        [calls["refused"].pk, again.pk]
    )
    assert sorted(listed(owner_client, CALLS, operation=str(operation.pk))) == sorted(
        [calls["refused"].pk, again.pk]
    )


def test_it_finds_operations_by_target_id_bulk_action_and_requester(owner_client: Client) -> None:
    anna = UserFactory(username="anna.kowalska", first_name="Anna", last_name="Kowalska")
    group = uuid.uuid4()
    # No digits in the names and labels: an id is matched as an id, not as part of a name.
    nowak = OperationFactory(actor=None, target_label="Jan Nowak · Bony Messenger")
    bulk = OperationFactory(actor=None, group_id=group, target_label="Ewa Lis")
    by_anna = OperationFactory(actor=anna, target_label="Piotr Zieliński")
    assert listed(owner_client, OPERATIONS, q="nowak") == [nowak.pk]
    assert listed(owner_client, OPERATIONS, q=str(group)) == [bulk.pk]
    assert listed(owner_client, OPERATIONS, q="Kowalska") == [by_anna.pk]
    assert listed(owner_client, OPERATIONS, q=str(by_anna.pk)) == [by_anna.pk]
    assert listed(owner_client, OPERATIONS, q="no such thing") == []


def test_a_month_of_api_calls_is_listed_newest_first(owner_client: Client) -> None:
    now = timezone.now()
    rows = ApiCallFactory.create_batch(3, state=ApiCall.State.IN_FLIGHT)
    # Dated out of step with their ids (in flight, so still open to the change): the month's
    # list follows the dates.
    for row, days in zip(rows, (2, 1, 3), strict=True):
        ApiCall.objects.filter(pk=row.pk).update(started_at=now - timedelta(days=days))
    month = {
        "started_at__gte": (now - timedelta(days=10)).isoformat(),
        "started_at__lt": (now + timedelta(days=1)).isoformat(),
    }
    assert listed(owner_client, CALLS, **month) == [rows[1].pk, rows[0].pk, rows[2].pk]
    assert listed(owner_client, CALLS) == [rows[2].pk, rows[1].pk, rows[0].pk]


def test_an_operation_page_shows_its_latest_calls_and_links_to_all(owner_client: Client) -> None:
    operation = OperationFactory(action=Operation.Action.SYNC_FROM_VENDOR)
    made = ApiCallFactory.create_batch(LatestCallsFormSet.shown + 5, operation=operation)
    page = owner_client.get(reverse("admin:backoffice_operation_change", args=[operation.pk]))
    inline = page.context["inline_admin_formsets"][0].formset
    shown = [form.instance.pk for form in inline.forms]
    assert shown == [call.pk for call in reversed(made)][: LatestCallsFormSet.shown]
    html = page.content.decode()
    assert f"{len(made)} API calls, the latest {LatestCallsFormSet.shown} below" in html
    assert f"{CALLS}?operation={operation.pk}" in html


@pytest.mark.parametrize(
    ("count", "label"),
    [(1_234_567, "about 1.2 million"), (23_456, "about 23,000"), (10_001, "about 10,000")],
)
def test_an_estimate_reads_as_one(count: int, label: str) -> None:
    assert approximate_count_label(count) == label


@pytest.fixture
def small_exact_limit() -> Iterator[None]:
    original = EstimatedCountPaginator.exact_up_to
    EstimatedCountPaginator.exact_up_to = 2
    try:
        yield
    finally:
        EstimatedCountPaginator.exact_up_to = original


@pytest.mark.usefixtures("small_exact_limit")
def test_a_scoped_list_is_counted_exactly_up_to_a_limit_then_estimated() -> None:
    mine, other = BonyAccountFactory(), BonyAccountFactory()
    ApiCallFactory.create_batch(4, operation__account=mine)
    ApiCallFactory(operation__account=other)
    _, client = role_client(AUDITOR, accounts=[mine])
    response = client.get(CALLS)
    paginator = response.context["cl"].paginator
    assert [row.account_id for row in response.context["cl"].result_list] == [mine.pk] * 4
    if connection.vendor == "postgresql":
        assert paginator.estimated
        assert f"{paginator.count_label} API calls" in response.content.decode()
        assert paginator.count_label.startswith("about ")
    else:
        assert not paginator.estimated  # SQLite: always the exact count
        assert "4 API calls" in response.content.decode()
    # Under the limit the count is exact, and shown as a plain number.
    one = client.get(CALLS, {"outcome": "2xx", "q": "no match"})
    assert one.context["cl"].result_count == 0
    assert not one.context["cl"].paginator.estimated


def test_a_url_fragment_is_matched_whole_not_only_by_its_id(
    owner_client: Client, calls: dict[str, ApiCall]
) -> None:
    other = ApiCallFactory(url="https://app.bony.chat/api/v1/deals/78")
    assert listed(owner_client, CALLS, q="contact/78") == [calls["refused"].pk]
    assert listed(owner_client, CALLS, q="CONTACT/78") == [calls["refused"].pk]
    assert sorted(listed(owner_client, CALLS, q="/78")) == sorted([calls["refused"].pk, other.pk])


def test_a_deep_page_lists_the_same_rows_found_by_their_ids_first(owner_client: Client) -> None:
    rows = ApiCallFactory.create_batch(7)
    newest_first = [row.pk for row in reversed(rows)]
    original = (EstimatedCountPaginator.ids_first_from, ApiCallAdmin.list_per_page)
    EstimatedCountPaginator.ids_first_from = 2
    ApiCallAdmin.list_per_page = 3
    try:
        pages = [listed(owner_client, CALLS, p=str(n)) for n in (1, 2, 3)]
    finally:
        EstimatedCountPaginator.ids_first_from, ApiCallAdmin.list_per_page = original
    assert pages == [newest_first[:3], newest_first[3:6], newest_first[6:]]


def test_a_url_search_finds_the_path_after_a_host_typed_with_it(
    owner_client: Client, calls: dict[str, ApiCall]
) -> None:
    url = calls["refused"].url
    assert listed(owner_client, CALLS, q=url) == [calls["refused"].pk]
    assert listed(owner_client, CALLS, q=url.split("://", 1)[1]) == [calls["refused"].pk]
