"""One run of one operation in a worker: claim, call the vendor through the audit hooks, decide.

The order of writes is what makes the guarantees hold:

1. **Claim**: one conditional UPDATE moves the operation to ``running`` with a lease. A second
   delivery of the same task (the broker's redelivery, the sweeper) finds it taken and leaves;
   after the lease lapses (the worker died) the next delivery takes it over.
2. **Before each request** (``before_send``): the ``ApiCall`` row is inserted as in flight and,
   for a non-idempotent request, ``Operation.needs_reconcile`` is set, in one commit, before
   any byte leaves. **After** it, the recorder completes that row with the outcome.
3. **Outcome**: success applies the mirror update and marks the operation succeeded in one
   transaction; a retryable failure schedules the next attempt (no sleeping); anything else fails
   with the vendor's own words.

A run that starts with ``needs_reconcile`` set (a crash or a timeout after sending) asks the
handler to reconcile with a vendor read before anything is sent again, or leaves the operation
``unknown`` for a person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from backoffice.adapters import BaseUrlRefused, MissingCredentials, vendor_client_build
from backoffice.crypto import CredentialDecryptionError
from backoffice.models import ApiCall, Operation, OperationState, VendorAccount
from backoffice.operations.action import (
    Action,
    Done,
    Handler,
    NotReconcilable,
    Refused,
    Run,
    Unfinished,
    describe_error,
)
from backoffice.operations.dispatch import operations_dispatch
from backoffice.operations.ratelimit import RateDeferred, RateLimiterHook, rate_limit_pause
from backoffice.operations.registry import action_for
from backoffice.operations.retry import retry_delay
from connectors.errors import RateLimited, TransportError, VendorError
from connectors.transport import CallRecord, CallStart, Hooks

logger = logging.getLogger(__name__)

State = OperationState
# Statuses from a gateway in front of the vendor: the request may have been processed anyway.
GATEWAY_STATUSES = frozenset({502, 504})


class Released(BaseException):
    """The cluster is stopping and its grace is over: this run gives its operation back."""


# Set in a worker process by ``release_on_signal``; ``_running`` is the operation it works on.
_releasing = False
_running: int | None = None


def release_on_signal(signum: int, frame: object) -> None:
    """The handler ``manage.py qcluster`` installs in its workers for the release signal: the run
    under way (if any) stops where it is, and every later delivery is handed back unclaimed."""
    global _releasing
    _releasing = True
    if _running is not None:
        raise Released


def operation_run(*, operation_id: int) -> str:
    """Run one attempt of an operation; return its state afterwards (for the task's result)."""
    global _running
    if _releasing:
        _give_back(operation_id, claimed=False)
        return "released"
    operation = _claim(operation_id)
    if operation is None:
        logger.info("operation %s: not due (another run has it, or it is finished)", operation_id)
        return "not due"
    _running = operation_id
    try:
        _Run(operation)()
    except Released:
        _give_back(operation_id, claimed=True)
        return "released"
    except DatabaseError:
        # The database is unreachable or refused a write: the lease lapses and the sweeper hands
        # the operation to another run, which reconciles what this one left in flight.
        logger.exception("operation %s: run failed", operation_id)
        raise
    except Exception as exc:
        # A bug outside the attempt itself (the attempt's own errors end it in ``_Run``). Another
        # run would fail the same way, so it stops here for a person.
        logger.exception("operation %s: run failed", operation_id)
        _Run(operation).finish(
            State.UNKNOWN if _sent_unsettled(operation_id) else State.FAILED,
            error=f"Internal error ({type(exc).__name__}); the worker's log has the details.",
        )
    finally:
        _running = None
    return operation.state


def _give_back(operation_id: int, *, claimed: bool) -> None:
    """Hand an operation back to the dispatcher (``dispatched_at`` cleared): another cluster's
    next pass sends it again. What a cut-short run left in flight is reconciled by that run."""
    now = timezone.now()
    mine = Q(state=State.RUNNING) if claimed else Q(state=State.QUEUED)
    for _ in range(2):
        try:
            Operation.objects.filter(mine, pk=operation_id).update(
                state=State.QUEUED, lease_until=None, dispatched_at=None, updated_at=now
            )
        except DatabaseError:
            connection.close()  # the signal may have cut a query short: start a fresh connection
        else:
            logger.warning(
                "operation %s: released for another worker (the cluster is stopping)", operation_id
            )
            return


def _sent_unsettled(operation_id: int) -> bool:
    return Operation.objects.filter(pk=operation_id, needs_reconcile=True).exists()


def _claim(operation_id: int) -> Operation | None:
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.OPERATION_LEASE_SECONDS)
    claimable = Q(state=State.QUEUED) | Q(state=State.RUNNING, lease_until__lt=now)
    claimed = (
        Operation.objects.filter(pk=operation_id)
        .filter(claimable)
        .update(state=State.RUNNING, lease_until=lease_until, updated_at=now)
    )
    if not claimed:
        return None
    return Operation.objects.select_related("account", "actor").get(pk=operation_id)


