"""What a person does and sees in the browser, as test steps."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Dialog, Page, expect
from pytest_django.live_server_helper import LiveServer

from backoffice.models import User

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct horse battery staple"  # tests/factories.py's UserFactory password
# How long a background worker may take to settle an action's operations.
SETTLE_MS = 30_000


@dataclass
class PageWatch:
    """What a page did that a person would not see: dialogs opened, CSP refusals, script errors."""

    dialogs: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        if re.search(r"Content.Security.Policy", message.text, re.IGNORECASE):
            self.csp_violations.append(message.text)

    def on_error(self, error: Exception) -> None:
        self.errors.append(str(error))


def log_in(page: Page, live_server: LiveServer, user: User, password: str = PASSWORD) -> None:
    """Through the real login page, as a person would."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under var/screenshots/ (kept out of git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def admin_url(live_server: LiveServer, path: str) -> str:
    return f"{live_server.url}{path}"


def run_action(page: Page, action: str, rows: Iterable[object]) -> None:
    """On a changelist: tick the rows (by primary key), pick the action, press Go."""
    for pk in rows:
        page.check(f'input.action-select[value="{pk}"]')
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def follow_progress(page: Page, *, succeeded: int = 0, failed: int = 0) -> None:
    """From an action's message, open its progress and wait until it has settled as expected
    (the box polls by itself), then reload the list so its rows show their final state."""
    page.click(".messagelist >> text=follow their progress")
    box = page.locator("#operation-progress")
    expect(box.locator('[data-count="pending"]')).to_have_text("0", timeout=SETTLE_MS)
    expect(box.locator('[data-count="succeeded"]')).to_have_text(str(succeeded))
    expect(box.locator('[data-count="failed"]')).to_have_text(str(failed))
    page.reload()
    expect(box.locator('[data-count="pending"]')).to_have_text("0")


def open_list(page: Page, name: str) -> None:
    """Open a model's list by its name, from the side bar, or from the home page's app list
    when the side bar is folded away."""
    links = page.get_by_role("link", name=name, exact=True)  # visible ones only
    if links.count() == 0:
        page.click(".breadcrumbs a >> nth=0")  # Home
    links.first.click()
    expect(page.locator("#changelist")).to_be_visible()


def hide_side_bar(page: Page) -> None:
    """Fold the admin's side bar away (its « button), so a wide list shows more columns."""
    page.click("#toggle-nav-sidebar")
    expect(page.locator("#nav-sidebar")).to_be_hidden()
