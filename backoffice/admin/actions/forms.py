"""The intermediate forms of the Ticket and Contact actions, validated against the vendors' limits.

Every error names its field (``ActionForm``) and, where there is one, the limit it broke. The
cleaned data is what the operations' parameters are built from (see ``ticket.py`` and
``contact.py`` beside this module).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models import Tag, TicketMessage

# Thulium publishes no limit on a reply's body; a long HTML e-mail thread stays well below this.
REPLY_BODY_MAX_CHARS = 100_000
# Thulium publishes no limit on a contact-history entry; it is a chat line, not a document.
FEED_MESSAGE_MAX_CHARS = 10_000
MAX_ATTACHMENTS = 10
MAX_TAGS_PER_ACTION = 50
TAG_NAME_MAX_CHARS: int = Tag._meta.get_field("name").max_length or 191
# Thulium's ids are 32-bit integers; a larger number can only be a typing mistake.
CHAT_QUEUE_ID_MAX = 2**31 - 1
# How many existing tags the tag forms offer to pick from; more can always be typed.
TAG_CHOICES_SHOWN = 100
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


def _display(value: datetime | None) -> str:
    """A form's datetime as typed (it is in the current time zone), the year in four digits."""
    if value is None:
        return ""
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")


def _past(value: datetime | None, *, label: str, future: str) -> datetime | None:
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
            % {"label": label, "when": _display(value), "earliest": EARLIEST_DATE.isoformat()},
            code="too_early",
        )
    return value


def _time_zone_help(text: str) -> str:
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


# --- Ticket ------------------------------------------------------------------------------------


