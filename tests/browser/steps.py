"""What a person does and sees in the browser, as test steps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Dialog, Page
from pytest_django.live_server_helper import LiveServer

from backoffice.models import User

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct horse battery staple"  # tests/factories.py's UserFactory password


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
