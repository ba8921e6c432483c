"""``{% lean_result_list cl %}``: Django's ``{% result_list cl %}`` with the rows rendered once
per column (``backoffice.admin.lean_rows``), for the audit lists."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from backoffice.admin.lean_rows import lean_result_list

register = template.Library()


@register.tag(name="lean_result_list")
def lean_result_list_tag(parser: Any, token: Any) -> InclusionAdminNode:
    return InclusionAdminNode(  # type: ignore[call-arg]
        parser,
        token,
        func=lean_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
