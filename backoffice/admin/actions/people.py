"""The staff's corrections of automatic person links: merge persons, split contacts off.

Both show a confirmation page naming what changes (re-posting the selection, Django's pattern for
actions with an intermediate page); the second post, carrying ``apply``, calls the service. Both
need the ``manage_persons`` permission and are recorded in the admin history of every person and
contact they touch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.base import action_page_context
from backoffice.models import Contact, Person
from backoffice.people.corrections import SplitResult, contacts_split, persons_merge
from backoffice.services import ApplicationError

TEMPLATE = "admin/backoffice/person/confirm_action.html"
# A merge names every person and contact it joins on its confirmation page.
MERGE_MAX_PERSONS = 50
SPLIT_SHOWN = 50


class SurvivorForm(forms.Form):
    survivor = forms.TypedChoiceField(
        label=_("Keep"),
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("The person the others are merged into; its name and page stay."),
    )

    def __init__(self, *args: Any, persons: Sequence[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["survivor"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(p.pk, f"#{p.pk} {p.name}".strip()) for p in persons]
        field.initial = min(p.pk for p in persons)  # the oldest


def _person_url(person_id: int) -> str:
    return reverse("admin:backoffice_person_change", args=[person_id])


def _contact_html(contact: Contact) -> SafeString:
    return format_html(
        '<a href="{}">{}</a> · {} · {}',
        reverse("admin:backoffice_contact_change", args=[contact.pk]),
        contact.display_name,
        contact.account.name,
        contact.email or contact.phone or "—",
    )


def _confirmation(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    action: str,
    title: str,
    lead: str,
    rows: list[tuple[SafeString, SafeString]],
    headers: tuple[str, str],
    button: str,
    form: forms.Form | None = None,
) -> TemplateResponse:
    context = {
        **action_page_context(modeladmin, request, action=action, title=title),
        "lead": lead,
        "rows": rows,
        "headers": headers,
        "button": button,
        "form": form,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)


def _merge_refusal(persons: list[Person]) -> str | None:
    """Why the selection cannot be merged, if it cannot: too few, or too many for one page."""
    if len(persons) < 2:
        return gettext("Select at least two persons to merge.")
    if len(persons) > MERGE_MAX_PERSONS:
        return gettext("Select at most %(n)d persons to merge at once.") % {"n": MERGE_MAX_PERSONS}
    return None


def _merge_apply(
    modeladmin: admin.ModelAdmin, request: HttpRequest, persons: list[Person], survivor_id: int
) -> None:
    """The confirmed merge, and its outcome as a message."""
    survivor = next(p for p in persons if p.pk == survivor_id)
    try:
        result = persons_merge(
            persons=persons,
            survivor=survivor,
            actor=request.user,  # type: ignore[arg-type]
        )
    except ApplicationError as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return
    modeladmin.message_user(
        request,
        format_html(
            gettext(
                'Merged {count} persons into <a href="{url}">{person}</a> ({moved} contacts moved).'
            ),
            count=len(result.merged) + 1,
            url=_person_url(result.survivor.pk),
            person=result.survivor,
            moved=result.contacts_moved,
        ),
        messages.SUCCESS,
    )


def _merge_confirmation(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    persons: list[Person],
    form: SurvivorForm,
) -> TemplateResponse:
    """The page naming every person merged and each one's contacts, with the choice of survivor."""
    rows = [
        (
            format_html('<a href="{}">#{} {}</a>', _person_url(p.pk), p.pk, p.name),
            format_html_join(
                SafeString("<br>"), "{}", ((_contact_html(c),) for c in p.contacts.all())
            )
            or SafeString("—"),
        )
        for p in persons
    ]
    total = sum(len(p.contacts.all()) for p in persons)
    return _confirmation(
        modeladmin,
        request,
        action="merge_persons",
        title=gettext("Merge into one person"),
        lead=gettext(
            "These %(persons)d persons and their %(contacts)d contacts become one person."
            " Automatic linking never separates them again; a split does."
        )
        % {"persons": len(persons), "contacts": total},
        rows=rows,
        headers=(gettext("Person"), gettext("Contacts")),
        button=gettext("Merge them"),
        form=form,
    )


@admin.action(description=_("Merge into one person"), permissions=["manage_persons"])
def merge_persons(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Person]
) -> TemplateResponse | None:
    contacts = Contact.objects.select_related("account").order_by("pk")
    persons = list(
        queryset.order_by("pk")
        .prefetch_related(None)
        .prefetch_related(Prefetch("contacts", queryset=contacts))[: MERGE_MAX_PERSONS + 1]
    )
    if refusal := _merge_refusal(persons):
        modeladmin.message_user(request, refusal, messages.WARNING)
        return None
    if "apply" in request.POST:
        form = SurvivorForm(request.POST, persons=persons)
        if form.is_valid():
            _merge_apply(modeladmin, request, persons, form.cleaned_data["survivor"])
            return None
    else:
        form = SurvivorForm(persons=persons)
    return _merge_confirmation(modeladmin, request, persons, form)


def _split_message(result: SplitResult) -> tuple[SafeString, int]:
    """The outcome of a split as a message and its level: a warning when anything was skipped."""
    done = format_html_join(
        ", ", '<a href="{}">{}</a>', ((_person_url(p.pk), p) for p in result.new_persons)
    )
    skipped = format_html_join(
        "; ", "{} — {}", ((c.display_name, why) for c, why in result.skipped[:10])
    )
    if result.contacts_moved:
        text = format_html(
            gettext(
                "Split {count} contacts off into {persons};"
                " automatic linking will not join them again."
            ),
            count=result.contacts_moved,
            persons=done,
        )
    else:
        text = format_html("{}", gettext("Nothing split."))
    if result.skipped:
        text = format_html(
            gettext("{text} {count} left as they were: {skipped}."),
            text=text,
            count=len(result.skipped),
            skipped=skipped,
        )
    level = messages.SUCCESS if result.contacts_moved and not result.skipped else messages.WARNING
    return text, level


@admin.action(description=_("Split from person"), permissions=["manage_persons"])
def split_from_person(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    selection = queryset.order_by("pk").select_related("account", "person").prefetch_related(None)
    if "apply" in request.POST:
        result = contacts_split(
            contacts=list(selection),
            actor=request.user,  # type: ignore[arg-type]
        )
        modeladmin.message_user(request, *_split_message(result))
        return None
    count = selection.count()
    rows = [
        (
            _contact_html(c),
            format_html('<a href="{}">{}</a>', _person_url(c.person_id), c.person)
            if c.person_id
            else SafeString("—"),
        )
        for c in selection[:SPLIT_SHOWN]
    ]
    lead = ngettext(
        "%(n)d contact leaves its person.",
        "%(n)d contacts leave their persons; those of one person go together into a new one.",
        count,
    ) % {"n": count}
    return _confirmation(
        modeladmin,
        request,
        action="split_from_person",
        title=gettext("Split from person"),
        lead=lead
        + " "
        + gettext(
            "Automatic linking will not join them with the contacts they leave again, even"
            " when they share an e-mail or phone."
        ),
        rows=rows,
        headers=(gettext("Contact"), gettext("Person now")),
        button=gettext("Split them off"),
    )
