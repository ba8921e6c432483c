from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from backoffice.admin.actions.account import sync_from_vendor, test_connection
from backoffice.admin.actions.base import ActionPermissionsMixin
from backoffice.admin.actions.selection import ValidSelectionMixin
from backoffice.admin.operations_link import OperationsLinkMixin
from backoffice.admin.scoping import AccountScopedAdminMixin
from backoffice.models import AgentIdentity, SyncCursor, User, VendorAccount
from backoffice.vendors import Vendor


def _date(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value is not None else "—"


class StaffUserChangeForm(UserChangeForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        accounts = cleaned.get("vendor_accounts")
        if accounts and not cleaned.get("limited_to_accounts"):
            # Otherwise the list would look like a limit while the user sees every account.
            self.add_error(
                "limited_to_accounts",
                _(
                    "Tick this for the chosen vendor accounts to limit what the user sees, or"
                    " clear the chosen accounts."
                ),
            )
        return cleaned


@admin.register(User)
class UserAdmin(ValidSelectionMixin, DjangoUserAdmin):
    """Django's user admin, with the vendor accounts a staff member is limited to. Changes to
    groups, permissions and accounts are kept in the staff-action history."""

    form = StaffUserChangeForm
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Vendor accounts"), {"fields": ("limited_to_accounts", "vendor_accounts")}),
    )
    filter_horizontal = ("groups", "user_permissions", "vendor_accounts")
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "limited_to_accounts",
    )
    list_filter = (*DjangoUserAdmin.list_filter, "limited_to_accounts")


class VendorAccountSettingsForm(forms.ModelForm):
    """An account's settings, for staff who may not manage its credentials."""

    # Blank means the vendor's default URL (filled in by VendorAccount.clean); a URL typed
    # without a scheme is taken as https, the only scheme vendor URLs may use.
    base_url = forms.URLField(
        label=_("base URL"),
        required=False,
        max_length=300,
        assume_scheme="https",
        help_text=VendorAccount._meta.get_field("base_url").help_text,
    )

    class Meta:
        model = VendorAccount
        fields = [
            "vendor",
            "name",
            "base_url",
            "channel_kind",
            "rate_limit_per_minute",
            "max_attempts",
            "time_zone",
            "is_active",
            "sync_interval_minutes",
        ]


