"""Every page of the application passes axe-core (no serious or critical violation), fits a
390 px wide screen, and the risk diagram's points can be reached with the keyboard.

The pages are found in the application itself: every GET route of the web routers that
renders a page must have a URL in ``PAGES`` (or a reason in ``NOT_PAGES``), so a new page
without an accessibility check fails here. The server starts on an empty database, so
``natrisk serve`` bootstraps the example edition (1), its baseline (2) and the plan (1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from accessibility import NARROW, axe_violations, describe, narrow_problems
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError
from web_support import VIEWPORT, Server, Site, World

EDITION, BASELINE, PLAN = 1, 2, 1
SCENARIO = "coastal-flood"

# path template -> the URL that shows it in the bootstrapped world
PAGES: dict[str, str] = {
    "/": "/",
    "/login": "/login",
    "/editions": "/editions",
    "/editions/new": "/editions/new",
    "/editions/{edition_id}": f"/editions/{EDITION}",
    "/editions/{edition_id}/settings": f"/editions/{EDITION}/settings",
    "/editions/{edition_id}/scenarios/new": f"/editions/{EDITION}/scenarios/new",
    "/editions/{edition_id}/scenarios/{slug}": f"/editions/{EDITION}/scenarios/{SCENARIO}",
    "/editions/{edition_id}/scenarios/{slug}/history": (
        f"/editions/{EDITION}/scenarios/{SCENARIO}/history"
    ),
    "/editions/{edition_id}/sensitivity": f"/editions/{EDITION}/sensitivity",
    "/editions/{edition_id}/diff": f"/editions/{EDITION}/diff?to={BASELINE}",
    "/editions/{edition_id}/cascades": f"/editions/{EDITION}/cascades",
    "/editions/{edition_id}/cascades/{slug}": f"/editions/{EDITION}/cascades/{SCENARIO}",
    "/editions/{edition_id}/regions": f"/editions/{EDITION}/regions",
    "/import": "/import",
    "/admin": "/admin",
    "/account": "/account",
    "/search": "/search?q=flood",
    "/reset/{token}": "/reset/{reset_token}",
    "/plans/{plan_id}": f"/plans/{PLAN}",
    "/plans/{plan_id}/capabilities/{capability}": f"/plans/{PLAN}/capabilities/evacuation-planning",
    "/plans/{plan_id}/issues/{issue}": f"/plans/{PLAN}/issues/state-threats",
    "/plans/{plan_id}/coverage": f"/plans/{PLAN}/coverage",
    "/plans/{plan_id}/strategy": f"/plans/{PLAN}/strategy",
    "/plans/{plan_id}/calendar": f"/plans/{PLAN}/calendar",
    "/plans/{plan_id}/measures/new": f"/plans/{PLAN}/measures/new",
    "/plans/{plan_id}/measures/{measure}": f"/plans/{PLAN}/measures/m-01",
    "/runs/{run_id}/view": "/runs/{run_id}/view",
    "/foresight": "/foresight",
    "/editions/{edition_id}/signals": f"/editions/{EDITION}/signals",
    "/editions/{edition_id}/signals/{slug}": f"/editions/{EDITION}/signals/s077-cyber-2c",
    "/editions/{edition_id}/clusters": f"/editions/{EDITION}/clusters",
    "/editions/{edition_id}/scans": f"/editions/{EDITION}/scans",
    "/editions/{edition_id}/scans/{slug}": f"/editions/{EDITION}/scans/autumn-2026",
    "/trend-sets/{set_id}": "/trend-sets/1",
    "/deepdives/{dd_id}": "/deepdives/1",
    "/editions/{edition_id}/deepdives/new": f"/editions/{EDITION}/deepdives/new",
    "/editions/{edition_id}/scenarios/{slug}/origin": f"/editions/{EDITION}/scenarios/{SCENARIO}/origin",
}
# GET routes of the web routers that are not pages of their own
NOT_PAGES = {
    "/editions/{edition_id}/classify/{criterion}": "fragment: the class of a typed quantity",
    "/editions/{edition_id}/public.zip": "a download",
    "/runs/{run_id}": "fragment: a run's progress, polled by the sensitivity page",
    "/runs/{run_id}/output": "a download",
    "/trend-sets/{set_id}/report": "a download (the foresight report)",
    "/editions/{edition_id}/scans/{slug}/report": "a download (the threat picture)",
}


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, route) of every route, through included routers (FastAPI keeps them nested)."""
    from fastapi.routing import APIRoute

    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            context = getattr(r, "include_context", None)
            yield from _walk(inner.routes, prefix + str(getattr(context, "prefix", "") or ""))
        elif isinstance(r, APIRoute):
            yield prefix + r.path, r


