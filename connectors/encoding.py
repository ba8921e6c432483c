"""How the values a client sends become bytes on the wire, and how much of a body is kept.

JSON bodies, query strings and path segments are encoded one way only, here, so what a vendor
receives is predictable (and what the wire tests compare byte for byte). ``connectors.transport``
re-exports these names, where the clients have always found them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote

__all__ = [
    "BODY_LIMIT",
    "JSON_CONTENT_TYPE",
    "OCTET_STREAM",
    "encode_json",
    "encode_query",
    "path_segment",
    "truncate",
]

JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"
OCTET_STREAM: Final = "application/octet-stream"
BODY_LIMIT: Final = 8192


def encode_json(obj: object) -> bytes:
    """JSON encoded once, compact, UTF-8: Content-Length is then the byte length."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def encode_query(pairs: Iterable[tuple[str, str]]) -> str:
    """``k=v&...`` with spaces as ``%20`` and ``+`` as ``%2B`` (not form-style ``+``).

    Everything but unreserved characters is percent-encoded, keys included: ``status_id[]``
    goes out as ``status_id%5B%5D`` (which is what urllib3 would make of it anyway, and what PHP
    decodes back to an array parameter).
    """
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def path_segment(value: object) -> str:
    """One path segment, percent-encoded (a ``/`` in an id must not change the path)."""
    return quote(str(value), safe="")


def truncate(text: str, limit: int = BODY_LIMIT) -> str:
    """A body as the audit trail keeps it: the first ``limit`` characters, and the full length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated: {len(text)} characters in all]"
