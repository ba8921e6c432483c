"""Staff limited to some vendor accounts see and act on those accounts' rows only."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import ForeignKey, ManyToManyField, Model, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

from backoffice.models import VendorAccount
from backoffice.scoping import queryset_in_accounts, vendor_account_ids_visible_to

_CACHE = "_backoffice_visible_account_ids"


def visible_account_ids(request: HttpRequest) -> frozenset[int] | None:
    """The request's staff member's accounts (None: all), read once per request."""
    cached: frozenset[int] | bool | None = getattr(request, _CACHE, False)
    if cached is False:
        cached = vendor_account_ids_visible_to(user=request.user)
        setattr(request, _CACHE, cached)
    return cached  # type: ignore[return-value]


class ScopedAccountListFilter(admin.RelatedFieldListFilter):
    """The account filter of a changelist, listing only the accounts the staff member sees."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: admin.ModelAdmin) -> Any:
        ids = visible_account_ids(request)
        ordering = self.field_admin_ordering(field, request, model_admin)
        limit = None if ids is None else {"pk__in": sorted(ids)}
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=limit)


def _leads_to_account(model: type[Model], path: str) -> bool:
    for part in path.split("__"):
        field = model._meta.get_field(part)
        related = field.related_model
        if related is None or isinstance(related, str):
            return False
        model = related
    return model is VendorAccount


class AccountScopedAdminMixin(admin.ModelAdmin):
    """Limits a model admin to the rows of the accounts the staff member works with.

    ``account_path`` is the lookup from the model to its ``VendorAccount``: ``"account"``,
    ``"ticket__account"``, ``"pk"`` for the account itself. Everything the admin reads through
    ``get_queryset`` follows: changelists, change, delete and history pages (an id outside the
    scope gets Django's "doesn't exist" redirect), actions (their selection is filtered, even for
    a crafted post), autocomplete, and the account list filter. Foreign keys and many-to-many
    fields to a model whose admin is scoped offer only the rows in scope, and a post naming
    another is refused as an invalid choice.

    A model reached through a to-many relation needs nothing more than its path, e.g. a person
    known through their contacts::

        @admin.register(Person)
        class PersonAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
            account_path = "contacts__account"

    Such a path is detected and matched with ``pk IN (subquery)``, so a person with contacts
    in two visible accounts is listed once and no DISTINCT is needed.
    """

    account_path: ClassVar[str] = "account"

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset_in_accounts(
            queryset, path=self.account_path, account_ids=visible_account_ids(request)
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope_queryset(request, super().get_queryset(request))

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        return [
            (entry, ScopedAccountListFilter)
            if isinstance(entry, str) and _leads_to_account(self.model, entry)
            else entry
            for entry in filters
        ]

    def _scoped_choices(
        self, db_field: ForeignKey | ManyToManyField, request: HttpRequest, using: str | None
    ) -> QuerySet[Any] | None:
        related = db_field.remote_field.model
        related_admin = self.admin_site._registry.get(related)
        if not isinstance(related_admin, AccountScopedAdminMixin):
            return None
        base = self.get_field_queryset(using, db_field, request)
        if base is None:
            base = related._default_manager.using(using).all()
        return related_admin.scope_queryset(request, base)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if "queryset" not in kwargs:
            scoped = self._scoped_choices(db_field, request, kwargs.get("using"))
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        if "queryset" not in kwargs:
            scoped = self._scoped_choices(db_field, request, kwargs.get("using"))
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)
