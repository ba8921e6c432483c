"""The audit trail is append-only: a finished API call is final, and no audit row is deleted
except by the retention command (``tests/backoffice/test_retention.py``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.models import ApiCall, AuditTrailIsAppendOnly, Operation, audit_retention
from backoffice.operations.audit_hooks import AuditHooks, close_interrupted
from connectors.transport import CallRecord, CallStart
from tests.factories import ApiCallFactory, OperationFactory, UserFactory

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"
PG_ONLY = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="PostgreSQL trigger; on SQLite the model guard (the tests above) is the enforcement",
)


@pytest.fixture
def finished() -> ApiCall:
    return ApiCallFactory(state=ApiCall.State.DONE, status_code=200)


@pytest.fixture
def in_flight() -> ApiCall:
    return ApiCallFactory(state=ApiCall.State.IN_FLIGHT, status_code=None, response_body="")


# --- the model guard (every database) ---------------------------------------------------------


def test_it_completes_an_in_flight_call_once_and_then_refuses_to_change_it(
    in_flight: ApiCall,
) -> None:
    completed = ApiCall.objects.filter(pk=in_flight.pk).update(
        state=ApiCall.State.DONE, status_code=201
    )
    assert completed == 1

    with pytest.raises(AuditTrailIsAppendOnly, match="append-only"):
        ApiCall.objects.filter(pk=in_flight.pk).update(status_code=200)
    in_flight.refresh_from_db()
    in_flight.status_code = 200
    with pytest.raises(AuditTrailIsAppendOnly, match=f"finished API call \\(#{in_flight.pk}\\)"):
        in_flight.save()
    with pytest.raises(AuditTrailIsAppendOnly), transaction.atomic():
        ApiCall.objects.bulk_update([in_flight], ["status_code"])
    in_flight.refresh_from_db()
    assert in_flight.status_code == 201


def test_it_refuses_an_update_that_would_touch_any_finished_call(
    in_flight: ApiCall, finished: ApiCall
) -> None:
    with pytest.raises(AuditTrailIsAppendOnly):
        ApiCall.objects.all().update(error_message="rewritten")
    assert not ApiCall.objects.filter(error_message="rewritten").exists()


def test_it_saves_an_in_flight_call_with_its_outcome(in_flight: ApiCall) -> None:
    in_flight.state, in_flight.status_code = ApiCall.State.DONE, 204
    in_flight.save()
    in_flight.refresh_from_db()
    assert (in_flight.state, in_flight.status_code) == ("done", 204)


def test_it_refuses_to_delete_api_calls_finished_or_not(
    finished: ApiCall, in_flight: ApiCall
) -> None:
    for call in (finished, in_flight):
        with pytest.raises(AuditTrailIsAppendOnly, match="prune_audit"):
            call.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        ApiCall.objects.all().delete()
    assert ApiCall.objects.count() == 2


def test_it_moves_operations_on_but_refuses_to_delete_them() -> None:
    operation = OperationFactory(state=Operation.State.QUEUED)
    Operation.objects.filter(pk=operation.pk).update(state=Operation.State.RUNNING)
    operation.refresh_from_db()
    operation.state = Operation.State.SUCCEEDED
    operation.save()

    with pytest.raises(AuditTrailIsAppendOnly):
        operation.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        Operation.objects.filter(pk=operation.pk).delete()
    assert Operation.objects.get(pk=operation.pk).state == "succeeded"


def test_it_lets_the_retention_window_delete_but_still_not_change(finished: ApiCall) -> None:
    with audit_retention(), pytest.raises(AuditTrailIsAppendOnly):
        ApiCall.objects.filter(pk=finished.pk).update(status_code=500)
    with audit_retention():
        ApiCall.objects.filter(pk=finished.pk).delete()
        finished.operation.delete()
    assert not ApiCall.objects.exists()
    assert not Operation.objects.exists()
    with pytest.raises(AuditTrailIsAppendOnly):  # the window closed with its block
        OperationFactory().delete()


def test_it_keeps_a_call_closed_by_another_run_and_logs_the_late_outcome(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A run whose lease lapsed mid-request: the run that took over closed its row as
    interrupted; the late answer does not rewrite the finished row."""
    operation = OperationFactory(state=Operation.State.RUNNING)
    hooks = AuditHooks(operation)
    start = CallStart(
        call_id="c1",
        vendor="bony",
        method="POST",
        url="https://app.bony.chat/api/v1/contact/1/tags",
        request_headers={"Authorization": "[redacted]"},
        request_body="{}",
        idempotent=True,
        started_at=datetime.now(UTC),
    )
    hooks.before_send(start)
    close_interrupted(operation)
    record = CallRecord(
        **vars(start),
        status=200,
        response_headers={},
        response_body="{}",
        duration_ms=31_000.0,
        request_id=None,
        error=None,
    )

    with caplog.at_level(logging.WARNING, logger="backoffice.operations.audit_hooks"):
        hooks.recorder(record)

    call = ApiCall.objects.get()
    assert (call.state, call.error_class, call.status_code) == ("done", "Interrupted", None)
    assert "was already closed when its outcome came back (HTTP 200, ok)" in caplog.text


