"""The audit trail: what staff asked for (``Operation``) and every HTTP request (``ApiCall``).

Both tables grow to millions of rows. Their indexes follow what the admin filters and sorts on,
and what the workers look up: operations due for an attempt, requests left in flight. On
PostgreSQL, migration 0008 adds trigram indexes for the text staff search in (URL, error text,
target name), and migration 0012 the hash index of the vendor request id. An API call's bodies
and headers are stored compressed: once its response is recorded, both bodies as one stream in
the response column (the request column then holds a one-byte marker), and its response headers
against its vendor request id. Migration 0014 packs the indexes whose keys only grow full
(``AppendedIndex``, ``fillfactor = 100``) and keeps only the rows with an error text in the
error-text index.

The trail is append-only. An ``ApiCall`` is written in flight before its request leaves and
completed once; after that it is never changed. Its request body, recorded before the request
leaves, is never rewritten either: completing the call may only move it into the response's
stream. Operations move through their states, but no audit row is ever deleted, except by the
retention command (``manage.py prune_audit``) inside ``audit_retention()``. The models and their
querysets refuse everything else; on PostgreSQL a trigger (migrations 0007 and 0014) refuses it
for any SQL, not just the ORM's.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import nonmember
from typing import Any, Self, cast

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.compression import ChainedText, HeldText, PairedText
from backoffice.fields import CompressedJSONField, CompressedTextField
from backoffice.indexes import AppendedIndex
from backoffice.models.accounts import VendorAccount
from backoffice.models.append_only import (
    FINISHED_CALL_IS_FINAL,
    REQUEST_IS_FINAL,
    AuditTrailIsAppendOnly,
    moves_request_into_response,
    refuse_deletion,
)


class OperationAction(models.TextChoices):
    REPLY_TO_TICKET = "reply_to_ticket", _("Reply to ticket")
    ADD_TAGS = "add_tags", _("Add tags")
    REMOVE_TAGS = "remove_tags", _("Remove tags")
    PUSH_TO_VENDOR = "push_to_vendor", _("Push contact to vendor")
    ADD_FEED_RECORD = "add_feed_record", _("Add contact-history record")
    START_CHAT = "start_chat", _("Start chat")
    SEND_MESSAGE = "send_message", _("Send chat message")
    TEST_CONNECTION = "test_connection", _("Test connection")
    SYNC_FROM_VENDOR = "sync_from_vendor", _("Sync from vendor")
    REFRESH_FROM_VENDOR = "refresh_from_vendor", _("Refresh from vendor")


class OperationState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    RETRYING = "retrying", _("Waiting to retry")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown")
    DISMISSED = "dismissed", _("Dismissed")

    # The groups every module speaks of, named once (tuples, in this order: a constraint and its
    # migration list them so).
    # Not finished: a run is under way or due (an account's one sync at a time counts these).
    PENDING = nonmember(("queued", "running", "retrying"))
    # States an operation never leaves by itself: only these are ever pruned.
    FINISHED = nonmember(("succeeded", "failed", "unknown", "dismissed"))
    # Finished without the change made (or known to be made): what a retry or a dismissal takes.
    UNDONE = nonmember(("failed", "unknown"))


class OperationQuerySet(models.QuerySet["Operation"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        refuse_deletion("operations")
        return super().delete()


class Operation(models.Model):
    """One requested change (or sync) of one target at one vendor account."""

    Action = OperationAction
    State = OperationState

    group_id = models.UUIDField(
        _("bulk action"),
        null=True,
        blank=True,
        help_text=_("Shared by every operation one bulk action created."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="operations",
        verbose_name=_("requested by"),
        db_index=False,  # operation_actor_recent leads with it
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    account = models.ForeignKey(
        VendorAccount,
        on_delete=models.PROTECT,
        related_name="operations",
        verbose_name=_("account"),
        db_index=False,  # operation_account_recent leads with it
    )
    target_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # operation_target leads with it
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    # A label frozen at request time, so the list shows the target without a join per row and
    # still names it after the target is gone.
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    # Validated parameters of the request. Never credentials: those stay on the account.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    # When a task for this operation was last handed to the broker (NULL: never). The sweeper
    # re-dispatches queued operations whose message was lost.
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    # A running operation belongs to one worker until this time; a redelivered task or the sweeper
    # takes it over only after it lapses (the worker died or the task was killed).
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    # Set, in the same commit as the audit row, just before a non-idempotent request leaves, and
    # cleared once its outcome is known. Found set when an attempt starts: the last request may or
    # may not have reached the vendor, so it is reconciled (or left to a person), never resent.
    needs_reconcile = models.BooleanField(_("outcome to reconcile"), default=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = OperationQuerySet.as_manager()

    class Meta:
        verbose_name = _("operation")
        ordering = ["-id"]
        permissions = [
            ("retry_operation", _("Can retry failed operations and dismiss unknown ones")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=OperationState.values),
                name="operation_state_valid",
            ),
            # Never two syncs of one account at a time: an account sync (no target: the whole
            # account) that is queued, running or waiting to retry holds the account.
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(
                    action="sync_from_vendor",
                    target_id__isnull=True,
                    state__in=list(OperationState.PENDING),
                ),
                name="operation_one_account_sync_at_a_time",
            ),
        ]
        indexes = [
            # The due-time dispatcher: operations due for another attempt, ...
            models.Index(fields=["state", "next_attempt_at"], name="operation_due"),
            # ... queued ones not yet handed over (NULL), and those handed over long ago.
            models.Index(
                fields=["dispatched_at"],
                condition=models.Q(state="queued"),
                name="operation_queued_dispatch",
            ),
            # Ascending (x, id) indexes serve ORDER BY id DESC by scanning backwards, and stay
            # full as rows are appended (a descending id inserts at the left of its group, and
            # every page split there leaves two half-empty pages).
            models.Index(fields=["account", "id"], name="operation_account_recent"),
            models.Index(fields=["action", "id"], name="operation_action_recent"),
            models.Index(fields=["actor", "id"], name="operation_actor_recent"),
            models.Index(fields=["state", "id"], name="operation_state_recent"),
            # Staff limited to an account looking for its failed operations (to retry them).
            models.Index(fields=["account", "state", "id"], name="operation_account_state"),
            # A month's operations newest first (the date filter orders by created_at, id).
            models.Index(fields=["created_at", "id"], name="operation_created"),
            models.Index(fields=["target_type", "target_id"], name="operation_target"),
            models.Index(fields=["group_id"], name="operation_group"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.target_label or self.account.name} #{self.pk}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_deletion("an operation")
        return super().delete(*args, **kwargs)


class ApiCallState(models.TextChoices):
    IN_FLIGHT = "in_flight", _("In flight")
    DONE = "done", _("Done")


class ApiCallQuerySet(models.QuerySet["ApiCall"]):
    def update(self, **kwargs: Any) -> int:
        # In flight → done is the one change an API call goes through (the runner's recorder).
        if "request_body" in kwargs and not moves_request_into_response(
            kwargs["request_body"], kwargs.get("response_body")
        ):
            raise AuditTrailIsAppendOnly(REQUEST_IS_FINAL)
        finished = self.filter(state=ApiCallState.DONE).values_list("pk", flat=True).first()
        if finished is not None:
            raise AuditTrailIsAppendOnly(FINISHED_CALL_IS_FINAL.format(pk=finished))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        refuse_deletion("API calls")
        return super().delete()


# The fields stored compressed against another of the row's (their ``chained_to``; response
# bodies were so before version 3, and those rows still read so).
_CHAINED = (("response_body", "request_body"), ("response_headers", "vendor_request_id"))
_BODIES = frozenset({"request_body", "response_body"})


class ApiCall(models.Model):
    """One HTTP request to a vendor, written before it leaves and completed after."""

    State = ApiCallState

    operation = models.ForeignKey(
        Operation,
        on_delete=models.PROTECT,
        related_name="api_calls",
        verbose_name=_("operation"),
    )
    account = models.ForeignKey(
        VendorAccount,
        on_delete=models.PROTECT,
        related_name="api_calls",
        verbose_name=_("account"),
        db_index=False,  # apicall_account_recent leads with it
    )
    method = models.CharField(_("method"), max_length=8)
    url = models.TextField(_("URL"))
    # Stored compressed (backoffice.compression): most of an audit row's bytes, never filtered on.
    request_headers = CompressedJSONField(_("request headers"))
    # Alone while the call is in flight; then, if both bodies have text, held in the response
    # column's stream (one deflate stream for the two), this column holding a marker.
    request_body = CompressedTextField(_("request body"), held_by="response_body")
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    # Compressed against the vendor request id (most often their x-request-id).
    response_headers = CompressedJSONField(_("response headers"), chained_to="vendor_request_id")
    # With the request body in one stream (a response repeats much of its request).
    response_body = CompressedTextField(_("response body"), holds="request_body")
    vendor_request_id = models.CharField(_("vendor request id"), max_length=128, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error_class = models.CharField(_("error"), max_length=64, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.IN_FLIGHT
    )
    # Whether sending the request twice is harmless; a non-idempotent request without an outcome
    # is reconciled with the vendor, never resent blindly.
    idempotent = models.BooleanField(_("idempotent"), default=False)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ApiCallQuerySet.as_manager()

    class Meta:
        verbose_name = _("API call")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["in_flight", "done"]), name="apicall_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "id"], name="apicall_account_recent"),
            # Calls that did not succeed (5 % of them), by status: a status filter other than
            # 2xx reads this small index; the 2xx filter matches nearly every row, so walking
            # the primary key (or an account's index) backwards finds its page at once.
            models.Index(
                fields=["status_code", "id"],
                condition=models.Q(status_code__isnull=True)
                | models.Q(status_code__lt=200)
                | models.Q(status_code__gte=300),
                name="apicall_status_not_2xx",
            ),
            # The same calls for staff limited to their accounts: without it a scoped status
            # filter intersects the status index with an account's million entries.
            models.Index(
                fields=["account", "status_code", "id"],
                condition=models.Q(status_code__isnull=True)
                | models.Q(status_code__lt=200)
                | models.Q(status_code__gte=300),
                name="apicall_account_not_2xx",
            ),
            # A month's calls newest first (the date filter orders by started_at, id: an index
            # scan backwards and PostgreSQL's incremental sort of the rare equal times), and the
            # retention window's old end. Times only grow: full pages (AppendedIndex).
            AppendedIndex(fields=["started_at"], name="apicall_started"),
            # apicall_vendor_request (the exact search by vendor request id) is migration
            # 0012's: a hash index on PostgreSQL, half a B-tree's size for a 36-character id.
            # Requests left in flight (a worker died mid-call) are few; find them without a scan.
            models.Index(
                fields=["operation"],
                condition=models.Q(state="in_flight"),
                name="apicall_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.url} → {self.status_code or self.error_class or '…'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and _BODIES & set(update_fields):
            # The two bodies may be one stream: one is never written without the other.
            kwargs["update_fields"] = {*update_fields, *_BODIES}
        if not self._state.adding and self.pk is not None:
            self._refuse_rewrite()
        super().save(*args, **kwargs)

    def _refuse_rewrite(self) -> None:
        """A save of a row already stored: refused once it is finished, and refused if it would
        change the request body recorded in flight."""
        stored = (
            type(self)
            ._base_manager.filter(pk=self.pk)
            .only("state", "request_body", "response_body")
            .first()
        )
        if stored is None:
            return  # not stored yet: the save inserts it
        if stored.state == ApiCallState.DONE:
            raise AuditTrailIsAppendOnly(FINISHED_CALL_IS_FINAL.format(pk=self.pk))
        if "request_body" not in self.get_deferred_fields() and (
            stored.request_body != self.request_body
        ):
            raise AuditTrailIsAppendOnly(REQUEST_IS_FINAL)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_deletion("an API call")
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        """A row as read: its two bodies taken apart when the response column holds both
        (fetched if the query read only the request's marker), and its response body and
        headers of older rows given the request body and vendor request id they were
        compressed against (read along, or fetched if the query left them out)."""
        instance = super().from_db(db, field_names, values, **kwargs)
        request, response = (
            instance.__dict__.get(name) for name in ("request_body", "response_body")
        )
        if isinstance(response, PairedText):
            instance.response_body = response.response
        if isinstance(request, HeldText):
            pair = response
            if pair is None:
                pair = (
                    cls._base_manager.using(db)
                    .values_list("response_body", flat=True)
                    .get(pk=instance.pk)
                )
            if not isinstance(pair, PairedText):
                raise ValueError(f"API call #{instance.pk}: its response holds no request body")
            instance.request_body = pair.request
        for name, context_name in _CHAINED:
            value = instance.__dict__.get(name)
            if isinstance(value, ChainedText):
                context = instance.__dict__.get(context_name)
                if context is None:
                    context = (
                        cls._base_manager.using(db)
                        .values_list(context_name, flat=True)
                        .get(pk=instance.pk)
                    )
                field = cast(CompressedTextField, cls._meta.get_field(name))
                setattr(instance, name, field.resolve(value, context or ""))
        return instance
