"""The background pipeline: operations enqueued, run by the handlers, retried, reconciled."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import models
from django.forms.models import model_to_dict

from backoffice.models import ApiCall, Operation, User
from backoffice.operations.enqueue import operations_enqueue


def enqueue_one(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    params: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]],
) -> Operation:
    """Queue one operation (tasks run in-process in the suite) and return it as it ended."""
    enqueued = operations_enqueue(actor=actor, action=action, targets=[target], params=params)
    assert enqueued.count == 1, enqueued.skipped
    return Operation.objects.get(pk=enqueued.operation_ids[0])


def calls_of(operation: Operation) -> list[ApiCall]:
    """The operation's HTTP attempts, oldest first."""
    return list(ApiCall.objects.filter(operation=operation).order_by("id"))


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def row_text(*rows: models.Model) -> str:
    """Every value of every field of the rows, as text a secret could hide in."""
    return "\n".join(
        json.dumps(model_to_dict(row), default=str, ensure_ascii=False) + repr(vars(row))
        for row in rows
    )


def assert_no_secret(operation: Operation, secrets: Iterable[str]) -> None:
    """Neither the operation nor any of its audit rows holds a credential, in any form."""
    operation.refresh_from_db()
    text = row_text(operation, *calls_of(operation))
    for secret in secrets:
        assert secret not in text, f"a credential leaked into the audit trail: {secret[:3]}…"


def assert_audited(operation: Operation, expected: list[tuple[str, str, int | None]]) -> None:
    """One finished ``ApiCall`` per request, in order: (method, URL, status), with a duration and
    the Authorization header redacted."""
    calls = calls_of(operation)
    assert [(c.method, c.url, c.status_code) for c in calls] == expected
    for call in calls:
        assert call.state == ApiCall.State.DONE
        assert call.duration_ms is not None
        assert call.duration_ms >= 0
        assert call.finished_at is not None
        assert call.account_id == operation.account_id
        assert call.request_headers["Authorization"] == "[redacted]"
