"""A link from a record's change page to the operations that targeted it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext

from backoffice.models import VendorAccount

if TYPE_CHECKING:
    from django.template.response import _TemplateForResponseT


def operations_url(obj: Model) -> str:
    """The Operation changelist filtered to ``obj``'s operations (an account: all of its own)."""
    if isinstance(obj, VendorAccount):
        query = urlencode({"account__id__exact": obj.pk})
    else:
        content_type = ContentType.objects.get_for_model(type(obj))
        query = urlencode({"target_type__id__exact": content_type.pk, "target_id": obj.pk})
    return f"{reverse('admin:backoffice_operation_changelist')}?{query}"


class OperationsLinkMixin:
    """Adds "Operations on this <model>" beside History on the change page, for staff who may
    see operations."""

    change_form_template: ClassVar[_TemplateForResponseT | None] = (
        "admin/backoffice/change_form_operations.html"
    )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> HttpResponse:
        if (
            obj is not None
            and obj.pk is not None
            and request.user.has_perm("backoffice.view_operation")
        ):
            context["operations_url"] = operations_url(obj)
            context["operations_label"] = gettext("Operations on this %(name)s") % {
                "name": obj._meta.verbose_name
            }
            if isinstance(obj, VendorAccount):
                context["operations_label"] = gettext("Operations at this account")
        return super().render_change_form(  # type: ignore[misc, no-any-return]
            request, context, add, change, form_url, obj
        )
