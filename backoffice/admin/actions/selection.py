"""Refuse a changelist selection that names no rows, instead of failing on it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext


class ValidSelectionMixin:
    """Django's admin filters the selection with the posted ids as they are; an id that is not
    a number, or too large for the column (a crafted or garbled post), would end in a server
    error. It ends in a message. Every back-office admin with actions (Django's own "delete
    selected" included) mixes this in."""

    model: Any

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        pk = self.model._meta.pk
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                pk.run_validators(pk.to_python(value))  # a number, within the column's range
        except ValidationError:
            self.message_user(  # type: ignore[attr-defined]
                request,
                gettext("The selection was not understood; select the rows again."),
                messages.WARNING,
            )
            return None
        response: HttpResponse | None = super().response_action(  # type: ignore[misc]
            request, queryset, *args, **kwargs
        )
        return response
