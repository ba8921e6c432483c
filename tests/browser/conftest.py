"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, against the live server.

The browser is the system's (``/usr/bin/chromium``, from the ``chromium`` package), never one that
Playwright downloads. Browser tests are marked ``browser`` and run with the rest of the suite; a
machine without Chromium fails them with the command that installs it, rather than skipping them.

Pages are served by pytest-django's ``live_server`` in a thread; every test that uses it gets a
transactional database (committed rows, visible to the server's thread; tables emptied after).

``worker`` runs a real ``manage.py qcluster`` on the test database for a whole module (tables
emptied between its tests change nothing for it: it keeps no rows of its own in memory), and
``tasks_to_worker`` sends the live server's enqueues to it through the database broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django_q.conf import Conf
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.steps import PageWatch
from tests.worker import Worker, running_worker

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an asyncio event loop in the test's thread for as long as the
    browser is open, and Django then refuses ORM calls from that thread (the test's own data,
    the database flush after it) as async-unsafe. Nothing here is asynchronous: the ORM and the
    browser take turns in one thread, and the live server answers from its own. So the guard is
    lifted for the browser tests' modules only, and restored after them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        yield


@pytest.fixture(scope="module")
def browser(allow_orm_beside_playwright: None) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}: "
            "run `apt-get install -y chromium` (as root), then the tests again.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, watch: PageWatch) -> Iterator[Page]:
    """A fresh browser tab (its own cookies). Parametrize indirectly with context options, e.g.
    ``{"bypass_csp": True}`` to see what a page would do without its Content-Security-Policy."""
    options = getattr(request, "param", {})
    context = browser.new_context(viewport={"width": 1400, "height": 900}, **options)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    opened.on("dialog", watch.on_dialog)
    opened.on("console", watch.on_console)
    opened.on("pageerror", watch.on_error)
    yield opened
    context.close()


@pytest.fixture(scope="module")
def worker(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """``manage.py qcluster`` on the test database, for the module's tests (tests/worker.py)."""
    log = tmp_path_factory.mktemp("worker") / "qcluster.log"
    with running_worker(log) as started:
        yield started
    assert started.process.returncode == 0, started.output()


@pytest.fixture
def tasks_to_worker(monkeypatch: pytest.MonkeyPatch, worker: Worker) -> Worker:
    """The live server's tasks go to the worker through the database broker, not inline: the
    server's thread runs in this process, where the test settings run tasks in-process."""
    worker.assert_alive()
    monkeypatch.setattr(Conf, "SYNC", False)
    return worker