class AuditHooks:
    """The connectors' ``before_send`` and ``recorder`` hooks, writing ``ApiCall`` rows."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self.rows: dict[str, int] = {}
        self.last: CallStart | None = None

    def before_send(self, start: CallStart) -> None:
        op = self.operation
        with transaction.atomic():
            row = ApiCall.objects.create(
                operation=op,
                account_id=op.account_id,
                method=start.method,
                url=start.url,
                request_headers=start.request_headers,
                request_body=start.request_body or "",
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
        self.rows[start.call_id] = row.pk

    def recorder(self, record: CallRecord) -> None:
        error = record.error
        row_id = self.rows.pop(record.call_id)
        # Only a row still in flight is completed: a run that took the operation over after this
        # one's lease lapsed may have closed it as interrupted, and a finished row is final.
        completed = ApiCall.objects.filter(pk=row_id, state=ApiCall.State.IN_FLIGHT).update(
            status_code=record.status,
            response_headers=record.response_headers,
            response_body=record.response_body or "",
            vendor_request_id=(record.request_id or "")[:128],
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


class _Run:
    """One run of one claimed operation."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.account: VendorAccount = op.account
        self.action: Action | None = action_for(op.action)
        self.handler: Handler | None = (
            None if self.action is None else self.action.handler(self.account.vendor)
        )

    def __call__(self) -> None:
        op, account, handler = self.op, self.account, self.handler
        _close_interrupted(op)
        if handler is None or self.action is None:
            self.finish(State.FAILED, error=f"{account.get_vendor_display()} has no {op.action}.")
            return
        if not account.is_active and not self.action.on_inactive_accounts:
            # Switched off after the request was queued: nothing more goes to the vendor.
            self.finish(
                State.UNKNOWN if op.needs_reconcile else State.FAILED,
                error=f"The account {account.name} was deactivated; nothing was sent.",
            )
            return
        target: Any = self.action.target_of(op)
        if target is None:
            self.finish(State.FAILED, error="The target was deleted before the operation ran.")
            return
        hooks = AuditHooks(op)
        try:
            client = vendor_client_build(
                account=account,
                hooks=Hooks(
                    recorder=hooks.recorder,
                    before_send=hooks.before_send,
                    rate_limiter=RateLimiterHook(account),
                ),
            )
        except (MissingCredentials, BaseUrlRefused, CredentialDecryptionError, ValueError) as exc:
            self.finish(State.FAILED, error=str(exc))
            return
        run = Run(operation=op, account=account, target=target, client=client)
        continued = False
        try:
            done = self.attempt(handler, run)
        except Unfinished:
            # This slice's progress is committed; the next one starts from it, without delay.
            op.last_error = ""
            self.finish(State.QUEUED)
            continued = True
        except NotReconcilable:
            self.finish(State.UNKNOWN, error=UNKNOWN_MESSAGE)
        except RateDeferred as deferred:
            # No token soon enough: come back at the turn the rate limiter gave this run.
            self.finish(
                State.RETRYING, error=f"Waiting: {deferred.reason}.", next_attempt_at=deferred.until
            )
        except VendorError as error:
            self.vendor_failure(handler, error, last=hooks.last)
        except Refused as refused:
            self.finish(State.FAILED, error=str(refused))
        except DatabaseError:
            raise  # the lease lapses and another run takes over (see operation_run)
        except Exception as exc:
            # A bug, or parameters the vendor client refuses before sending: another run would
            # fail the same way, every time the lease lapses. End it, in words a person can act on.
            logger.exception("operation %s: %s failed", op.pk, op.action)
            problem = f"{type(exc).__name__}: {exc}"
            if op.needs_reconcile:
                unsettled = UNSETTLED_MESSAGE if handler.can_reconcile else UNKNOWN_MESSAGE
                self.finish(State.UNKNOWN, error=f"{problem}. {unsettled}")
            else:
                self.finish(State.FAILED, error=problem)
        else:
            self.finish(State.SUCCEEDED, done=done)
        finally:
            client.transport.close()
        if continued:
            operations_dispatch(operation_ids=[op.pk])

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
                f"Gave up after {_attempts(op.attempts)}: none of them finished (a worker stopped"
                " or timed out each time)."
            )
        return handler.perform(run)

    def vendor_failure(
        self, handler: Handler, error: VendorError, *, last: CallStart | None
    ) -> None:
        op, account = self.op, self.account
        if isinstance(error, RateLimited):
            rate_limit_pause(account=account, seconds=error.retry_after)
        message = describe_error(error)
        uncertain = _may_have_taken_effect(error, last)
        if uncertain and not handler.can_reconcile:
            self.finish(State.UNKNOWN, error=f"{message}. {UNKNOWN_MESSAGE}")
            return
        if uncertain or (handler.can_reconcile and _server_error_on_send(error, last)):
            # needs_reconcile stays set: the next attempt starts with a vendor read. Where the
            # vendor has one, a 500 too is checked before anything is sent again.
            retryable = True
        else:
            retryable = error.retryable
            if last is not None and not last.idempotent:
                # The unsettled request itself failed for sure: nothing to reconcile. A failed
                # read (the reconciling one, or a step after a send) settles nothing: the flag
                # stays, so the next attempt reads again before anything is resent.
                op.needs_reconcile = False
        if not (retryable and handler.retries):
            self.finish(State.FAILED, error=message)
            return
        if op.attempts >= account.max_attempts:
            gave_up = f"Gave up after {_attempts(op.attempts)}: {message}"
            if op.needs_reconcile:
                # The last request may have reached the vendor: not "failed", which would invite
                # a person to send it again. A retry reads the vendor before sending anything.
                self.finish(State.UNKNOWN, error=f"{gave_up}. {UNSETTLED_MESSAGE}")
            else:
                self.finish(State.FAILED, error=gave_up)
            return
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        delay = retry_delay(attempt=max(op.attempts, 1), retry_after=retry_after)
        self.finish(
            State.RETRYING, error=message, next_attempt_at=timezone.now() + timedelta(seconds=delay)
        )

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
        if state == State.SUCCEEDED:
            op.needs_reconcile = False
            op.last_error = ""
        elif error:
            op.last_error = error
        if state in (State.SUCCEEDED, State.FAILED, State.UNKNOWN):
            op.finished_at = now
        if done is not None:
            op.result = {**(op.result or {}), **done.result}
        with transaction.atomic():
            if done is not None and done.apply is not None:
                done.apply()
            if self.handler is not None and state in (State.FAILED, State.UNKNOWN):
                self.handler.failed(self.account, op.last_error)
            # Back to ``queued`` (a sync's next slice): not yet handed over again.
            requeued = {"dispatched_at": None} if state == State.QUEUED else {}
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


