"""A finished call's two bodies as one stream (``compression`` version 3, migration 0014): what
the recorder writes reads back exactly, on its detail page too, and the request body recorded in
flight is never rewritten (the models on every database, the trigger on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from backoffice.compression import HELD, compress_held, compress_text
from backoffice.models import ApiCall, AuditTrailIsAppendOnly, Operation
from backoffice.operations.audit_hooks import AuditHooks
from connectors.errors import InvalidRequest, TransportError, VendorError
from connectors.transport import CallRecord, CallStart
from tests.factories import ApiCallFactory, OperationFactory

ON_POSTGRESQL = connection.vendor == "postgresql"
PG_ONLY = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="PostgreSQL trigger and indexes; SQLite has the model guard only"
)

REQUEST = json.dumps(
    {"first_name": "Zofia", "last_name": "Wiśniewska", "note": "zażółć gęślą jaźń ☎ 𝄞"},
    ensure_ascii=False,
)
RESPONSE = json.dumps(
    {"status": "success", "data": {"id": 4711, "name": "Zofia Wiśniewska", "tags": []}},
    ensure_ascii=False,
)


def raw_bodies(pk: int) -> tuple[bytes, bytes]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT request_body, response_body FROM backoffice_apicall WHERE id = %s", [pk]
        )
        request, response = cursor.fetchone()
    return bytes(request), bytes(response)


def record(
    request_body: str | None,
    response_body: str | None,
    *,
    status: int | None = 200,
    error: VendorError | None = None,
) -> ApiCall:
    """One request through the recorder's two hooks, as a run makes it; checks the in-flight
    row on the way (committed before the request leaves: its request body alone)."""
    hooks = AuditHooks(OperationFactory(state=Operation.State.RUNNING))
    start = CallStart(
        call_id="c1",
        vendor="thulium",
        method="POST" if request_body else "GET",
        url="https://example.thulium.com/api/customers",
        request_headers={"Authorization": "[redacted]"},
        request_body=request_body,
        idempotent=False,
        started_at=datetime.now(UTC),
    )
    hooks.before_send(start)
    in_flight = ApiCall.objects.get(operation=hooks.operation)
    assert (in_flight.state, in_flight.request_body) == ("in_flight", request_body or "")
    assert raw_bodies(in_flight.pk) == (compress_text(request_body or ""), b"")
    hooks.recorder(
        CallRecord(
            **vars(start),
            status=status,
            response_headers={"x-request-id": "r-1"} if status else {},
            response_body=response_body,
            duration_ms=42.0,
            request_id="r-1" if status else None,
            error=error,
        )
    )
    return ApiCall.objects.get(pk=in_flight.pk)


def shown(client: Client, call: ApiCall, body: str) -> bool:
    """Whether the call's detail page shows ``body`` as it pretty-prints JSON."""
    page = client.get(reverse("admin:backoffice_apicall_change", args=[call.pk]))
    assert page.status_code == 200
    pretty = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    return escape(pretty) in page.content.decode()


# --- what the recorder writes ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_recorders_call_is_one_stream_and_its_page_shows_both_bodies(
    owner_client: Client,
) -> None:
    call = record(REQUEST, RESPONSE)

    request, response = raw_bodies(call.pk)
    assert (request, response[:1]) == (HELD, b"\x03")
    assert (call.state, call.status_code, call.vendor_request_id) == ("done", 200, "r-1")
    assert (call.request_body, call.response_body) == (REQUEST, RESPONSE)
    assert shown(owner_client, call, REQUEST)
    assert shown(owner_client, call, RESPONSE)


@pytest.mark.django_db
def test_a_refused_call_keeps_its_request_and_the_vendors_answer(owner_client: Client) -> None:
    answer = '{"status":"error","message":"Numer telefonu ma zły format"}'
    call = record(REQUEST, answer, status=422, error=InvalidRequest("HTTP 422", status=422))

    assert raw_bodies(call.pk)[0] == HELD
    assert (call.request_body, call.response_body) == (REQUEST, answer)
    assert (call.error_class, call.status_code) == ("InvalidRequest", 422)
    assert shown(owner_client, call, REQUEST)
    assert shown(owner_client, call, answer)


@pytest.mark.django_db
def test_a_call_without_an_answer_keeps_its_request_body_alone(owner_client: Client) -> None:
    timed_out = TransportError("Read timed out", sent=True)
    call = record(REQUEST, None, status=None, error=timed_out)

    assert raw_bodies(call.pk) == (compress_text(REQUEST), b"")
    assert (call.request_body, call.response_body, call.error_class) == (
        REQUEST,
        "",
        "TransportError",
    )
    assert shown(owner_client, call, REQUEST)


@pytest.mark.django_db
def test_a_call_without_a_request_body_keeps_its_response_alone(owner_client: Client) -> None:
    call = record(None, RESPONSE)

    assert raw_bodies(call.pk) == (b"", compress_text(RESPONSE))
    assert (call.method, call.request_body, call.response_body) == ("GET", "", RESPONSE)
    assert shown(owner_client, call, RESPONSE)


# --- the request body recorded in flight is final ----------------------------------------------


@pytest.fixture
def in_flight() -> ApiCall:
    return ApiCallFactory(
        state=ApiCall.State.IN_FLIGHT, status_code=None, request_body=REQUEST, response_body=""
    )