def page_routes() -> set[str]:
    """The path of every GET route of the web routers (the pages and their fragments)."""
    from natrisk.api.app import create_app
    from natrisk.store.database import Database

    db = Database("sqlite://", upgrade=False)
    try:
        app = create_app(db)
    finally:
        db.close()
    found = {
        path
        for path, r in _walk(list(app.routes))
        if "GET" in r.methods and not path.startswith(("/api", "/docs", "/openapi", "/static"))
    }
    assert {"/", "/editions", "/editions/{edition_id}"} <= found  # the walk sees the pages
    return found


def test_every_page_route_is_checked() -> None:
    """A page without an entry in PAGES would escape the checks below."""
    missing = sorted(page_routes() - set(PAGES) - set(NOT_PAGES))
    assert missing == [], (
        "pages without an accessibility check: add a URL for each to PAGES in "
        f"tests/web/test_web_accessibility.py: {missing}"
    )


# ---------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("web-a11y")
    server = Server(f"sqlite:///{home / 'natrisk.db'}", home)
    try:
        yield Site(server.base, World(main=EDITION, planted=0, adopt=0, user_ids={}), server)
    finally:
        server.close()


def admin_password(site: Site) -> str:
    found = re.search(r"administrator 'admin' with password '([^']+)'", site.server.log())
    assert found, f"no bootstrap message in the server's log:\n{site.server.log()}"
    return found.group(1)


@pytest.fixture(scope="module")
def cookies(browser: Browser, site: Site) -> list[Any]:
    """Sign in once as the bootstrapped administrator, through the form."""
    ctx = browser.new_context(base_url=site.base, viewport=VIEWPORT, locale="en-GB")
    try:
        page = ctx.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(admin_password(site))
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/$"))
        return list(ctx.cookies())
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def reset_token(site: Site) -> str:
    """A one-time reset link, made as the administration page makes it."""
    from sqlalchemy import select

    from natrisk.services import accounts, administration
    from natrisk.services.access import Actor
    from natrisk.store.database import Database
    from natrisk.store.models import User

    db = Database(f"sqlite:///{site.server.log_path.parent / 'natrisk.db'}")
    try:
        with db.session() as s:
            admin = Actor.of(s.scalars(select(User).where(User.username == "admin")).one())
            accounts.add_user(s, "forgetful", "forgetful-correct-horse", "example", "Openbaar")
        with db.session() as s:
            link = administration.create_reset(s, admin, "forgetful")
            return str(link.token)
    finally:
        db.close()


@pytest.fixture(scope="module")
def run_id(browser: Browser, site: Site, cookies: list[Any]) -> str:
    """A sensitivity run, started through the page's form as an analyst would."""
    ctx = _context(browser, site, cookies, VIEWPORT)
    try:
        page = ctx.new_page()
        page.goto(f"/editions/{EDITION}/sensitivity")
        page.get_by_label("Samples").fill("200")
        page.get_by_role("button", name="Start").click()
        expect(page).to_have_url(re.compile(r"run=\d+"))
        found = re.search(r"run=(\d+)", page.url)
        assert found
        return found.group(1)
    finally:
        ctx.close()


def _context(
    browser: Browser, site: Site, cookies: list[Any], viewport: dict[str, int]
) -> BrowserContext:
    ctx = browser.new_context(base_url=site.base, viewport=viewport, locale="en-GB")  # type: ignore[arg-type]
    ctx.set_default_timeout(30_000)
    ctx.add_cookies(cookies)
    return ctx


def _urls(reset_token: str, run_id: str) -> list[tuple[str, str]]:
    routes = page_routes()
    return [
        (template, url.replace("{reset_token}", reset_token).replace("{run_id}", run_id))
        for template, url in PAGES.items()
        if template in routes
    ]


def _open(page: Page, url: str) -> str | None:
    """Open the page; why it cannot be checked (an error status), or None."""
    try:
        response = page.goto(url)
    except PlaywrightError as exc:
        return f"{url}: {exc.message.splitlines()[0]}"
    if response is None or response.status >= 400:
        return f"{url}: status {response and response.status} (give PAGES a URL that shows it)"
    page.wait_for_load_state("networkidle")
    return None


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_page_passes_axe_core(
    browser: Browser,
    site: Site,
    cookies: list[Any],
    reset_token: str,
    run_id: str,
    language: str,
) -> None:
    signed_in = _context(browser, site, cookies, VIEWPORT)
    signed_out = _context(browser, site, [], VIEWPORT)
    failures = []
    try:
        page, anon = signed_in.new_page(), signed_out.new_page()
        page.goto(f"/?lang={language}")
        anon.goto(f"/login?lang={language}")
        for template, url in _urls(reset_token, run_id):
            who = anon if template in ("/login", "/reset/{token}") else page
            refused = _open(who, url)
            if refused:
                failures.append(refused)
                continue
            try:
                found = axe_violations(who)
            except AssertionError as exc:
                failures.append(str(exc))
                continue
            if found:
                failures.append(f"{url}\n{describe(found)}")
    finally:
        signed_in.close()
        signed_out.close()
    assert failures == [], "axe-core violations:\n" + "\n".join(failures)


