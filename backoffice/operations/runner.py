"""One run of one operation in a worker: claim, call the vendor through the audit hooks, decide.

The order of writes is what makes the guarantees hold:

1. **Claim** (``claim``): one conditional UPDATE moves the operation to ``running`` with a lease;
   a second delivery finds it taken and leaves, and after the lease lapses the next one takes
   it over.
2. **Around each request** (``audit_hooks``): the ``ApiCall`` row is inserted as in flight and,
   for a non-idempotent request, ``Operation.needs_reconcile`` is set, in one commit, before
   any byte leaves; the recorder completes the row with the outcome.
3. **Outcome**: success applies the mirror update and marks the operation succeeded in one
   transaction; a failure ends as ``outcome.outcome_for`` decides (a retry at a time, with no
   sleeping; a reconcile first; failed in the vendor's own words; unknown for a person).

A run that starts with ``needs_reconcile`` set (a crash or a timeout after sending) asks the
handler to reconcile with a vendor read before anything is sent again, or leaves the operation
``unknown`` for a person.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from backoffice.adapters import BaseUrlRefused, MissingCredentials, vendor_client_build
from backoffice.crypto import CredentialDecryptionError
from backoffice.models import Operation, OperationState, VendorAccount
from backoffice.operations.action import (
    Action,
    Done,
    Handler,
    NotReconcilable,
    Refused,
    Run,
    Unfinished,
)
from backoffice.operations.audit_hooks import AuditHooks, close_interrupted
from backoffice.operations.claim import (
    Released,
    operation_claim,
    operation_give_back,
    release_on_signal,
    releasing,
    running,
)
from backoffice.operations.dispatch import operations_dispatch
from backoffice.operations.outcome import (
    UNKNOWN_MESSAGE,
    Fail,
    Outcome,
    Reconcile,
    Retry,
    Unknown,
    attempts_phrase,
    outcome_for,
    outcome_for_bug,
    retry_at,
)
from backoffice.operations.ratelimit import RateDeferred, RateLimiterHook, rate_limit_pause
from backoffice.operations.registry import action_for
from connectors.errors import RateLimited, VendorError
from connectors.transport import Hooks

__all__ = ["operation_run", "release_on_signal"]

logger = logging.getLogger(__name__)


def operation_run(*, operation_id: int) -> str:
    """One run of an operation (this delivery of it); its state afterwards, as the task result."""
    if releasing():
        operation_give_back(operation_id, claimed=False)
        return "released"
    operation = operation_claim(operation_id)
    if operation is None:
        logger.info("operation %s: not due (another run has it, or it is finished)", operation_id)
        return "not due"
    with running(operation_id):
        try:
            _Run(operation)()
        except Released:
            operation_give_back(operation_id, claimed=True)
            return "released"
        except DatabaseError:
            # The database is unreachable or refused a write: the lease lapses and the sweeper
            # hands the operation to another run, which reconciles what this one left in flight.
            logger.exception("operation %s: run failed", operation_id)
            raise
        except Exception as exc:
            # A bug outside the attempt itself (the attempt's own errors end it in ``_Run``).
            # Another run would fail the same way, so it stops here for a person.
            logger.exception("operation %s: run failed", operation_id)
            _Run(operation).finish(
                OperationState.UNKNOWN if _sent_unsettled(operation_id) else OperationState.FAILED,
                error=f"Internal error ({type(exc).__name__}); the worker's log has the details.",
            )
    return operation.state


def _sent_unsettled(operation_id: int) -> bool:
    return Operation.objects.filter(pk=operation_id, needs_reconcile=True).exists()


class _Run:
    """One run of one claimed operation."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.account: VendorAccount = op.account
        self.action: Action | None = action_for(op.action)
        self.handler: Handler | None = (
            None if self.action is None else self.action.handler(self.account.vendor)
        )
        self.hooks = AuditHooks(op)

    def __call__(self) -> None:
        """The steps: close what a dead run left in flight, check that the operation can be
        sent, attempt it and record how it ended; a sync's next slice is handed over last."""
        op, handler = self.op, self.handler
        close_interrupted(op)
        if handler is None or self.action is None:
            no_action = f"{self.account.get_vendor_display()} has no {op.action}."
            self.apply(Fail(no_action, needs_reconcile=op.needs_reconcile))
            return
        run = self.prepare(self.action)
        if not isinstance(run, Run):
            self.apply(run)  # it ends before anything is sent
            return
        try:
            continued = self.settle(handler, run)
        finally:
            run.client.transport.close()
        if continued:
            operations_dispatch(operation_ids=[op.pk])

    def prepare(self, action: Action) -> Run | Outcome:
        """The run's target and vendor client, or why the operation cannot be sent."""
        op, account = self.op, self.account
        if not account.is_active and not action.on_inactive_accounts:
            # Switched off after the request was queued: nothing more goes to the vendor.
            switched_off = f"The account {account.name} was deactivated; nothing was sent."
            if op.needs_reconcile:
                return Unknown(switched_off)
            return Fail(switched_off, needs_reconcile=False)
        target: Any = action.target_of(op)
        if target is None:
            deleted = "The target was deleted before the operation ran."
            return Fail(deleted, needs_reconcile=op.needs_reconcile)
        try:
            hooks = Hooks(
                recorder=self.hooks.recorder,
                before_send=self.hooks.before_send,
                rate_limiter=RateLimiterHook(account),
            )
            client = vendor_client_build(account=account, hooks=hooks)
        except (MissingCredentials, BaseUrlRefused, CredentialDecryptionError, ValueError) as exc:
            return Fail(str(exc), needs_reconcile=op.needs_reconcile)
        return Run(operation=op, account=account, target=target, client=client)

    def settle(self, handler: Handler, run: Run) -> bool:
        """Attempt the operation and record how it ended; True when another slice follows."""
        try:
            done = self.attempt(handler, run)
        except Unfinished:
            # This slice's progress is committed; the next one starts from it, without delay.
            self.op.last_error = ""
            self.finish(OperationState.QUEUED)
            return True
        except DatabaseError:
            raise  # the lease lapses and another run takes over (see operation_run)
        except Exception as exc:
            self.apply(self.outcome_of(handler, exc))
        else:
            self.finish(OperationState.SUCCEEDED, done=done)
        return False

    def attempt(self, handler: Handler, run: Run) -> Done:
        op = self.op
        if op.needs_reconcile:
            found = handler.reconcile(run)
            if found is not None:
                found.result = {**found.result, "reconciled": True}
                return found
            # The vendor shows no trace of it: sending it (again) cannot duplicate anything.
            op.needs_reconcile = False
            Operation.objects.filter(pk=op.pk).update(needs_reconcile=False)
        if op.attempts >= self.account.max_attempts:
            # Runs that never reached an outcome (a worker killed at django-q2's timeout each
            # time) still count: the bound holds for them too.
            raise Refused(
                f"Gave up after {attempts_phrase(op.attempts)}: none of them finished (a worker"
                " stopped or timed out each time)."
            )
        return handler.perform(run)

    def outcome_of(self, handler: Handler, exc: Exception) -> Outcome:
        """How an attempt that raised ``exc`` ends."""
        op = self.op
        if isinstance(exc, VendorError):
            return self.vendor_failure(handler, exc)
        if isinstance(exc, RateDeferred):
            # No token soon enough: come back at the turn the rate limiter gave this run.
            waiting = f"Waiting: {exc.reason}."
            return retry_at(exc.until, waiting, needs_reconcile=op.needs_reconcile)
        if isinstance(exc, NotReconcilable):
            return Unknown(UNKNOWN_MESSAGE)
        if isinstance(exc, Refused):
            return Fail(str(exc), needs_reconcile=op.needs_reconcile)
        logger.error("operation %s: %s failed", op.pk, op.action, exc_info=exc)
        return outcome_for_bug(
            exc, can_reconcile=handler.can_reconcile, needs_reconcile=op.needs_reconcile
        )

    def vendor_failure(self, handler: Handler, error: VendorError) -> Outcome:
        """The retry policy's word on a vendor error; a 429 pauses the whole account too."""
        op, account = self.op, self.account
        if isinstance(error, RateLimited):
            rate_limit_pause(account=account, seconds=error.retry_after)
        return outcome_for(
            error,
            self.hooks.last,
            can_reconcile=handler.can_reconcile,
            retries=handler.retries,
            attempts=op.attempts,
            max_attempts=account.max_attempts,
            needs_reconcile=op.needs_reconcile,
            now=timezone.now(),
        )

    def apply(self, outcome: Outcome) -> None:
        """End the attempt as ``outcome`` says: its state, message, next time and flag."""
        self.op.needs_reconcile = outcome.needs_reconcile
        if isinstance(outcome, Retry | Reconcile):
            self.finish(OperationState.RETRYING, error=outcome.reason, next_attempt_at=outcome.at)
        else:
            state = (
                OperationState.UNKNOWN if isinstance(outcome, Unknown) else OperationState.FAILED
            )
            self.finish(state, error=outcome.reason)

    def finish(
        self,
        state: str,
        *,
        error: str = "",
        done: Done | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        op, now = self.op, timezone.now()
        op.state = state
        op.lease_until = None
        op.next_attempt_at = next_attempt_at
        if state == OperationState.SUCCEEDED:
            op.needs_reconcile = False
            op.last_error = ""
        elif error:
            op.last_error = error
        if state in (OperationState.SUCCEEDED, OperationState.FAILED, OperationState.UNKNOWN):
            op.finished_at = now
        if done is not None:
            op.result = {**(op.result or {}), **done.result}
        with transaction.atomic():
            if done is not None and done.apply is not None:
                done.apply()
            if self.handler is not None and state in (
                OperationState.FAILED,
                OperationState.UNKNOWN,
            ):
                self.handler.failed(self.account, op.last_error)
            # Back to ``queued`` (a sync's next slice): not yet handed over again.
            requeued = {"dispatched_at": None} if state == OperationState.QUEUED else {}
            Operation.objects.filter(pk=op.pk).update(
                **requeued,
                state=op.state,
                lease_until=None,
                next_attempt_at=op.next_attempt_at,
                needs_reconcile=op.needs_reconcile,
                last_error=op.last_error,
                finished_at=op.finished_at,
                result=op.result,
                updated_at=now,
            )
