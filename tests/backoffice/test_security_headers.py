"""The security headers on the admin's pages, in development and in production."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.backoffice.test_settings import PRODUCTION_ENV, run_python

ADMIN_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp(response: object) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    header = response["Content-Security-Policy"]  # type: ignore[index]
    pairs = (part.strip().split(" ", 1) for part in header.split(";"))
    return {name: sources for name, sources in pairs}


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["admin:index", "admin:backoffice_contact_changelist"])
def test_it_sets_the_security_headers_on_admin_pages(owner_client: Client, page: str) -> None:
    response = owner_client.get(reverse(page))

    assert response.status_code == 200
    for name, value in ADMIN_HEADERS.items():
        assert response[name] == value, name
    policy = csp(response)
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"


@pytest.mark.django_db
def test_it_sets_them_on_the_login_page_too() -> None:
    response = Client().get(reverse("admin:login"))

    assert response.status_code == 200
    for name, value in ADMIN_HEADERS.items():
        assert response[name] == value, name
    assert csp(response)["script-src"] == "'self'"


PRODUCTION_LOGIN_PAGE = """
import json
import django
django.setup()
from django.test import Client
response = Client().get("/admin/login/", secure=True, headers={"host": "backoffice.example.org"})
plain = Client().get("/admin/login/", headers={"host": "backoffice.example.org"})
cookie = response.cookies["csrftoken"]
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "csrf_cookie": {"secure": bool(cookie["secure"]), "httponly": bool(cookie["httponly"])},
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
}))
"""

PRODUCTION_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in [
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE", "AXES_FAILURE_LIMIT",
]}))
"""


def test_it_sends_hsts_and_secure_cookies_in_production() -> None:
    result = run_python(PRODUCTION_LOGIN_PAGE, {**PRODUCTION_ENV, "DATABASE_URL": "sqlite://"})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)

    assert seen["status"] == 200
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    for name, value in ADMIN_HEADERS.items():
        assert headers[name] == value, name
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert seen["csrf_cookie"] == {"secure": True, "httponly": True}
    # Plain HTTP is sent to HTTPS.
    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://backoffice.example.org/admin/login/"


def test_it_marks_every_cookie_secure_and_http_only_in_production() -> None:
    result = run_python(PRODUCTION_SETTINGS, PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr

    assert json.loads(result.stdout) == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "AXES_FAILURE_LIMIT": 5,
    }
