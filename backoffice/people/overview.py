"""What the person page shows: one person's contacts, tickets, chats, tags and operations.

A handful of queries whatever the person's size: each list is one query, the longer ones capped
at the newest ``limit`` rows with a link to the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Model, Q, QuerySet

from backoffice.models import ChatConversation, Contact, Operation, Ticket
from backoffice.scoping import queryset_in_accounts

PAGE_LIMIT = 50

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class PersonOverview:
    contacts: list[Contact]  # with account and tags
    tickets: list[Ticket]  # newest first, at most ``limit``
    tickets_more: bool
    conversations: list[ChatConversation]  # newest first, at most ``limit``
    conversations_more: bool
    operations: list[Operation]  # newest first, at most ``limit``
    operations_more: bool


def person_operations_filter(*, person_id: int) -> Q:
    """Operations on any of the person's contacts, their tickets and their chats.

    The few ids are read first and given as lists, so each kind of target is an index lookup on
    ``operation_target`` (a BitmapOr); as subqueries, PostgreSQL checks them row by row down the
    whole operations table, newest first."""
    types = ContentType.objects.get_for_models(Contact, Ticket, ChatConversation)
    targets = {
        Contact: Contact.objects.filter(person_id=person_id),
        Ticket: Ticket.objects.filter(contact__person_id=person_id),
        ChatConversation: ChatConversation.objects.filter(contact__person_id=person_id),
    }
    condition = Q(pk__in=[])
    for model, rows in targets.items():
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            condition |= Q(target_type=types[model], target_id__in=ids)
    return condition


def _capped(queryset: QuerySet[_M], limit: int) -> tuple[list[_M], bool]:
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def person_overview(
    *, person_id: int, account_ids: frozenset[int] | None = None, limit: int = PAGE_LIMIT
) -> PersonOverview:
    """The person's rows in the accounts ``account_ids`` (None: every account)."""

    def scoped(queryset: QuerySet[_M]) -> QuerySet[_M]:
        return queryset_in_accounts(queryset, path="account", account_ids=account_ids)

    contacts = list(
        scoped(Contact.objects.filter(person_id=person_id))
        .select_related("account")
        .prefetch_related("tags")
        .order_by("account__vendor", "account__name", "pk")
    )
    tickets, tickets_more = _capped(
        scoped(Ticket.objects.filter(contact__person_id=person_id))
        .select_related("account", "contact")
        .order_by(F("opened_at").desc(nulls_last=True), "-id"),
        limit,
    )
    conversations, conversations_more = _capped(
        scoped(ChatConversation.objects.filter(contact__person_id=person_id))
        .select_related("account", "contact")
        .order_by(F("last_message_at").desc(nulls_last=True), "-id"),
        limit,
    )
    operations, operations_more = _capped(
        scoped(Operation.objects.filter(person_operations_filter(person_id=person_id)))
        .select_related("account", "actor")
        .order_by("-id"),
        limit,
    )
    return PersonOverview(
        contacts=contacts,
        tickets=tickets,
        tickets_more=tickets_more,
        conversations=conversations,
        conversations_more=conversations_more,
        operations=operations,
        operations_more=operations_more,
    )
