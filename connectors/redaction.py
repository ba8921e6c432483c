"""What the transport takes out of every text it hands to a hook or puts in an error.

Two kinds of secret:

- strings: the credential the client authenticates with (``auth.secrets``) and the values a
  request's JSON body carries under a sensitive key; each is replaced wherever it appears, as
  ``[redacted]``. Strings shorter than four characters are left alone (an API login of "ab"
  replaced everywhere would garble the record without protecting anything).
- sensitive JSON keys (e.g. Thulium's ``http_auth_password``, the Basic password a webhook
  registration hands the vendor): in any JSON text, the string value of such a key is shown as
  ``"[redacted]"`` whatever its length or escapes, in request and response bodies alike, so the
  passwords a ``GET webhooks`` lists are hidden too. An empty value stays empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Final

from connectors.auth import REDACTED

__all__ = ["MIN_SECRET_LENGTH", "Scrubber", "values_under"]

MIN_SECRET_LENGTH: Final = 4
_JSON_STRING: Final = r'"(?:[^"\\]|\\.)+"'  # a non-empty JSON string literal


def values_under(obj: object, keys: frozenset[str]) -> list[str]:
    """Every string value found under one of ``keys``, at any depth of a JSON value."""
    found: list[str] = []
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if key in keys and isinstance(value, str):
                found.append(value)
            else:
                found += values_under(value, keys)
    elif isinstance(obj, list | tuple):
        for item in obj:
            found += values_under(item, keys)
    return found


class Scrubber:
    """Replaces the secrets it was given, longest first, and the values of sensitive keys."""

    def __init__(self, secrets: Iterable[str] = (), keys: Iterable[str] = ()) -> None:
        self.keys = frozenset(keys)
        self.secrets = tuple(
            sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        )
        names = "|".join(re.escape(json.dumps(k)[1:-1]) for k in sorted(self.keys))
        self._pattern = re.compile(rf'("(?:{names})"\s*:\s*){_JSON_STRING}') if self.keys else None

    def with_body(self, body: object) -> Scrubber:
        """This scrubber plus the values ``body`` (a request's JSON) holds under its keys."""
        extra = values_under(body, self.keys) if self.keys else []
        if not extra:
            return self
        return Scrubber((*self.secrets, *extra), self.keys)

    def __call__(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(rf'\1"{REDACTED}"', text)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text