class ReplyToTicketForm(ActionForm):
    body = forms.CharField(
        label=_("Body"),
        max_length=REPLY_BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text=_("HTML or plain text, as chosen below. At most %(n)s characters.")
        % {"n": f"{REPLY_BODY_MAX_CHARS:,}"},
    )
    body_type = forms.ChoiceField(
        label=_("Body type"),
        choices=TicketMessage.BodyType.choices,
        initial=TicketMessage.BodyType.HTML,
        widget=forms.RadioSelect,
    )
    date = forms.DateTimeField(
        label=_("Send date"),
        required=False,
        widget=LocalDateTimeInput(),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        allow_empty_file=True,  # refused below, with the file's name
        max_length=255,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].help_text = _time_zone_help(
            str(
                _(
                    "Optional: the date Thulium records as when the reply was sent, from"
                    " %(earliest)s until now; blank is now."
                )
            )
            % {"earliest": EARLIEST_DATE.isoformat()}
        )
        self.fields["attachments"].help_text = _(
            "Up to %(count)s files of at most %(size)s each. Choose them again if the form"
            " comes back with an error."
        ) % {"count": MAX_ATTACHMENTS, "size": megabytes(settings.THULIUM_ATTACHMENT_MAX_BYTES)}

    def clean_date(self) -> datetime | None:
        value = self.cleaned_data.get("date")
        future = _(
            "Send date: %(when)s is in the future. Thulium records it as when the reply was"
            " sent, so give a past date, or leave it blank for now."
        ) % {"when": _display(value)}
        return _past(value, label=str(self.fields["date"].label), future=future)

    def clean_attachments(self) -> Sequence[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        limit = int(settings.THULIUM_ATTACHMENT_MAX_BYTES)
        errors = []
        if len(files) > MAX_ATTACHMENTS:
            errors.append(
                _("At most %(max)s files per reply; %(count)s were attached.")
                % {"max": MAX_ATTACHMENTS, "count": len(files)}
            )
        for upload in files:
            size = upload.size or 0
            if size > limit:
                errors.append(
                    _("“%(name)s” is %(size)s; Thulium takes files of at most %(limit)s each.")
                    % {"name": upload.name, "size": megabytes(size), "limit": megabytes(limit)}
                )
            elif size == 0:
                errors.append(_("“%(name)s” is empty.") % {"name": upload.name})
        if errors:
            raise forms.ValidationError(errors)
        return files


# --- Contact: tags -----------------------------------------------------------------------------


class TagsForm(ActionForm):
    """Tag names typed (comma-separated) and/or picked from the tags the selection's accounts
    already have. ``existing_choices`` is the list of names to offer."""

    names = forms.CharField(
        label=_("Tag names"),
        required=False,
        widget=forms.TextInput(attrs={"size": 80, "placeholder": "vip, reklamacja, newsletter"}),
        help_text=_("Separate names with commas. At most %(max)s tags, %(chars)s characters each.")
        % {"max": MAX_TAGS_PER_ACTION, "chars": TAG_NAME_MAX_CHARS},
    )
    existing = forms.MultipleChoiceField(
        label=_("Existing tags"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, existing_choices: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["existing"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(name, name) for name in existing_choices]
        if not existing_choices:
            del self.fields["existing"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = [part.strip() for part in (cleaned.get("names") or "").split(",")]
        while typed and not typed[-1]:
            typed.pop()  # a trailing comma is harmless
        names = [part for part in typed if part] + list(cleaned.get("existing") or [])
        errors: list[str] = []
        if any(not part for part in typed):
            errors.append(str(_("A tag name is empty: remove the doubled or leading comma.")))
        if too_long := [name for name in names if len(name) > TAG_NAME_MAX_CHARS]:
            errors.append(
                str(_("“%(name)s…” has %(len)s characters; a tag name has at most %(max)s."))
                % {"name": too_long[0][:40], "len": len(too_long[0]), "max": TAG_NAME_MAX_CHARS}
                + _more(len(too_long) - 1)
            )
        if twice := [name for name, n in Counter(names).items() if n > 1]:
            shown = ", ".join(f"“{name[:40]}”" for name in twice[:5])
            errors.append(str(_("Given twice: %(names)s.")) % {"names": shown})
        if len(names) > MAX_TAGS_PER_ACTION:
            errors.append(
                str(_("At most %(max)s tags per action; %(count)s were given."))
                % {"max": MAX_TAGS_PER_ACTION, "count": len(names)}
            )
        if not names and not errors and "names" not in self.errors:
            errors.append(str(_("Type at least one tag name, or pick an existing tag.")))
        for error in errors:
            self.add_error("names", error)
        cleaned["tags"] = names
        return cleaned


def _more(count: int) -> str:
    return f" ({_('and %(n)s more') % {'n': count}})" if count > 0 else ""


# --- Contact: push -----------------------------------------------------------------------------


class PushToVendorForm(ActionForm):
    """Nothing to fill in: the page lists what will be sent, the button confirms it."""


# --- Contact: Thulium contact history and chat ----------------------------------------------


class FeedRecordForm(ActionForm):
    """vendor-docs 000: one ``text`` entry in the customer's contact history."""

    # The page shows `"author": "customer"`; the other values are the two other parties of a
    # conversation, in the same spelling. The sandbox accepts any string.
    AUTHORS = [
        ("customer", _("Customer")),
        ("agent", _("Agent")),
        ("bot", _("Bot")),
    ]

    message = forms.CharField(
        label=_("Message"),
        max_length=FEED_MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_("At most %(n)s characters.") % {"n": f"{FEED_MESSAGE_MAX_CHARS:,}"},
    )
    author = forms.ChoiceField(label=_("Author"), choices=AUTHORS, initial="customer")
    time = forms.DateTimeField(label=_("Time"), required=False, widget=LocalDateTimeInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time"].help_text = _time_zone_help(
            str(_("When it happened, from %(earliest)s until now; blank is now."))
            % {"earliest": EARLIEST_DATE.isoformat()}
        )

    def clean_time(self) -> datetime:
        value = self.cleaned_data.get("time")
        future = _(
            "Time: %(when)s is in the future; give a past time, or leave it blank for now."
        ) % {"when": _display(value)}
        return _past(value, label=str(self.fields["time"].label), future=future) or timezone.now()


class StartChatForm(ActionForm):
    """vendor-docs 002: the queue the chat starts in; the customer comes from each contact."""

    chat_queue_id = forms.IntegerField(
        label=_("Chat queue id"),
        min_value=1,
        max_value=CHAT_QUEUE_ID_MAX,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 10}),
        help_text=_("The number of the Thulium chat queue, e.g. 3."),
        error_messages={
            "invalid": _("Chat queue id: give the queue's number, a whole number such as 3."),
            "min_value": _("Chat queue id: a queue's number is at least %(limit_value)s."),
            "max_value": _("Chat queue id: a queue's number is at most %(limit_value)s."),
        },
    )
