"""Vendor credentials encrypted at rest (Fernet, with key rotation through MultiFernet).

``settings.FIELD_ENCRYPTION_KEYS`` lists keys newest first: the first encrypts, every one decrypts,
so a new key can be put in front and old rows re-encrypted at leisure
(``manage.py reencrypt_credentials``).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class Secret:
    """A decrypted credential that never shows itself by accident.

    ``str()``, ``repr()`` and templates see a mask; only ``reveal()`` gives the plaintext, and only
    the code that builds a vendor client calls it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


class CredentialDecryptionError(ImproperlyConfigured):
    """A stored credential was encrypted with a key that is no longer configured."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must hold url-safe base64 Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise CredentialDecryptionError(
            "A stored credential cannot be decrypted with the configured FIELD_ENCRYPTION_KEY; "
            "keep the old key in the list until `manage.py reencrypt_credentials` has run."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (old keys must still be configured)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")
