"""Where each sync of vendor data stands: one cursor per account and resource."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.models.accounts import VendorAccount


class SyncResource(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")  # Thulium, HelpCrunch
    TICKETS = "tickets", _("Tickets")  # Thulium, with their messages
    CHATS = "chats", _("Chats")  # HelpCrunch, with their messages
    CONTACTS = "contacts", _("Contacts")  # Bony.chat, refreshed one by one (no listing)


class SyncCursor(models.Model):
    """How far the sync of one resource of one account has got.

    A *pass* reads the resource from the vendor: everything (a full pass) or what changed since
    ``since`` (incremental, where the vendor can filter or sort by change). While a pass is under
    way ``pass_started_at`` is set and ``position`` says where it stands (an offset, the records
    whose details are still to read); it is saved with every committed batch, so a run that
    stops (a time slice ending, a 429, a crash) is continued from there by the next one.
    """

    Resource = SyncResource

    account = models.ForeignKey(
        VendorAccount,
        on_delete=models.CASCADE,
        related_name="sync_cursors",
        verbose_name=_("account"),
    )
    resource = models.CharField(_("resource"), max_length=16, choices=Resource.choices)
    # The next incremental pass reads what changed at the vendor from here on.
    since = models.DateTimeField(_("changes read up to"), null=True, blank=True)
    pass_started_at = models.DateTimeField(_("pass under way since"), null=True, blank=True)
    pass_full = models.BooleanField(_("full pass"), default=False)
    position = models.JSONField(_("position"), default=dict, blank=True)
    last_pass_at = models.DateTimeField(_("last pass completed"), null=True, blank=True)
    last_full_pass_at = models.DateTimeField(_("last full pass completed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sync cursor")
        ordering = ["account_id", "resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "resource"], name="synccursor_one_per_account_resource"
            ),
            models.CheckConstraint(
                condition=models.Q(resource__in=SyncResource.values),
                name="synccursor_resource_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.resource}"
