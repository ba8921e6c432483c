"""The audit trail of a run: an ``ApiCall`` row for every vendor request, written around it.

**Before each request** (``before_send``) the row is inserted as in flight and, for a
non-idempotent request, ``Operation.needs_reconcile`` is set, in one commit, before any byte
leaves. **After it** the recorder completes that row with the outcome, and, when both bodies
have text, stores them as one stream in the response column (``compression.compress_pair``: the
request body recorded in flight, then the response; the request column keeps a marker). A run
that dies in between leaves the row in flight, its request body as recorded; the next run closes
it as interrupted (``close_interrupted``) and, the flag being set, reconciles before sending
anything again.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from backoffice.compression import HELD, compress_pair
from backoffice.fields import CompressedTextField
from backoffice.models import ApiCall, Operation
from connectors.transport import CallRecord, CallStart

logger = logging.getLogger(__name__)


def _field(field: object) -> CompressedTextField:
    return cast(CompressedTextField, field)  # ApiCall's response headers


class AuditHooks:
    """The connectors' ``before_send`` and ``recorder`` hooks, writing ``ApiCall`` rows."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        # call id -> the ApiCall row of a request in flight, and the request body it recorded
        self.rows: dict[str, tuple[int, str]] = {}
        # The run's latest request: whether it was a send decides what a failure leaves unsettled.
        self.last: CallStart | None = None

    def before_send(self, start: CallStart) -> None:
        op = self.operation
        request_body = start.request_body or ""
        with transaction.atomic():
            row = ApiCall.objects.create(
                operation=op,
                account_id=op.account_id,
                method=start.method,
                url=start.url,
                request_headers=start.request_headers,
                request_body=request_body,
                idempotent=start.idempotent,
            )
            changes: dict[str, Any] = {}
            if self.last is None:  # the run's first request: one more attempt
                op.attempts += 1
                changes["attempts"] = op.attempts
            if not start.idempotent and not op.needs_reconcile:
                op.needs_reconcile = True
                changes["needs_reconcile"] = True
            if changes:
                Operation.objects.filter(pk=op.pk).update(**changes)
        self.last = start
        self.rows[start.call_id] = (row.pk, request_body)

    def recorder(self, record: CallRecord) -> None:
        error = record.error
        row_id, request_body = self.rows.pop(record.call_id)
        # Only a row still in flight is completed: a run that took the operation over after this
        # one's lease lapsed may have closed it as interrupted, and a finished row is final.
        request_id = (record.request_id or "")[:128]
        # Stored as ApiCall.save() would: the bodies as one stream (with the request body the
        # row holds, recorded in flight), the headers against the request id (their
        # x-request-id, most often).
        held, response_body = compress_pair(request_body, record.response_body or "")
        bodies = {"response_body": response_body}
        if held == HELD:  # else the request column keeps the body it holds
            bodies["request_body"] = held
        stored = ApiCall._meta.get_field
        completed = ApiCall.objects.filter(pk=row_id, state=ApiCall.State.IN_FLIGHT).update(
            status_code=record.status,
            response_headers=_field(stored("response_headers")).stored(
                record.response_headers, context=request_id
            ),
            **bodies,
            vendor_request_id=request_id,
            duration_ms=round(record.duration_ms),
            error_class=type(error).__name__ if error is not None else "",
            error_message=str(error) if error is not None else "",
            state=ApiCall.State.DONE,
            finished_at=timezone.now(),
        )
        if not completed:
            logger.warning(
                "operation %s: API call %s was already closed when its outcome came back "
                "(HTTP %s, %s); the outcome is in this log only",
                self.operation.pk,
                row_id,
                record.status,
                type(error).__name__ if error is not None else "ok",
            )


def close_interrupted(op: Operation) -> None:
    """Requests a dead run left in flight: record that their outcome was never seen."""
    ApiCall.objects.filter(operation=op, state=ApiCall.State.IN_FLIGHT).update(
        state=ApiCall.State.DONE,
        error_class="Interrupted",
        error_message="The worker stopped before the vendor's answer was recorded.",
        finished_at=timezone.now(),
    )
