"""One sync operation at work: its time slice, its running summary, and how a batch commits."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from backoffice.mirror.upsert import COUNTS, Counts
from backoffice.models import Operation, SyncCursor, VendorAccount
from connectors.pagination import Malformed

T = TypeVar("T")
# The summary lists this many skipped and refused items by id and reason; beyond that, only
# their number.
FAILED_ITEMS_SHOWN = 100


@dataclass
class SyncRun:
    """What a sync handler works with in one run (one time slice) of one operation.

    ``operation.result`` holds the summary: counts per resource, the items skipped
    (``failed_items``) and those the vendor refused (``refused_items``), each with the vendor id
    and why, the resources this operation has finished. It is saved with each batch,
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
        result.setdefault("refused_items", [])
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
            # .get: a summary begun before a count was added lacks it.
            totals[name] = totals.get(name, 0) + getattr(counts, name)

    def skipped(self, resource: str, items: Iterable[Malformed]) -> Counts:
        """Record items that could not be read or stored: by vendor id and reason."""
        return Counts(failed=self._list("failed_items", resource, items))

    def refused(self, resource: str, items: Iterable[Malformed]) -> Counts:
        """Record records the vendor refused to hand over (a 4xx on that one record): by vendor
        id and the vendor's words. The sync goes on without them."""
        return Counts(refused=self._list("refused_items", resource, items))

    def _list(self, key: str, resource: str, items: Iterable[Malformed]) -> int:
        listed: list[dict[str, Any]] = self.result.setdefault(key, [])
        number = 0
        for item in items:
            number += 1
            if len(listed) < FAILED_ITEMS_SHOWN:
                listed.append(
                    {"resource": resource, "vendor_id": item.vendor_id, "reason": item.reason}
                )
            else:
                self.result[f"{key}_more"] = self.result.get(f"{key}_more", 0) + 1
        return number

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
