from __future__ import annotations

import json
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma, intword
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext


def _rounded(count: int) -> int:
    """``count`` to two significant digits: an estimate shows no more precision than it has."""
    digits = len(str(count))
    step = int(10 ** max(digits - 2, 0))
    return round(count / step) * step


def approximate_count_label(count: int) -> str:
    """``about 1.2 million``, ``about 23,000``: a count that is visibly an estimate."""
    rounded = _rounded(count)
    shown = intword(rounded) if rounded >= 1_000_000 else intcomma(rounded)
    return gettext("about %(count)s") % {"count": shown}


class EstimatedCountPaginator(Paginator):
    """Counts multi-million-row changelists without counting every row (PostgreSQL).

    ``COUNT(*)`` over millions of audit rows takes seconds. The unfiltered list takes the row
    count from the table's statistics (``pg_class.reltuples``, kept fresh by autovacuum). A
    filtered, searched or account-scoped list is counted exactly up to ``exact_up_to`` rows (a
    ``COUNT`` over ``LIMIT exact_up_to + 1``, which stops early on whichever index serves the
    filter); beyond that, the planner's estimate of the rows the query returns stands in. An
    estimated count is marked (``estimated``) and shown as one ("about 1.2 million"); small
    tables and SQLite keep the exact count.
    """

    exact_below = 100_000
    exact_up_to = 1_000
    # From this row on, a page finds its ids first (an index-only scan past the rows before it),
    # then reads its rows: an OFFSET over whole rows reads every row it skips from the table.
    ids_first_from = 1_000

    estimated = False
    # A searched list (set by the admin): its first ``exact_up_to + 1`` ids are read at once, in
    # order, and give both the bounded count and the first pages (``_head``).
    searched = False

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return Page(rows[bottom:top], number, self)
        head = self._head
        if head is not None and top <= len(head):
            return Page(self._rows_of(rows, head[bottom:top]), number, self)
        if bottom < self.ids_first_from:
            return Page(rows[bottom:top], number, self)
        ids = rows.values_list("pk", flat=True)[bottom:top]
        return Page(self._rows_of(rows, ids), number, self)

    @staticmethod
    def _rows_of(rows: QuerySet[Any], ids: Any) -> list[Any]:
        """The rows of ``ids`` in their order, read by primary key."""
        ids = list(ids)
        found = {row.pk: row for row in rows.order_by().filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]

    @cached_property
    def _head(self) -> list[Any] | None:
        """A searched list's first ``exact_up_to + 1`` ids, in the list's order (None: not
        searched).

        Asked for a page of 50, PostgreSQL prices the walk down the primary key as if the matches
        were spread evenly and cheap to test, and for a rare match it walks (and tests the
        trigram condition on) a hundred thousand rows; asked for a thousand, it reads the
        matches from the trigram index and sorts them. The thousand ids are also the bounded
        count, so the search runs once instead of twice.
        """
        if not self.searched or not isinstance(self.object_list, QuerySet):
            return None
        return list(self.object_list.values_list("pk", flat=True)[: self.exact_up_to + 1])

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not isinstance(qs, QuerySet) or connections[qs.db].vendor != "postgresql":
            return super().count
        if not qs.query.where:
            estimate = self._table_estimate(qs)
            if estimate is not None and estimate >= self.exact_below:
                self.estimated = True
                return estimate
            return super().count
        head = self._head
        bounded = len(head) if head is not None else qs.order_by()[: self.exact_up_to + 1].count()
        if bounded <= self.exact_up_to:
            return bounded
        self.estimated = True
        return max(self._query_estimate(qs), bounded)

    @property
    def count_label(self) -> str:
        """The count as staff read it: exact, or visibly an estimate."""
        if self.estimated:
            return approximate_count_label(self.count)
        return intcomma(self.count)

    @staticmethod
    def _table_estimate(qs: QuerySet[Any]) -> int | None:
        with connections[qs.db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [qs.model._meta.db_table],
            )
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] >= 0 else None

    @staticmethod
    def _query_estimate(qs: QuerySet[Any]) -> int:
        """The planner's row estimate for ``qs`` (``EXPLAIN``, nothing run)."""
        sql, params = qs.order_by().values("pk").query.sql_with_params()
        with connections[qs.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            row = cursor.fetchone()
        plan = row[0] if row else None
        if isinstance(plan, str):
            plan = json.loads(plan)
        try:
            return int(plan[0]["Plan"]["Plan Rows"])  # type: ignore[index]
        except (TypeError, LookupError, ValueError):
            return 0
