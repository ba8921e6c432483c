"""The shared shape of a vendor action: an intermediate form, then one call of the action's service.

Django's documented pattern for actions with an intermediate page: the action renders a form
that re-posts the selection (``_selected_action``, ``select_across``, ``action``) to the same
changelist URL (so its filters still apply); the second post, carrying ``apply``, validates the
form and hands the selection and the cleaned form to the action's service
(``backoffice.actions``), which queues one ``Operation`` per fitting row. Returning None sends
the staff member back to the changelist, where ``message_user`` says what was queued and what
was skipped, with links.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from backoffice.models import User, VendorAccount
from backoffice.operations.enqueue import Enqueued, Skipped
from backoffice.operations.registry import ACTIONS

TEMPLATE = "admin/backoffice/action_form.html"
SKIPPED_SHOWN = 10


def _change_url(obj: Model | None) -> str | None:
    if obj is None or obj.pk is None:
        return None
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def group_url(result: Enqueued) -> str:
    return f"{reverse('admin:backoffice_operation_changelist')}?group_id={result.group_id}"


def skipped_html(skipped: list[Skipped]) -> SafeString:
    """ "X — why; Y — why and 3 more", each row linked to its page.

    Reasons often carry their own parentheses ("not at Bony.chat yet (no contact id)"), so they
    follow a dash rather than being wrapped in more.
    """
    shown = skipped[:SKIPPED_SHOWN]
    items = format_html_join(
        "; ",
        "{} — {}",
        (
            (
                format_html('<a href="{}">{}</a>', url, s.label)
                if (url := _change_url(s.url_target))
                else s.label,
                s.reason,
            )
            for s in shown
        ),
    )
    more = len(skipped) - len(shown)
    return format_html("{} and {} more", items, more) if more else items


# What was queued, as (singular, plural): "Queued 1 reply", "Queued 25 replies".
Noun = tuple[str | Promise, str | Promise]


def _counted(noun: Noun, count: int) -> str | Promise:
    return noun[0] if count == 1 else noun[1]


def report(
    modeladmin: admin.ModelAdmin, request: HttpRequest, result: Enqueued, noun: Noun
) -> None:
    """ "Queued 25 replies (progress); 2 skipped: …" as one message on the changelist."""
    if result.count:
        queued = format_html(
            'Queued {} {} (<a href="{}">follow their progress</a>)',
            result.count,
            _counted(noun, result.count),
            group_url(result),
        )
    else:
        queued = format_html("{}", "Nothing queued")
    if result.skipped:
        text = format_html(
            "{}; {} skipped: {}.", queued, len(result.skipped), skipped_html(result.skipped)
        )
        level = messages.WARNING
    else:
        text = format_html("{}.", queued)
        level = messages.SUCCESS
    modeladmin.message_user(request, text, level)


def action_page_context(
    modeladmin: admin.ModelAdmin, request: HttpRequest, *, action: str, title: str
) -> dict[str, Any]:
    """What every page between a changelist and its action needs: the admin's own context and
    the selection, which the page posts back with the same action."""
    opts = modeladmin.model._meta
    return {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "action": action,
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    }


def intermediate_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    title: str,
    noun: Noun,
    form_class: type[forms.Form],
    submit: Callable[[QuerySet[Any], forms.Form], Enqueued],
    form_kwargs: Mapping[str, Any] | None = None,
    intro: str = "",
) -> TemplateResponse | None:
    """Render the action's form; on a valid ``apply`` post, call ``submit`` (the action's
    service, with the selection and the valid form) and report what it queued and skipped."""
    kwargs = dict(form_kwargs or {})
    if "apply" in request.POST:
        form = form_class(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            targets = queryset.prefetch_related(None)
            if queryset.model is not VendorAccount:
                targets = targets.select_related("account")
            report(modeladmin, request, submit(targets, form), noun)
            return None
    else:
        form = form_class(**kwargs)
    opts = modeladmin.model._meta
    count = queryset.count()
    context = {
        **action_page_context(modeladmin, request, action=action, title=title),
        "intro": intro,
        "form": form,
        "count": count,
        "noun": capfirst(opts.verbose_name_plural if count != 1 else opts.verbose_name),
        "preview": list(queryset[:10]),
        "media": modeladmin.media + form.media,
        "multipart": form.is_multipart(),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)


class ActionPermissionsMixin:
    """``has_<codename>_permission`` for the permission of every registered action, as Django's
    ``@admin.action(permissions=[...])`` asks of its ``ModelAdmin``: each action names its
    permission once, in its module (``Action.permission``)."""

    def __getattr__(self, name: str) -> Callable[[HttpRequest], bool]:
        codename = name.removeprefix("has_").removesuffix("_permission")
        if name.startswith("has_") and any(a.permission == codename for a in ACTIONS.values()):

            def has_permission(request: HttpRequest) -> bool:
                return bool(request.user.has_perm(f"backoffice.{codename}"))

            return has_permission
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def formless_action(
    *,
    name: str,
    description: _StrOrPromise,
    permission: str,
    noun: Noun,
    submit: Callable[[User, QuerySet[Any]], Enqueued],
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet[Any]], None]:
    """An admin action with nothing to ask first: the selection goes straight to ``submit`` (the
    action's service, with the staff member), and the changelist says what was queued."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        user: User = request.user  # type: ignore[assignment]
        targets = queryset.order_by().prefetch_related(None).select_related("account")
        report(modeladmin, request, submit(user, targets), noun)

    action.__name__ = name
    return admin.action(description=description, permissions=[permission])(action)
