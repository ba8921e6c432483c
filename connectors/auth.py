"""Authentication applied by the transport: one ``Authorization`` header, never shown.

Auth is passed per request (not stored in ``session.headers``), which also stops requests from
substituting credentials from a ``~/.netrc`` file. Each auth object lists the strings that must
never appear in an audit record or an error (``secrets``); the transport scrubs them.
"""

from __future__ import annotations

import base64
from typing import Final

import requests
from requests.auth import AuthBase

__all__ = ["REDACTED", "BasicAuth", "BearerAuth"]

REDACTED: Final = "[redacted]"


class _HeaderAuth(AuthBase):
    """Sets ``Authorization`` on each request; its repr never shows the value."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = self._value
        return r

    def __repr__(self) -> str:
        return f"{type(self).__name__}({REDACTED})"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The header value and the credential after its scheme (a Bearer token as given)."""
        return (self._value, self._value.split(" ", 1)[-1])


class BasicAuth(_HeaderAuth):
    """HTTP Basic, as Thulium's API users authenticate."""

    def __init__(self, username: str, password: str) -> None:
        pair = f"{username}:{password}".encode()
        super().__init__("Basic " + base64.b64encode(pair).decode("ascii"))
        self._username = username
        self._password = password

    @property
    def secrets(self) -> tuple[str, ...]:
        # The API user's login is half of the credential (a vendor that echoes a refused Basic
        # header decodes it as "login:password"): it is scrubbed like the password.
        return (*super().secrets, self._username, self._password)


class BearerAuth(_HeaderAuth):
    """``Authorization: Bearer <token>``, as HelpCrunch and Bony.chat expect."""

    def __init__(self, token: str) -> None:
        super().__init__(f"Bearer {token}")