UNKNOWN_MESSAGE = (
    "The request may have reached the vendor, and the vendor offers no way to check. "
    "Check at the vendor, then retry or dismiss this operation."
)
UNSETTLED_MESSAGE = (
    "The last request may have reached the vendor; retrying checks at the vendor before "
    "sending it again."
)


def _close_interrupted(op: Operation) -> None:
    """Requests a dead run left in flight: record that their outcome was never seen."""
    ApiCall.objects.filter(operation=op, state=ApiCall.State.IN_FLIGHT).update(
        state=ApiCall.State.DONE,
        error_class="Interrupted",
        error_message="The worker stopped before the vendor's answer was recorded.",
        finished_at=timezone.now(),
    )


def _server_error_on_send(error: VendorError, last: CallStart | None) -> bool:
    """A 500 may come after the change was made; a 503 says the vendor did not take it."""
    return last is not None and not last.idempotent and error.status in {500, *GATEWAY_STATUSES}


def _may_have_taken_effect(error: VendorError, last: CallStart | None) -> bool:
    if last is None or last.idempotent:
        return False
    if isinstance(error, TransportError):
        return error.sent
    return error.status in GATEWAY_STATUSES


def _attempts(count: int) -> str:
    return ngettext("%(count)d attempt", "%(count)d attempts", count) % {"count": count}
