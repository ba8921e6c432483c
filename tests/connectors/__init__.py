"""Wire tests for the vendor clients: HTTP faked at the socket level with ``responses``."""

from __future__ import annotations

import json
from typing import Any

import requests

# The vendor a bare Transport stands for in the transport and error tests.
BASE = "https://api.example.test/v1"
TOKEN = "tok-3f9a8b7c6d5e"


def sent_json(request: requests.PreparedRequest) -> Any:
    body = request.body
    assert isinstance(body, bytes)
    return json.loads(body.decode("utf-8"))


def body_bytes(request: requests.PreparedRequest) -> bytes:
    body = request.body
    assert isinstance(body, bytes), f"expected bytes, got {type(body).__name__}"
    return body


def everything_said(*objects: object) -> str:
    """All the text a secret could leak through: str, repr and args of each object."""
    parts: list[str] = []
    for obj in objects:
        parts += [str(obj), repr(obj)]
        if isinstance(obj, BaseException):
            parts += [repr(a) for a in obj.args]
            parts += [str(v) for v in vars(obj).values()]
    return "\n".join(parts)
