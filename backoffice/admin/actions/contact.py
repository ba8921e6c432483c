"""Contact actions: tags (HelpCrunch, Bony.chat), push to the vendor (HelpCrunch, Bony.chat),
a contact-history record and a chat start (Thulium, vendor-docs 000 and 002)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.base import intermediate_action, report
from backoffice.admin.actions.forms import (
    TAG_CHOICES_SHOWN,
    FeedRecordForm,
    PushToVendorForm,
    StartChatForm,
    TagsForm,
)
from backoffice.models import Contact, OperationAction, Tag
from backoffice.operations.enqueue import SkipTarget, operation_skip_reason, operations_enqueue
from backoffice.operations.handlers.contacts import bony_fields, changed_fields, helpcrunch_fields
from backoffice.vendors import Vendor
from connectors.bony import MAX_FIELDS_PER_REQUEST


def _plain(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    """The selection as a subquery: no ordering, no prefetching."""
    return queryset.order_by().prefetch_related(None)


def _paragraphs(*texts: str) -> SafeString:
    return format_html_join("", "<p>{}</p>", ((text,) for text in texts))


# --- Tags --------------------------------------------------------------------------------------


def _tag_names(tags: QuerySet[Tag]) -> list[str]:
    names = tags.order_by("name").values_list("name", flat=True).distinct()
    return list(names[:TAG_CHOICES_SHOWN])


class TagParams:
    """``{"tags": [{"name", "color"?}]}`` per contact. HelpCrunch takes a colour: the one of the
    account's tag of that name here, when it has one."""

    def __init__(self, names: list[str], *, with_colours: bool) -> None:
        self.names = names
        self.with_colours = with_colours
        self.colours: dict[int, dict[str, str]] = {}

    def _colours(self, account_id: int) -> dict[str, str]:
        if account_id not in self.colours:
            rows = Tag.objects.filter(account_id=account_id, name__in=self.names).exclude(color="")
            self.colours[account_id] = dict(rows.values_list("name", "color"))
        return self.colours[account_id]

    def __call__(self, contact: Contact) -> dict[str, Any]:
        if not (self.with_colours and contact.account.vendor == Vendor.HELPCRUNCH):
            return {"tags": [{"name": name} for name in self.names]}
        colours = self._colours(contact.account_id)
        return {
            "tags": [
                {"name": name, **({"color": colours[name]} if name in colours else {})}
                for name in self.names
            ]
        }


def _tags_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Contact],
    *,
    add: bool,
) -> TemplateResponse | None:
    selection = _plain(queryset)
    if add:
        offered = Tag.objects.filter(account__in=selection.values("account_id"))
        title = gettext("Add tags")
        intro = gettext(
            "The tags are added at HelpCrunch and Bony.chat; HelpCrunch creates a tag it does not"
            " know, in the colour of the account's tag of that name here, if there is one."
        )
    else:
        offered = Tag.objects.filter(contacts__in=selection.values("pk"))
        title = gettext("Remove tags")
        intro = gettext("The tags are removed at HelpCrunch and Bony.chat.")
    skipped = gettext(
        "Thulium contacts (Thulium has no tags here) and contacts not at their vendor yet are"
        " skipped."
    )

    def params(form: forms.Form) -> TagParams:
        return TagParams(form.cleaned_data["tags"], with_colours=add)

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action="add_tags" if add else "remove_tags",
        title=title,
        noun=(gettext("tag change"), gettext("tag changes")),
        form_class=TagsForm,
        params=params,
        form_kwargs={"existing_choices": _tag_names(offered)},
        intro=_paragraphs(intro, skipped),
    )