@pytest.mark.django_db
def test_the_models_refuse_to_rewrite_a_request_body(in_flight: ApiCall) -> None:
    with pytest.raises(AuditTrailIsAppendOnly, match="request body"):
        ApiCall.objects.filter(pk=in_flight.pk).update(request_body="{}")
    # The marker without a stream that holds the request would lose it.
    with pytest.raises(AuditTrailIsAppendOnly, match="request body"):
        ApiCall.objects.filter(pk=in_flight.pk).update(
            request_body=HELD, response_body=compress_text(RESPONSE)
        )
    in_flight.request_body = "{}"
    with pytest.raises(AuditTrailIsAppendOnly, match="request body"), transaction.atomic():
        ApiCall.objects.bulk_update([in_flight], ["request_body"])
    with pytest.raises(AuditTrailIsAppendOnly, match="request body"):
        in_flight.save()

    stored = ApiCall.objects.get(pk=in_flight.pk)
    assert (stored.state, stored.request_body) == ("in_flight", REQUEST)
    # The finish, as the recorder writes it, goes through; then nothing does.
    ApiCall.objects.filter(pk=in_flight.pk).update(
        request_body=HELD,
        response_body=compress_held(REQUEST, RESPONSE),
        status_code=200,
        state=ApiCall.State.DONE,
    )
    stored = ApiCall.objects.get(pk=in_flight.pk)
    assert (stored.request_body, stored.response_body) == (REQUEST, RESPONSE)
    with pytest.raises(AuditTrailIsAppendOnly, match="finished API call"):
        ApiCall.objects.filter(pk=in_flight.pk).update(response_body=compress_text("{}"))


@pytest.mark.django_db
def test_saving_an_in_flight_call_with_its_outcome_stores_one_stream(in_flight: ApiCall) -> None:
    in_flight.response_body, in_flight.status_code = RESPONSE, 200
    in_flight.state = ApiCall.State.DONE
    in_flight.save(update_fields=["response_body", "status_code", "state"])

    assert raw_bodies(in_flight.pk)[0] == HELD  # the request column went with its pair
    stored = ApiCall.objects.get(pk=in_flight.pk)
    assert (stored.request_body, stored.response_body) == (REQUEST, RESPONSE)


def raw(sql: str, *params: object) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@PG_ONLY
@pytest.mark.django_db
def test_the_trigger_lets_the_request_body_move_into_the_stream_only(in_flight: ApiCall) -> None:
    change = "UPDATE backoffice_apicall SET request_body = %s WHERE id = %s"
    with pytest.raises(IntegrityError, match="request body of API call"):
        raw(change, compress_text("{}"), in_flight.pk)
    with pytest.raises(IntegrityError, match="request body of API call"):
        raw(change, b"", in_flight.pk)
    with pytest.raises(IntegrityError, match="must hold its request body"):
        raw(change, HELD, in_flight.pk)
    with pytest.raises(IntegrityError, match="must hold its request body"):
        raw(
            "UPDATE backoffice_apicall SET request_body = %s, response_body = %s WHERE id = %s",
            HELD,
            compress_text(RESPONSE),
            in_flight.pk,
        )
    # Other columns of an in-flight call still move (its dates, its outcome).
    raw("UPDATE backoffice_apicall SET started_at = now() WHERE id = %s", in_flight.pk)
    assert raw_bodies(in_flight.pk)[0] == compress_text(REQUEST)

    raw(
        "UPDATE backoffice_apicall SET request_body = %s, response_body = %s, state = 'done'"
        " WHERE id = %s",
        HELD,
        compress_held(REQUEST, RESPONSE),
        in_flight.pk,
    )
    stored = ApiCall.objects.get(pk=in_flight.pk)
    assert (stored.request_body, stored.response_body) == (REQUEST, RESPONSE)
    with pytest.raises(IntegrityError, match="finished API call"):
        raw(change, compress_text(REQUEST), in_flight.pk)


# --- migration 0014 on either database ---------------------------------------------------------

BEFORE = ("backoffice", "0013_audit_scoped_error_search")


def index_columns() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "backoffice_apicall")
    return {name: c["columns"] for name, c in found.items() if c["index"]}


def index_definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'backoffice_apicall'"
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_0014_applies_and_reverts_and_old_rows_read_as_before() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([BEFORE])
        assert index_columns()["apicall_started"] == ["started_at", "id"]
        # A row of before: its response against its request body (version 2).
        old = ApiCallFactory(
            request_body=compress_text(REQUEST),
            response_body=compress_text(RESPONSE, context=REQUEST),
        )
        if ON_POSTGRESQL:
            assert "WHERE" not in index_definitions()["apicall_error_trgm"]
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)

    assert index_columns()["apicall_started"] == ["started_at"]
    stored = ApiCall.objects.get(pk=old.pk)
    assert (stored.request_body, stored.response_body) == (REQUEST, RESPONSE)
    if ON_POSTGRESQL:
        definitions = index_definitions()
        full = [name for name, sql in definitions.items() if "fillfactor='100'" in sql]
        operation_index = next(n for n in definitions if n.startswith("backoffice_apicall_oper"))
        assert sorted(full) == sorted(
            ["backoffice_apicall_pkey", operation_index, "apicall_started"]
        )
        assert definitions["apicall_error_trgm"].endswith(
            "gin (account_id, upper(NULLIF(error_message, ''::text)) gin_trgm_ops)"
            " WHERE (NULLIF(error_message, ''::text) IS NOT NULL)"
        )
