"""One sync operation at work: its time slice, its running summary, and how a batch commits."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from backoffice.models import Operation, SyncCursor, VendorAccount
from connectors.pagination import Malformed

T = TypeVar("T")
COUNTS = ("created", "updated", "unchanged", "failed", "vanished")
# The summary lists this many skipped items by id and reason; beyond that, only their number.
FAILED_ITEMS_SHOWN = 100


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    vanished: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@dataclass
class SyncRun:
    """What a sync handler works with in one run (one time slice) of one operation.

    ``operation.result`` holds the summary: counts per resource, the items skipped (with the
    vendor id and why), the resources this operation has finished. It is saved with each batch,
    in the batch's own transaction, so the counts never disagree with the rows written.
    """

    operation: Operation
    account: VendorAccount
    full: bool
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        result = dict(self.operation.result or {})
        result.setdefault("full", self.full)
        result.setdefault("resources", {})
        result.setdefault("failed_items", [])
        result.setdefault("done", [])
        self.operation.result = result
        self._committed = copy.deepcopy(result)

    def forget_uncommitted(self) -> None:
        """Drop counts of a batch that was never committed (the run stopped before it)."""
        self.operation.result = copy.deepcopy(self._committed)

    @property
    def result(self) -> dict[str, Any]:
        result: dict[str, Any] = self.operation.result or {}
        return result

    def out_of_time(self) -> bool:
        """Whether this run's slice is spent (checked after each committed batch, so every run
        makes progress however small the slice)."""
        return time.monotonic() - self.started >= float(settings.SYNC_SLICE_SECONDS)

    def is_done(self, step: str) -> bool:
        return step in self.result["done"]

    def count(self, resource: str, counts: Counts) -> None:
        totals = self.result["resources"].setdefault(resource, dict.fromkeys(COUNTS, 0))
        for name in COUNTS:
            totals[name] += getattr(counts, name)

    def skipped(self, resource: str, items: Iterable[Malformed]) -> Counts:
        """Record items that could not be read or stored: by vendor id and reason."""
        listed: list[dict[str, Any]] = self.result["failed_items"]
        counts = Counts()
        for item in items:
            counts.failed += 1
            if len(listed) < FAILED_ITEMS_SHOWN:
                listed.append(
                    {"resource": resource, "vendor_id": item.vendor_id, "reason": item.reason}
                )
            else:
                self.result["failed_items_more"] = self.result.get("failed_items_more", 0) + 1
        return counts

    def commit(
        self,
        write: Callable[[], T],
        *,
        cursor: SyncCursor | None = None,
        done: str | None = None,
    ) -> T:
        """Write a batch, the cursor and the summary in one transaction.

        Progress was made, so the run's attempt does not count against the account's attempts:
        only runs that get nowhere (a vendor down, a refusal) use them up.
        """
        with transaction.atomic():
            value = write()
            if cursor is not None:
                cursor.save()
            if done is not None and done not in self.result["done"]:
                self.result["done"].append(done)
            self.operation.attempts = min(self.operation.attempts, 1)
            Operation.objects.filter(pk=self.operation.pk).update(
                result=self.operation.result, attempts=self.operation.attempts
            )
        self._committed = copy.deepcopy(self.result)
        return value
