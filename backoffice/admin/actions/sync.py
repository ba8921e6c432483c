"""The form of ``sync_from_vendor`` on accounts: the whole account, optionally a full resync,
and for Bony.chat an import of contacts by a custom-field search. (On contacts the action has
no form: each selected contact is read again.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.forms import ActionForm

MAX_SEARCH_VALUES = 50
SEARCH_VALUE_MAX_CHARS = 255
SEARCH_FIELDS = [
    ("", "—"),
    ("email", _("E-mail")),
    ("phone", _("Phone")),
    ("customerid", _("Customer id")),
]


class SyncForm(ActionForm):
    full = forms.BooleanField(
        label=_("Full resync"),
        required=False,
        help_text=_(
            "Read everything again, not only what changed since the last sync. Rows a complete"
            " listing no longer shows are flagged as missing at the vendor."
        ),
    )
    search_field = forms.ChoiceField(
        label=_("Import Bony.chat contacts by"),
        choices=SEARCH_FIELDS,
        required=False,
        help_text=_(
            "Bony.chat cannot list all contacts: its sync refreshes the known ones, and imports"
            " new ones found by this field."
        ),
    )
    search_values = forms.CharField(
        label=_("Values to look up"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line, at most %(n)s (phone numbers with their +).")
        % {"n": MAX_SEARCH_VALUES},
    )

    def clean_search_values(self) -> list[str]:
        raw = self.cleaned_data.get("search_values") or ""
        values = list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))
        if len(values) > MAX_SEARCH_VALUES:
            raise forms.ValidationError(
                _("at most %(limit)s values, got %(count)s."),
                params={"limit": MAX_SEARCH_VALUES, "count": len(values)},
            )
        for value in values:
            if len(value) > SEARCH_VALUE_MAX_CHARS:
                raise forms.ValidationError(
                    _("each value at most %(limit)s characters; “%(start)s…” has %(count)s."),
                    params={
                        "limit": SEARCH_VALUE_MAX_CHARS,
                        "start": value[:20],
                        "count": len(value),
                    },
                )
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        field, values = cleaned.get("search_field"), cleaned.get("search_values")
        if values and not field:
            self.add_error("search_field", _("choose the field the values are looked up by."))
        if field and not values and "search_values" not in self.errors:
            self.add_error("search_values", _("give at least one value to look up."))
        return cleaned

    def search(self) -> list[dict[str, str]]:
        field = str(self.cleaned_data.get("search_field") or "")
        return [{"field": field, "value": v} for v in self.cleaned_data.get("search_values", [])]
