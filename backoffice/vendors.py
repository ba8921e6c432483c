"""What the back-office knows about each vendor: names, default URLs, hosts and limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

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


# One DNS label: letters, digits and inner hyphens (international names in their xn-- form).
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# Characters no vendor URL has, which URL parsers disagree about (a backslash is a slash to a
# browser and part of the host to urllib), so a URL carrying one is refused before parsing.
_AMBIGUOUS = re.compile(r"[\\\s\x00-\x1f\x7f]")


def _host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def _plain_host_name(host: str) -> bool:
    """A host name of DNS labels only: no trailing dot, no empty label, no percent-escapes."""
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in host.split("."))


def _port(url: SplitResult) -> int | str | None:
    try:
        return url.port
    except ValueError:
        return "invalid"


def base_url_problem(vendor: str, url: str, *, allow_loopback: bool) -> str | None:
    """Why ``url`` cannot be an account's base URL for ``vendor``, or None when it can.

    Vendor accounts must talk HTTPS, on the default port, to the vendor's own hosts, named
    plainly (lower-case DNS labels, no trailing dot); loopback (the vendor sandbox), over http or
    https on any port, is accepted only when the deployment allows it. Upper case in the host is
    accepted: host names are case-insensitive and the comparison is made in lower case.
    """
    if _AMBIGUOUS.search(url):
        return str(_("The base URL may not contain spaces, control characters or backslashes."))
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # a bracketed host that is not an IPv6 address ("https://[::1")
        return str(_("The base URL's host is not a host name or an IP address."))
    problem = _form_problem(url, parts)
    if problem is not None:
        return problem
    if allow_loopback and is_loopback(host) and parts.scheme in ("http", "https"):
        return None
    return _vendor_host_problem(vendor, parts, host)


def _form_problem(url: str, parts: SplitResult) -> str | None:
    """What no base URL may carry, loopback or not: credentials, a query or fragment, or a port
    that is not a number."""
    if "@" in parts.netloc:
        return str(_("Put credentials in the credential fields, not in the URL."))
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return str(_("The base URL takes no query string or fragment."))
    if _port(parts) == "invalid":
        return str(_("The base URL's port is not a number from 1 to 65535."))
    return None


def _vendor_host_problem(vendor: str, parts: SplitResult, host: str) -> str | None:
    """What a URL that is not the allowed loopback must be: https, on the default port, to one of
    the vendor's hosts named plainly."""
    if parts.scheme != "https":
        return str(_("Vendor URLs must use https."))
    if not host.isascii():
        return str(_("Write an international host name in its ASCII form (xn--…)."))
    if host.endswith("."):
        return str(_("Write the host name without a trailing dot."))
    profile = PROFILES[vendor]
    if not _plain_host_name(host) or not _host_allowed(host, profile.allowed_hosts):
        return str(
            _("%(vendor)s accounts must point at %(hosts)s.")
            % {"vendor": Vendor(vendor).label, "hosts": ", ".join(profile.allowed_hosts)}
        )
    if _port(parts) not in (None, 443):
        return str(_("Vendor URLs use the https port (443); leave the port out."))
    return None
