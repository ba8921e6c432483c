"""``send_message``: a chat message to the selected conversations (HelpCrunch and Bony.chat).

The form is checked against the limits of every channel in the selection, so a staff member
learns before anything is queued that a text is too long for, say, Facebook Messenger. What a
single conversation cannot take (no HelpCrunch agent id for the staff member at its account, a
private note on a Bony.chat channel) is skipped and listed, never sent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions.base import intermediate_action
from backoffice.models import (
    AgentIdentity,
    BonyChannelKind,
    ChatConversation,
    ChatMessage,
    OperationAction,
    User,
    VendorAccount,
)
from backoffice.operations.enqueue import SkipTarget
from backoffice.operations.handlers import vendors_for
from backoffice.vendors import Vendor

Sender = ChatMessage.Sender


@dataclass(frozen=True)
class TextLimit:
    characters: int
    name: str  # says whose limit it is, in the error a staff member reads


# HelpCrunch publishes no length limit for a message (vendor-docs 003); this one is ours, well
# above any chat reply, so that a pasted document is caught here rather than at the vendor.
HELPCRUNCH_LIMIT = TextLimit(10_000, "HelpCrunch (Switchboard's limit)")
# Bony.chat passes the text on to the messaging platform, whose own limit then applies.
BONY_LIMITS: Mapping[str, TextLimit] = {
    BonyChannelKind.MESSENGER: TextLimit(2_000, "Facebook Messenger"),
    BonyChannelKind.VIBER: TextLimit(7_000, "Viber"),
    BonyChannelKind.WHATSAPP: TextLimit(4_096, "WhatsApp"),
    BonyChannelKind.TELEGRAM: TextLimit(4_096, "Telegram"),
    BonyChannelKind.INSTAGRAM: TextLimit(1_000, "Instagram"),
}
# Web chat and other channels publish none: the same ceiling as HelpCrunch.
BONY_OTHER_LIMIT = TextLimit(10_000, "Bony.chat (Switchboard's limit)")


def text_limit(account: VendorAccount) -> TextLimit:
    if account.vendor == Vendor.HELPCRUNCH:
        return HELPCRUNCH_LIMIT
    return BONY_LIMITS.get(account.channel_kind, BONY_OTHER_LIMIT)


def too_long(limit: TextLimit, text: str) -> str:
    return (
        f"{limit.name} allows at most {limit.characters:,} characters in a message; "
        f"this text has {len(text):,}."
    )


def accounts_in(queryset: QuerySet[ChatConversation]) -> list[VendorAccount]:
    """The accounts that take messages among those of the selected conversations.

    One EXISTS probe per account (there are a handful) over the conversations' account index,
    rather than a DISTINCT over a selection that may span millions of conversations.
    """
    selected = queryset.order_by().filter(account=OuterRef("pk"))
    vendors = vendors_for(OperationAction.SEND_MESSAGE)
    return list(VendorAccount.objects.filter(Exists(selected), vendor__in=vendors))


class SendMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_("Plain text, as the customer will read it."),
    )
    sender = forms.ChoiceField(
        label=_("Send as"),
        choices=[
            (Sender.AGENT, _("Me, as the agent")),
            (Sender.CONTACT, _("The contact (HelpCrunch only)")),
            (Sender.NOTE, _("A private note, seen by agents only (HelpCrunch only)")),
        ],
        initial=Sender.AGENT,
        widget=forms.RadioSelect,
        help_text=_(
            "As the agent or as a note, HelpCrunch needs your agent id at the conversation's"
            " account (your agent identity there); conversations without one are skipped."
        ),
    )
    markdown_text = forms.CharField(
        label=_("Formatted text (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_(
            "HelpCrunch only: the same message with markdown formatting (e.g. **bold**), sent"
            " beside the plain text."
        ),
    )

    def __init__(self, *args: Any, accounts: Collection[VendorAccount] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limits = sorted({text_limit(a) for a in accounts}, key=lambda lim: lim.characters)
        if not any(a.vendor == Vendor.HELPCRUNCH for a in accounts):
            # Only Bony.chat (or nothing that takes messages): no sender to choose, no markdown.
            del self.fields["markdown_text"]
            sender = self.fields["sender"]
            assert isinstance(sender, forms.ChoiceField)
            sender.choices = [(Sender.AGENT, _("The channel's agent"))]
        if self.limits:
            self.fields["text"].help_text = "Limits: " + "; ".join(
                f"{lim.name} {lim.characters:,} characters" for lim in self.limits
            )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        problems = [too_long(lim, text) for lim in self.limits if len(text) > lim.characters]
        if problems and len(problems) < len(self.limits):
            problems.append(
                "Shorten it, or leave those conversations out of the selection: the others take it."
            )
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_markdown_text(self) -> str:
        markdown: str = self.cleaned_data.get("markdown_text") or ""
        if len(markdown) > HELPCRUNCH_LIMIT.characters:
            raise forms.ValidationError(too_long(HELPCRUNCH_LIMIT, markdown))
        return markdown


class MessageParams:
    """The operation's parameters for each conversation, or why it is skipped."""

    def __init__(self, form: forms.Form, user: User) -> None:
        data = form.cleaned_data
        self.text: str = data["text"]
        self.sender: str = data["sender"]
        self.markdown: str = data.get("markdown_text") or ""
        # The staff member's identities, read once for the whole selection.
        self.logins = dict(
            AgentIdentity.objects.filter(user=user).values_list("account_id", "login")
        )

    def __call__(self, conversation: ChatConversation) -> dict[str, Any]:
        account = conversation.account
        limit = text_limit(account)
        if len(self.text) > limit.characters:
            # An account added after the form was checked: say so rather than let it fail later.
            raise SkipTarget(too_long(limit, self.text))
        if account.vendor == Vendor.BONY:
            return self._bony()
        agent_id: int | None = None
        if self.sender in (Sender.AGENT, Sender.NOTE):
            agent_id = self._agent_id(account)
        return {
            "text": self.text,
            "markdown_text": self.markdown,
            "sender": self.sender,
            "agent_id": agent_id,
        }

    def _bony(self) -> dict[str, Any]:
        if self.sender != Sender.AGENT:
            raise SkipTarget(
                "Bony.chat sends messages only as the channel's agent, not as the contact or"
                " as a private note"
            )
        if self.markdown:
            raise SkipTarget(
                "Bony.chat takes plain text only; send it again without the formatted text"
            )
        return {"text": self.text, "sender": Sender.AGENT}

    def _agent_id(self, account: VendorAccount) -> int:
        login = self.logins.get(account.pk)
        if login is None:
            raise SkipTarget(
                f"you have no HelpCrunch agent id at {account.name}: add your agent identity"
                " there to send as the agent or as a note"
            )
        if not login.strip().isdigit():
            raise SkipTarget(
                f"your agent identity at {account.name} is {login!r}, not a numeric HelpCrunch"
                " agent id"
            )
        return int(login)


@admin.action(description=_("Send a chat message"), permissions=["send_message"])
def send_message(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[ChatConversation],
) -> TemplateResponse | None:
    user: User = request.user  # type: ignore[assignment]
    return intermediate_action(
        modeladmin,
        request,
        queryset,
        action=OperationAction.SEND_MESSAGE,
        title=str(_("Send a chat message")),
        noun=(gettext("message"), gettext("messages")),
        form_class=SendMessageForm,
        form_kwargs={"accounts": accounts_in(queryset)},
        params=lambda form: MessageParams(form, user),
        intro=str(
            _(
                "One message per selected conversation, sent in the background. Thulium"
                " conversations are skipped: Switchboard does not send into Thulium chats."
            )
        ),
    )
