"""Batched upserts: a page of vendor records in a few statements, never a query per row.

``bulk_create(update_conflicts=True)`` is ``INSERT … ON CONFLICT … DO UPDATE`` on PostgreSQL and
SQLite alike. Rows are first compared with what is stored, so each is counted as created,
updated or unchanged; unchanged rows only get their "seen" time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models

from backoffice.sync.run import Counts


@dataclass
class Upserted:
    counts: Counts
    ids: dict[str, int]  # vendor id -> primary key, for every row of the batch
    changed: set[str] = field(default_factory=set)  # vendor ids created or updated


def rows_upsert(
    model: type[models.Model],
    *,
    scope: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    compare: Sequence[str] | None = None,
    seen_at: datetime | None = None,
    changed_anyway: set[str] | frozenset[str] = frozenset(),
) -> Upserted:
    """Insert or update ``rows`` (field values with ``vendor_id``) within ``scope`` (the parent:
    ``{"account_id": 3}``), unique on the scope and ``vendor_id``.

    A row is updated when one of ``compare`` (by default every field of the rows) differs, or
    when it was flagged vanished (it is back), or its vendor id is in ``changed_anyway`` (a
    change stored elsewhere, such as its tags). With ``seen_at``, the model's
    ``last_synced_at`` is set and ``vanished_at`` cleared on every row of the batch.
    """
    if not rows:
        return Upserted(Counts(), {})
    by_key = {str(row["vendor_id"]): row for row in rows}  # a later repeat wins
    if compare is None:
        compare = [name for name in rows[0] if name != "vendor_id"]
    keys = list(by_key)
    tracks_vanishing = seen_at is not None
    wanted = ["pk", "vendor_id", *compare, *(["vanished_at"] if tracks_vanishing else [])]
    stored = {
        str(values["vendor_id"]): values
        for values in model._default_manager.filter(**scope, vendor_id__in=keys).values(*wanted)
    }
    counts = Counts()
    write: list[models.Model] = []
    unchanged_pks: list[int] = []
    changed: set[str] = set()
    stamps: dict[str, Any] = (
        {"last_synced_at": seen_at, "vanished_at": None} if tracks_vanishing else {}
    )
    for key, row in by_key.items():
        old = stored.get(key)
        if old is None:
            counts.created += 1
        elif (
            key in changed_anyway
            or any(old[name] != row[name] for name in compare)
            or (tracks_vanishing and old["vanished_at"] is not None)
        ):
            counts.updated += 1
        else:
            counts.unchanged += 1
            unchanged_pks.append(old["pk"])
            continue
        changed.add(key)
        write.append(model(**scope, **row, **stamps))
    if write:
        update_fields = [name for name in [*rows[0], *stamps] if name != "vendor_id"]
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            update_fields.append("updated_at")
        model._default_manager.bulk_create(
            write,
            update_conflicts=True,
            unique_fields=[*(name.removesuffix("_id") for name in scope), "vendor_id"],
            update_fields=update_fields,
        )
    if unchanged_pks and tracks_vanishing:
        model._default_manager.filter(pk__in=unchanged_pks).update(last_synced_at=seen_at)
    ids = dict(
        model._default_manager.filter(**scope, vendor_id__in=keys).values_list("vendor_id", "pk")
    )
    return Upserted(counts, {str(k): v for k, v in ids.items()}, changed)
