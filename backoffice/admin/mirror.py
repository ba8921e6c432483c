from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions import chat as chat_actions
from backoffice.admin.actions import contact as contact_actions
from backoffice.admin.actions import people as people_actions
from backoffice.admin.actions import ticket as ticket_actions
from backoffice.admin.actions.base import ActionPermissionsMixin
from backoffice.admin.actions.selection import ValidSelectionMixin
from backoffice.admin.base import ReadOnlyInline
from backoffice.admin.operations_link import OperationsLinkMixin
from backoffice.admin.people import PersonFilter, PersonOfContactFilter
from backoffice.admin.scoping import AccountScopedAdminMixin
from backoffice.admin.vendor_html import ticket_body_html
from backoffice.models import ChatConversation, ChatMessage, Contact, Tag, Ticket, TicketMessage
from backoffice.people.linking import contacts_link_persons


class VanishedFilter(admin.SimpleListFilter):
    title = _("at the vendor")
    parameter_name = "at_vendor"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("Still there")), ("no", _("Missing at the vendor"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(vanished_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(vanished_at__isnull=False)
        return queryset


@admin.register(Tag)
class TagAdmin(AccountScopedAdminMixin, ValidSelectionMixin, admin.ModelAdmin):
    list_display = ["name", "account", "color"]
    list_filter = ["account"]
    search_fields = ["name"]
    list_select_related = ["account"]


@admin.register(Contact)
class ContactAdmin(
    AccountScopedAdminMixin,
    ActionPermissionsMixin,
    ValidSelectionMixin,
    OperationsLinkMixin,
    admin.ModelAdmin,
):
    # Tags beside the name: they are what staff change most, and a wide list beside the side bar
    # and the filters shows its first columns without scrolling.
    list_display = [
        "display_name",
        "tag_list",
        "email",
        "phone",
        "account",
        "vendor_id",
        "person_link",
        "last_synced_at",
        "vanished_at",
    ]
    list_display_links = ["display_name"]
    list_filter = ["account", "account__vendor", VanishedFilter, PersonFilter]
    search_fields = ["first_name", "last_name", "email", "phone", "=vendor_id"]
    list_select_related = ["account", "person"]
    autocomplete_fields = ["tags"]
    # The person changes through "Split from person" and the person list's merge, which record
    # the staff's decision; not through a drop-down here.
    exclude = ["person"]
    readonly_fields = [
        "person_link",
        "person_locked",
        "last_synced_at",
        "vanished_at",
        "created_at",
        "updated_at",
    ]
    show_full_result_count = False
    actions = [
        contact_actions.add_tags,
        contact_actions.remove_tags,
        contact_actions.push_to_vendor,
        contact_actions.add_feed_record,
        contact_actions.start_chat,
        people_actions.split_from_person,
        contact_actions.sync_from_vendor,
    ]

    def has_manage_persons_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("backoffice.manage_persons")

    def save_model(self, request: HttpRequest, obj: Contact, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # A contact added or edited here joins its person at once, not at the next sync.
        contacts_link_persons(contact_ids=[obj.pk])

    @admin.display(description=_("person"), ordering="person")
    def person_link(self, obj: Contact) -> str:
        if obj.person_id is None:
            return "—"
        url = reverse("admin:backoffice_person_change", args=[obj.person_id])
        return format_html('<a href="{}">{}</a>', url, obj.person)

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
class TicketAdmin(
    AccountScopedAdminMixin,
    ActionPermissionsMixin,
    ValidSelectionMixin,
    OperationsLinkMixin,
    admin.ModelAdmin,
):
    list_display = ["vendor_id", "subject", "contact", "account", "status", "vendor_updated_at"]
    list_display_links = ["vendor_id", "subject"]
    list_filter = ["account", "status", VanishedFilter, PersonOfContactFilter]
    search_fields = ["=vendor_id", "subject", "contact__email", "contact__last_name"]
    list_select_related = ["account", "contact"]
    autocomplete_fields = ["contact"]
    readonly_fields = ["last_synced_at", "vanished_at"]
    inlines = [TicketMessageInline]
    show_full_result_count = False
    actions = [ticket_actions.reply_to_ticket, ticket_actions.refresh_from_vendor]


@admin.register(TicketMessage)
class TicketMessageAdmin(AccountScopedAdminMixin, ValidSelectionMixin, admin.ModelAdmin):
    account_path = "ticket__account"
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
class ChatConversationAdmin(
    AccountScopedAdminMixin,
    ActionPermissionsMixin,
    ValidSelectionMixin,
    OperationsLinkMixin,
    admin.ModelAdmin,
):
    list_display = ["vendor_id", "account", "contact", "status", "assignee", "last_message_at"]
    list_filter = ["account", "account__vendor", "status", VanishedFilter, PersonOfContactFilter]
    search_fields = ["=vendor_id", "contact__email", "contact__last_name", "assignee"]
    list_select_related = ["account", "contact"]
    autocomplete_fields = ["contact"]
    readonly_fields = ["last_synced_at", "vanished_at"]
    inlines = [ChatMessageInline]
    show_full_result_count = False
    actions = [chat_actions.send_message, chat_actions.refresh_from_vendor]


@admin.register(ChatMessage)
class ChatMessageAdmin(AccountScopedAdminMixin, ValidSelectionMixin, admin.ModelAdmin):
    account_path = "conversation__account"
    list_display = ["conversation", "sender", "agent_ref", "sent_at"]
    list_filter = ["sender", "conversation__account"]
    search_fields = ["=conversation__vendor_id", "=vendor_id"]
    list_select_related = ["conversation", "conversation__account"]
    autocomplete_fields = ["conversation"]
    show_full_result_count = False
