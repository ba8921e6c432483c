"""What the vendors' typed objects share: the tolerant readers every parser is built from.

Shapes the vendors document are read into fields; anything else the vendor sends is kept, as
received, in ``raw``. Missing optional keys become None (or an empty collection); only a missing
identifier makes a record unusable, and that raises ``TransportError`` (not retryable: the same
response would come back).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.errors import TransportError

__all__ = [
    "Raw",
    "as_mapping",
    "list_items",
    "opt_int",
    "opt_str",
    "require_int",
    "unexpected",
    "unwrap",
]

Raw = dict[str, Any]


def unexpected(what: str) -> TransportError:
    return TransportError(
        f"unexpected response from the vendor: {what}", sent=True, retryable=False
    )


def as_mapping(value: object, what: str) -> Raw:
    if not isinstance(value, Mapping):
        raise unexpected(f"{what} is not an object")
    return dict(value)


def unwrap(body: object, what: str, key: str = "data") -> Raw:
    """An object, or the object under ``data`` when the vendor wraps it."""
    data = as_mapping(body, what)
    inner = data.get(key)
    return dict(inner) if isinstance(inner, Mapping) else data


def list_items(body: object, keys: tuple[str, ...]) -> list[Any]:
    """The items of a list response: a bare array, or the array under one of ``keys``."""
    if isinstance(body, list):
        return body
    if isinstance(body, Mapping):
        for key in keys:
            if isinstance(body.get(key), list):
                return list(body[key])
        if not body:
            return []
    if body is None:
        return []
    raise unexpected(f"no list under any of {', '.join(keys)}")


def opt_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def opt_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def require_int(data: Mapping[str, Any], *keys: str) -> int:
    for key in keys:
        value = opt_int(data.get(key))
        if value is not None:
            return value
    raise unexpected(f"no numeric {' or '.join(keys)}")
