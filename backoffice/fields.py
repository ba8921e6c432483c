from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from backoffice import crypto
from backoffice.compression import (
    HELD,
    ChainedText,
    HeldText,
    PairedText,
    Stored,
    compress_held,
    compress_text,
    read_stored,
)
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


# Values that are already the column's bytes (or were read from it as they are).
_STORED = (bytes, memoryview, ChainedText, PairedText, HeldText)


class CompressedTextField(models.BinaryField):
    """Text stored compressed (``backoffice.compression``); Python code sees a ``str``.

    For write-once text nothing filters on: audit bodies. Lookups compare the stored bytes, so
    none but ``isnull`` means anything.

    ``chained_to`` names a text field of the same row to compress against (response headers
    against the vendor request id): a ``save()`` stores it so, and a query's ``update()`` may
    pass the stored bytes (``compress_text(text, context=...)``). Read from the database, such a
    value is a ``ChainedText`` until the model gives it the other field's text
    (``ApiCall.from_db``); ``values()`` of it alone therefore returns the ``ChainedText``.

    ``held_by`` (on a request body) and ``holds`` (on its response body) name the two fields of
    a pair stored as one stream (``compression.compress_pair``, version 3) once both have text:
    the response column holds both texts, the request column the marker ``HELD``. A ``save()``
    stores them so; a query's ``update()`` passes ``compress_pair``'s two values. Read from the
    database, the response column is a ``PairedText`` and the request column ``HELD_TEXT``
    until the model gives each its text (``ApiCall.from_db``), so ``values()`` of them return
    those. Rows written before (version 1, version 2 against the request body, plain text) read
    as they always did.
    """

    description = "Compressed text"
    # What Python code sets and reads (django-stubs' names), not the bytes BinaryField's are.
    _pyi_private_set_type: str
    _pyi_private_get_type: str  # type: ignore[assignment]

    def __init__(
        self,
        *args: Any,
        chained_to: str | None = None,
        held_by: str | None = None,
        holds: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("default", "")
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)
        self.editable = False
        self.chained_to = chained_to
        self.held_by = held_by
        self.holds = holds

    def deconstruct(self) -> Any:
        # chained_to, held_by and holds are how values are written, not the column: migrations
        # need not know them.
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def _check_str_default_value(self) -> list[Any]:
        return []  # the default is text, like the values: it is compressed on the way in

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Stored | None:
        return None if value is None else read_stored(value)

    def to_python(self, value: Any) -> Stored | None:
        if value is None or isinstance(value, ChainedText | PairedText | HeldText):
            return value
        return read_stored(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if value is None or isinstance(value, _STORED):
            return value
        # A pair is one stream only when both are texts to store (not bytes given as stored).
        if self.held_by is not None:  # a request body: the marker once the pair is one stream
            response = getattr(model_instance, self.held_by)
            return HELD if value and response and isinstance(response, str) else value
        if self.holds is not None:  # a response body: with its request's text, if it has one
            request = getattr(model_instance, self.holds)
            if value and request and isinstance(request, str):
                return compress_held(request, self._text(value))
            return value
        if self.chained_to is None:
            return value
        return self.stored(value, context=getattr(model_instance, self.chained_to) or "")

    def stored(self, value: Any, *, context: str = "") -> bytes:
        """``value`` as the column holds it, compressed against ``context``."""
        return compress_text(self._text(value), context=context)

    def resolve(self, chained: ChainedText, context: str) -> Any:
        """The value of a ``ChainedText`` read from the column, given its context."""
        return self._value(chained.text(context))

    def _text(self, value: Any) -> str:
        return str(value)

    def _value(self, text: str) -> Any:
        return text

    def get_prep_value(self, value: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytes | memoryview):
            return bytes(value)
        if isinstance(value, ChainedText):
            return value.data
        if isinstance(value, HeldText):
            return HELD
        if isinstance(value, PairedText):
            return compress_held(value.request, value.response)
        return self.stored(value)

    def value_to_string(self, obj: models.Model) -> str:
        return str(self.value_from_object(obj) or "")


class CompressedJSONField(CompressedTextField):
    """A JSON document stored compressed: HTTP headers. Python code sees dicts and lists.

    ``chained_to`` works as for text: response headers are stored against the call's vendor
    request id, which is most often their ``x-request-id`` (then stored once, not twice).
    """

    description = "Compressed JSON"
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else self._load(value)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, dict | list | ChainedText | PairedText | HeldText):
            return value
        return self._load(value)

    def _text(self, value: Any) -> str:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))

    def _value(self, text: str) -> Any:
        return json.loads(text) if text else {}

    def _load(self, value: Any) -> Any:
        stored = read_stored(value)
        return self._value(stored) if isinstance(stored, str) else stored

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)
