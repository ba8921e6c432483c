"""Reply to a Thulium ticket (vendor-docs 001): the whole story of the action.

- **Parameters**: the body (HTML or plain text, at most ``REPLY_BODY_MAX_CHARS``), an optional
  past send date, up to ``MAX_ATTACHMENTS`` files of at most ``THULIUM_ATTACHMENT_MAX_BYTES``
  (``ReplyToTicketForm``).
- **Skipped**: tickets outside the staff member's accounts, at an inactive account, or at an
  account where the staff member has no agent identity (the reply is sent in their name:
  ``ReplyRequest``). Only Thulium has tickets.
- **Sent**: the attachments to Thulium's temporary files, then ``POST tickets/{id}/agent_response``
  with the body, the agent's login, the body type, the date and the files' tokens
  (``ThuliumReply.perform``, through ``connectors.thulium``).
- **Reconciled** after an unsettled send: the ticket's messages are read; a reply of the same
  body by the same agent, at the given date or since the request, is the one sent.
- **Mirror**: the reply is stored on the ticket (``mirror.tickets.ticket_reply_record``); the
  next sync gives it its vendor id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from backoffice.actions.forms import (
    EARLIEST_DATE,
    ActionForm,
    LocalDateTimeInput,
    MultipleFileField,
    display,
    megabytes,
    past,
    time_zone_help,
)
from backoffice.mirror.tickets import ticket_reply_record
from backoffice.models import (
    AgentIdentity,
    OperationAction,
    StoredFile,
    Ticket,
    TicketMessage,
    User,
)
from backoffice.operations.action import (
    Action,
    Done,
    Handler,
    Refused,
    Run,
    SkipTarget,
)
from backoffice.operations.attachments import stored_files_create
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.vendors import Vendor

# Thulium publishes no limit on a reply's body; a long HTML e-mail thread stays well below this.
REPLY_BODY_MAX_CHARS = 100_000
MAX_ATTACHMENTS = 10
# How far the vendor's clock may be behind ours when matching a reply by its time.
CLOCK_SKEW = timedelta(minutes=2)


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
        self.fields["date"].help_text = time_zone_help(
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
        ) % {"when": display(value)}
        return past(value, label=str(self.fields["date"].label), future=future)

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


class ReplyRequest:
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


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class ThuliumReply(Handler):
    vendor = Vendor.THULIUM
    can_reconcile = True  # the ticket's messages show whether the reply arrived

    def perform(self, run: Run) -> Done:
        params = run.params
        # Attachments go to Thulium's temporary files first; the reply lists their tokens.
        # A second upload after a failed attempt only leaves a temporary file to expire.
        wanted = list(params.get("attachments") or [])
        files = list(StoredFile.objects.filter(pk__in=wanted).order_by("pk"))
        if len(files) != len(set(wanted)):
            missing = sorted(set(wanted) - {f.pk for f in files})
            what = "An attached file is" if len(missing) == 1 else "Attached files are"
            ids = ", ".join(map(str, missing))
            raise Refused(f"{what} no longer stored (id {ids}); nothing was sent.")
        tokens = [run.client.upload_temporary_file(f.filename, bytes(f.content)) for f in files]
        run.client.reply_to_ticket(
            run.target.vendor_id,
            params["body"],
            user_login=params["user_login"],
            body_type=params.get("body_type", "HTML"),
            date=_when(params.get("date")),
            attachments=tokens,
        )
        return _done(run, {"attachments": len(tokens)})

    def reconcile(self, run: Run) -> Done | None:
        params = run.params
        date = _when(params.get("date"))
        since = run.operation.created_at - CLOCK_SKEW
        body = params["body"].strip()
        for message in run.client.get_ticket(run.target.vendor_id).messages:
            if (message.type or "").upper() != "REPLY" or message.body.strip() != body:
                continue
            if message.user_login not in (None, params["user_login"]):
                continue
            when = message.created_at
            if date is not None:
                matches = when is not None and abs(when - date) < timedelta(minutes=1)
            else:
                matches = when is None or when >= since
            if matches:
                return _done(run, {"vendor_message_id": message.id})
        return None


def _done(run: Run, result: dict[str, Any]) -> Done:
    ticket: Ticket = run.target
    params = run.params

    def apply() -> None:
        ticket_reply_record(
            ticket=ticket,
            body=params["body"],
            body_type=params.get("body_type", "HTML"),
            author=params["user_login"],
            sent_at=_when(params.get("date")),
        )

    return Done(result, apply)


class ReplyToTicket(Action):
    name = OperationAction.REPLY_TO_TICKET
    permission = "reply_to_ticket"
    target_model = Ticket
    handlers = (ThuliumReply(),)


ACTION = register(ReplyToTicket())


def reply_to_ticket_enqueue(
    *, actor: User, tickets: QuerySet[Ticket] | Sequence[Ticket], cleaned: Mapping[str, Any]
) -> Enqueued:
    """Queue the reply (``ReplyToTicketForm``'s cleaned data) to each ticket that takes it."""
    return operations_enqueue(
        actor=actor,
        action=ACTION.name,
        targets=tickets,
        params=ReplyRequest(user=actor, cleaned=cleaned),
    )
