"""Rows the background pipeline keeps besides the audit trail: rate buckets and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.models.accounts import VendorAccount


class RateBucket(models.Model):
    """One vendor account's token bucket, shared by every worker process and machine.

    ``tokens`` may go below zero: a worker that reserves a token a moment ahead leaves a debt the
    refill pays back. ``paused_until`` is set from a 429's ``Retry-After`` and stops every call to
    the account until then. See ``backoffice.operations.ratelimit``.
    """

    account = models.OneToOneField(
        VendorAccount,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="rate_bucket",
        verbose_name=_("account"),
    )
    tokens = models.FloatField(_("tokens"))
    refilled_at = models.DateTimeField(_("refilled at"))
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    # The turn last given to a deferred call; the next one comes back one refill interval later.
    deferred_until = models.DateTimeField(_("deferred until"), null=True, blank=True)

    class Meta:
        verbose_name = _("rate bucket")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.tokens:.2f} tokens"


class StoredFile(models.Model):
    """A file a staff member attached to an action, kept until the worker has sent it.

    Stored in the database so that workers on other machines read exactly what was uploaded,
    without shared storage; operations refer to it by id in their parameters.
    """

    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=127, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("content"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attached file")

    def __str__(self) -> str:
        return f"{self.filename} ({self.size} bytes)"
