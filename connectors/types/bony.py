"""Bony.chat's typed object: a contact, identified by a string id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.types.common import Raw, as_mapping, opt_int, opt_str, unexpected

__all__ = ["BonyContact"]


@dataclass(frozen=True)
class BonyContact:
    id: str
    custom_fields: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    created_at: int | None = None  # UNIX seconds
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: object) -> BonyContact:
        d = as_mapping(data, "contact")
        contact_id = opt_str(d.get("id"))
        if contact_id is None:
            raise unexpected("contact without an id")
        custom = d.get("custom_fields")
        tags = d.get("tags")
        return cls(
            id=contact_id,
            custom_fields=dict(custom) if isinstance(custom, Mapping) else {},
            tags=[str(t) for t in (tags if isinstance(tags, list) else []) if t is not None],
            created_at=opt_int(d.get("created_at")),
            raw=d,
        )
