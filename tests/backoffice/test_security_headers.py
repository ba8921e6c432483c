"""The security headers on the admin's pages, in development and in production."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
import json, re
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", "--noinput", verbosity=0)  # as `runstack` does in production
host = {"host": "backoffice.example.org"}
response = Client().get("/admin/login/", secure=True, headers=host)
plain = Client().get("/admin/login/", headers=host)
cookie = response.cookies["csrftoken"]
stylesheet = re.search(r'href="(/static/backoffice/admin[^"]*[.]css)"', response.content.decode())
css = Client().get(stylesheet[1], secure=True, headers={**host, "accept-encoding": "gzip"})
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "csrf_cookie": {"secure": bool(cookie["secure"]), "httponly": bool(cookie["httponly"])},
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "stylesheet": stylesheet[1],
    "css": {"status": css.status_code, "headers": dict(css.headers)},
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


def test_it_sends_hsts_and_secure_cookies_in_production(tmp_path: Path) -> None:
    result = run_python(
        PRODUCTION_LOGIN_PAGE,
        {**PRODUCTION_ENV, "DATABASE_URL": "sqlite://", "STATIC_ROOT": str(tmp_path)},
    )
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


def test_it_serves_the_collected_static_files_hashed_compressed_and_cached_for_good(
    tmp_path: Path,
) -> None:
    result = run_python(
        PRODUCTION_LOGIN_PAGE,
        {**PRODUCTION_ENV, "DATABASE_URL": "sqlite://", "STATIC_ROOT": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)

    # The page names the file by its content hash, so a new release is never served stale.
    assert re.fullmatch(r"/static/backoffice/admin\.[0-9a-f]{12}\.css", seen["stylesheet"])
    css = seen["css"]
    assert css["status"] == 200
    assert css["headers"]["Content-Encoding"] == "gzip"
    assert "immutable" in css["headers"]["Cache-Control"]


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
