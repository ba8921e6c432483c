from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions import chat as chat_actions
from backoffice.admin.actions import contact as contact_actions
from backoffice.admin.actions import ticket as ticket_actions
from backoffice.admin.actions.selection import ValidSelectionMixin
from backoffice.admin.base import ReadOnlyInline
from backoffice.admin.operations_link import OperationsLinkMixin
from backoffice.admin.vendor_html import ticket_body_html
from backoffice.models import ChatConversation, ChatMessage, Contact, Tag, Ticket, TicketMessage


@admin.register(Tag)
class TagAdmin(ValidSelectionMixin, admin.ModelAdmin):
    list_display = ["name", "account", "color"]
    list_filter = ["account"]
    search_fields = ["name"]
    list_select_related = ["account"]


@admin.register(Contact)
class ContactAdmin(contact_actions.ContactActionPermissions, OperationsLinkMixin, admin.ModelAdmin):
    list_display = [
        "display_name",
        "email",
        "phone",
        "account",
        "vendor_id",
        "tag_list",
        "last_synced_at",
    ]
    list_display_links = ["display_name"]
    list_filter = ["account", "account__vendor"]
    search_fields = ["first_name", "last_name", "email", "phone", "=vendor_id"]
    list_select_related = ["account"]
    autocomplete_fields = ["tags"]
    readonly_fields = ["last_synced_at", "created_at", "updated_at"]
    show_full_result_count = False
    actions = [
        contact_actions.add_tags,
        contact_actions.remove_tags,
        contact_actions.push_to_vendor,
        contact_actions.add_feed_record,
        contact_actions.start_chat,
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=_("name"), ordering="last_name")
    def display_name(self, obj: Contact) -> str:
        return obj.display_name

    @admin.display(description=_("tags"))
    def tag_list(self, obj: Contact) -> str:
        return ", ".join(tag.name for tag in obj.tags.all())


def shown_body(message: TicketMessage) -> SafeString:
    """The message as its reader sees it: vendor HTML cleaned (vendor_html.py), text escaped."""
    return format_html(
        '<div class="vendor-html">{}</div>',
        ticket_body_html(body=message.body, body_type=message.body_type),
    )


class TicketMessageInline(ReadOnlyInline):
    """The ticket's conversation, oldest first, each message readable as sent."""

    model = TicketMessage
    fields = readonly_fields = ("kind", "author", "sent_at", "message")
    verbose_name_plural = _("conversation")

    @admin.display(description=_("message"))
    def message(self, obj: TicketMessage) -> SafeString:
        return shown_body(obj)


@admin.register(Ticket)
class TicketAdmin(ticket_actions.TicketActionPermissions, OperationsLinkMixin, admin.ModelAdmin):
    list_display = ["vendor_id", "subject", "contact", "account", "status", "vendor_updated_at"]
    list_display_links = ["vendor_id", "subject"]
    list_filter = ["account", "status"]
    search_fields = ["=vendor_id", "subject", "contact__email", "contact__last_name"]
    list_select_related = ["account", "contact"]
    autocomplete_fields = ["contact"]
    readonly_fields = ["last_synced_at"]
    inlines = [TicketMessageInline]
    show_full_result_count = False
    actions = [ticket_actions.reply_to_ticket]


@admin.register(TicketMessage)
class TicketMessageAdmin(ValidSelectionMixin, admin.ModelAdmin):
    list_display = ["ticket", "kind", "author", "sent_at"]
    readonly_fields = ["message"]
    list_filter = ["kind", "ticket__account"]
    search_fields = ["=ticket__vendor_id", "author"]
    list_select_related = ["ticket"]
    autocomplete_fields = ["ticket"]
    show_full_result_count = False

    @admin.display(description=_("message as shown"))
    def message(self, obj: TicketMessage) -> SafeString:
        return shown_body(obj)


class ChatMessageInline(ReadOnlyInline):
    model = ChatMessage
    fields = readonly_fields = ("sender", "agent_ref", "sent_at", "text")


@admin.register(ChatConversation)
class ChatConversationAdmin(ValidSelectionMixin, OperationsLinkMixin, admin.ModelAdmin):
    list_display = ["vendor_id", "account", "contact", "status", "assignee", "last_message_at"]
    list_filter = ["account", "account__vendor", "status"]
    search_fields = ["=vendor_id", "contact__email", "contact__last_name", "assignee"]
    list_select_related = ["account", "contact"]
    autocomplete_fields = ["contact"]
    readonly_fields = ["last_synced_at"]
    inlines = [ChatMessageInline]
    show_full_result_count = False
    actions = [chat_actions.send_message]

    def has_send_message_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("backoffice.send_message")


@admin.register(ChatMessage)
class ChatMessageAdmin(ValidSelectionMixin, admin.ModelAdmin):
    list_display = ["conversation", "sender", "agent_ref", "sent_at"]
    list_filter = ["sender", "conversation__account"]
    search_fields = ["=conversation__vendor_id", "=vendor_id"]
    list_select_related = ["conversation", "conversation__account"]
    autocomplete_fields = ["conversation"]
    show_full_result_count = False
