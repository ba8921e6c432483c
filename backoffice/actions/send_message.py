"""Send a chat message to conversations at HelpCrunch and Bony.chat: the whole story.

- **Parameters**: the text, checked against the limit of every channel in the selection (so a
  staff member learns before anything is queued that a text is too long for, say, Facebook
  Messenger); who it is sent as (the agent; at HelpCrunch also the contact, or a private note);
  HelpCrunch's optional markdown text (``SendMessageForm``).
- **Skipped**: conversations outside the staff member's accounts, at an inactive account, at
  Thulium (Switchboard does not send into Thulium chats); at HelpCrunch, as the agent or a note,
  without the staff member's numeric agent id there (their agent identity); at Bony.chat, as the
  contact, as a note, or with markdown (``MessageRequest``).
- **Sent**: HelpCrunch ``POST /messages`` (vendor-docs 003); Bony.chat
  ``POST /message/sendContent/{contact}`` with the text (its messages page).
- **Reconciled**: HelpCrunch, the recorded answer, else the chat's messages newest first since
  the request; Bony.chat, only our own record of a successful answer.
- **Mirror**: the message on its conversation (``mirror.chats.chat_message_record``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.mirror.chats import chat_message_record
from backoffice.models import (
    AgentIdentity,
    BonyChannelKind,
    ChatConversation,
    ChatMessage,
    OperationAction,
    User,
    VendorAccount,
)
from backoffice.operations.action import (
    Action,
    Done,
    Handler,
    NotReconcilable,
    Run,
    SkipTarget,
    recorded_json,
    succeeded,
)
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.vendors import Vendor
from connectors.types.helpcrunch import HelpCrunchMessage

CLOCK_SKEW = timedelta(minutes=2)

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
    return list(VendorAccount.objects.filter(Exists(selected), vendor__in=ACTION.vendors))


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


class MessageRequest:
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


class HelpCrunchSend(Handler):
    vendor = Vendor.HELPCRUNCH
    can_reconcile = True  # the chat's messages (newest first) show whether it arrived

    def perform(self, run: Run) -> Done:
        params = run.params
        message = run.client.send_message(
            run.target.vendor_id,
            params["text"],
            # A message from the contact carries no agent (vendor-docs 003), whatever was given.
            agent_id=None if params["sender"] == Sender.CONTACT else params.get("agent_id"),
            markdown_text=params.get("markdown_text") or None,
            type="private" if params["sender"] == Sender.NOTE else "message",
        )
        return _helpcrunch_done(run, message)

    def reconcile(self, run: Run) -> Done | None:
        answer = recorded_json(run.last_send())
        if answer and answer.get("id"):
            return _helpcrunch_done(run, HelpCrunchMessage.from_api(answer))
        params = run.params
        since = (run.operation.created_at - CLOCK_SKEW).timestamp()
        wanted = {params["text"].strip(), (params.get("markdown_text") or "").strip()} - {""}
        agent = params.get("agent_id")
        for message in run.client.iter_chat_messages(run.target.vendor_id):
            if message.created_at is not None and message.created_at < since:
                return None  # newest first: everything further is older than the request
            if (message.text or "").strip() not in wanted:
                continue
            sent_by = (message.agent or {}).get("id")
            if agent is not None and sent_by is not None and str(sent_by) != str(agent):
                continue
            return _helpcrunch_done(run, message)
        return None


def _helpcrunch_done(run: Run, message: HelpCrunchMessage) -> Done:
    params = run.params
    sent_at = (
        datetime.fromtimestamp(message.created_at, tz=UTC)
        if message.created_at is not None
        else timezone.now()
    )

    def apply() -> None:
        chat_message_record(
            conversation=run.target,
            vendor_id=str(message.id),
            sender=params["sender"],
            agent_ref=""
            if params["sender"] == Sender.CONTACT
            else str(params.get("agent_id") or ""),
            text=params["text"],
            markdown_text=params.get("markdown_text") or "",
            sent_at=sent_at,
        )

    return Done({"message_id": message.id}, apply)


class BonySend(Handler):
    vendor = Vendor.BONY

    @staticmethod
    def _contact_id(conversation: ChatConversation) -> str:
        if (
            conversation.contact_id is not None
            and conversation.contact
            and conversation.contact.vendor_id
        ):
            return conversation.contact.vendor_id
        return conversation.vendor_id

    def perform(self, run: Run) -> Done:
        run.client.send_text(self._contact_id(run.target), run.params["text"])
        return _bony_done(run)

    def reconcile(self, run: Run) -> Done | None:
        if succeeded(run.last_send()):
            return _bony_done(run)
        raise NotReconcilable


def _bony_done(run: Run) -> Done:
    now = timezone.now()

    def apply() -> None:
        chat_message_record(
            conversation=run.target,
            vendor_id=None,
            sender=Sender.AGENT,
            text=run.params["text"],
            sent_at=now,
        )

    return Done({"sent": True}, apply)


class SendMessage(Action):
    name = OperationAction.SEND_MESSAGE
    permission = "send_message"
    target_model = ChatConversation
    handlers = (HelpCrunchSend(), BonySend())


ACTION = register(SendMessage())


def send_message_enqueue(
    *,
    actor: User,
    conversations: QuerySet[ChatConversation] | Sequence[ChatConversation],
    form: forms.Form,
) -> Enqueued:
    """Queue the message (a valid ``SendMessageForm``) to each conversation that takes it."""
    return operations_enqueue(
        actor=actor,
        action=ACTION.name,
        targets=conversations,
        params=MessageRequest(form, actor),
    )
