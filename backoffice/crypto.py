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
    """A credential that never shows itself by accident.

    ``str()``, ``repr()`` and templates see a mask; only ``reveal()`` gives the plaintext, and only
    the code that builds a vendor client (or re-encrypts the row) calls it. A secret read from the
    database keeps its ciphertext and is decrypted on first ``reveal()``: loading an account with a
    page of contacts decrypts nothing.
    """

    __slots__ = ("_plaintext", "_token")

    def __init__(self, value: str) -> None:
        self._plaintext: str | None = value
        self._token: str | None = None

    @classmethod
    def from_token(cls, token: str) -> Secret:
        secret = cls.__new__(cls)
        secret._plaintext = None
        secret._token = token
        return secret

    def reveal(self) -> str:
        if self._plaintext is None:
            assert self._token is not None
            self._plaintext = decrypt(self._token)
        return self._plaintext

    def __bool__(self) -> bool:
        # A stored token always holds a non-empty value (empty credentials are stored as NULL).
        return self._token is not None or bool(self._plaintext)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self.reveal() == other.reveal()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.reveal())

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


class CredentialDecryptionError(ImproperlyConfigured):
    """A stored credential was encrypted with a key that is no longer configured."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    # The settings refuse a malformed key at start, so every key here is a Fernet key.
    return MultiFernet([Fernet(key.encode()) for key in keys])


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
