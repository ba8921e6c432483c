"""How the audit lists search, sort and read at ten million rows.

Every search staff type is an index lookup on PostgreSQL: ids and vendor request ids as exact
matches (not Django's ``=field`` prefix, which compares ``UPPER(col::text)`` and so scans every
row), text by ``icontains`` on the ``UPPER(...)`` trigram indexes of migration 0008 (the URL's
path since 0012; the error text with the account since 0013, of the calls with one since 0014),
and the requester through the few users whose name matches. SQLite runs the same queries
without those indexes (a scan, fine at its sizes).
"""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import NullIf
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backoffice.models import ApiCall, Operation

# The largest id PostgreSQL's bigint holds has 19 digits; a longer number is no id.
_MAX_ID_DIGITS = 18
# A search by requester looks among at most this many matching staff members.
_ACTORS_SEARCHED = 100


# What UrlPath keeps of a URL; migration 0012's index holds the same expression.
URL_PATH_PATTERN = "^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/]*)?(.*)$"
# A fragment's leading "https://host" or "host.tld" (followed by its path).
_LEADING_HOST = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/]*|[^/]*\.[^/]*(?=/))")


class UrlPath(Func):
    """An API call's URL after its scheme and host, as migration 0012's trigram index holds it
    on PostgreSQL (the hosts' trigrams, in every row, were half that index). SQLite has no
    regular expressions and no such index: there it is the whole URL."""

    function = "substring"
    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(F("url"), Value(URL_PATH_PATTERN))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return compiler.compile(self.get_source_expressions()[0])


class ErrorText(NullIf):
    """An API call's error text, NULL for a call without one: what migration 0014's trigram
    index holds, for those calls only (``WHERE NULLIF(error_message, '') IS NOT NULL``, 5 % of
    them). A match of the expression is never NULL, which is how PostgreSQL knows the index
    holds every match; as one condition, it is also estimated from the expression's statistics
    (``apicall_error_text``) instead of from two conditions taken as unrelated."""

    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(F("error_message"), Value(""))


def _as_id(term: str) -> int | None:
    digits = term.lstrip("#")
    return int(digits) if digits.isdigit() and len(digits) <= _MAX_ID_DIGITS else None


def _as_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term)
    except ValueError:
        return None


def _rarest_part(term: str) -> str:
    """The part of a URL fragment to look up in the trigram index: its longest run of letters
    and digits that holds a digit (an id), else the whole fragment.

    Every URL shares its host and resource names ("customers/", "api/"), whose trigrams are in
    every row: a lookup of "customers/738704" reads those whole posting lists, one of
    "738704" a few index pages. The whole fragment is still matched, on the rows found.
    """
    ids = [
        part
        for part in re.split(r"[^\w]+", term)
        if len(part) >= 3 and any(char.isdigit() for char in part)
    ]
    return max(ids, key=len) if ids else term


def _path_of(term: str) -> str:
    """A URL fragment without the scheme and host it may start with: what the index holds."""
    return _LEADING_HOST.sub("", term)


def _url_contains(term: str) -> Q:
    """Part of a URL's path (``UrlPath``): the host is the account's, found by its filter.

    The whole URL is matched first: a list of common matches walks the newest rows testing
    each, and ``UPPER(url) LIKE`` costs a tenth of the path's regular expression, which then
    runs only on the rows that hold the text (43 → 20 ms for "not found" at ten million calls).
    It matches no index, so only the path (its rarest part) drives an index lookup.
    """
    part = _rarest_part(_path_of(term))
    return Q(url__icontains=term) & Q(url_path__icontains=part)


def api_call_search(queryset: QuerySet[ApiCall], search_term: str) -> QuerySet[ApiCall]:
    """A vendor request id or an operation id exactly, or part of the URL or error message."""
    term = search_term.strip()
    if not term:
        return queryset
    queryset = queryset.alias(url_path=UrlPath(), error_text=ErrorText())
    condition = Q(vendor_request_id=term) | _url_contains(term) | Q(error_text__icontains=term)
    if (operation_id := _as_id(term)) is not None:
        condition |= Q(operation_id=operation_id)
    return queryset.filter(condition)


def operation_search(queryset: QuerySet[Operation], search_term: str) -> QuerySet[Operation]:
    """An operation id or a bulk action's id exactly, part of the target's name, or a requester
    by user name or name."""
    term = search_term.strip()
    if not term:
        return queryset
    condition = Q(target_label__icontains=term)
    if (operation_id := _as_id(term)) is not None:
        condition |= Q(pk=operation_id)
    if (group_id := _as_uuid(term)) is not None:
        condition |= Q(group_id=group_id)
    actors = list(
        get_user_model()
        .objects.filter(
            Q(username__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
        )
        .values_list("pk", flat=True)[:_ACTORS_SEARCHED]
    )
    if actors:
        condition |= Q(actor_id__in=actors)
    return queryset.filter(condition)


class LeanChangeList(ChangeList):
    """A changelist that leaves the admin's ``list_deferred`` columns unread."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet:
        queryset = super().get_queryset(request, exclude_parameters)
        deferred = getattr(self.model_admin, "list_deferred", ())
        return queryset.defer(*deferred) if deferred else queryset


class DateNewestFirstMixin(admin.ModelAdmin):
    """Filtered on its date (``date_field``), a list is sorted by that date, newest first.

    Sorted by ``-id`` while filtered on a month half a year back, PostgreSQL walks the primary
    key backwards past every newer row; sorted by ``(-date, -id)`` it reads the ``(date, id)``
    index from the month's end. The ids grow with the dates, so the order is the same.
    """

    date_field: ClassVar[str]
    list_deferred: ClassVar[tuple[str, ...]] = ()

    def get_ordering(self, request: HttpRequest) -> Any:
        prefix = f"{self.date_field}__"
        if any(key.startswith(prefix) for key in request.GET):
            return [f"-{self.date_field}", "-id"]
        return super().get_ordering(request)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return LeanChangeList


class OperationOfCallFilter(admin.SimpleListFilter):
    """``?operation=<id>``: one operation's API calls, reached from the operation page. Shown in
    the sidebar only while in use."""

    title = _("operation")
    parameter_name = "operation"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, f"#{value}")] if value else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiCall]) -> QuerySet[ApiCall]:
        if not self.value():
            return queryset
        operation_id = _as_id(self.value() or "")
        if operation_id is None:
            raise IncorrectLookupParameters(self.value())
        return queryset.filter(operation_id=operation_id)


class LatestCallsFormSet(BaseInlineFormSet):
    """An operation page's inline of API calls: the newest ``shown`` only (a sync makes hundreds;
    the operation's ``calls_link`` lists them all)."""

    shown = 20

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[: self.shown]
        return self._latest
