"""Contact actions in the admin: tags (HelpCrunch, Bony.chat), push to the vendor (HelpCrunch,
Bony.chat), a contact-history record and a chat start (Thulium), a refresh from the vendor.

Each is its form and the page's explanations, then one call of its module in
``backoffice.actions``, where its rules live."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.actions import add_feed_record as feed
from backoffice.actions import add_tags as tagging
from backoffice.actions import push_to_vendor as pushing
from backoffice.actions import remove_tags as untagging
from backoffice.actions import start_chat as chat_start
from backoffice.actions import sync_from_vendor as sync
from backoffice.admin.actions.base import intermediate_action, report
from backoffice.models import Contact, Tag, User
from backoffice.operations.enqueue import Enqueued, SkipTarget, operation_skip_reason
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
    return list(names[: tagging.TAG_CHOICES_SHOWN])


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

    user: User = request.user  # type: ignore[assignment]
    action = tagging.ACTION if add else untagging.ACTION

    def submit(contacts: QuerySet[Contact], form: forms.Form) -> Enqueued:
        names = form.cleaned_data["tags"]
        return tagging.tags_enqueue(actor=user, action=action, contacts=contacts, names=names)

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action=action.name,
        title=title,
        noun=(gettext("tag change"), gettext("tag changes")),
        form_class=tagging.TagsForm,
        submit=submit,
        form_kwargs={"existing_choices": _tag_names(offered)},
        intro=_paragraphs(intro, skipped),
    )


@admin.action(description=_("Add tags at the vendor"), permissions=[tagging.ACTION.permission])
def add_tags(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    return _tags_action(modeladmin, request, queryset, add=True)


@admin.action(description=_("Remove tags at the vendor"), permissions=[tagging.ACTION.permission])
def remove_tags(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    return _tags_action(modeladmin, request, queryset, add=False)


# --- Push to the vendor ------------------------------------------------------------------------


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
    reason = operation_skip_reason(action=pushing.ACTION.name, target=contact)
    if reason is None:
        try:
            fields = dict(pushing.push_request(contact)["fields"])
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


@admin.action(description=_("Push changes to the vendor"), permissions=[pushing.ACTION.permission])
def push_to_vendor(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]

    def submit(contacts: QuerySet[Contact], form: forms.Form) -> Enqueued:
        return pushing.push_to_vendor_enqueue(actor=user, contacts=contacts)

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action=pushing.ACTION.name,
        title=gettext("Push contacts to their vendor"),
        noun=(gettext("contact push"), gettext("contact pushes")),
        form_class=pushing.PushToVendorForm,
        submit=submit,
        intro=_push_intro(queryset) if "apply" not in request.POST else "",
    )


# --- Thulium: contact history and chat ---------------------------------------------------------


THULIUM_ONLY = _("Contacts at other vendors are skipped.")


@admin.action(
    description=_("Add a contact-history record (Thulium)"), permissions=[feed.ACTION.permission]
)
def add_feed_record(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]

    def submit(contacts: QuerySet[Contact], form: forms.Form) -> Enqueued:
        return feed.add_feed_record_enqueue(
            actor=user, contacts=contacts, cleaned=form.cleaned_data
        )

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action=feed.ACTION.name,
        title=gettext("Add a contact-history record"),
        noun=(gettext("contact-history record"), gettext("contact-history records")),
        form_class=feed.FeedRecordForm,
        submit=submit,
        intro=_paragraphs(
            gettext("The same entry is added to each contact's history at Thulium."),
            f"{THULIUM_ONLY} {gettext('So are contacts not at Thulium yet (no customer id).')}",
        ),
    )


@admin.action(description=_("Start a chat (Thulium)"), permissions=[chat_start.ACTION.permission])
def start_chat(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]

    def submit(contacts: QuerySet[Contact], form: forms.Form) -> Enqueued:
        return chat_start.start_chat_enqueue(
            actor=user, contacts=contacts, cleaned=form.cleaned_data
        )

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action=chat_start.ACTION.name,
        title=gettext("Start chats"),
        noun=(gettext("chat start"), gettext("chat starts")),
        form_class=chat_start.StartChatForm,
        submit=submit,
        intro=_paragraphs(
            gettext(
                "A chat starts in the given queue for each contact. Thulium finds the customer by"
                " the contact's Thulium id, then by its e-mail; the contact's names go with it."
            ),
            str(THULIUM_ONLY),
        ),
    )


# --- Refresh from the vendor -------------------------------------------------------------------


@admin.action(description=_("Refresh from the vendor"), permissions=[sync.ACTION.permission])
def sync_from_vendor(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contact]
) -> None:
    """Read each selected contact again by its vendor id (no form: nothing to ask)."""
    result = sync.contacts_refresh_enqueue(
        actor=request.user,  # type: ignore[arg-type]
        contacts=_plain(queryset).select_related("account"),
    )
    report(modeladmin, request, result, (gettext("contact refresh"), gettext("contact refreshes")))
