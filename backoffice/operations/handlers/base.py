"""What a handler is: one action at one vendor, its skip rules, its call and its reconciliation."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeGuard

from django.db import models

from backoffice.models import ApiCall, Operation, User, VendorAccount
from backoffice.operations.clients import VendorClient
from connectors.errors import VendorError


class NotReconcilable(Exception):
    """The vendor offers no read that tells whether an unsettled request took effect."""


class Refused(Exception):
    """The operation cannot be carried out as asked (and sending it again would not help)."""


class Unfinished(Exception):
    """The work goes on in another run, queued at once: a long read (a sync) works in time
    slices, each committing its progress, so no run outlives the worker's task timeout."""


def describe_error(error: VendorError) -> str:
    """The vendor's own words, with the status and the request id support will ask for."""
    text = str(error)
    details = []
    if error.status is not None and not text.startswith(f"HTTP {error.status}"):
        details.append(f"HTTP {error.status}")
    if error.request_id:
        details.append(f"request id {error.request_id}")
    return f"{text} ({', '.join(details)})" if details else text


@dataclass
class Attempt:
    """One run of one operation in a worker: what a handler works with."""

    operation: Operation
    account: VendorAccount
    target: Any
    client: VendorClient

    @property
    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = self.operation.params
        return params

    @property
    def actor(self) -> User | None:
        return self.operation.actor

    def checkpoint(self, **values: Any) -> None:
        """Save progress on the operation at once (committed), so a crash does not redo it."""
        result = {**(self.operation.result or {}), **values}
        self.operation.result = result
        Operation.objects.filter(pk=self.operation.pk).update(result=result)

    def last_send(self) -> ApiCall | None:
        """The latest non-idempotent request of this operation, whatever its outcome."""
        return (
            ApiCall.objects.filter(operation_id=self.operation.pk, idempotent=False)
            .order_by("-id")
            .first()
        )


@dataclass
class Done:
    """A change the vendor made: the summary kept on the operation, and the mirror update.

    ``apply`` runs in the same transaction that marks the operation succeeded, so the mirror and
    the audit trail never disagree about whether it happened.
    """

    result: dict[str, Any] = field(default_factory=dict)
    apply: Callable[[], None] | None = None


def succeeded(call: ApiCall | None) -> TypeGuard[ApiCall]:
    return call is not None and call.status_code is not None and 200 <= call.status_code < 300


def recorded_json(call: ApiCall | None) -> Mapping[str, Any] | None:
    """The JSON object a recorded successful call answered with, if there is one."""
    if not succeeded(call):
        return None
    try:
        body = json.loads(call.response_body or "null")
    except ValueError:
        return None
    return body if isinstance(body, Mapping) else None


class Handler:
    """One action at one vendor. Subclasses set the class attributes and ``perform``."""

    action: ClassVar[str]
    vendor: ClassVar[str]
    target_model: ClassVar[type[models.Model]]
    # Whether ``reconcile`` can tell if an unsettled request took effect. (Which requests are
    # non-idempotent is the connectors' call: each request says so to the audit hooks.)
    can_reconcile: ClassVar[bool] = False
    # Whether 429 / 5xx / connection failures are tried again (a connection test reports at once).
    retries: ClassVar[bool] = True

    def skip_reason(self, target: Any) -> str | None:
        """Why ``target`` does not fit this action (it is then listed, never sent)."""
        return None

    def perform(self, attempt: Attempt) -> Done:
        """Make the vendor call(s); return the summary and the mirror update."""
        raise NotImplementedError

    def failed(self, account: VendorAccount, message: str) -> None:
        """Called when the operation ends failed or unknown (a connection test records it)."""

    def reconcile(self, attempt: Attempt) -> Done | None:
        """After an attempt whose outcome is unknown (a crash, a timeout after sending).

        Return ``Done`` when the vendor shows the change was made, None when it was not (it is
        then sent again), or raise ``NotReconcilable`` when nothing tells.
        """
        raise NotReconcilable
