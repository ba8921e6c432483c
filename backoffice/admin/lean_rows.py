"""The rows of an audit list as Django's admin renders them, worked out once per column.

Django's ``items_for_result`` decides afresh for each of a page's 500 cells which field its
column names, which empty value and CSS class it takes, how the field displays (the choices
flattened into a new dict, the date format looked up) and, for each row's link, resolves the
change page's URL again to merge the list's filters into it. On a scoped audit list, where
the database answers in 2 ms, that was 15 of the page's 35 ms. Here each column is worked out
once (``Column``) and each cell only reads its value and formats it; the link's URL is built
once with a stand-in for the row's id.

The HTML is Django's own, byte for byte (tests/backoffice/test_lean_rows.py renders pages both
ways and compares them). A list Django renders differently (editable rows, a popup, a
``to_field``, ids other than integers, a related lookup in ``list_display``) is left to
Django.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.admin.templatetags.admin_list import ResultList, result_headers, results
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value, lookup_field
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Stands for a row's (integer) id in the link built once per page; letters only, which the URL
# encoding leaves as they are.
_ID = "LEANROWID"
_NOWRAP_FIELDS = (models.DateField, models.TimeField, models.ForeignKey)


def _classes(names: list[str]) -> str:
    return ' class="{}"'.format(" ".join(names))


def _css_name(name: Any, index: int) -> str:
    """The column's name in its cells' ``field-<name>`` class, as Django writes it."""
    if not callable(name):
        return str(name)
    return f"lambda{index}" if name.__name__ == "<lambda>" else name.__name__


class Column:
    """One ``list_display`` entry of a page: what Django works out per cell, worked out once."""

    def __init__(self, cl: ChangeList, index: int, name: Any, empty: Any, probe: Any) -> None:
        self.name = name
        self.model_admin = cl.model_admin
        self.empty = empty
        self.css_name = _css_name(name, index)
        self.field = self._field(probe)
        self.linked = cl.list_display_links is not None and name in cl.list_display_links
        self.read: Callable[[Any], tuple[Any, str]] = self._reader()

    def _field(self, probe: Any) -> models.Field | None:
        """The model field the column shows (None for an admin method or an attribute), as
        Django's ``lookup_field`` finds it on the page's first row (where that row's lookup raises
        ``ObjectDoesNotExist``, the page is left to Django)."""
        field, _, _ = lookup_field(self.name, probe, self.model_admin)
        return field if isinstance(field, models.Field) else None

    def _reader(self) -> Callable[[Any], tuple[Any, str]]:
        field = self.field
        if field is None:
            return self._other
        if field.auto_created:
            return self._auto
        classes = _classes([f"field-{self.css_name}", "nowrap"])
        if not isinstance(field, _NOWRAP_FIELDS):
            classes = _classes([f"field-{self.css_name}"])
        if isinstance(field.remote_field, models.ManyToOneRel):
            return lambda row: (self._related(row), classes)
        if getattr(field, "flatchoices", None):
            try:
                labels = dict(field.flatchoices)
            except TypeError:
                return lambda row: (self._displayed(row), classes)
            return lambda row: (labels.get(self._value(row), self.empty), classes)
        if isinstance(field, models.DateTimeField):
            return self._datetime_reader(classes)
        return lambda row: (self._displayed(row), classes)

    def _value(self, row: Any) -> Any:
        value = getattr(row, self.name)
        if isinstance(value, str) and value.strip() == "":
            return ""
        return value

    def _related(self, row: Any) -> Any:
        related = getattr(row, self.field.name)  # type: ignore[union-attr]
        return self.empty if related is None else related

    def _displayed(self, row: Any) -> Any:
        value = self._value(row)
        return display_for_field(value, self.field, self.empty, avoid_link=self.linked)  # type: ignore[arg-type]

    def _datetime_reader(self, classes: str) -> Callable[[Any], tuple[Any, str]]:
        format_string = get_format("DATETIME_FORMAT")
        empty_values = self.field.empty_values  # type: ignore[union-attr]

        def read(row: Any) -> tuple[Any, str]:
            value = self._value(row)
            if value in empty_values:
                return self.empty, classes
            shown = timezone.template_localtime(value)  # type: ignore[attr-defined]
            return dateformat.format(shown, format_string), classes

        return read

    def _auto(self, row: Any) -> tuple[Any, str]:
        value = self._value(row)
        names = [f"field-{self.css_name}"]
        if isinstance(value, (datetime.date, datetime.time)):
            names.append("nowrap")
        return display_for_value(value, self.empty, False), _classes(names)

    def _other(self, row: Any) -> tuple[Any, str]:
        """A column of an admin method or a model attribute: Django's own steps, per cell."""
        names = [f"field-{self.css_name}"]
        try:
            _, attr, value = lookup_field(self.name, row, self.model_admin)
        except ObjectDoesNotExist:
            return self.empty, _classes(names)
        empty = getattr(attr, "empty_value_display", self.empty)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if self.name == "action_checkbox":
            names = ["action-checkbox"]
        boolean = getattr(attr, "boolean", False)
        described: Any = attr
        if isinstance(described, property) and described.fget is not None:
            boolean = getattr(described.fget, "boolean", False)
        if isinstance(value, (datetime.date, datetime.time)):
            names.append("nowrap")
        return display_for_value(value, empty, boolean), _classes(names)


