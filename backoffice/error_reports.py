"""Error reports that mask credentials on the DEBUG page too.

Django masks the POST fields a view marks with ``sensitive_post_parameters`` (the account form's
credentials) only when DEBUG is off; a development machine's error page would show them. An
error page is no place for a credential either way, so the masking is always on.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class CredentialMaskingFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True
