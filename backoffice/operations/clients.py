"""A vendor client for one account, wired to the audit trail and the account's rate limiter."""

from __future__ import annotations

from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings

from backoffice.crypto import Secret
from backoffice.models import VendorAccount
from backoffice.vendors import Vendor, base_url_problem
from connectors.bony import BonyClient
from connectors.helpcrunch import HelpCrunchClient
from connectors.thulium import ThuliumClient
from connectors.transport import BeforeSend, RateLimiter, Recorder

VendorClient = ThuliumClient | HelpCrunchClient | BonyClient


class MissingCredentials(Exception):
    """The account has no credentials to call the vendor with."""


class BaseUrlRefused(Exception):
    """The account's base URL is not one the deployment lets credentials be sent to."""


def vendor_client_build(
    *,
    account: VendorAccount,
    recorder: Recorder | None = None,
    before_send: BeforeSend | None = None,
    rate_limiter: RateLimiter | None = None,
) -> VendorClient:
    """The account's client. Credentials are decrypted here, into the client, and nowhere else."""
    if not account.credentials_set:
        raise MissingCredentials(f"{account.name} has no API credentials set.")
    # Checked again at every call, not only when the account is saved: a row written around the
    # admin's validation, or a loopback sandbox URL left behind after the deployment turned
    # ALLOW_LOOPBACK_VENDOR_URLS off, must not receive credentials.
    problem = base_url_problem(
        account.vendor, account.base_url, allow_loopback=settings.ALLOW_LOOPBACK_VENDOR_URLS
    )
    if problem:
        raise BaseUrlRefused(f"{account.name}: {problem}")
    timeout = float(settings.VENDOR_TIMEOUT_SECONDS)
    secret = cast(Secret, account.api_secret).reveal()
    if account.vendor == Vendor.THULIUM:
        return ThuliumClient(
            account.base_url,
            cast(Secret, account.api_login).reveal(),
            secret,
            timeout=timeout,
            tz=ZoneInfo(account.time_zone),
            recorder=recorder,
            before_send=before_send,
            rate_limiter=rate_limiter,
        )
    if account.vendor == Vendor.HELPCRUNCH:
        return HelpCrunchClient(
            secret,
            base_url=account.base_url,
            timeout=timeout,
            recorder=recorder,
            before_send=before_send,
            rate_limiter=rate_limiter,
        )
    return BonyClient(
        secret,
        base_url=account.base_url,
        viber=account.is_viber,
        timeout=timeout,
        recorder=recorder,
        before_send=before_send,
        rate_limiter=rate_limiter,
    )
