"""What an action is, to the pipeline: its definition, its handler at each vendor, and the
vocabulary a handler answers in (``Done``, ``Refused``, ``NotReconcilable``, ``Unfinished``).

Each staff action is one module of ``backoffice.actions`` that defines an ``Action`` (its name,
the permission that lets staff take it, whom it skips) with one ``Handler`` per vendor that has
it (the call, the reconciliation after a crash, the mirror write on success) and registers it
(``backoffice.operations.registry``). The pipeline (enqueue, dispatch, runner) knows actions
only through these two classes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeGuard

from django.db import models

from backoffice.models import ApiCall, Operation, User, VendorAccount
from connectors.errors import VendorError


class NotReconcilable(Exception):
    """The vendor offers no read that tells whether an unsettled request took effect."""


class Refused(Exception):
    """The operation cannot be carried out as asked (and sending it again would not help)."""


class Unfinished(Exception):
    """The work goes on in another run, queued at once: a long read (a sync) works in time
    slices, each committing its progress, so no run outlives the worker's task timeout."""


class SkipTarget(Exception):
    """This target does not fit the request; the message says why (shown to the staff member)."""


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
class Run:
    """One run of one operation in a worker: what a handler works with. (An *attempt* is what
    ``Operation.attempts`` counts: a run that sent at least one request.)"""

    operation: Operation
    account: VendorAccount
    target: Any
    client: Any  # the account's client (``backoffice.adapters.VendorClient``)

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
    the audit trail never disagree about whether it happened. It calls the mirror's writers
    (``backoffice.mirror``).
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
    """One action at one vendor. Subclasses set ``vendor`` and ``perform``."""

    vendor: ClassVar[str]
    # Whether ``reconcile`` can tell if an unsettled request took effect. (Which requests are
    # non-idempotent is the connectors' call: each request says so to the audit hooks.)
    can_reconcile: ClassVar[bool] = False
    # Whether 429 / 5xx / connection failures are tried again (a connection test reports at once).
    retries: ClassVar[bool] = True

    def skip_reason(self, target: Any) -> str | None:
        """Why ``target`` does not fit this action at this vendor (it is listed, never sent)."""
        return None

    def perform(self, run: Run) -> Done:
        """Make the vendor call(s); return the summary and the mirror update."""
        raise NotImplementedError

    def failed(self, account: VendorAccount, message: str) -> None:
        """Called when the operation ends failed or unknown (a connection test records it)."""

    def reconcile(self, run: Run) -> Done | None:
        """After an attempt whose outcome is unknown (a crash, a timeout after sending).

        Return ``Done`` when the vendor shows the change was made, None when it was not (it is
        then sent again), or raise ``NotReconcilable`` when nothing tells.
        """
        raise NotReconcilable


class Action:
    """One staff action: what the pipeline and every caller (an admin action, a button on a
    record's page, a command) need to know of it besides its parameters."""

    name: ClassVar[str]  # an ``OperationAction`` value, kept on each operation
    permission: ClassVar[str]  # the codename (app ``backoffice``) that lets staff take it
    target_model: ClassVar[type[models.Model]]
    handlers: ClassVar[Sequence[Handler]]  # one per vendor that has the action
    # A connection test is how an inactive account is checked before it is switched on.
    on_inactive_accounts: ClassVar[bool] = False
    # The reason given when the database refuses a second pending operation of this action on
    # the same target (a partial unique index); None when it allows any number.
    one_at_a_time: ClassVar[str | None] = None

    def handler(self, vendor: str) -> Handler | None:
        return next((h for h in self.handlers if h.vendor == vendor), None)

    @property
    def vendors(self) -> list[str]:
        return [h.vendor for h in self.handlers]

    def skip_reason(self, target: Any) -> str | None:
        """Why ``target`` does not fit, beyond its vendor's handler's own rule (an account
        syncing already, say), or None."""
        return None

    def stored_target(self, target: models.Model) -> models.Model | None:
        """The row the operation names as its target (None: the whole account, no target)."""
        return target

    def target_of(self, operation: Operation) -> Any:
        """The row a run works on: the operation's account for an action on accounts (or an
        operation without a target), else its target (None once deleted)."""
        if self.target_model is VendorAccount or operation.target_id is None:
            return operation.account
        return operation.target
