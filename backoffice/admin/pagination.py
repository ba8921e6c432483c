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
    # A searched list (set by the admin) whose matches are rare reads its first pages from its
    # first ``exact_up_to + 1`` ids (``_head``): past ``walk_limit`` rows of the primary key per
    # page, the walk the planner would choose is slower than the index it prices above it.
    searched = False
    walk_limit = 20_000

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
        """A searched list's first ``exact_up_to + 1`` ids in its order, when its matches are
        rare in the table (None otherwise: its pages are read as any list's).

        For a page of 50 newest matches PostgreSQL may walk the primary key backwards, testing
        each row; it expects the matches spread evenly, which is right, but prices each row of
        the walk at a fraction of its cost (the row is read from the table and its text
        uppercased). With 6,000 matches among ten million rows that is a walk of 80,000 rows.
        Asked for a thousand ids, the walk is priced twenty times higher and the planner reads
        the matches from the trigram index and sorts them instead. Common matches (a walk of at
        most ``walk_limit`` rows for a page, by the planner's estimate of the matches) keep the
        walk, which is then the faster plan. The ids read are also the bounded count.
        """
        qs = self.object_list
        if not self.searched or not isinstance(qs, QuerySet):
            return None
        if connections[qs.db].vendor != "postgresql":
            return None
        table = self._table_estimate(qs) or 0
        if table * self.per_page <= self.walk_limit * max(self._estimate, 1):
            return None
        return list(qs.values_list("pk", flat=True)[: self.exact_up_to + 1])

    @cached_property
    def _estimate(self) -> int:
        qs = self.object_list
        return self._query_estimate(qs) if isinstance(qs, QuerySet) else 0

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
        # A searched list with rare matches counts its first ids (``_head``), read anyway.
        head = self._head
        bounded = len(head) if head is not None else qs.order_by()[: self.exact_up_to + 1].count()
        if bounded <= self.exact_up_to:
            return bounded
        self.estimated = True
        return max(self._estimate, bounded)

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
