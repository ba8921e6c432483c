"""The Content-Security-Policy header, which Django 5.2 does not set itself, the page a
locked-out login sees, and the login backend that refuses the demo's password in production.

One fixed policy for every response (``settings.CONTENT_SECURITY_POLICY``): the admin and the
back-office's own pages load scripts and styles from this origin only and run no inline script,
so markup that slipped into a page (a vendor's HTML, a name with a tag in it) can neither run nor
load anything. A view that needs another policy sets the header itself and keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

HEADER = "Content-Security-Policy"
LOCKOUT_TEMPLATE = "admin/locked_out.html"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = str(settings.CONTENT_SECURITY_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and HEADER not in response:
            response[HEADER] = self.policy
        return response


def login_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The page a locked-out login gets instead of the login form (django-axes' lockout hook):
    who is locked out, for how long, and what to do, in the admin's own layout."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cooloff.total_seconds() / 60))
    context = {
        **admin.site.each_context(request),
        "title": gettext("Too many failed logins"),
        "username": (credentials or {}).get("username") or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
    }
    return render(request, LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)


class DemoPasswordRefusedBackend(ModelBackend):
    """Django's own login check, except that outside DEBUG the demo's published password
    (``backoffice.demo``) never logs anyone in: a database that began as a demo and reached
    production keeps no door open with a password printed in the README."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        from backoffice.demo import DEMO_PASSWORD

        if not settings.DEBUG and password == DEMO_PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
