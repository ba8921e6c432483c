"""The mirror's shared writing: batched upserts, vanished flags, and the rows' width checks.

Batched upserts: a page of vendor records in a few statements, never a query per row.

``bulk_create(update_conflicts=True)`` is ``INSERT … ON CONFLICT … DO UPDATE`` on PostgreSQL and
SQLite alike. Rows are first compared with what is stored, so each is counted as created,
updated or unchanged; unchanged rows only get their "seen" time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import models

from connectors.pagination import Malformed

# "failed": sent malformed (no id, a value too long); "refused": the vendor answered a 4xx for
# that one record (not 401, 403, 404 or 429) and kept it back.
COUNTS = ("created", "updated", "unchanged", "failed", "refused", "vanished")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    refused: int = 0
    vanished: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


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
    plan = _Plan(model, scope, compare, seen_at, changed_anyway)
    stored = plan.stored(keys)
    for key, row in by_key.items():
        plan.add(key, row, stored.get(key))
    plan.write(list(rows[0]))
    ids = plan.ids()
    if ids is None:  # a database that does not return the primary keys of a bulk insert
        ids = dict(
            model._default_manager.filter(**scope, vendor_id__in=keys).values_list(
                "vendor_id", "pk"
            )
        )
    return Upserted(plan.counts, {str(k): v for k, v in ids.items()}, plan.changed)


class _Plan:
    """What one batch writes: its rows compared with the stored ones, then one bulk statement
    for the created and updated, one for the unchanged rows' "seen" time."""

    def __init__(
        self,
        model: type[models.Model],
        scope: Mapping[str, Any],
        compare: Sequence[str],
        seen_at: datetime | None,
        changed_anyway: set[str] | frozenset[str],
    ) -> None:
        self.model, self.scope, self.compare = model, scope, compare
        self.seen_at, self.changed_anyway = seen_at, changed_anyway
        self.tracks_vanishing = seen_at is not None
        self.stamps: dict[str, Any] = (
            {"last_synced_at": seen_at, "vanished_at": None} if self.tracks_vanishing else {}
        )
        self.counts = Counts()
        self.write_rows: list[models.Model] = []
        self.unchanged_pks: list[int] = []
        self.changed: set[str] = set()
        self.stored_pks: dict[str, int] = {}

    def stored(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        wanted = ["pk", "vendor_id", *self.compare]
        if self.tracks_vanishing:
            wanted.append("vanished_at")
        rows = self.model._default_manager.filter(**self.scope, vendor_id__in=keys)
        return {str(values["vendor_id"]): values for values in rows.values(*wanted)}

    def add(self, key: str, row: Mapping[str, Any], old: dict[str, Any] | None) -> None:
        if old is not None:
            self.stored_pks[key] = old["pk"]
        if old is None:
            self.counts.created += 1
        elif (
            key in self.changed_anyway
            or any(old[name] != row[name] for name in self.compare)
            or (self.tracks_vanishing and old["vanished_at"] is not None)
        ):
            self.counts.updated += 1
        else:
            self.counts.unchanged += 1
            self.unchanged_pks.append(old["pk"])
            return
        self.changed.add(key)
        self.write_rows.append(self.model(**self.scope, **row, **self.stamps))

    def write(self, row_fields: list[str]) -> None:
        manager = self.model._default_manager
        if self.write_rows:
            update_fields = [name for name in [*row_fields, *self.stamps] if name != "vendor_id"]
            if any(f.name == "updated_at" for f in self.model._meta.concrete_fields):
                update_fields.append("updated_at")
            manager.bulk_create(
                self.write_rows,
                update_conflicts=True,
                unique_fields=[*(name.removesuffix("_id") for name in self.scope), "vendor_id"],
                update_fields=update_fields,
            )
        if self.unchanged_pks and self.tracks_vanishing:
            manager.filter(pk__in=self.unchanged_pks).update(last_synced_at=self.seen_at)

    def ids(self) -> dict[str, int] | None:
        """Vendor id -> primary key of every row of the batch, without reading them back: the
        stored rows' from ``stored``, the written rows' as the insert returned them (None when
        the database did not)."""
        ids = dict(self.stored_pks)
        for row in self.write_rows:
            if row.pk is None:
                return None
            ids[str(row.vendor_id)] = row.pk  # type: ignore[attr-defined]
        return ids


def rows_vanished_flag(
    *, model: type[models.Model], account_id: int, before: datetime, now: datetime
) -> int:
    """Flag the account's vendor rows not seen since ``before`` (rows made here later, or never
    at the vendor, are left alone)."""
    rows = model._default_manager.filter(
        account_id=account_id, vendor_id__isnull=False, vanished_at__isnull=True
    ).filter(models.Q(last_synced_at__lt=before) | models.Q(last_synced_at__isnull=True))
    if model._meta.model_name == "contact":
        rows = rows.filter(created_at__lt=before)
    return rows.update(vanished_at=now)


def pk_by_vendor_id(model: type[models.Model], *, account_id: int, vendor_id: str) -> int | None:
    """The primary key of the account's row ``vendor_id`` in the mirror, or None."""
    rows = model._default_manager.filter(account_id=account_id, vendor_id=vendor_id)
    pk: int | None = rows.values_list("pk", flat=True).first()
    return pk


def rows_gone_flag(model: type[models.Model], pks: list[int], *, now: datetime) -> int:
    """Rows whose read by id answered 404: flagged vanished (kept), once."""
    if not pks:
        return 0
    rows = model._default_manager.filter(pk__in=pks, vanished_at__isnull=True)
    return rows.update(vanished_at=now)


def too_long(values: Mapping[str, object], limits: Mapping[str, int]) -> str | None:
    """The first of ``limits`` (field: characters) that ``values`` exceed, in words."""
    for name, limit in limits.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            return f"{name} is longer than {limit} characters"
    return None


R = TypeVar("R")


def rows_check(rows: Iterable[R], limits: Mapping[str, int]) -> tuple[list[R], list[Malformed]]:
    """The rows the mirror can hold as sent, and why each other one cannot (``limits``: the
    mirror's column widths)."""
    good: list[R] = []
    bad: list[Malformed] = []
    for row in rows:
        problem = too_long(asdict(row), limits)  # type: ignore[call-overload]
        if problem is None:
            good.append(row)
        else:
            bad.append(Malformed(row.vendor_id[:191], problem))  # type: ignore[attr-defined]
    return good, bad