@admin.action(description=_("Add tags at the vendor"), permissions=["tag_contact"])
def add_tags(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    return _tags_action(modeladmin, request, queryset, add=True)


@admin.action(description=_("Remove tags at the vendor"), permissions=["tag_contact"])
def remove_tags(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    return _tags_action(modeladmin, request, queryset, add=False)


# --- Push to the vendor ------------------------------------------------------------------------


def push_fields(contact: Contact) -> dict[str, Any]:
    """The vendor fields that differ from what the vendor last had (``vendor_snapshot``)."""
    if contact.account.vendor == Vendor.BONY:
        current = bony_fields(contact)
    else:
        current = helpcrunch_fields(contact)
    return changed_fields(current, contact.vendor_snapshot or {})


def push_refusal(fields: dict[str, Any]) -> str | None:
    """Why these fields cannot be sent as they are, or None."""
    email = fields.get("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            return f"its e-mail “{email}” is not a valid address"
    return None


def push_params(contact: Contact) -> dict[str, Any]:
    fields = push_fields(contact)
    if not fields:
        raise SkipTarget("nothing changed since the last sync or push")
    refusal = push_refusal(fields)
    if refusal:
        raise SkipTarget(refusal)
    # Pairs, not an object: PostgreSQL's jsonb reorders object keys, and for a Bony.chat create
    # the order decides which fields go in the first request of 30.
    return {"fields": [[name, value] for name, value in fields.items()]}


PREVIEWED = 10


def _push_summary(queryset: QuerySet[Contact]) -> SafeString:
    """What the push will do, per vendor, for the whole selection (one grouped count)."""
    has_id = Q(vendor_id__isnull=False) & ~Q(vendor_id="")
    counts = {
        row["account__vendor"]: row
        for row in _plain(queryset)
        .values("account__vendor")
        .annotate(total=Count("pk"), with_id=Count("pk", filter=has_id))
    }
    lines: list[str] = []
    if bony := counts.get(Vendor.BONY):
        line = gettext("Bony.chat: %(n)s to update") % {"n": bony["with_id"]}
        if created := bony["total"] - bony["with_id"]:
            line += gettext(", %(n)s to create (no contact id yet)") % {"n": created}
        lines.append(f"{line}.")
    if helpcrunch := counts.get(Vendor.HELPCRUNCH):
        line = gettext("HelpCrunch: %(n)s to update") % {"n": helpcrunch["with_id"]}
        if missing := helpcrunch["total"] - helpcrunch["with_id"]:
            line += gettext(
                "; %(n)s skipped (not at HelpCrunch yet: HelpCrunch creates its customers itself)"
            ) % {"n": missing}
        lines.append(f"{line}.")
    if thulium := counts.get(Vendor.THULIUM):
        lines.append(
            gettext("Thulium: %(n)s skipped (contacts are not pushed to Thulium from here).")
            % {"n": thulium["total"]}
        )
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((x,) for x in lines)))


def _push_outcome(contact: Contact) -> str:
    """What the push will do with one contact, in the words the report would use."""
    reason = operation_skip_reason(action="push_to_vendor", target=contact)
    if reason is None:
        try:
            fields = dict(push_params(contact)["fields"])
        except SkipTarget as skip:
            reason = str(skip)
        else:
            return gettext("sends %(fields)s") % {"fields": ", ".join(sorted(fields))}
    return gettext("skipped: %(why)s") % {"why": reason}


def _push_preview(contacts: Iterable[Contact]) -> SafeString:
    rows = [(str(c), c.account.name, _push_outcome(c)) for c in contacts]
    return format_html(
        "<p>{}</p><ul>{}</ul>",
        gettext("The first contacts of the selection:"),
        format_html_join("", "<li>{} ({}): {}</li>", rows),
    )


def _push_intro(queryset: QuerySet[Contact]) -> SafeString:
    head = gettext(
        "Each contact's changed fields go to its vendor: only what differs from what the vendor"
        " last had (after a sync or a push). Contacts with nothing changed, or with an e-mail"
        " that is not a valid address, are skipped."
    )
    limit = gettext(
        "Bony.chat takes at most %(n)s fields a request; longer updates are sent in parts."
    ) % {"n": MAX_FIELDS_PER_REQUEST}
    preview = _plain(queryset).select_related("account").order_by("-pk")[:PREVIEWED]
    return format_html(
        "{}{}{}{}",
        _paragraphs(head),
        _push_summary(queryset),
        _paragraphs(limit),
        _push_preview(preview),
    )


@admin.action(description=_("Push changes to the vendor"), permissions=["push_contact"])
def push_to_vendor(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    def params(form: forms.Form) -> Callable[[Contact], dict[str, Any]]:
        return push_params

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action="push_to_vendor",
        title=gettext("Push contacts to their vendor"),
        noun=(gettext("contact push"), gettext("contact pushes")),
        form_class=PushToVendorForm,
        params=params,
        intro=_push_intro(queryset) if "apply" not in request.POST else "",
    )


# --- Thulium: contact history and chat ---------------------------------------------------------


THULIUM_ONLY = _("Contacts at other vendors are skipped.")


@admin.action(
    description=_("Add a contact-history record (Thulium)"), permissions=["add_feed_record"]
)
def add_feed_record(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    def params(form: forms.Form) -> Callable[[Contact], dict[str, Any]]:
        shared = {
            "message": form.cleaned_data["message"],
            "author": form.cleaned_data["author"],
            "time": form.cleaned_data["time"].isoformat(),
        }

        def per_contact(contact: Contact) -> dict[str, Any]:
            # A fresh id per record: Thulium keeps every entry it is sent under its own id.
            return {"record_id": f"switchboard-{uuid.uuid4().hex}", **shared}

        return per_contact

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action="add_feed_record",
        title=gettext("Add a contact-history record"),
        noun=(gettext("contact-history record"), gettext("contact-history records")),
        form_class=FeedRecordForm,
        params=params,
        intro=_paragraphs(
            gettext("The same entry is added to each contact's history at Thulium."),
            f"{THULIUM_ONLY} {gettext('So are contacts not at Thulium yet (no customer id).')}",
        ),
    )


@admin.action(description=_("Start a chat (Thulium)"), permissions=["start_chat"])
def start_chat(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    def params(form: forms.Form) -> dict[str, Any]:
        return {"chat_queue_id": form.cleaned_data["chat_queue_id"]}

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action="start_chat",
        title=gettext("Start chats"),
        noun=(gettext("chat start"), gettext("chat starts")),
        form_class=StartChatForm,
        params=params,
        intro=_paragraphs(
            gettext(
                "A chat starts in the given queue for each contact. Thulium finds the customer by"
                " the contact's Thulium id, then by its e-mail; the contact's names go with it."
            ),
            str(THULIUM_ONLY),
        ),
    )


# --- Refresh from the vendor -------------------------------------------------------------------


@admin.action(description=_("Refresh from the vendor"), permissions=["sync_from_vendor"])
def sync_from_vendor(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> None:
    """Read each selected contact again by its vendor id (no form: nothing to ask)."""
    result = operations_enqueue(
        actor=request.user,  # type: ignore[arg-type]
        action=OperationAction.SYNC_FROM_VENDOR,
        targets=_plain(queryset).select_related("account"),
        params={},
    )
    report(modeladmin, request, result, (gettext("contact refresh"), gettext("contact refreshes")))
