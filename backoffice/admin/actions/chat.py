"""``send_message`` in the admin: the form, checked against the selection's channels, then
``backoffice.actions.send_message``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.actions import refresh_from_vendor as refresh
from backoffice.actions import send_message as send
from backoffice.admin.actions.base import formless_action, intermediate_action
from backoffice.models import ChatConversation, User
from backoffice.operations.enqueue import Enqueued


@admin.action(description=_("Send a chat message"), permissions=[send.ACTION.permission])
def send_message(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[ChatConversation],
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]

    def submit(conversations: QuerySet[ChatConversation], form: forms.Form) -> Enqueued:
        return send.send_message_enqueue(actor=user, conversations=conversations, form=form)

    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action=send.ACTION.name,
        title=str(_("Send a chat message")),
        noun=(gettext("message"), gettext("messages")),
        form_class=send.SendMessageForm,
        form_kwargs={"accounts": send.accounts_in(queryset)},
        submit=submit,
        intro=str(
            _(
                "One message per selected conversation, sent in the background. Thulium"
                " conversations are skipped: Switchboard does not send into Thulium chats."
            )
        ),
    )


refresh_from_vendor = formless_action(
    name="refresh_from_vendor",
    description=_("Refresh from the vendor"),
    permission=refresh.ACTION.permission,
    noun=(_("chat refresh"), _("chat refreshes")),
    submit=lambda user, records: refresh.refresh_from_vendor_enqueue(actor=user, records=records),
)