class LeanRows:
    """A page's rows: its columns worked out once, then each row's cells."""

    def __init__(self, cl: ChangeList, probe: Any) -> None:
        self.cl = cl
        empty = cl.model_admin.get_empty_value_display()
        self.columns = [
            Column(cl, index, name, empty, probe) for index, name in enumerate(cl.list_display)
        ]
        self.url_parts = self._url_parts()

    def _url_parts(self) -> tuple[str, str] | None:
        """The change page's URL with the list's filters, split where the row's id goes."""
        cl = self.cl
        try:
            url = reverse(
                f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
                args=(_ID,),
                current_app=cl.model_admin.admin_site.name,
            )
        except NoReverseMatch:
            return None
        context: dict[str, Any] = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
        before, _, after = add_preserved_filters(context, url).partition(_ID)
        return before, after

    def row(self, result: Any) -> Iterator[SafeString]:
        first = True
        for column in self.columns:
            shown, classes = column.read(result)
            if column.linked:
                tag = "th" if first else "td"
                first = False
                linked = self._linked(result, shown)
                yield mark_safe(f"<{tag}{classes}>{linked}</{tag}>")  # noqa: S308 (escaped)
            else:
                yield mark_safe(f"<td{classes}>{conditional_escape(shown)}</td>")  # noqa: S308

    def _linked(self, result: Any, shown: Any) -> str:
        if self.url_parts is None:
            return conditional_escape(shown)
        before, after = self.url_parts
        url = f"{before}{getattr(result, self.cl.lookup_opts.pk.attname)}{after}"
        return f'<a href="{conditional_escape(url)}">{conditional_escape(shown)}</a>'


def _lean(cl: ChangeList) -> bool:
    """Whether the list renders its rows as Django does without Django's per-cell work."""
    return not (
        getattr(cl, "formset", None)
        or cl.is_popup
        or cl.to_field
        # An empty list of links: Django then links whichever column comes first.
        or (cl.list_display_links is not None and not cl.list_display_links)
        or not isinstance(cl.lookup_opts.pk, models.IntegerField)  # ids that need quoting
        or any(isinstance(name, str) and "__" in name for name in cl.list_display)
    )


def lean_results(cl: ChangeList) -> Iterator[ResultList]:
    if not _lean(cl):
        yield from results(cl)
        return
    if not cl.result_list:
        return
    try:
        rows = LeanRows(cl, probe=cl.result_list[0])
    except ObjectDoesNotExist:
        yield from results(cl)
        return
    for result in cl.result_list:
        yield ResultList(None, rows.row(result))


def lean_result_list(cl: ChangeList) -> dict[str, Any]:
    """What Django's ``result_list`` tag gives its template, with the rows rendered here."""
    headers = list(result_headers(cl))
    sorted_fields = sum(1 for header in headers if header["sortable"] and header["sorted"])
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sorted_fields,
        "results": list(lean_results(cl)),
    }
