"""Ticket actions in the admin: the reply form, then ``backoffice.actions.reply_to_ticket``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.actions import refresh_from_vendor as refresh
from backoffice.actions import reply_to_ticket as reply
from backoffice.admin.actions.base import formless_action, intermediate_action
from backoffice.models import AgentIdentity, Ticket, User, VendorAccount
from backoffice.operations.enqueue import Enqueued


def _reply_intro(user: User, queryset: QuerySet[Ticket]) -> SafeString:
    """Who the reply is sent as at each account of the selection, and where it cannot be."""
    accounts = VendorAccount.objects.filter(
        pk__in=queryset.order_by().values("account_id")
    ).order_by("name")
    logins = dict(
        AgentIdentity.objects.filter(user=user, account__in=accounts).values_list(
            "account_id", "login"
        )
    )
    lines = format_html_join(
        "",
        "<li>{}</li>",
        (
            (
                format_html(gettext("At {}: sent as {}."), account.name, logins[account.pk])
                if account.pk in logins
                else format_html(
                    gettext("At {}: you have no agent identity, so its tickets will be skipped."),
                    account.name,
                ),
            )
            for account in accounts
        ),
    )
    return format_html(
        "<p>{}</p><ul>{}</ul>",
        gettext("Each ticket gets the same reply, sent in your name at its Thulium account."),
        lines,
    )


@admin.action(description=_("Reply to the selected tickets"), permissions=[reply.ACTION.permission])
def reply_to_ticket(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Ticket]
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]

    def submit(tickets: QuerySet[Ticket], form: forms.Form) -> Enqueued:
        return reply.reply_to_ticket_enqueue(actor=user, tickets=tickets, cleaned=form.cleaned_data)

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action=reply.ACTION.name,
        title=gettext("Reply to tickets"),
        noun=(gettext("reply"), gettext("replies")),
        form_class=reply.ReplyToTicketForm,
        submit=submit,
        intro=_reply_intro(user, queryset),
    )


refresh_from_vendor = formless_action(
    name="refresh_from_vendor",
    description=_("Refresh from the vendor"),
    permission=refresh.ACTION.permission,
    noun=(_("ticket refresh"), _("ticket refreshes")),
    submit=lambda user, records: refresh.refresh_from_vendor_enqueue(actor=user, records=records),
)
