"""PostgreSQL answers every audit search staff type from an index (migrations 0008, 0012-0014),
and reads a month of API calls newest first from the time index."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from backoffice.admin.audit_search import api_call_search, operation_search
from backoffice.admin.pagination import EstimatedCountPaginator
from backoffice.models import ApiCall, Operation
from backoffice.scoping import queryset_in_accounts
from tests.factories import ApiCallFactory, BonyAccountFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL's trigram indexes; SQLite scans the rows for a search",
    ),
]


def plan(queryset: object) -> str:
    sql, params = queryset.query.sql_with_params()  # type: ignore[attr-defined]
    with transaction.atomic(), connection.cursor() as cursor:
        # A test table is tiny, where a scan (of the table or of the primary key) is cheapest;
        # forbid both to see which indexes answer the condition.
        for scan in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {scan} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_every_api_call_search_is_an_index_lookup() -> None:
    explained = plan(api_call_search(ApiCall.objects.all(), "4711"))
    for index in ("apicall_vendor_request", "apicall_url_trgm", "apicall_error_trgm"):
        assert index in explained
    assert "Seq Scan" not in explained


def test_every_operation_search_is_an_index_lookup() -> None:
    explained = plan(operation_search(Operation.objects.all(), "Nowak"))
    assert "operation_target_label_trgm" in explained
    assert "Seq Scan on backoffice_operation" not in explained


def test_the_url_index_holds_the_expression_the_search_compares() -> None:
    from importlib import import_module

    from backoffice.admin import audit_search

    migration = import_module("backoffice.migrations.0012_audit_smaller_indexes")
    assert migration.URL_PATH_PATTERN == audit_search.URL_PATH_PATTERN
    explained = plan(api_call_search(ApiCall.objects.all(), "customers/4711"))
    assert "apicall_url_trgm" in explained


def test_the_vendor_request_id_is_found_through_its_hash_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'apicall_vendor_request'")
        (definition,) = cursor.fetchone()
    assert "USING hash (vendor_request_id)" in definition
    assert "apicall_vendor_request" in plan(ApiCall.objects.filter(vendor_request_id="r-4711"))


def test_a_scoped_error_search_finds_the_account_in_the_trigram_index() -> None:
    """Migration 0013: the account is a column of ``apicall_error_trgm``, and the scope sends
    its ids as ``bigint`` so that the index can use them (an ``integer`` could not)."""
    account = BonyAccountFactory()
    scoped = queryset_in_accounts(
        ApiCall.objects.all(), path="account", account_ids=frozenset({account.pk})
    )
    with connection.cursor() as cursor:
        # In a test's few rows the account's own index would do; without it (the test's
        # transaction puts it back), the account must come from the trigram index.
        cursor.execute("DROP INDEX apicall_account_recent")
    lines = plan(api_call_search(scoped, "not found")).splitlines()
    scan = next(i for i, line in enumerate(lines) if "Index Scan on apicall_error_trgm" in line)
    assert "account_id = " in lines[scan + 1]


def test_the_error_index_holds_only_calls_with_an_error_text() -> None:
    """Migration 0014: most calls have no error text, and are not in the index (its account
    column had an entry for each); every search of the text still finds it usable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'apicall_error_trgm'")
        (definition,) = cursor.fetchone()
    assert definition.endswith("WHERE (NULLIF(error_message, ''::text) IS NOT NULL)")
    explained = plan(api_call_search(ApiCall.objects.all(), "not found"))
    assert "Bitmap Index Scan on apicall_error_trgm" in explained


def test_the_planner_expects_as_many_error_matches_as_there_are() -> None:
    """The count staff see past 1,000 matches, and the plan of a common match, come from the
    planner's estimate: with the index's condition written beside the match, it would take the
    two as unrelated and expect a twentieth of the matches."""
    call = ApiCallFactory()
    rows = [
        ApiCall(
            operation_id=call.operation_id,
            account_id=call.account_id,
            method="PUT",
            url=f"https://app.bony.chat/api/v1/contact/{n}/tags",
            status_code=404 if n % 20 == 0 else 200,
            error_message=f"Customer {700000 + n} not found" if n % 20 == 0 else "",
            state=ApiCall.State.DONE,
        )
        for n in range(4000)
    ]
    ApiCall.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE backoffice_apicall")
    searched = api_call_search(ApiCall.objects.all(), "not found")
    expected = EstimatedCountPaginator._query_estimate(searched)
    assert searched.count() == 200
    assert 100 <= expected <= 400


def test_a_month_newest_first_reads_the_time_index_backwards() -> None:
    """``apicall_started`` holds ``started_at`` alone (migration 0014): the month's list sorted
    by ``(-started_at, -id)`` reads it backwards, and an incremental sort orders the calls of
    one instant by id."""
    ApiCallFactory.create_batch(3)
    month = ApiCall.objects.filter(
        started_at__gte="2026-05-01T00:00:00Z", started_at__lt="2026-06-01T00:00:00Z"
    ).order_by("-started_at", "-id")[:50]
    sql, params = month.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A test's table is tiny: forbid reading it whole (or sorting it all) to see the plan.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        explained = "\n".join(row[0] for row in cursor.fetchall())
    assert "Incremental Sort" in explained
    assert "Index Scan Backward using apicall_started" in explained


def test_a_scoped_status_filter_reads_the_account_and_status_from_one_index() -> None:
    """Migration 0015: staff limited to an account filtering on 5xx (or 429, or no response)
    find the account and the status in ``apicall_account_not_2xx``, not by intersecting the
    status index with every call of the account."""
    account = BonyAccountFactory()
    scoped = queryset_in_accounts(
        ApiCall.objects.filter(status_code__gte=500, status_code__lt=600),
        path="account",
        account_ids=frozenset({account.pk}),
    )
    lines = plan(scoped).splitlines()
    scan = next(i for i, line in enumerate(lines) if "Scan on apicall_account_not_2xx" in line)
    assert "account_id = " in lines[scan + 1]
    assert "status_code >= 500" in lines[scan + 1]
    assert not any("BitmapAnd" in line for line in lines)
