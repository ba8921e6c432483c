"""``{% operations_url obj %}``: the operation list filtered to what was asked of ``obj``."""

from __future__ import annotations

from django import template
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import reverse

from backoffice.models import VendorAccount

register = template.Library()


@register.simple_tag
def operations_url(obj: Model) -> str:
    """An account's operations, or the operations whose target is ``obj``."""
    changelist = reverse("admin:backoffice_operation_changelist")
    if isinstance(obj, VendorAccount):
        return f"{changelist}?account__id__exact={obj.pk}"
    content_type = ContentType.objects.get_for_model(obj)
    return f"{changelist}?target_type__id__exact={content_type.pk}&target_id={obj.pk}"
