"""What the back-office knows about each vendor: names, default URLs, hosts and limits."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import models
from django.utils.translation import gettext_lazy as _

from connectors.net import is_loopback


class Vendor(models.TextChoices):
    THULIUM = "thulium", "Thulium"
    HELPCRUNCH = "helpcrunch", "HelpCrunch"
    BONY = "bony", "Bony.chat"


@dataclass(frozen=True)
class VendorProfile:
    default_base_url: str
    # Hosts an account's base URL may name: exact names, or "*.suffix" for any subdomain.
    allowed_hosts: tuple[str, ...]
    default_rate_limit_per_minute: int


PROFILES: dict[str, VendorProfile] = {
    # No published Thulium limit (CONTRACT.md): a conservative default, configurable per account.
    Vendor.THULIUM: VendorProfile("", ("*.thulium.com",), 60),
    # HelpCrunch: 120 requests/min per organisation.
    Vendor.HELPCRUNCH: VendorProfile("https://api.helpcrunch.com/v1", ("api.helpcrunch.com",), 120),
    # Bony.chat: 100 calls/min per channel token (vendor-docs 004).
    Vendor.BONY: VendorProfile("https://app.bony.chat/api/v1", ("app.bony.chat",), 100),
}


def _host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def base_url_problem(vendor: str, url: str, *, allow_loopback: bool) -> str | None:
    """Why ``url`` cannot be an account's base URL for ``vendor``, or None when it can.

    Vendor accounts must talk HTTPS to the vendor's own hosts; loopback (the vendor sandbox) is
    accepted only when the deployment allows it.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password:
        return str(_("Put credentials in the credential fields, not in the URL."))
    if parts.query or parts.fragment:
        return str(_("The base URL takes no query string or fragment."))
    if allow_loopback and is_loopback(host) and parts.scheme in ("http", "https"):
        return None
    if parts.scheme != "https":
        return str(_("Vendor URLs must use https."))
    profile = PROFILES[vendor]
    if not _host_allowed(host, profile.allowed_hosts):
        return str(
            _("%(vendor)s accounts must point at %(hosts)s.")
            % {"vendor": Vendor(vendor).label, "hosts": ", ".join(profile.allowed_hosts)}
        )
    return None
