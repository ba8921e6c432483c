"""Account base URLs: HTTPS to the vendor's own hosts only; loopback only when settings allow it.

The same policy is applied when an account is saved and again before every vendor call.
"""

from __future__ import annotations

import pytest

from backoffice.models import OperationState, VendorAccount
from backoffice.vendors import Vendor, base_url_problem
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.operations import calls_of, enqueue_one
from tests.factories import ContactFactory, UserFactory

REFUSED = [
    # (vendor, URL, words of the refusal)
    (Vendor.THULIUM, "https://evil.thulium.com.attacker.net/api", "*.thulium.com"),
    (Vendor.THULIUM, "https://thulium.com.evil.io/api", "*.thulium.com"),
    (Vendor.THULIUM, "https://eviltHulium.com/api", "*.thulium.com"),
    (Vendor.THULIUM, "https://thulium.com/api", "*.thulium.com"),
    (Vendor.THULIUM, "https://.thulium.com/api", "*.thulium.com"),
    (Vendor.THULIUM, "https://a..thulium.com/api", "*.thulium.com"),
    (Vendor.THULIUM, "https://evil.net%2f.thulium.com/api", "*.thulium.com"),
    (Vendor.THULIUM, "https://acme.thulium.com@evil.net/api", "credentials"),
    (Vendor.THULIUM, "https://@acme.thulium.com/api", "credentials"),
    (Vendor.THULIUM, "https://acme.thulium.com:pw@evil.net/api", "credentials"),
    (Vendor.THULIUM, "https://evil.net#@acme.thulium.com/api", "query string or fragment"),
    (Vendor.THULIUM, "https://evil.net?@acme.thulium.com/api", "query string or fragment"),
    (Vendor.THULIUM, "https://acme.thulium.com/api?", "query string or fragment"),
    (Vendor.THULIUM, "https://evil.net\\.thulium.com/api", "backslashes"),
    (Vendor.THULIUM, "https://evil.net\\@acme.thulium.com/api", "backslashes"),
    (Vendor.THULIUM, "https://acme.thulium.com\t.evil.net/api", "control characters"),
    (Vendor.THULIUM, "https://acme.thulium.com /api", "spaces"),
    (Vendor.THULIUM, "http://acme.thulium.com/api", "must use https"),
    (Vendor.THULIUM, "ftp://acme.thulium.com/api", "must use https"),
    (Vendor.THULIUM, "//acme.thulium.com/api", "must use https"),
    (Vendor.THULIUM, "https://acme.thulium.com:8443/api", "port"),
    (Vendor.THULIUM, "https://acme.thulium.com:0/api", "port"),
    (Vendor.THULIUM, "https://acme.thulium.com:99999/api", "port"),
    (Vendor.THULIUM, "https://acme.thulium.com./api", "trailing dot"),
    (Vendor.HELPCRUNCH, "https://api.helpcrunch.com./v1", "trailing dot"),
    (Vendor.THULIUM, "https://acme.thulium.com.", "trailing dot"),
    # Homoglyphs: a Greek upsilon for the "u", a Cyrillic "a" for the "a".
    (Vendor.THULIUM, "https://acme.thuli\u03c5m.com/api", "ASCII form"),
    (Vendor.HELPCRUNCH, "https://\u0430pi.helpcrunch.com/v1", "ASCII form"),
    (Vendor.THULIUM, "https://acme.xn--thulim-k5e.com/api", "*.thulium.com"),
    (Vendor.HELPCRUNCH, "https://api.helpcrunch.com.evil.net/v1", "api.helpcrunch.com"),
    (Vendor.HELPCRUNCH, "https://x.api.helpcrunch.com/v1", "api.helpcrunch.com"),
    (Vendor.HELPCRUNCH, "https://app.bony.chat/api/v1", "api.helpcrunch.com"),
    (Vendor.BONY, "https://api.helpcrunch.com/v1", "app.bony.chat"),
    (Vendor.BONY, "https://evil.app.bony.chat/api/v1", "app.bony.chat"),
    # Loopback while the setting is off.
    (Vendor.HELPCRUNCH, "http://127.0.0.1:8900/helpcrunch/v1", "must use https"),
    (Vendor.HELPCRUNCH, "https://127.0.0.1/helpcrunch/v1", "api.helpcrunch.com"),
    (Vendor.HELPCRUNCH, "http://localhost:8900/helpcrunch/v1", "must use https"),
    (Vendor.HELPCRUNCH, "https://localhost/helpcrunch/v1", "api.helpcrunch.com"),
    (Vendor.BONY, "http://[::1]:8900/bony/api/v1", "must use https"),
    (Vendor.BONY, "https://[::1]/bony/api/v1", "app.bony.chat"),
    (Vendor.BONY, "https://[::ffff:127.0.0.1]/bony/api/v1", "app.bony.chat"),
    # A bracketed host that is no IPv6 address: refused in words, never a server error.
    (Vendor.HELPCRUNCH, "https://[::1", "not a host name or an IP address"),
    (Vendor.HELPCRUNCH, "https://[:1]/api", "not a host name or an IP address"),
    (Vendor.THULIUM, "http://[127.0.0.1:1]/", "not a host name or an IP address"),
]

