"""Stored script injection through every text that reaches a page or a chart, in Chromium.

Contributors write the texts an administrator later reads: scenario titles, themes and
descriptions, plan and measure texts, comments, progress notes. Each of them here carries a
payload that would run script if a page put it into HTML unescaped, or into a chart's
``<script type="application/json">`` with ``</script>`` intact. The data comes in as people
bring it: an administrator imports the workbooks they were sent, an analyst imports the plan,
comments and starts a run, a coordinator reports progress, all through the API.

An administrator then opens every page: no payload may run (``window.__pwned``, a dialog),
every chart must still be drawn, the payload must read as text, the pages must send the
Content-Security-Policy, and neither natrisk's own code nor the charts may violate it. A last
test shows the policy at work: script put into a page by other means is refused.

This module runs a server of its own (a first start, as test_plan_pages.py does), so the
editions it adds are seen by no other test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from web_support import VIEWPORT, Browsers, Server, Site, World

from natrisk.io.plan import dump_plan, load_plan
from natrisk.io.workbook import dump_workbook, load_workbook

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
EXAMPLE_PLAN = ROOT / "examples" / "nl-plan-2026.yaml"

# ends the chart's <script> element, then runs script inline and from an event handler
SCRIPT = (
    "</script><script>window.__pwned=1;alert(1)</script>"
    '<img src=x onerror="window.__pwned=2;alert(2)">'
)
# an SVG handler, a comment that would swallow the page's own </script>, a quote, an entity
SVG = '<svg onload="window.__pwned=3;alert(3)"></svg><!--<script>\'&lt;'
PAYLOAD = f"{SCRIPT} {SVG}"

SLUG = "xss-2026"
OTHER_SLUG = "xss-2023"
PLAN_SLUG = "xss-plan"
EDITION_TITLE = f"Injected picture {SCRIPT}"
OTHER_TITLE = f"Injected baseline {SVG}"
THEME = f"cyber {SVG}"
COMMENT = f"A remark {PAYLOAD}"
NOTE = f"Progress note {PAYLOAD}"
SCENARIO = "coastal-flood"
MEASURE = "m-01"  # has indicator readings (a chart) and a target
CAPABILITY = "evacuation-planning"
ISSUE = "state-threats"
PASSWORD = "xss-people-correct-horse-battery"

# records what the Content-Security-Policy refuses, from before the page's own scripts run
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


def texted(value: Any, extra: str) -> Any:
    """A title or text with the payload added, in both languages when it has two."""
    if isinstance(value, dict):
        return {k: f"{v} {extra}" for k, v in value.items()}
    return f"{value} {extra}"


def injected_workbook(slug: str, title: str, shift: int = 0) -> dict[str, Any]:
    """The example edition with the payload in every scenario's title and description.

    ``shift`` moves some likelihoods a class, so a diff between two of them has arrows.
    """
    raw = dump_workbook(load_workbook(EXAMPLE))
    raw["edition"].update(id=slug, title=title)
    raw["edition"]["themes"] = [THEME]  # the edition's own theme (unknown ones are refused)
    for n, scen in enumerate(raw["scenarios"]):
        scen["title"] = texted(scen["title"], SCRIPT if n % 2 else SVG)
        scen["description"] = f"What happens: {PAYLOAD}"
        if n % 3 == 0:
            scen["theme"] = THEME
        if shift and n % 4 == 0 and isinstance(scen["likelihood"], str):
            scen["likelihood"] = "ABCDE"[min(4, "ABCDE".index(scen["likelihood"][0]) + shift)]
    return raw


def injected_plan() -> dict[str, Any]:
    """The example plan for the injected edition, the payload in every title, note and rationale."""
    raw = dump_plan(load_plan(EXAMPLE_PLAN))
    raw["plan"].update(id=PLAN_SLUG, edition=SLUG)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in ("title", "note", "rationale", "summary", "invest") and not isinstance(
                value, (list, bool)
            ):
                out[key] = texted(value, PAYLOAD)
            else:
                out[key] = walk(value)
        return out

    return dict(walk(raw))


@dataclass(frozen=True)
class Planted:
    """The ids behind the injected pages, and the administrator's cookies."""

    edition: int
    other: int
    plan: int
    run: int
    admin_cookies: list[Any]


