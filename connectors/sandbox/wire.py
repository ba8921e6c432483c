"""HTTP-agnostic request/response values, routing and the error every vendor renders its own way.

The vendor modules never touch sockets: they turn a `Request` into a `Response`, raising `Problem`
for anything a vendor would refuse. Each vendor's `render()` turns a `Problem` into that vendor's
error envelope, so one validation helper serves all three wire formats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qs, unquote

JSON_TYPE = "application/json"
# Codes that name a kind of refusal rather than a field (Thulium words its messages differently).
NOT_FOUND, METHOD_NOT_ALLOWED, INVALID_JSON = "not_found", "method_not_allowed", "invalid_json"
SLUGS = frozenset({NOT_FOUND, METHOD_NOT_ALLOWED, INVALID_JSON})


class Problem(Exception):
    """A refusal: an HTTP status plus `(code, message)` pairs a vendor renders in its own format.

    `code` is a field name or short slug (HelpCrunch shows it, Thulium and Bony do not).
    """

    def __init__(self, status: int, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors: list[tuple[str | None, str]] = [(code, message)]

    @property
    def message(self) -> str:
        return self.errors[0][1]


@dataclass(frozen=True)
class Request:
    """One request as a vendor sees it: `segments` is the path below the vendor's mount point,
    split on `/` *before* percent-decoding each segment (Bony's Viber ids may contain `/`)."""

    method: str
    segments: tuple[str, ...]
    query: Mapping[str, Sequence[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host[:port]/mount, as the client addressed it

    @classmethod
    def parse(
        cls,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        base_url: str,
    ) -> Request:
        """A request from its raw path below the mount point and its raw query string."""
        return cls(
            method=method,
            segments=tuple(unquote(s) for s in path.split("/") if s),
            query=parse_qs(query, keep_blank_values=True),
            headers=headers,
            body=body,
            base_url=base_url,
        )

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def params(self, name: str) -> list[str]:
        return list(self.query.get(name, ()))

    def json(self, *, empty: object = None) -> object:
        """The body parsed as JSON whatever the Content-Type says (see the package docstring)."""
        if not self.body.strip():
            return empty
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Problem(400, "The request body is not valid JSON.", code=INVALID_JSON) from exc

    def json_object(self) -> dict[str, object]:
        payload = self.json(empty={})
        if not isinstance(payload, dict):
            raise Problem(400, "The request body must be a JSON object.", code=INVALID_JSON)
        return payload


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: object, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body)


Handler = Callable[[Request, tuple[str, ...]], Response]


@dataclass(frozen=True)
class Route:
    """`pattern` segments are literals, or `*` for a captured path segment."""

    method: str
    pattern: tuple[str, ...]
    handler: Handler


def route(method: str, path: str, handler: Handler) -> Route:
    return Route(method, tuple(s for s in path.split("/") if s), handler)


def dispatch(
    routes: Sequence[Route], request: Request, *, not_found: str, not_allowed: str
) -> Response:
    """Call the first route matching method and path; 404 / 405 as `Problem`s otherwise."""
    path_matched = False
    for candidate in routes:
        if len(candidate.pattern) != len(request.segments):
            continue
        captured: list[str] = []
        for literal, actual in zip(candidate.pattern, request.segments, strict=True):
            if literal == "*":
                captured.append(actual)
            elif literal != actual:
                break
        else:
            if candidate.method == request.method:
                return candidate.handler(request, tuple(captured))
            path_matched = True
    if path_matched:
        raise Problem(405, not_allowed, code=METHOD_NOT_ALLOWED)
    raise Problem(404, not_found, code=NOT_FOUND)


def paging(request: Request, *, default_limit: int = 100, max_limit: int = 100) -> tuple[int, int]:
    """`offset` + `limit` from the query string, as Thulium and HelpCrunch page (limit ≤ 100)."""
    offset = _non_negative(request.param("offset"), "offset", 0)
    limit = _non_negative(request.param("limit"), "limit", default_limit)
    if limit < 1 or limit > max_limit:
        raise Problem(400, f"This value should be between 1 and {max_limit}.", code="limit")
    return offset, limit


def _non_negative(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise Problem(400, "This value should be of type numeric.", code=name)
    return int(raw)


def require_str(payload: Mapping[str, object], name: str, *, code: str | None = None) -> str:
    """A required, non-blank string field."""
    value = payload.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Problem(400, "This value should not be blank.", code=code or name)
    if not isinstance(value, str):
        raise Problem(400, "This value should be of type string.", code=code or name)
    return value


class VendorApi(Protocol):
    """What the server needs from each simulated vendor."""

    name: str
    mount: str

    def credential(self, headers: Mapping[str, str]) -> str | None:
        """The credential's identity (rate limits are counted per credential), None if invalid."""

    def unauthorized(self) -> Response: ...

    def too_many_requests(self) -> Response: ...

    def render(self, problem: Problem) -> Response:
        """A refusal in the vendor's own error format."""

    def handle(self, request: Request) -> Response: ...


def bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
