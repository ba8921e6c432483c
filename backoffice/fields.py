from __future__ import annotations

from typing import Any

from django.db import models

from backoffice import crypto
from backoffice.crypto import Secret


class EncryptedSecretField(models.TextField):
    """A credential stored as a Fernet token; Python code sees a :class:`Secret`.

    The column holds only ciphertext. Lookups other than ``isnull`` are meaningless on it (the
    same plaintext encrypts differently every time) and nothing in the project filters on it.
    An empty value is stored as NULL, so "set / not set" is a cheap ``isnull`` check.
    """

    description = "Encrypted secret"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secret | None:
        if value is None:
            return None
        return Secret.from_token(value)

    def to_python(self, value: Any) -> Secret | None:
        if value is None or isinstance(value, Secret):
            return value
        return Secret(str(value)) if str(value) else None

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        plaintext = value.reveal() if isinstance(value, Secret) else str(value)
        if not plaintext:
            return None
        return crypto.encrypt(plaintext)

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisation (dumpdata) must never write plaintext; the ciphertext is not useful
        # without the key either, so write nothing.
        return ""