ACCEPTED = [
    (Vendor.THULIUM, "https://acme.thulium.com/api"),
    (Vendor.THULIUM, "https://sklep-abc.thulium.com/api"),
    (Vendor.THULIUM, "https://ACME.Thulium.COM/api"),  # host names are case-insensitive
    (Vendor.THULIUM, "https://xn--d-ida.thulium.com/api"),  # an international name, as xn--
    (Vendor.THULIUM, "https://acme.thulium.com:443/api"),
    (Vendor.HELPCRUNCH, "https://api.helpcrunch.com/v1"),
    (Vendor.BONY, "https://app.bony.chat/api/v1"),
]

LOOPBACK = [
    "http://127.0.0.1:8900/helpcrunch/v1",
    "https://127.0.0.1:8900/helpcrunch/v1",
    "http://127.5.6.7/helpcrunch/v1",
    "http://localhost:8900/helpcrunch/v1",
    "http://[::1]:8900/helpcrunch/v1",
    "http://[::ffff:127.0.0.1]:8900/helpcrunch/v1",
]


@pytest.mark.parametrize(("vendor", "url", "words"), REFUSED)
def test_it_refuses_base_urls_off_the_vendor_hosts(vendor: str, url: str, words: str) -> None:
    problem = base_url_problem(vendor, url, allow_loopback=False)
    assert problem is not None, url
    assert words in problem


@pytest.mark.parametrize(("vendor", "url"), ACCEPTED)
def test_it_accepts_https_on_the_vendor_hosts(vendor: str, url: str) -> None:
    assert base_url_problem(vendor, url, allow_loopback=False) is None


@pytest.mark.parametrize("url", LOOPBACK)
def test_it_accepts_loopback_only_when_the_sandbox_is_allowed(url: str) -> None:
    assert base_url_problem(Vendor.HELPCRUNCH, url, allow_loopback=True) is None
    assert base_url_problem(Vendor.HELPCRUNCH, url, allow_loopback=False) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1.evil.net/helpcrunch/v1",
        "http://localhost.evil.net/helpcrunch/v1",
        "http://localhost./helpcrunch/v1",
        "http://127.1/helpcrunch/v1",  # resolvers read it as 127.0.0.1; refused rather than guessed
        "http://0x7f000001/helpcrunch/v1",
        "http://10.0.0.1:8900/helpcrunch/v1",
        "http://[::2]:8900/helpcrunch/v1",
        "http://user@127.0.0.1:8900/helpcrunch/v1",
    ],
)
def test_it_takes_only_real_loopback_addresses_for_the_sandbox(url: str) -> None:
    assert base_url_problem(Vendor.HELPCRUNCH, url, allow_loopback=True) is not None


@pytest.mark.django_db
def test_it_refuses_to_call_an_account_whose_url_the_deployment_no_longer_allows(
    settings, sandbox: SandboxHandle
) -> None:
    # Saved while the sandbox was allowed; the deployment then turned loopback off.
    account = VendorAccount.objects.create(
        vendor=Vendor.BONY,
        name="Old sandbox",
        base_url=sandbox.bony_url,
        api_secret="sandbox",
        channel_kind="messenger",
    )
    contact = ContactFactory(account=account, vendor_id="1")
    settings.ALLOW_LOOPBACK_VENDOR_URLS = False

    operation = enqueue_one(
        actor=UserFactory(),
        action="add_tags",
        target=contact,
        params={"tags": [{"name": "vip"}]},
    )

    assert operation.state == OperationState.FAILED
    assert "Old sandbox: Vendor URLs must use https." in operation.last_error
    assert calls_of(operation) == []
    assert sandbox.received() == []
