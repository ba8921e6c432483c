from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.account import test_connection
from backoffice.admin.actions.selection import ValidSelectionMixin
from backoffice.admin.operations_link import OperationsLinkMixin
from backoffice.models import AgentIdentity, User, VendorAccount
from backoffice.vendors import Vendor


@admin.register(User)
class UserAdmin(ValidSelectionMixin, DjangoUserAdmin):
    pass


class VendorAccountForm(forms.ModelForm):
    """Credentials are write-only: typed in, never shown back, kept when left blank."""

    # Blank means the vendor's default URL (filled in by VendorAccount.clean); a URL typed
    # without a scheme is taken as https, the only scheme vendor URLs may use.
    base_url = forms.URLField(
        label=_("base URL"),
        required=False,
        max_length=300,
        assume_scheme="https",
        help_text=VendorAccount._meta.get_field("base_url").help_text,
    )
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
        ]

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


@admin.register(VendorAccount)
class VendorAccountAdmin(ValidSelectionMixin, OperationsLinkMixin, admin.ModelAdmin):
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
    ]
    list_filter = ["vendor", "is_active", "last_check_ok"]
    search_fields = ["name", "base_url"]
    readonly_fields = ["last_checked_at", "last_check_ok", "last_check_message"]
    inlines = [AgentIdentityInline]
    actions = [test_connection]
    fieldsets = [
        (None, {"fields": ["vendor", "name", "base_url", "channel_kind", "is_active"]}),
        (_("Credentials"), {"fields": ["new_api_login", "new_api_secret"]}),
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

    @admin.display(description=_("last check result"))
    def last_check_summary(self, obj: VendorAccount) -> str:
        return Truncator(obj.last_check_message).chars(80) or "—"

    def has_test_connection_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("backoffice.test_connection")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"vendor": Vendor.HELPCRUNCH, **super().get_changeform_initial_data(request)}


@admin.register(AgentIdentity)
class AgentIdentityAdmin(ValidSelectionMixin, admin.ModelAdmin):
    list_display = ["user", "account", "login", "display_name"]
    list_filter = ["account"]
    search_fields = ["login", "display_name", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "account"]
