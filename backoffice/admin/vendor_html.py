"""Vendor content as the admin shows it: HTML cleaned to a small allow-list, text escaped.

Ticket messages arrive from Thulium as e-mail HTML written by whoever sent the e-mail, so they are
untrusted markup. They are shown as formatted text through nh3 (the Rust ``ammonia`` cleaner):
text formatting, lists, tables and links survive; scripts, styles, event handlers, forms, frames,
SVG and MathML do not. Links keep only http, https and mailto targets and open in a new tab
without telling the sender where they were followed from (``rel=noopener noreferrer nofollow``).
Images are dropped: a remote image in an e-mail is how a sender learns that, when and from
where it was read (a tracking pixel), and the admin's Content-Security-Policy would refuse to
load it anyway. Everything else a vendor sends (chat text, names, tags, errors) is escaped.
"""

from __future__ import annotations

import nh3
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from backoffice.models import TicketMessage

ALLOWED_TAGS = {
    # text and its formatting
    "p", "br", "div", "span", "blockquote", "pre", "code", "hr",
    "b", "strong", "i", "em", "u", "s", "strike", "del", "ins", "sub", "sup", "small", "mark",
    "h1", "h2", "h3", "h4", "h5", "h6",
    # lists and tables (quoted orders, invoices)
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    "a",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    # Dropped with everything inside them: their content is code or styling, not text to read.
    clean_content_tags={"script", "style", "template", "noscript", "iframe", "object", "embed"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)


def vendor_html_clean(*, html: str) -> SafeString:
    """Untrusted HTML as markup that is safe to put into an admin page."""
    # The one mark_safe on vendor data: nh3's output is the sanitised markup itself.
    return mark_safe(_cleaner.clean(html))  # noqa: S308


def vendor_text_html(*, text: str) -> SafeString:
    """Untrusted plain text, escaped, its paragraphs and line breaks kept."""
    return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 (escaped by linebreaks)


def ticket_body_html(*, body: str, body_type: str) -> SafeString:
    """A ticket message's body as the admin shows it: HTML cleaned, plain text escaped."""
    if body_type == TicketMessage.BodyType.HTML:
        return vendor_html_clean(html=body)
    return vendor_text_html(text=body)
