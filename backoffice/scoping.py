"""Which vendor accounts a staff member works with (``User.limited_to_accounts``).

Superusers and staff not limited to some accounts see every account. A limited staff member sees
the accounts ticked on their user, and none when none are ticked.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db.models import BigIntegerField, F, Model, QuerySet, Value
from django.db.models.functions import Cast
from django.db.models.lookups import In

from backoffice.models import User, VendorAccount

M = TypeVar("M", bound=Model)


def vendor_account_ids_visible_to(*, user: User | Any) -> frozenset[int] | None:
    """The ids of the accounts ``user`` may see, or None for every account.

    ``user`` may be an anonymous user (no account at all).
    """
    if not getattr(user, "is_active", False):
        return frozenset()
    if user.is_superuser or not user.limited_to_accounts:
        return None
    return frozenset(user.vendor_accounts.values_list("pk", flat=True))


def account_ids_in_scope_of(actor: User | None) -> frozenset[int] | None:
    """The accounts a change requested by ``actor`` may reach, or None for every account: with
    no actor, a schedule or the sweeper acts for the back-office itself."""
    return None if actor is None else vendor_account_ids_visible_to(user=actor)


def vendor_accounts_visible_to(*, user: User | Any) -> QuerySet[VendorAccount]:
    ids = vendor_account_ids_visible_to(user=user)
    accounts = VendorAccount.objects.all()
    return accounts if ids is None else accounts.filter(pk__in=ids)


def path_is_to_many(model: type[Model], path: str) -> bool:
    """Whether following ``path`` (``"contacts__account"``) from ``model`` crosses a to-many
    relation, so that filtering on it would repeat rows."""
    for part in path.split("__"):
        if part == "pk":
            return False
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist as error:
            raise ValueError(f"{model.__name__} has no field {part!r} (path {path!r})") from error
        if field.many_to_many or field.one_to_many:
            return True
        related = field.related_model
        if related is None:
            return False
        model = related
    return False


def typed_account_ids(account_ids: frozenset[int]) -> list[Cast]:
    """The ids as ``bigint`` values, the type of the account columns (``BigAutoField``).

    A bare number is an ``integer`` to PostgreSQL, and ``account_id = 1`` then compares across
    types: a btree index allows that, but the account column of a two-column GIN index
    (``apicall_error_trgm``, ``btree_gin``) does not, so a scoped search could not use it.
    """
    return [Cast(Value(pk), output_field=BigIntegerField()) for pk in sorted(account_ids)]


def queryset_in_accounts(
    queryset: QuerySet[M], *, path: str, account_ids: frozenset[int] | None
) -> QuerySet[M]:
    """``queryset`` limited to the rows whose account (reached by ``path``) is in
    ``account_ids``; None leaves it whole.

    Over a to-many path the rows are matched by a semi-join (``pk IN (subquery)``), so each row
    appears once without a DISTINCT over the whole table.
    """
    if account_ids is None:
        return queryset
    condition = In(F(path), typed_account_ids(account_ids))
    if path_is_to_many(queryset.model, path):
        matching = queryset.model._default_manager.filter(condition).values("pk")
        return queryset.filter(pk__in=matching)
    return queryset.filter(condition)
