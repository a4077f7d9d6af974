"""Fixtures of the browser tests: Chromium, and a real natrisk server on a real database.

One server runs for the whole session on an SQLite file (``site``); ``pg_site`` serves
the same world from PostgreSQL for the tests that ask for it. Each test opens its own
browser contexts (one per person) through ``people``; they are closed after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright
from tests.pg import Cluster
from web_support import CHROMIUM, CHROMIUM_ARGS, Browsers, Server, Site, build_world


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's Chromium is not installed (`make test` installs it)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


def _site(url: str, home: Path) -> Iterator[Site]:
    world = build_world(url)
    server = Server(url, home)
    try:
        yield Site(server.base, world, server)
    finally:
        server.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The server on an SQLite file."""
    home = tmp_path_factory.mktemp("web-sqlite")
    yield from _site(f"sqlite:///{home / 'natrisk.db'}", home)


@pytest.fixture(scope="session")
def pg_site(tmp_path_factory: pytest.TempPathFactory, pg_cluster: Cluster) -> Iterator[Site]:
    """The server on a PostgreSQL database (the session's throw-away cluster)."""
    home = tmp_path_factory.mktemp("web-pg")
    yield from _site(pg_cluster.new_database(), home)


@pytest.fixture
def people(browser: Browser, site: Site) -> Iterator[Browsers]:
    """Browser contexts on the SQLite server, closed after the test."""
    b = Browsers(browser, site)
    yield b
    b.close()


@pytest.fixture
def pg_people(browser: Browser, pg_site: Site) -> Iterator[Browsers]:
    """Browser contexts on the PostgreSQL server, closed after the test."""
    b = Browsers(browser, pg_site)
    yield b
    b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test's report ends with the tail of the server's log (tracebacks of 500s)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name in ("site", "pg_site"):
        site = getattr(item, "funcargs", {}).get(name)
        if isinstance(site, Site):
            log = site.server.log()
            if log.strip():
                report.sections.append((f"natrisk server log ({name}, tail)", log[-4000:]))
