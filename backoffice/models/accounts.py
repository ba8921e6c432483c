from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.fields import EncryptedSecretField
from backoffice.vendors import PROFILES, Vendor, base_url_problem


class User(AbstractUser):
    """A staff member. Its own model from day one so staff attributes can grow without pain.

    Account scope: ``limited_to_accounts`` ticked means the staff member sees and acts on the rows
    of ``vendor_accounts`` only, and on none when that list is empty; a forgotten tick in the list
    never widens what they see. Unticked (the default) and superusers: every account.
    """

    limited_to_accounts = models.BooleanField(
        _("limited to some vendor accounts"),
        default=False,
        help_text=_(
            "Ticked: this staff member sees and acts on the rows of the accounts chosen below"
            " only, and on none if none are chosen. Superusers always see every account."
        ),
    )
    vendor_accounts: models.ManyToManyField[VendorAccount, Any] = models.ManyToManyField(
        "VendorAccount",
        blank=True,
        related_name="scoped_staff",
        verbose_name=_("vendor accounts"),
        help_text=_("The accounts this staff member works with, when limited to some."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class BonyChannelKind(models.TextChoices):
    MESSENGER = "messenger", "Facebook Messenger"
    VIBER = "viber", "Viber"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    INSTAGRAM = "instagram", "Instagram"
    WEBCHAT = "webchat", _("Web chat")
    OTHER = "other", _("Other")


# A week; django-q2 keeps a schedule's minutes in a small integer.
MAX_SYNC_INTERVAL_MINUTES = 7 * 24 * 60


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class VendorAccount(models.Model):
    """One account at one vendor: a Thulium system, a HelpCrunch organisation or a Bony channel."""

    vendor = models.CharField(_("vendor"), max_length=16, choices=Vendor.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    base_url = models.URLField(
        _("base URL"),
        max_length=300,
        blank=True,
        help_text=_(
            "Thulium: https://<system>.thulium.com/api · HelpCrunch: https://api.helpcrunch.com/v1"
            " · Bony.chat: https://app.bony.chat/api/v1"
        ),
    )
    # Credentials are encrypted at rest and never shown back (see admin's CredentialsForm).
    api_login = EncryptedSecretField(_("API login"), help_text=_("Thulium API user."))
    api_secret = EncryptedSecretField(
        _("API secret"),
        help_text=_("Thulium API password, HelpCrunch API key or Bony.chat channel token."),
    )
    channel_kind = models.CharField(
        _("Bony channel kind"),
        max_length=16,
        choices=BonyChannelKind.choices,
        blank=True,
        help_text=_("Bony.chat only. Viber channels need contact ids base64-encoded in paths."),
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        _("rate limit per minute"),
        null=True,
        blank=True,
        help_text=_("Blank: the vendor's limit (HelpCrunch 120, Bony.chat 100, Thulium 60)."),
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts per operation"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "How many times an operation may call the vendor before it fails; retries back off"
            " exponentially (429, 5xx, connection failures)."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Warsaw",
        validators=[validate_time_zone],
        help_text=_("Thulium sends and expects dates in the system's local time."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sync_interval_minutes = models.PositiveIntegerField(
        _("sync every (minutes)"),
        null=True,
        blank=True,
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SYNC_INTERVAL_MINUTES)],
        help_text=_(
            "How often the vendor's data is synced into the back-office while the account is"
            " active. Blank: only when a staff member asks."
        ),
    )
    last_checked_at = models.DateTimeField(_("last connection check"), null=True, blank=True)
    last_check_ok = models.BooleanField(_("last check succeeded"), null=True, blank=True)
    last_check_message = models.TextField(_("last check result"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("vendor account")
        ordering = ["name"]
        permissions = [
            ("test_connection", _("Can test a vendor account's connection")),
            ("sync_from_vendor", _("Can sync vendor data into the back-office")),
            ("manage_credentials", _("Can set a vendor account's credentials")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(vendor__in=Vendor.values), name="vendoraccount_vendor_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(vendor=Vendor.BONY) | models.Q(channel_kind=""),
                name="vendoraccount_channel_kind_only_bony",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_vendor_display()})"

    @property
    def effective_rate_limit(self) -> int:
        return self.rate_limit_per_minute or PROFILES[self.vendor].default_rate_limit_per_minute

    @property
    def is_viber(self) -> bool:
        return self.vendor == Vendor.BONY and self.channel_kind == BonyChannelKind.VIBER

    @property
    def credentials_set(self) -> bool:
        if self.vendor == Vendor.THULIUM:
            return bool(self.api_login) and bool(self.api_secret)
        return bool(self.api_secret)

    def clean(self) -> None:
        super().clean()
        if not self.base_url and self.vendor in PROFILES:
            self.base_url = PROFILES[self.vendor].default_base_url
            if not self.base_url:
                raise ValidationError({"base_url": _("Give the system's API address.")})
        if self.vendor and self.base_url:
            problem = base_url_problem(
                self.vendor, self.base_url, allow_loopback=settings.ALLOW_LOOPBACK_VENDOR_URLS
            )
            if problem:
                raise ValidationError({"base_url": problem})
        if self.vendor != Vendor.BONY and self.channel_kind:
            raise ValidationError({"channel_kind": _("Only Bony.chat accounts have a channel.")})
        if self.vendor == Vendor.BONY and not self.channel_kind:
            raise ValidationError({"channel_kind": _("Choose the Bony.chat channel kind.")})


class AgentIdentity(models.Model):
    """Who a staff member is at one vendor account (Thulium login, HelpCrunch agent id)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent_identities",
        verbose_name=_("staff user"),
    )
    account = models.ForeignKey(
        VendorAccount,
        on_delete=models.CASCADE,
        related_name="agent_identities",
        verbose_name=_("account"),
    )
    login = models.CharField(
        _("login or agent id"),
        max_length=191,
        help_text=_("Thulium user login (e.g. jan.kowalski) or HelpCrunch agent id."),
    )
    display_name = models.CharField(_("name at the vendor"), max_length=191, blank=True)

    class Meta:
        verbose_name = _("agent identity")
        verbose_name_plural = _("agent identities")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account"], name="agentidentity_one_per_user_account"
            ),
            models.UniqueConstraint(
                fields=["account", "login"], name="agentidentity_login_unique_in_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.login} @ {self.account.name}"