# ---------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A first start on an empty database (the bootstrap's 'admin' and the example)."""
    home = tmp_path_factory.mktemp("web-injection")
    server = Server(f"sqlite:///{home / 'natrisk.db'}", home)
    try:
        yield Site(server.base, World(main=1, planted=0, adopt=0, user_ids={}), server)
    finally:
        server.close()


def api(site: Site, user: str, password: str) -> httpx.Client:
    """An API client signed in with a bearer token."""
    r = httpx.post(f"{site.base}/api/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    return httpx.Client(
        base_url=site.base, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()


@pytest.fixture(scope="module")
def planted(site: Site, browser: Browser) -> Planted:
    """The payloads, brought in through the API as each person would."""
    found = re.search(r"administrator 'admin' with password '([^']+)'", site.server.log())
    assert found, site.server.log()
    admin = api(site, "admin", found.group(1))
    for name in ("xss-analyst", "xss-coordinator"):
        ok(admin.post("/api/users", json={"username": name, "password": PASSWORD}), 201)
    # the administrator imports the workbooks the analysts sent in
    edition = ok(admin.post("/api/editions", json=injected_workbook(SLUG, EDITION_TITLE)), 201)
    other = ok(admin.post("/api/editions", json=injected_workbook(OTHER_SLUG, OTHER_TITLE, 1)), 201)
    for e in (edition["id"], other["id"]):
        for name, role in (("xss-analyst", "analyst"), ("xss-coordinator", "coordinator")):
            ok(admin.put(f"/api/editions/{e}/members/{name}", json={"role": role}))
    analyst = api(site, "xss-analyst", PASSWORD)
    plan = ok(
        analyst.post(
            f"/api/editions/{edition['id']}/plans",
            files={"file": ("plan.json", json.dumps(injected_plan()), "application/json")},
        ),
        201,
    )
    ok(
        analyst.post(
            f"/api/editions/{edition['id']}/scenarios/{SCENARIO}/comments", json={"body": COMMENT}
        ),
        201,
    )
    run = ok(
        analyst.post(
            f"/api/editions/{edition['id']}/sensitivity", json={"samples": 200, "seed": 1}
        ),
        202,
    )
    coordinator = api(site, "xss-coordinator", PASSWORD)
    measures = ok(coordinator.get(f"/api/plans/{plan['id']}/measures"))
    version = next(m["version"] for m in measures if m["id"] == MEASURE)
    ok(
        coordinator.post(
            f"/api/plans/{plan['id']}/measures/{MEASURE}/progress",
            json={"status": "running", "note": NOTE, "values": {"i-1": 66}, "version": version},
        ),
        201,
    )
    for client in (admin, analyst, coordinator):
        client.close()
    ctx = browser.new_context(base_url=site.base, viewport=VIEWPORT, locale="en-GB")
    try:
        page = ctx.new_page()
        page.goto("/login?next=/editions")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(found.group(1))
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/editions$"))
        cookies = list(ctx.cookies())
    finally:
        ctx.close()
    return Planted(edition["id"], other["id"], plan["id"], run["id"], cookies)


# ---------------------------------------------------------------------------- the watcher


class Watched:
    """An administrator's page that records dialogs, console errors and CSP violations."""

    def __init__(self, people: Browsers, planted: Planted) -> None:
        ctx = people.context()
        ctx.add_cookies(planted.admin_cookies)
        ctx.add_init_script(WATCH_CSP)
        self.page = ctx.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on(
            "console",
            lambda m: (
                self.errors.append(f"{self.page.url}: {m.text}") if m.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.page.url}: uncaught {e}"))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{self.page.url}: {dialog.message}")
        dialog.dismiss()

    def open(self, path: str) -> Page:
        """Open a page: it must carry the strict policy and run nothing it was sent."""
        response = self.page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self';" in csp and "unsafe" not in csp.split("style-src")[0], csp
        assert response.headers.get("x-frame-options") == "DENY"
        self.page.wait_for_load_state("load")
        return self.page

    def chart(self, selector: str) -> None:
        """The chart in ``selector`` is drawn (an svg or a canvas inside it)."""
        self.page.locator(f"{selector}[data-ready=true]").wait_for(state="attached")
        self.page.locator(f"{selector} svg, {selector} canvas").first.wait_for()

    def assert_clean(self) -> None:
        """Nothing ran, nothing was refused and nothing failed on the page."""
        assert self.page.evaluate("window.__pwned") is None, self.page.url
        assert self.dialogs == [], self.dialogs
        assert self.page.evaluate("window.__csp") == [], self.page.url
        assert self.errors == [], "\n".join(self.errors)


@pytest.fixture
def admin(people: Browsers, planted: Planted) -> Watched:
    return Watched(people, planted)


def hover_tooltip(page: Page, points: str) -> str:
    """Hover the first mark that has a tooltip; the tooltip's text."""
    tooltip = page.locator("#vg-tooltip-element")
    for mark in page.locator(points).all()[:12]:
        mark.hover(force=True)
        if tooltip.is_visible():
            return str(tooltip.inner_text())
    raise AssertionError(f"no tooltip on {points}")


# ---------------------------------------------------------------------------- the pages


def test_the_risk_picture_shows_the_payloads_as_text_and_runs_none(
    admin: Watched, planted: Planted
) -> None:
    page = admin.open(f"/editions/{planted.edition}")
    admin.chart("#diagram")
    expect(page.get_by_role("heading", level=1)).to_have_text(EDITION_TITLE)
    expect(page.locator("table.heat")).to_contain_text(SCRIPT)
    expect(page.locator("table.heat")).to_contain_text(SVG)
    # the tooltip shows the title as text (vega-tooltip escapes it)
    text = hover_tooltip(page, "#diagram path[aria-roledescription=point]")
    assert "</script>" in text or "<svg onload=" in text, text
    admin.assert_clean()
    # a filter by the injected theme (an HTMX swap) and another method draw it again
    page.locator("form.controls select[name=theme]").select_option(value=THEME)
    expect(page).to_have_url(re.compile(r"theme=cyber"))
    admin.chart("#diagram")
    page.locator("form.controls select[name=method]").select_option("medal")
    expect(page).to_have_url(re.compile(r"method=medal"))
    admin.chart("#diagram")
    admin.assert_clean()
    # clicking a point opens its scenario, whose title and description are text too
    page.locator("#diagram path[aria-roledescription=point]").first.click(force=True)
    expect(page).to_have_url(re.compile(r"/scenarios/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("<svg onload=")
    admin.assert_clean()


def test_the_scenario_page_and_its_comment(admin: Watched, planted: Planted) -> None:
    page = admin.open(f"/editions/{planted.edition}/scenarios/{SCENARIO}")
    expect(page.locator("#comments")).to_contain_text(COMMENT)
    expect(page.locator("section.card").first).to_contain_text(f"What happens: {PAYLOAD}")
    expect(page).to_have_title(re.compile(re.escape("<svg onload=")))
    # the live classification of a typed quantity, without eval (forms.js)
    card = page.locator('section.score[id="c-2.1"]')
    card.locator("summary", has_text="Change this score").click()
    card.locator("input[name=min]").press_sequentially("5000")
    expect(card.locator("output.classified")).not_to_have_text("")
    admin.assert_clean()


def test_the_plan_pages(admin: Watched, planted: Planted) -> None:
    plan = f"/plans/{planted.plan}"
    page = admin.open(plan)
    admin.chart("#targets")
    expect(page.locator("#issues")).to_contain_text(PAYLOAD)
    expect(page.locator("#gap-table")).to_contain_text("</script>")
    text = hover_tooltip(page, "#targets path[role=graphics-symbol]")
    assert "</script>" in text or "<svg onload=" in text, text
    admin.assert_clean()

    page = admin.open(f"{plan}/measures/{MEASURE}")
    admin.chart("#indicator-chart")
    expect(page.locator("#indicators")).to_contain_text(PAYLOAD)
    expect(page.locator("#progress")).to_contain_text(NOTE)
    expect(page.locator("table.list").first).to_contain_text(PAYLOAD)  # the milestones
    admin.assert_clean()

    page = admin.open(f"{plan}/capabilities/{CAPABILITY}")
    expect(page.get_by_role("heading", level=2).first).to_contain_text(PAYLOAD)
    expect(page.locator("#needs")).to_contain_text("<svg onload=")
    admin.assert_clean()

    page = admin.open(f"{plan}/issues/{ISSUE}")
    expect(page.get_by_role("heading", level=2).first).to_contain_text(PAYLOAD)
    expect(page.locator("textarea[name=integrated_why]")).to_have_value(re.compile("</script>"))
    admin.assert_clean()

    for tab in ("strategy", "coverage", "calendar"):
        page = admin.open(f"{plan}/{tab}")
        expect(page.locator("main")).to_contain_text(PAYLOAD)
        admin.assert_clean()


def test_the_diff_and_sensitivity_pages(admin: Watched, planted: Planted) -> None:
    page = admin.open(f"/editions/{planted.edition}/diff?to={planted.other}")
    if page.locator("#arrows").count():  # no chart when nothing moved (issue 14)
        admin.chart("#arrows")
    else:
        expect(page.get_by_test_id("no-moves")).to_be_visible()
    expect(page.locator("select[name=to]")).to_contain_text(OTHER_TITLE)
    expect(page.locator(".crumbs")).to_contain_text(EDITION_TITLE)
    admin.assert_clean()

    # the run's progress is polled by htmx until its result is swapped in
    page = admin.open(f"/editions/{planted.edition}/sensitivity?run={planted.run}")
    expect(page.locator("[data-testid=run] .status")).to_have_text("done", timeout=60_000)
    expect(page.locator(".crumbs")).to_contain_text(EDITION_TITLE)
    admin.assert_clean()

    page = admin.open("/editions")
    expect(page.locator("main")).to_contain_text(OTHER_TITLE)
    admin.assert_clean()


def test_the_report_html_runs_no_payload(admin: Watched, planted: Planted) -> None:
    # a document for print has no icon; the browser's ask for /favicon.ico is not the report's
    admin.page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page = admin.open(f"/api/editions/{planted.edition}/report.html?lang=en")
    expect(page.locator("h1")).to_contain_text(EDITION_TITLE)
    assert page.locator(".diagram svg").count() >= 1  # the risk diagram (and the cascades chapter)
    admin.assert_clean()


def test_the_policy_refuses_script_put_into_a_page(admin: Watched, planted: Planted) -> None:
    page = admin.open(f"/editions/{planted.edition}")
    admin.chart("#diagram")
    admin.assert_clean()  # the charts and htmx run under the policy without a violation
    try:
        page.add_script_tag(content="window.__inline = 1")
    except Exception as exc:  # Chromium refuses the element; Playwright may report it
        assert "Content Security Policy" in str(exc) or "script" in str(exc).lower(), exc
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend',"
        ' \'<img src="data:," onload="window.__handler = 1">'
        '<svg onload="window.__handler = 2"></svg>\')'
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__inline") is None
    assert page.evaluate("window.__handler") is None
    refused = page.evaluate("window.__csp")
    assert any(v.startswith("script-src-elem") for v in refused), refused
    assert any(v.startswith("script-src-attr") for v in refused), refused
