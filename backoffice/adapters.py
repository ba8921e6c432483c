"""The vendor registry: for each vendor, how to build its client for an account, read one
contact, and run its sync passes. The rest of the back-office asks ``adapter_for(vendor)``
instead of switching on the vendor or the client's class.

A client is wired to the caller's hooks (the audit trail and the account's rate limiter, see
``backoffice.operations.audit_hooks``); credentials are decrypted here, into the client, and
nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings

from backoffice.crypto import Secret
from backoffice.mirror.contacts import ContactRow
from backoffice.models import VendorAccount
from backoffice.sync import bony, helpcrunch, thulium
from backoffice.sync.run import SyncRun
from backoffice.vendors import Vendor, base_url_problem
from connectors.bony import BonyClient
from connectors.helpcrunch import HelpCrunchClient
from connectors.thulium import ThuliumClient
from connectors.transport import Hooks

VendorClient = ThuliumClient | HelpCrunchClient | BonyClient


class MissingCredentials(Exception):
    """The account has no credentials to call the vendor with."""


class BaseUrlRefused(Exception):
    """The account's base URL is not one the deployment lets credentials be sent to."""


@dataclass(frozen=True)
class VendorAdapter:
    """What the back-office needs of one vendor beyond the actions' own calls."""

    vendor: str
    # (account, hooks, timeout) -> the account's client, its credentials decrypted into it
    build: Callable[[VendorAccount, Hooks | None, float], VendorClient]
    # (client, vendor id) -> the contact as the mirror stores it
    read_contact: Callable[[Any, str], ContactRow]
    # (sync run, client) -> True when every pass of the account finished in this time slice
    sync: Callable[[SyncRun, Any], bool]


def _reveal(secret: object) -> str:
    return cast(Secret, secret).reveal()


def _thulium(account: VendorAccount, hooks: Hooks | None, timeout: float) -> ThuliumClient:
    return ThuliumClient(
        account.base_url,
        _reveal(account.api_login),
        _reveal(account.api_secret),
        timeout=timeout,
        tz=ZoneInfo(account.time_zone),
        hooks=hooks,
    )


def _helpcrunch(account: VendorAccount, hooks: Hooks | None, timeout: float) -> HelpCrunchClient:
    return HelpCrunchClient(
        _reveal(account.api_secret), base_url=account.base_url, timeout=timeout, hooks=hooks
    )


def _bony(account: VendorAccount, hooks: Hooks | None, timeout: float) -> BonyClient:
    return BonyClient(
        _reveal(account.api_secret),
        base_url=account.base_url,
        viber=account.is_viber,
        timeout=timeout,
        hooks=hooks,
    )


ADAPTERS: dict[str, VendorAdapter] = {
    Vendor.THULIUM: VendorAdapter(
        Vendor.THULIUM,
        build=_thulium,
        read_contact=lambda client, vendor_id: thulium.customer_row(client.get_customer(vendor_id)),
        sync=lambda run, client: thulium.ThuliumSync(run, client)(),
    ),
    Vendor.HELPCRUNCH: VendorAdapter(
        Vendor.HELPCRUNCH,
        build=_helpcrunch,
        read_contact=lambda client, vendor_id: helpcrunch.customer_row(
            client.get_customer(vendor_id)
        ),
        sync=lambda run, client: helpcrunch.HelpCrunchSync(run, client)(),
    ),
    Vendor.BONY: VendorAdapter(
        Vendor.BONY,
        build=_bony,
        read_contact=lambda client, vendor_id: bony.contact_row(client.get_contact(vendor_id)),
        sync=lambda run, client: bony.BonySync(run, client)(),
    ),
}


def adapter_for(vendor: str) -> VendorAdapter:
    return ADAPTERS[vendor]


def vendor_client_build(*, account: VendorAccount, hooks: Hooks | None = None) -> VendorClient:
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
    return adapter_for(account.vendor).build(account, hooks, timeout)
