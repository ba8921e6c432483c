"""What the actions' forms share: errors that name their field, the date-and-time input, the
multiple-file field, and the rule for dates staff give (past, and not absurdly old).

Each action's own form sits in its module, checked against that vendor's limits; its cleaned
data is what the operations' parameters are built from.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MEGABYTE = 1024 * 1024
# Dates before this are typing slips, not replies or records sent by other means.
EARLIEST_DATE = date(2000, 1, 1)


def megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f}".removesuffix(".0") + " MB"


class ActionForm(forms.Form):
    """A form whose every field error names the field it belongs to.

    Messages that do not start with the field's label ("This field is required.") get it as a
    prefix, so a message read away from its field (a screen reader, a screenshot in a ticket)
    still says which.
    """

    def full_clean(self) -> None:
        super().full_clean()
        for name, errors in self.errors.items():
            if name == NON_FIELD_ERRORS or name not in self.fields:
                continue
            label = str(self.fields[name].label or pretty_name(name))
            messages = [str(m) for m in errors]
            errors.data = [
                m if m.lower().startswith(label.lower()) else f"{label}: {m}" for m in messages
            ]


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's own date-and-time picker; its value is read in the server's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def display(value: datetime | None) -> str:
    """A form's datetime as typed (it is in the current time zone), the year in four digits."""
    if value is None:
        return ""
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")


def past(value: datetime | None, *, label: str, future: str) -> datetime | None:
    """``value`` unless it is in the future (``future`` says why not) or absurdly old.

    The vendors' own examples are years in the past, so any past moment is taken from the
    earliest date on; before it, a typing slip (year 0024) would only fail later, at the vendor
    or when converting to the system's time zone.
    """
    if value is None:
        return None
    if value > timezone.now():
        raise forms.ValidationError(future, code="future")
    if value.date() < EARLIEST_DATE:
        raise forms.ValidationError(
            _("%(label)s: %(when)s is before %(earliest)s, the earliest date taken.")
            % {"label": label, "when": display(value), "earliest": EARLIEST_DATE.isoformat()},
            code="too_early",
        )
    return value


def time_zone_help(text: str) -> str:
    return f"{text} {_('Your time zone')}: {timezone.get_current_timezone_name()}."


# --- Files: Django's documented pattern for uploading several files with one field --------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single_file_clean = super().clean
        if isinstance(data, list | tuple):
            result = [single_file_clean(d, initial) for d in data]
        else:
            result = [single_file_clean(data, initial)]
        return [f for f in result if f]
