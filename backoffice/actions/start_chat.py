"""Start a Thulium chat with a contact (vendor-docs 002): the whole story of the action.

- **Parameters**: the chat queue's number (``StartChatForm``).
- **Skipped**: contacts outside the staff member's accounts, at an inactive account, at another
  vendor, or with neither a Thulium customer id nor an e-mail to find the customer by.
- **Sent**: ``POST chat_conversations/start`` with the queue, the customer id or e-mail, and
  the contact's names.
- **Reconciled**: only our own record of the vendor's answer (its conversation id) tells.
- **Mirror**: the conversation, open, linked to the contact (``mirror.chats``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from backoffice.actions.forms import ActionForm
from backoffice.mirror.chats import chat_started_record
from backoffice.models import Contact, OperationAction, User
from backoffice.operations.action import (
    Action,
    Done,
    Handler,
    NotReconcilable,
    Run,
    recorded_json,
)
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.vendors import Vendor

# Thulium's ids are 32-bit integers; a larger number can only be a typing mistake.
CHAT_QUEUE_ID_MAX = 2**31 - 1


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


class ThuliumStartChat(Handler):
    vendor = Vendor.THULIUM

    def skip_reason(self, target: Any) -> str | None:
        if target.vendor_id or target.email:
            return None
        return "no Thulium customer id and no e-mail to match the customer by"

    def perform(self, run: Run) -> Done:
        contact: Contact = run.target
        conversation_id = run.client.start_chat(
            run.params["chat_queue_id"],
            customer_id=contact.vendor_id or None,
            client_email=contact.email or None,
            client_name=contact.first_name or None,
            client_surname=contact.last_name or None,
        )
        return _done(run, conversation_id)

    def reconcile(self, run: Run) -> Done | None:
        answer = recorded_json(run.last_send())
        if answer and answer.get("conversation_id"):
            return _done(run, str(answer["conversation_id"]))
        raise NotReconcilable


def _done(run: Run, conversation_id: str) -> Done:
    def apply() -> None:
        chat_started_record(account=run.account, vendor_id=conversation_id, contact=run.target)

    return Done({"conversation_id": conversation_id}, apply)


class StartChat(Action):
    name = OperationAction.START_CHAT
    permission = "start_chat"
    target_model = Contact
    handlers = (ThuliumStartChat(),)


ACTION = register(StartChat())


def start_chat_enqueue(
    *, actor: User, contacts: QuerySet[Contact] | Sequence[Contact], cleaned: Mapping[str, Any]
) -> Enqueued:
    """Queue a chat start in the given queue (``StartChatForm``) for each contact."""
    return operations_enqueue(
        actor=actor,
        action=ACTION.name,
        targets=contacts,
        params={"chat_queue_id": cleaned["chat_queue_id"]},
    )
