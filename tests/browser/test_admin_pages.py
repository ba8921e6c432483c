"""The admin's own scripts work under the Content-Security-Policy, and a locked-out login is told
why, as a staff member sees it in the browser."""

from __future__ import annotations

import uuid

from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from backoffice.models import Operation, OperationState, User
from tests.browser.steps import PASSWORD, PageWatch, admin_url, log_in, screenshot
from tests.factories import ContactFactory, OperationFactory, TagFactory, TicketFactory


def assert_no_refusals(watch: PageWatch) -> None:
    """Nothing the pages tried was refused by the policy, and no script failed."""
    assert watch.csp_violations == []
    assert watch.errors == []


def test_it_runs_the_admins_scripts_under_the_content_security_policy(
    page: Page, watch: PageWatch, live_server: LiveServer, owner: User
) -> None:
    contacts = ContactFactory.create_batch(3)
    contacts[0].tags.add(TagFactory(account=contacts[0].account, name="vip"))
    ticket = TicketFactory()
    log_in(page, live_server, owner)
    changelist = admin_url(live_server, reverse("admin:backoffice_contact_changelist"))
    page.goto(changelist)

    # actions.js: "select all" ticks every row and counts them.
    page.check("#action-toggle")
    for box in page.locator("input.action-select").all():
        expect(box).to_be_checked()
    expect(page.locator(".action-counter")).to_have_text("3 of 3 selected")

    # The action form's Cancel goes back to the list (cancel.js, no inline handler).
    page.select_option("select[name=action]", "add_tags")
    page.click("button[name=index]")
    expect(page.locator("h1")).to_have_text("Add tags")
    page.click("a.cancel-link")
    expect(page.locator("h1")).to_have_text("Select contact to change")

    # The related-object and calendar widgets of a change page.
    page.goto(
        admin_url(live_server, reverse("admin:backoffice_contact_change", args=[contacts[0].pk]))
    )
    page.click(".select2-selection")
    expect(page.locator(".select2-results")).to_be_visible()
    page.goto(admin_url(live_server, reverse("admin:backoffice_ticket_change", args=[ticket.pk])))
    page.click("#id_opened_at_0 ~ .datetimeshortcuts a >> text=Today")
    expect(page.locator("#id_opened_at_0")).not_to_have_value("")
    # The theme toggle (theme.js).
    before = page.evaluate("document.documentElement.dataset.theme || 'auto'")
    page.click("button.theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") != before

    assert_no_refusals(watch)


def test_it_draws_and_refreshes_a_bulk_actions_progress_under_the_policy(
    page: Page, watch: PageWatch, live_server: LiveServer, owner: User
) -> None:
    group = uuid.uuid4()
    OperationFactory(group_id=group, actor=owner, state=OperationState.SUCCEEDED)
    waiting = OperationFactory(group_id=group, actor=owner, state=OperationState.QUEUED)
    log_in(page, live_server, owner)

    page.goto(
        admin_url(
            live_server, f"{reverse('admin:backoffice_operation_changelist')}?group_id={group}"
        )
    )
    box = page.locator("#operation-progress")
    expect(box.locator('[data-count="pending"]')).to_have_text("1")
    bar = box.locator('[data-bar="succeeded"]')
    total = box.locator(".operation-progress-bar").bounding_box()
    drawn = bar.bounding_box()
    assert total is not None
    assert drawn is not None
    assert abs(drawn["width"] - total["width"] / 2) < 2  # half of it: 1 of 2 done
    screenshot(page, "operation-progress")

    Operation.objects.filter(pk=waiting.pk).update(state=OperationState.SUCCEEDED)

    # The page polls every few seconds and settles without a reload.
    expect(box.locator('[data-count="pending"]')).to_have_text("0", timeout=10_000)
    expect(box.locator('[data-count="succeeded"]')).to_have_text("2")
    expect(box.locator("[data-note]")).to_contain_text("All settled.")
    assert_no_refusals(watch)


def test_it_tells_a_locked_out_login_why_and_for_how_long(
    page: Page, watch: PageWatch, live_server: LiveServer, owner: User
) -> None:
    login = admin_url(live_server, reverse("admin:login"))
    page.goto(login)
    for _ in range(5):
        page.fill("#id_username", owner.get_username())
        page.fill("#id_password", "not the password")
        page.click("input[type=submit]")
        if page.locator("#id_password").count() == 0:
            break
    page.goto(login)
    page.fill("#id_username", owner.get_username())
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    expect(page.locator(".errornote")).to_have_text("Too many failed logins")
    expect(page.locator("#content-main")).to_contain_text(
        "refused for 15 minutes, even with the right password"
    )
    screenshot(page, "login-locked-out")
    page.goto(admin_url(live_server, reverse("admin:index")))
    page.wait_for_url(f"{login}?next=/admin/")
    assert_no_refusals(watch)