def test_the_recorder_completes_a_call_with_its_response_read_back_whole() -> None:
    operation = OperationFactory(state=Operation.State.RUNNING)
    hooks = AuditHooks(operation)
    start = CallStart(
        call_id="c1",
        vendor="bony",
        method="POST",
        url="https://app.bony.chat/api/v1/contact/1/tags",
        request_headers={"Authorization": "[redacted]"},
        request_body='{"tags": [{"name": "vip"}, {"name": "reklamacja"}]}',
        idempotent=True,
        started_at=datetime.now(UTC),
    )
    hooks.before_send(start)
    body = '{"status": "success", "data": {"tags": [{"name": "vip"}, {"name": "reklamacja"}]}}'
    hooks.recorder(
        CallRecord(
            **vars(start),
            status=200,
            response_headers={"x-request-id": "r-1"},
            response_body=body,
            duration_ms=31.0,
            request_id="r-1",
            error=None,
        )
    )

    call = ApiCall.objects.get()
    assert (call.request_body, call.response_body) == (start.request_body, body)
    assert (call.state, call.vendor_request_id) == ("done", "r-1")
    assert call.response_headers == {"x-request-id": "r-1"}


# --- the PostgreSQL trigger: raw SQL, past the ORM ---------------------------------------------


def raw(sql: str, *params: object) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@PG_ONLY
def test_it_refuses_raw_sql_changes_outside_the_retention_window(
    finished: ApiCall, in_flight: ApiCall
) -> None:
    # Completing an in-flight call and moving an operation on are what the pipeline does.
    raw(
        "UPDATE backoffice_apicall SET state = 'done', status_code = 201 WHERE id = %s",
        in_flight.pk,
    )
    raw("UPDATE backoffice_operation SET state = 'failed' WHERE id = %s", in_flight.operation_id)
    # Nothing else.
    with pytest.raises(IntegrityError, match="finished API call"):
        raw("UPDATE backoffice_apicall SET status_code = 500 WHERE id = %s", finished.pk)
    with pytest.raises(IntegrityError, match="finished API call"):
        raw("UPDATE backoffice_apicall SET status_code = 500 WHERE id = %s", in_flight.pk)
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        raw("DELETE FROM backoffice_apicall WHERE id = %s", finished.pk)
    with pytest.raises(IntegrityError, match="backoffice_operation row"):
        raw("DELETE FROM backoffice_operation WHERE id = %s", finished.operation_id)
    in_flight.refresh_from_db()
    assert (in_flight.status_code, in_flight.operation.state) == (201, "failed")

    # The retention window lifts the trigger for deletions, and for this transaction only.
    with audit_retention():
        with pytest.raises(IntegrityError):
            raw("UPDATE backoffice_apicall SET status_code = 500 WHERE id = %s", finished.pk)
        raw("DELETE FROM backoffice_apicall WHERE id = %s", finished.pk)
    assert not ApiCall.objects.filter(pk=finished.pk).exists()
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        raw("DELETE FROM backoffice_apicall WHERE id = %s", in_flight.pk)


# --- the admin: read-only for everyone --------------------------------------------------------


@pytest.mark.parametrize("model", [Operation, ApiCall])
def test_it_refuses_changes_to_a_staff_member_holding_every_permission(
    finished: ApiCall, model: type[Operation] | type[ApiCall]
) -> None:
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="backoffice"))
    client = Client()
    client.force_login(user)
    name = model._meta.model_name
    obj = model.objects.get()
    before = timezone.now()

    assert client.get(reverse(f"admin:backoffice_{name}_changelist")).status_code == 200
    assert client.post(reverse(f"admin:backoffice_{name}_add"), {}).status_code == 403
    change = reverse(f"admin:backoffice_{name}_change", args=[obj.pk])
    assert client.post(change, {"state": "failed", "status_code": "500"}).status_code == 403
    delete = reverse(f"admin:backoffice_{name}_delete", args=[obj.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:backoffice_{name}_changelist")
    client.post(
        changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )

    assert model.objects.count() == 1
    assert not Operation.objects.filter(updated_at__gte=before).exists()
    finished.refresh_from_db()
    assert (finished.status_code, finished.operation.state) == (200, "queued")
