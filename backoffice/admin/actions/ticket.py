"""Ticket actions: reply to the selected Thulium tickets (vendor-docs 001)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.base import intermediate_action
from backoffice.admin.actions.forms import ReplyToTicketForm
from backoffice.models import AgentIdentity, Ticket, User, VendorAccount
from backoffice.operations.attachments import stored_files_create
from backoffice.operations.enqueue import SkipTarget


class ReplyParams:
    """The parameters of one ticket's reply: shared text, the staff member's login there.

    The attached files are stored once, when the first ticket is queued (none when every ticket
    is skipped), inside the transaction that writes the operations.
    """

    def __init__(self, *, user: User, cleaned: Mapping[str, Any]) -> None:
        self.user = user
        self.logins: dict[int, str] = dict(
            AgentIdentity.objects.filter(user=user).values_list("account_id", "login")
        )
        self.body: str = cleaned["body"]
        self.body_type: str = cleaned["body_type"]
        date = cleaned.get("date")
        self.date: str | None = date.isoformat() if date is not None else None
        self.uploads: Sequence[UploadedFile] = cleaned.get("attachments") or []
        self.attachment_ids: list[int] | None = None

    def __call__(self, ticket: Ticket) -> dict[str, Any]:
        login = self.logins.get(ticket.account_id)
        if not login:
            raise SkipTarget(f"you have no agent identity at {ticket.account.name}")
        if self.attachment_ids is None:
            stored = stored_files_create(uploads=self.uploads, user=self.user)
            self.attachment_ids = [f.pk for f in stored]
        return {
            "body": self.body,
            "body_type": self.body_type,
            "user_login": login,
            "date": self.date,
            "attachments": list(self.attachment_ids),
        }


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


@admin.action(description=_("Reply to the selected tickets"), permissions=["reply_to_ticket"])
def reply_to_ticket(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Ticket]
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]

    def params(form: forms.Form) -> ReplyParams:
        return ReplyParams(user=user, cleaned=form.cleaned_data)

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action="reply_to_ticket",
        title=gettext("Reply to tickets"),
        noun=(gettext("reply"), gettext("replies")),
        form_class=ReplyToTicketForm,
        params=params,
        intro=_reply_intro(user, queryset),
    )
