"""Vendor content in the admin: ticket HTML cleaned to an allow-list, everything else escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from backoffice.admin.vendor_html import vendor_html_clean, vendor_text_html
from backoffice.models import TicketMessage
from tests.factories import TicketFactory, TicketMessageFactory

ROOT = Path(__file__).resolve().parents[3]

# (vendor HTML, what the admin gets)
DANGEROUS = [
    ("<p>Hi<script>window.__xss=1</script></p>", "<p>Hi</p>"),
    ("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>ok", "ok"),
    ('<img src=x onerror="window.__xss=1">after', "after"),
    ('<img src="https://tracker.example/pixel.gif">read', "read"),
    ('<p onclick="window.__xss=1" onmouseover="x()">click</p>', "<p>click</p>"),
    ('<body onload="window.__xss=1">b</body>', "b"),
    (
        '<a href="javascript:window.__xss=1">link</a>',
        '<a target="_blank" rel="noopener noreferrer nofollow">link</a>',
    ),
    (
        '<a href="JaVaScRiPt:alert(1)">link</a>',
        '<a target="_blank" rel="noopener noreferrer nofollow">link</a>',
    ),
    (
        '<a href="java&#x09;script:alert(1)">link</a>',
        '<a target="_blank" rel="noopener noreferrer nofollow">link</a>',
    ),
    (
        '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">d</a>',
        '<a target="_blank" rel="noopener noreferrer nofollow">d</a>',
    ),
    (
        '<a href="vbscript:msgbox(1)">v</a>',
        '<a target="_blank" rel="noopener noreferrer nofollow">v</a>',
    ),
    ('<p style="background:url(javascript:alert(1))">styled</p>', "<p>styled</p>"),
    ("<style>body{display:none}</style>text", "text"),
    ('<svg onload="window.__xss=1"><script>alert(1)</script></svg>svg', "svg"),
    ('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', ""),
    ('<math><mi xlink:href="javascript:alert(1)">m</mi></math>', ""),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""),
    ('<iframe src="https://evil.example">inner</iframe>frame', "frame"),
    ('<object data="x.swf"></object><embed src="x.swf">', ""),
    ('<form action="https://evil.example"><input name="a"><button>Go</button></form>', "Go"),
    ('<base href="https://evil.example/">base', "base"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">meta', "meta"),
    ("<!-- <script>alert(1)</script> -->after", "after"),
    # The parser's reading of a noscript trick leaves only harmless text behind.
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', '"&gt;'),
    ('<div id="content-main" class="errornote">fake</div>', "<div>fake</div>"),
    ("<template><script>alert(1)</script></template>t", "t"),
]

KEPT = [
    ("<p>Dzień dobry,<br>paczka <b>nie</b> dotarła.</p>", None),
    ("<blockquote><p>quoted</p></blockquote>", None),
    ("<ul><li>one</li><li>two</li></ul>", None),
    (
        '<table><tbody><tr><td colspan="2">total</td></tr></tbody></table>',
        None,
    ),
    (
        '<a href="https://shop.example/order/1">order</a>',
        '<a href="https://shop.example/order/1" target="_blank" rel="noopener noreferrer nofollow">'
        "order</a>",
    ),
    (
        '<a href="mailto:klient@example.pl">mail</a>',
        '<a href="mailto:klient@example.pl" target="_blank" rel="noopener noreferrer nofollow">'
        "mail</a>",
    ),
    ("a &lt;b&gt; c", None),
]


@pytest.mark.parametrize(("html", "cleaned"), DANGEROUS)
def test_it_removes_what_could_run_or_load(html: str, cleaned: str) -> None:
    assert vendor_html_clean(html=html) == cleaned


@pytest.mark.parametrize(("html", "cleaned"), KEPT)
def test_it_keeps_formatting_and_plain_links(html: str, cleaned: str | None) -> None:
    assert vendor_html_clean(html=html) == (cleaned or html)


def test_it_escapes_plain_text_and_keeps_its_lines() -> None:
    shown = vendor_text_html(text="<script>alert(1)</script>\nline two\n\nnext & last")

    assert shown == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>line two</p>\n\n<p>next &amp; last</p>"
    )


@pytest.mark.django_db
def test_it_shows_a_tickets_conversation_cleaned_on_the_ticket_page(owner_client: Client) -> None:
    ticket = TicketFactory()
    TicketMessageFactory(
        ticket=ticket,
        body='<p>Paczka <b>nie</b> dotarła<script>alert(1)</script><img src="x" onerror="y"></p>',
    )
    TicketMessageFactory(
        ticket=ticket,
        kind=TicketMessage.Kind.REPLY,
        body_type=TicketMessage.BodyType.PLAIN,
        body="<b>not bold</b>\nsecond line",
    )

    page = owner_client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))

    text = page.content.decode()
    assert '<div class="vendor-html"><p>Paczka <b>nie</b> dotarła</p></div>' in text
    assert (
        '<div class="vendor-html"><p>&lt;b&gt;not bold&lt;/b&gt;<br>second line</p></div>' in text
    )
    assert "alert(1)" not in text
    assert "onerror" not in text


# Every place that may put markup into a page unescaped, each one reviewed: the sanitiser's own
# output, format_html's (which escapes its arguments), and empty strings.
REVIEWED_UNESCAPED = {
    ("backoffice/admin/vendor_html.py", "mark_safe(_cleaner.clean(html))"),
    ("backoffice/admin/vendor_html.py", "mark_safe(linebreaks(text, autoescape=True))"),
    ("backoffice/admin/actions/operations.py", 'SafeString("")'),
    # Constant separators and placeholders, no data in them.
    ("backoffice/admin/actions/people.py", 'SafeString("—")'),
    ("backoffice/admin/actions/people.py", 'SafeString("<br>")'),
    ("backoffice/admin/accounts.py", 'mark_safe("<br>")'),
    # An audit list's cells: every value in them through conditional_escape, the tags and
    # classes constant (test_lean_rows.py compares them with Django's format_html output).
    ("backoffice/admin/lean_rows.py", 'mark_safe(f"<td{classes}>{conditional_escape(shown)'),
    ("backoffice/admin/lean_rows.py", 'mark_safe(f"<{tag}{classes}>{linked}</{tag}>")'),
}
UNESCAPED = re.compile(
    r"mark_safe\(.*?\)\)?|SafeString\(.*?\)|\|\s*safe\b|autoescape\s+off|allow_tags|safeseq"
)


def test_it_puts_vendor_data_into_pages_only_through_reviewed_places() -> None:
    found = set()
    for path in [
        *ROOT.joinpath("backoffice").rglob("*.py"),
        *ROOT.joinpath("templates").rglob("*"),
    ]:
        if path.is_dir() or "migrations" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith(("#", "from ", "import ")):
                continue
            for match in UNESCAPED.finditer(line):
                found.add((str(path.relative_to(ROOT)), match.group(0)))

    assert found == REVIEWED_UNESCAPED


def test_it_builds_html_with_format_html_from_constant_templates_only() -> None:
    """format_html escapes its arguments, not its template: a template built from data (an
    f-string, a % or .format) would not be escaped."""
    pattern = re.compile(r"format_html\(\s*(f[\"']|[^,()]*%|[^,()]*\.format\()")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in ROOT.joinpath("backoffice").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
