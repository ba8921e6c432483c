"""The back-office's copy of vendor data: contacts, tags, tickets, chats and their messages.

Every mirrored row belongs to one ``VendorAccount`` and, once the vendor knows it, carries the
vendor's id, unique within the account. A row the back-office created but has not pushed yet has
no vendor id: NULL rather than "", so any number of them coexist under the unique constraint.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.contact_keys import EMAIL_KEY_MAX_LENGTH, PHONE_KEY_MAX_LENGTH, match_keys
from backoffice.models.accounts import VendorAccount


class Tag(models.Model):
    account = models.ForeignKey(
        VendorAccount, on_delete=models.CASCADE, related_name="tags", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=191)
    color = models.CharField(_("colour"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("tag")
        ordering = ["account_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="tag_name_unique_in_account")
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    account = models.ForeignKey(
        VendorAccount,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("account"),
    )
    vendor_id = models.CharField(_("vendor id"), max_length=191, null=True, blank=True)  # noqa: DJ001
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("tags"))
    # The fields as the vendor last had them (after a sync or a push): a push sends only what
    # differs from this.
    vendor_snapshot = models.JSONField(_("fields at the vendor"), default=dict, blank=True)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # The same human being at other accounts and vendors (backoffice.people.linking links them).
    person = models.ForeignKey(
        "backoffice.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("person"),
    )
    # Set when staff placed the contact (a split): automatic linking then neither moves it nor
    # links other contacts to its person through it, so a wrong link once undone stays undone.
    person_locked = models.BooleanField(
        _("person set by staff"),
        default=False,
        help_text=_("Automatic linking leaves this contact with its person."),
    )
    # Match keys, computed from e-mail and phone on save and by the linking service: an empty
    # key matches nothing (backoffice.contact_keys).
    email_normalised = models.CharField(
        _("e-mail key"), max_length=EMAIL_KEY_MAX_LENGTH, blank=True, editable=False
    )
    phone_e164 = models.CharField(
        _("phone (E.164)"), max_length=PHONE_KEY_MAX_LENGTH, blank=True, editable=False
    )
    # Set when a complete listing at the vendor (or a read by id) no longer had the row: kept,
    # flagged, and cleared when the vendor shows it again.
    vanished_at = models.DateTimeField(_("missing at the vendor since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        ordering = ["-id"]
        permissions = [
            ("tag_contact", _("Can add and remove a contact's tags at the vendor")),
            ("push_contact", _("Can create or update a contact at the vendor")),
            ("add_feed_record", _("Can add a contact-history record at the vendor")),
            ("start_chat", _("Can start a chat with a contact")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "vendor_id"], name="contact_vendor_id_unique_in_account"
            )
        ]
        indexes = [
            models.Index(fields=["account", "email"], name="contact_account_email"),
            models.Index(fields=["account", "phone"], name="contact_account_phone"),
            models.Index(fields=["last_name", "first_name"], name="contact_name"),
            models.Index(fields=["email_normalised"], name="contact_email_key"),
            models.Index(fields=["phone_e164"], name="contact_phone_key"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_match_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"email", "phone"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "email_normalised", "phone_e164"}
        super().save(*args, **kwargs)

    def refresh_match_keys(self) -> bool:
        """Recompute the match keys from e-mail and phone; True when either changed."""
        keys = match_keys(self.email, self.phone)
        changed = keys != (self.email_normalised, self.phone_e164)
        self.email_normalised, self.phone_e164 = keys
        return changed

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email or self.phone or f"#{self.vendor_id or self.pk}"


class Ticket(models.Model):
    """A Thulium ticket (zgłoszenie)."""

    account = models.ForeignKey(
        VendorAccount, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("account")
    )
    vendor_id = models.CharField(_("vendor id"), max_length=64)
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    # Thulium's status_id arrives as a string; kept as the vendor sends it.
    status = models.CharField(_("status"), max_length=64, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    vendor_updated_at = models.DateTimeField(_("updated at vendor"), null=True, blank=True)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # Set when a complete listing at the vendor (or a read by id) no longer had the row: kept,
    # flagged, and cleared when the vendor shows it again.
    vanished_at = models.DateTimeField(_("missing at the vendor since"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        ordering = ["-id"]
        permissions = [("reply_to_ticket", _("Can reply to tickets at the vendor"))]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "vendor_id"], name="ticket_vendor_id_unique_in_account"
            )
        ]
        indexes = [models.Index(fields=["account", "status"], name="ticket_account_status")]

    def __str__(self) -> str:
        return f"#{self.vendor_id} {self.subject}".strip()


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        MAIL = "MAIL", _("E-mail from the customer")
        REPLY = "REPLY", _("Agent reply")
        COMMENT = "COMMENT", _("Internal comment")

    class BodyType(models.TextChoices):
        HTML = "HTML", "HTML"
        PLAIN = "PLAIN", _("Plain text")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    # Thulium answers an agent reply with `[]`, so a reply sent from here has no id until a sync.
    vendor_id = models.CharField(_("vendor id"), max_length=64, null=True, blank=True)  # noqa: DJ001
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    body = models.TextField(_("body"), blank=True)
    body_type = models.CharField(
        _("body type"), max_length=8, choices=BodyType.choices, default=BodyType.HTML
    )
    author = models.CharField(_("author"), max_length=254, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ticket message")
        ordering = ["ticket_id", "sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "vendor_id"], name="ticketmessage_vendor_id_unique_in_ticket"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["MAIL", "REPLY", "COMMENT"]),
                name="ticketmessage_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"


class ChatConversation(models.Model):
    """A Thulium chat conversation, a HelpCrunch chat, or a Bony contact's message thread."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        CLOSED = "closed", _("Closed")
        UNKNOWN = "unknown", _("Unknown")

    account = models.ForeignKey(
        VendorAccount,
        on_delete=models.PROTECT,
        related_name="conversations",
        verbose_name=_("account"),
    )
    vendor_id = models.CharField(_("vendor id"), max_length=191)
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("contact"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UNKNOWN
    )
    vendor_status = models.CharField(_("status at vendor"), max_length=64, blank=True)
    assignee = models.CharField(_("assignee"), max_length=191, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # Set when a complete listing at the vendor (or a read by id) no longer had the row: kept,
    # flagged, and cleared when the vendor shows it again.
    vanished_at = models.DateTimeField(_("missing at the vendor since"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat conversation")
        ordering = ["-id"]
        permissions = [("send_message", _("Can send chat messages at the vendor"))]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "vendor_id"], name="conversation_vendor_id_unique_in_account"
            )
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="conversation_account_status"),
            models.Index(fields=["-last_message_at"], name="conversation_last_message"),
        ]

    def __str__(self) -> str:
        return f"{self.account.get_vendor_display()} chat {self.vendor_id}"


class ChatMessage(models.Model):
    class Sender(models.TextChoices):
        AGENT = "agent", _("Agent")
        CONTACT = "contact", _("Contact")
        NOTE = "note", _("Private note")
        BOT = "bot", _("Bot or system")

    conversation = models.ForeignKey(
        ChatConversation,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("conversation"),
    )
    vendor_id = models.CharField(_("vendor id"), max_length=191, null=True, blank=True)  # noqa: DJ001
    sender = models.CharField(_("sender"), max_length=8, choices=Sender.choices)
    agent_ref = models.CharField(_("agent"), max_length=191, blank=True)
    text = models.TextField(_("text"), blank=True)
    markdown_text = models.TextField(_("markdown text"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chat message")
        ordering = ["conversation_id", "sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "vendor_id"],
                name="chatmessage_vendor_id_unique_in_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_sender_display()} message in {self.conversation_id}"