def test_every_page_fits_a_390_px_screen(
    browser: Browser, site: Site, cookies: list[Any], reset_token: str, run_id: str
) -> None:
    signed_in = _context(browser, site, cookies, NARROW)
    signed_out = _context(browser, site, [], NARROW)
    failures = []
    try:
        page, anon = signed_in.new_page(), signed_out.new_page()
        for template, url in _urls(reset_token, run_id):
            who = anon if template in ("/login", "/reset/{token}") else page
            refused = _open(who, url)
            if refused:
                failures.append(refused)
                continue
            failures += [f"{url}: {p}" for p in narrow_problems(who)]
            if who is page:
                sign_out = page.get_by_role("button", name="Sign out")
                if not sign_out.is_visible():
                    failures.append(f"{url}: 'Sign out' is not visible")
    finally:
        signed_in.close()
        signed_out.close()
    assert failures == [], "pages too wide at 390 px:\n" + "\n".join(failures)


def _tab_to(page: Page, test: str, limit: int = 300) -> None:
    """Press Tab until the focused element passes ``test`` (a JS predicate on it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({test}); }}"):
            return
    raise AssertionError(f"no element with {test} is reached with Tab")


def test_the_diagram_points_and_the_search_work_by_keyboard(
    browser: Browser, site: Site, cookies: list[Any]
) -> None:
    ctx = _context(browser, site, cookies, VIEWPORT)
    try:
        page = ctx.new_page()
        page.goto(f"/editions/{EDITION}")
        page.locator("#diagram[data-ready=true]").wait_for(state="attached")
        # the settings of the picture: a select changed with the arrow keys redraws it
        _tab_to(page, "e.name === 'theme'")
        page.keyboard.press("ArrowDown")
        expect(page).to_have_url(re.compile(r"theme="))
        page.goto(f"/editions/{EDITION}")
        # from the diagram to its points, then into one scenario, by keyboard alone
        _tab_to(page, "e.dataset.testid === 'points-table'")
        page.keyboard.press("Enter")
        _tab_to(page, "e.closest('#heat') && e.tagName === 'A'", limit=3)
        target = page.evaluate("() => document.activeElement.getAttribute('href')")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(re.escape(target) + "$"))
        # the header's search box: type, Enter, then Tab to the first result and open it
        _tab_to(page, "e.name === 'q'")
        page.keyboard.type("densely populated polder")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/search\?q=densely"))
        _tab_to(page, "e.closest('li.hit') && e.tagName === 'A'")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/scenarios/coastal-flood$"))
    finally:
        ctx.close()


def test_each_point_of_the_diagram_is_reached_with_tab_and_opens_with_enter(
    browser: Browser, site: Site, cookies: list[Any]
) -> None:
    """The points were reached only through the table link; now each is a link in words."""
    ctx = _context(browser, site, cookies, VIEWPORT)
    try:
        page = ctx.new_page()
        page.goto(f"/editions/{EDITION}")
        diagram = page.locator("#diagram[data-ready=true]")
        diagram.wait_for(state="attached")
        points = page.locator("#diagram .chart-point")
        assert points.count() == int(diagram.get_attribute("data-points") or 0) > 1
        _tab_to(page, "e.classList.contains('chart-point')", limit=40)
        name = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
        assert re.search(r"[A-Za-z]{4,}", name) and not re.search(r"\d\.\d{4,}", name), name
        ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert ring == "solid"
        page.keyboard.press("Tab")  # the next point
        second = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
        assert second != name and page.evaluate(
            "() => document.activeElement.classList.contains('chart-point')"
        )
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/scenarios/[a-z0-9-]+$"))
    finally:
        ctx.close()


def _type_into(page: Page, name: str, text: str) -> None:
    _tab_to(page, f"e.name === {name!r}")
    page.keyboard.type(text)


def test_a_scenario_is_written_and_scored_by_keyboard_alone(
    browser: Browser, site: Site, cookies: list[Any]
) -> None:
    ctx = _context(browser, site, cookies, VIEWPORT)
    try:
        page = ctx.new_page()
        page.goto(f"/editions/{EDITION}/scenarios/new")
        _type_into(page, "id", "keyboard-flood")
        _type_into(page, "title", "Flood written by keyboard")
        _type_into(page, "description", "Typed without a mouse.")
        _type_into(page, "likelihood", "B")
        page.keyboard.press("Enter")  # Enter in a text field sends its form
        expect(page).to_have_url(re.compile(r"/scenarios/keyboard-flood$"))
        expect(page.locator(".md").first).to_contain_text("Typed without a mouse.")
        # a score: open its <details> with the keyboard, type a class, send with Enter
        _tab_to(page, "e.tagName === 'SUMMARY' && e.closest('section.score')")
        section = page.evaluate("() => document.activeElement.closest('section.score').id")
        page.keyboard.press("Enter")
        _tab_to(page, "e.name === 'class'", limit=5)
        page.keyboard.type("C")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"saved=score-"))
        expect(page.get_by_role("status")).to_contain_text("saved")
        assert section
    finally:
        ctx.close()
