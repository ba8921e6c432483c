"""``retry_operations`` and ``dismiss_operations`` on the (read-only) operation list.

Retry sends failed and outcome-unknown operations again (behind a confirmation page when any
outcome is unknown: the vendor may have them already); dismiss closes them after a person checked
the vendor by hand, behind a confirmation page. Operations in any other state are left as
they are, and the message lists them. Both may be started from an operation's own page, which
they then return to (``_return_to``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backoffice.admin.actions.base import action_page_context
from backoffice.models import Operation, OperationState
from backoffice.operations.enqueue import operations_dismiss, operations_retry
from backoffice.operations.progress import scope_of

SHOWN = 10
CONFIRM_TEMPLATE = "admin/backoffice/operation/confirm_action.html"


def _selection(queryset: QuerySet[Operation]) -> list[Operation]:
    # Only what the services and the message read: no account or actor rows per operation.
    fields = ("pk", "state", "group_id", "action", "target_label", "account_id")
    return list(queryset.select_related(None).only(*fields).order_by("pk"))


def _label(op: Operation) -> str:
    return f"#{op.pk} {op.get_action_display()} · {op.target_label}"


def left_alone_html(refused: Sequence[Operation], verb: str) -> SafeString:
    """ "; 2 left alone (only failed or outcome-unknown operations are retried): #7 … (queued)"."""
    if not refused:
        return SafeString("")
    shown = format_html_join(
        ", ",
        '<a href="{}">{}</a> ({})',
        (
            (
                reverse("admin:backoffice_operation_change", args=[op.pk]),
                _label(op),
                op.get_state_display().lower(),
            )
            for op in refused[:SHOWN]
        ),
    )
    more = len(refused) - SHOWN
    return format_html(
        "; {} left alone (only failed or outcome-unknown operations are {}): {}{}",
        len(refused),
        verb,
        shown,
        format_html(" and {} more", more) if more > 0 else "",
    )


def _return_to(request: HttpRequest) -> HttpResponseRedirect | None:
    """Back to the page the action was started from (an operation's page), when it is ours."""
    target = request.POST.get("_return_to", "")
    # A path on this site, as the operation page sends it: not a relative one ("0", "x/y"),
    # which the browser would resolve against the list's URL.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return None


def _progress_link(retried: Sequence[Operation]) -> SafeString:
    scope = scope_of(retried)
    if scope is None:
        return SafeString("")
    url = f"{reverse('admin:backoffice_operation_changelist')}?{scope.query}"
    return format_html(' (<a href="{}">follow their progress</a>)', url)


def _confirmation(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Operation],
    *,
    action: str,
    title: str,
    shown_states: Sequence[str],
    lead: str,
    advice: str,
    button: str,
) -> TemplateResponse:
    """A page that lists what the action will do and re-posts the selection with ``apply``."""
    context = {
        **action_page_context(modeladmin, request, action=action, title=title),
        "return_to": request.POST.get("_return_to", ""),
        "lead": lead,
        "advice": advice,
        "button": button,
        "preview": list(
            queryset.filter(state__in=shown_states).select_related("account").order_by("pk")[:20]
        ),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


def _count_by_state(queryset: QuerySet[Operation]) -> Counter[str]:
    rows = queryset.order_by().values_list("state").annotate(n=Count("pk"))
    return Counter({state: n for state, n in rows})


@admin.action(
    description=_("Retry selected failed or outcome-unknown operations"),
    permissions=["retry_operation"],
)
def retry_operations(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Operation]
) -> TemplateResponse | HttpResponseRedirect | None:
    if "apply" not in request.POST:
        unknown = _count_by_state(queryset)[OperationState.UNKNOWN]
        if unknown:
            # These may have reached the vendor already: sending them again is a person's call.
            return _confirmation(
                modeladmin,
                request,
                queryset,
                action="retry_operations",
                title=str(_("Retry operations")),
                shown_states=[OperationState.UNKNOWN],
                lead=ngettext(
                    "%(n)d selected operation has an unknown outcome.",
                    "%(n)d selected operations have an unknown outcome.",
                    unknown,
                )
                % {"n": unknown},
                advice=str(
                    _(
                        "Their request may already have reached the vendor, and retrying sends"
                        " it again: a customer may get the same message twice. Check at the"
                        " vendor first; where the change is there, dismiss the operation"
                        " instead. Failed operations in the selection are retried too."
                    )
                ),
                button=str(_("Yes, I checked: retry them")),
            )
    selected = _selection(queryset)
    count, refused = operations_retry(operations=selected, actor=request.user)  # type: ignore[arg-type]
    retried = [op for op in selected if op.state in OperationState.UNDONE]
    if count:
        text = format_html(
            "Queued {} again{}{}.",
            ngettext("%(count)d operation", "%(count)d operations", count) % {"count": count},
            _progress_link(retried),
            left_alone_html(refused, "retried"),
        )
    else:
        text = format_html("Nothing retried{}.", left_alone_html(refused, "retried"))
    level = messages.SUCCESS if count and not refused else messages.WARNING
    modeladmin.message_user(request, text, level)
    return _return_to(request)


@admin.action(
    description=_("Dismiss selected failed or outcome-unknown operations"),
    permissions=["retry_operation"],
)
def dismiss_operations(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Operation]
) -> TemplateResponse | HttpResponseRedirect | None:
    if "apply" in request.POST:
        count, refused = operations_dismiss(
            operations=_selection(queryset),
            actor=request.user,  # type: ignore[arg-type]
        )
        if count:
            text = format_html(
                "Dismissed {}; {} will not be sent again{}.",
                ngettext("%(count)d operation", "%(count)d operations", count) % {"count": count},
                ngettext("it", "they", count),
                left_alone_html(refused, "dismissed"),
            )
        else:
            text = format_html("Nothing dismissed{}.", left_alone_html(refused, "dismissed"))
        modeladmin.message_user(request, text, messages.SUCCESS if count else messages.WARNING)
        return _return_to(request)

    by_state = _count_by_state(queryset)
    closable = sum(by_state[state] for state in OperationState.UNDONE)
    if not closable:
        modeladmin.message_user(
            request,
            _("Nothing to dismiss: only failed or outcome-unknown operations can be dismissed."),
            messages.WARNING,
        )
        return _return_to(request)
    others = sum(by_state.values()) - closable
    lead = ngettext(
        "%(n)d failed or outcome-unknown operation will be dismissed.",
        "%(n)d failed or outcome-unknown operations will be dismissed.",
        closable,
    ) % {"n": closable}
    if others:
        lead += " " + ngettext(
            "%(n)d other selected operation is left as it is.",
            "%(n)d other selected operations are left as they are.",
            others,
        ) % {"n": others}
    return _confirmation(
        modeladmin,
        request,
        queryset,
        action="dismiss_operations",
        title=str(_("Dismiss operations")),
        shown_states=OperationState.UNDONE,
        lead=lead,
        advice=str(
            _(
                "Dismiss an operation once you have checked at the vendor, by hand, that the"
                " change was made or is no longer wanted. Switchboard then closes it and never"
                " sends it again; nothing is sent to the vendor now. If the change is missing"
                " and still wanted, retry the operation instead."
            )
        ),
        button=str(_("Yes, I checked: dismiss them")),
    )
