"""Persons: the list (search by name, e-mail or phone in any writing), the person page with
everything their contacts have at the three vendors, and the merge action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Model, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from backoffice.admin.actions import people as people_actions
from backoffice.admin.actions.selection import ValidSelectionMixin
from backoffice.admin.scoping import AccountScopedAdminMixin, visible_account_ids
from backoffice.contact_keys import email_key, phone_key
from backoffice.models import ChatConversation, Contact, Operation, Person, Ticket
from backoffice.people.overview import PAGE_LIMIT, person_operations_filter, person_overview
from backoffice.vendors import Vendor


def person_list_url(model: type[Model], person_id: int) -> str:
    """A changelist (contacts, tickets, chats, operations) filtered to one person's rows."""
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{urlencode({PersonFilter.parameter_name: person_id})}"


class PersonFilter(admin.SimpleListFilter):
    """``?person=<id>``: the rows of one person, reached from the person page. Shown in the
    sidebar only while in use."""

    title = _("person")
    parameter_name = "person"
    lookup = "person_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if not value:
            return []
        person = Person.objects.filter(pk=self.person_id()).first()
        return [(value, str(person) if person else f"#{value}")]

    def person_id(self) -> int:
        try:
            return int(self.value() or "")
        except ValueError:
            raise IncorrectLookupParameters(self.value()) from None

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        return queryset.filter(**{self.lookup: self.person_id()})


class PersonOfContactFilter(PersonFilter):
    """Tickets and chats of one person's contacts."""

    lookup = "contact__person_id"


class PersonOperationsFilter(PersonFilter):
    """Operations on one person's contacts, their tickets and their chats."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        return queryset.filter(person_operations_filter(person_id=self.person_id()))


class VendorFilter(admin.SimpleListFilter):
    title = _("has a contact at")
    parameter_name = "vendor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in Vendor.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Person]) -> QuerySet[Person]:
        if self.value() in Vendor.values:
            linked = Contact.objects.filter(account__vendor=self.value()).values("person_id")
            return queryset.filter(pk__in=linked)
        return queryset


@admin.register(Person)
class PersonAdmin(AccountScopedAdminMixin, ValidSelectionMixin, admin.ModelAdmin):
    account_path = "contacts__account"
    list_display = ["__str__", "vendors", "emails", "contact_count", "created_at"]
    list_filter = [VendorFilter]
    search_fields = ["name", "contacts__first_name", "contacts__last_name", "contacts__email"]
    fields = ["name", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [people_actions.merge_persons]
    change_form_template = "admin/backoffice/person/change_form.html"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        contacts = Contact.objects.select_related("account").only(
            "pk", "person_id", "email", "account__vendor", "account__name"
        )
        return (
            super().get_queryset(request).prefetch_related(Prefetch("contacts", queryset=contacts))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # persons come from linking and splits

    def has_manage_persons_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("backoffice.manage_persons")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        """Name and e-mail by substring; an e-mail or phone in any writing by its match key
        ("601 234 567" finds "+48601234567"), through the key indexes."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        keys = Q()
        if email := email_key(term):
            keys |= Q(email_normalised=email)
        if phone := phone_key(term):
            keys |= Q(phone_e164=phone)
        if keys:
            matched = Contact.objects.filter(keys).values("person_id")
            results |= queryset.filter(pk__in=matched)
        return results, may_have_duplicates

    @admin.display(description=_("vendors"))
    def vendors(self, obj: Person) -> str:
        labels = dict(Vendor.choices)
        found = sorted({labels[c.account.vendor] for c in obj.contacts.all()})
        return ", ".join(str(label) for label in found) or "—"

    @admin.display(description=_("e-mails"))
    def emails(self, obj: Person) -> str:
        found = sorted({c.email.strip().lower() for c in obj.contacts.all() if c.email})
        return ", ".join(found[:3]) + (" …" if len(found) > 3 else "") if found else "—"

    @admin.display(description=_("contacts"))
    def contact_count(self, obj: Person) -> int:
        return len(obj.contacts.all())

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> HttpResponse:
        if isinstance(obj, Person) and obj.pk is not None:
            overview = person_overview(person_id=obj.pk, account_ids=visible_account_ids(request))
            context.update(
                overview=overview,
                page_limit=PAGE_LIMIT,
                contacts_url=person_list_url(Contact, obj.pk),
                tickets_url=person_list_url(Ticket, obj.pk),
                conversations_url=person_list_url(ChatConversation, obj.pk),
                operations_url=person_list_url(Operation, obj.pk),
                may_view_operations=request.user.has_perm("backoffice.view_operation"),
                may_split=request.user.has_perm("backoffice.manage_persons"),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