class VendorAccountForm(VendorAccountSettingsForm):
    """Credentials are write-only: typed in, never shown back, kept when left blank.

    Only for staff with ``manage_credentials``; the admin gives the others the settings form,
    which has no credential fields, so a credential in their post is ignored.
    """

    new_api_login = forms.CharField(
        label=_("API login"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    new_api_secret = forms.CharField(
        label=_("API secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        for name, model_field, what in (
            ("new_api_login", "api_login", _("Thulium API user")),
            ("new_api_secret", "api_secret", _("Thulium password, HelpCrunch key or Bony token")),
        ):
            is_set = bool(instance.pk and getattr(instance, model_field))
            state = _("Set; type a new value to replace it.") if is_set else _("Not set.")
            self.fields[name].help_text = f"{what}. {state}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        vendor = cleaned.get("vendor")
        new_login = cleaned.get("new_api_login")
        new_secret = cleaned.get("new_api_secret")
        has_login = bool(new_login) or bool(self.instance.pk and self.instance.api_login)
        has_secret = bool(new_secret) or bool(self.instance.pk and self.instance.api_secret)
        if not has_secret:
            self.add_error("new_api_secret", _("The account needs its API secret."))
        if vendor == Vendor.THULIUM and not has_login:
            self.add_error("new_api_login", _("Thulium accounts need the API user's login."))
        if vendor != Vendor.THULIUM and new_login:
            self.add_error("new_api_login", _("Only Thulium accounts use an API login."))
        return cleaned

    def save(self, commit: bool = True) -> VendorAccount:
        account: VendorAccount = super().save(commit=False)
        if self.cleaned_data.get("new_api_login"):
            account.api_login = self.cleaned_data["new_api_login"]
        if self.cleaned_data.get("new_api_secret"):
            account.api_secret = self.cleaned_data["new_api_secret"]
        if commit:
            account.save()
        return account


class AgentIdentityInline(admin.TabularInline):
    model = AgentIdentity
    extra = 0
    autocomplete_fields = ["user"]


CREDENTIALS = _("Credentials")
MANAGE_CREDENTIALS = "backoffice.manage_credentials"


@admin.register(VendorAccount)
class VendorAccountAdmin(
    AccountScopedAdminMixin,
    ActionPermissionsMixin,
    ValidSelectionMixin,
    OperationsLinkMixin,
    admin.ModelAdmin,
):
    account_path = "pk"
    form = VendorAccountForm
    list_display = [
        "name",
        "vendor",
        "base_url",
        "channel_kind",
        "is_active",
        "credentials_state",
        "last_check_ok",
        "last_checked_at",
        "last_check_summary",
        "sync_interval_minutes",
    ]
    list_filter = ["vendor", "is_active", "last_check_ok"]
    search_fields = ["name", "base_url"]
    readonly_fields = ["last_checked_at", "last_check_ok", "last_check_message", "sync_state"]
    inlines = [AgentIdentityInline]
    actions = [test_connection, sync_from_vendor]
    fieldsets = [
        (None, {"fields": ["vendor", "name", "base_url", "channel_kind", "is_active"]}),
        (_("Sync"), {"fields": ["sync_interval_minutes", "sync_state"]}),
        (CREDENTIALS, {"fields": ["new_api_login", "new_api_secret"]}),
        (
            _("Limits and dates"),
            {"fields": ["rate_limit_per_minute", "max_attempts", "time_zone"]},
        ),
        (
            _("Connection"),
            {"fields": ["last_checked_at", "last_check_ok", "last_check_message"]},
        ),
    ]

    @admin.display(description=_("credentials"), boolean=True)
    def credentials_state(self, obj: VendorAccount) -> bool:
        return obj.credentials_set

    def can_manage_credentials(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MANAGE_CREDENTIALS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # An account is of no use without its credentials: whoever adds one gives them.
        return super().has_add_permission(request) and self.can_manage_credentials(request)

    def get_fieldsets(self, request: HttpRequest, obj: VendorAccount | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if self.can_manage_credentials(request):
            return fieldsets
        return [
            (name, {**options, "fields": ["credentials_state"]})
            if name == CREDENTIALS
            else (name, options)
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: VendorAccount | None = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.can_manage_credentials(request):
            readonly.append("credentials_state")
            if obj is not None:
                # Another vendor needs other credentials, which this staff member cannot give.
                readonly.append("vendor")
        return readonly

    def get_form(
        self,
        request: HttpRequest,
        obj: VendorAccount | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        if not self.can_manage_credentials(request):
            kwargs["form"] = VendorAccountSettingsForm
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description=_("sync state"))
    def sync_state(self, obj: VendorAccount) -> str:
        """Each resource's last pass, and the one under way (see SyncCursor)."""
        if not obj.pk:  # the add page
            return "—"
        rows = [
            (
                cursor.get_resource_display(),
                _date(cursor.last_pass_at),
                _date(cursor.last_full_pass_at),
                _date(cursor.pass_started_at),
            )
            for cursor in SyncCursor.objects.filter(account=obj).order_by("resource")
        ]
        if not rows:
            return gettext("Not synced yet.")
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} {} · {} {} · {} {}",
            (
                (
                    name,
                    gettext("last pass"),
                    last,
                    gettext("last full pass"),
                    full,
                    gettext("under way since"),
                    running,
                )
                for name, last, full, running in rows
            ),
        )

    @admin.display(description=_("last check result"))
    def last_check_summary(self, obj: VendorAccount) -> str:
        return Truncator(obj.last_check_message).chars(80) or "—"

    @method_decorator(sensitive_post_parameters("new_api_login", "new_api_secret"))
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A crash while saving an account must not carry the typed credentials into the error
        # report (mailed to ADMINS, or the DEBUG page): Django masks these POST fields there.
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"vendor": Vendor.HELPCRUNCH, **super().get_changeform_initial_data(request)}


@admin.register(AgentIdentity)
class AgentIdentityAdmin(AccountScopedAdminMixin, ValidSelectionMixin, admin.ModelAdmin):
    list_display = ["user", "account", "login", "display_name"]
    list_filter = ["account"]
    search_fields = ["login", "display_name", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "account"]
