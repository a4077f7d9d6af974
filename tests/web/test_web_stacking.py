"""Stacking threats in Chromium: the cascades page (arrows from direct to cascaded positions,
variant lines, compounds), a scenario's butterfly and the regions x scenarios heat map, in
English and Dutch, at a laptop's width and at 390 px, with links to hidden scenarios absent.

The server runs on a database of its own: the web world (web_support.build_world) plus the
three illustrative regional profiles and a national edition with a secret scenario whose
two links a reader (clearance Openbaar) must not see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from web_support import (
    EXAMPLE,
    SG,
    Browsers,
    Server,
    Site,
    build_world,
    example_raw,
    shot,
    wait_for_diagram,
)

from natrisk.io.workbook import load_workbook, parse_workbook
from natrisk.services import accounts, workspace
from natrisk.services.access import Actor
from natrisk.store.database import Database

REGIONS = sorted((EXAMPLE.parent / "regions").glob("*.yaml"))
SECRET = "op-MARKER-STACK-w9c2"
SECRET_TITLE = "MARKER-WEB-STACK-TITLE-w9c2"
BLACKOUT = "national-power-blackout"


def _guarded_raw() -> dict[str, Any]:
    raw = example_raw()
    raw["edition"]["id"] = "guarded-2026"
    raw["edition"]["title"] = "Guarded picture 2026"
    raw["scenarios"].append(
        {
            "id": SECRET,
            "title": SECRET_TITLE,
            "theme": "critical-infrastructure",
            "malicious": True,
            "classification": SG,
            "likelihood": "C",
            "impacts": {"2.1": 5000, "5.3": "E"},
        }
    )
    raw["links"] += [
        {"from": SECRET, "to": "drinking-water-disruption", "probability": 0.9},
        {"from": BLACKOUT, "to": SECRET, "probability": "1-10%"},
    ]
    return raw


@pytest.fixture(scope="module")
def stack_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, int]]:
    home = tmp_path_factory.mktemp("web-stacking")
    url = f"sqlite:///{home / 'natrisk.db'}"
    world = build_world(url)
    db = Database(url)
    try:
        with db.session() as s:
            from sqlalchemy import select

            from natrisk.store.models import User

            admin = Actor.of(s.scalars(select(User).where(User.username == "admin")).one())
            guarded = workspace.import_workbook(
                s, None, parse_workbook(_guarded_raw(), {}, "guarded"), admin
            ).id
            editions = [guarded]
            for path in REGIONS:
                editions.append(workspace.import_workbook(s, path, load_workbook(path), admin).id)
            for edition in editions:
                accounts.set_role(s, admin, edition, "reader", "reader")
    finally:
        db.close()
    server = Server(url, home)
    try:
        yield Site(server.base, world, server), guarded
    finally:
        server.close()


@pytest.fixture
def stack_people(browser: Browser, stack_site: tuple[Site, int]) -> Iterator[Browsers]:
    b = Browsers(browser, stack_site[0])
    yield b
    b.close()


def _fits(page: Page, width: int = 390) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.wait_for_timeout(200)  # let the charts resize to their container
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url}: {scroll} px wide at a {width} px screen"


def test_the_cascades_page_draws_arrows_variants_and_compounds(
    stack_people: Browsers,
) -> None:
    page = stack_people.page("admin")
    main = stack_people.site.world.main
    page.goto(f"/editions/{main}")
    page.get_by_role("link", name="Cascades and stacking").click()
    expect(page).to_have_url(re.compile(rf"/editions/{main}/cascades$"))
    expect(page.get_by_role("heading", name="Cascades and stacking", level=1)).to_be_visible()
    wait_for_diagram(page, "#cascade-diagram")
    chart = page.locator("#cascade-diagram svg.marks")
    expect(chart).to_be_visible()
    assert "Cascades in the risk diagram" in (chart.text_content() or "")
    rows = page.get_by_test_id("cascade-table").locator("tbody tr")
    n_linked = rows.count()
    assert n_linked >= 20
    # one arrow (a rule from the direct to the cascaded position) per linked scenario
    arrows = page.locator("#cascade-diagram svg g.mark-rule.role-mark line")
    assert arrows.count() >= n_linked
    heads = page.locator(
        "#cascade-diagram svg g.mark-symbol.role-mark path[aria-roledescription=point]"
    )
    assert heads.count() >= 2 * n_linked  # dots and arrow heads, and compounds
    lines = page.locator("#cascade-diagram svg g.mark-line.role-mark path")
    assert lines.count() >= 5  # a line through each risk's variants
    blackout = rows.filter(has_text="Large-scale power blackout")
    expect(blackout).to_have_count(1)
    expect(page.get_by_test_id("variants-table")).to_contain_text("dominating")
    expect(page.get_by_test_id("compounds-table")).to_contain_text("given")
    expect(page.get_by_test_id("compounds-table")).to_contain_text("found")
    expect(page.get_by_test_id("links-not-shown")).to_have_count(0)
    shot(page, "cascades")
    _fits(page)


def test_the_butterfly_of_the_blackout(stack_people: Browsers) -> None:
    page = stack_people.page("admin")
    main = stack_people.site.world.main
    page.goto(f"/editions/{main}/scenarios/{BLACKOUT}")
    page.get_by_role("link", name="Causes and effects (cascades)").click()
    expect(page).to_have_url(re.compile(rf"/editions/{main}/cascades/{BLACKOUT}$"))
    wait_for_diagram(page, "#butterfly")
    svg = page.locator("#butterfly svg.marks")
    text = svg.text_content() or ""
    assert "Drinking water" in text and "electronic" in text  # payments
    causes = page.get_by_test_id("causes-table").locator("tbody tr")
    effects = page.get_by_test_id("effects-table").locator("tbody tr")
    assert causes.count() >= 3 and effects.count() >= 3
    # a band per cause and per effect (those past the eighth are one band "other")
    bands = page.locator("#butterfly svg g.mark-path.role-mark path")
    assert bands.count() == min(causes.count(), 9) + min(effects.count(), 9)
    box = svg.bounding_box()
    assert box is not None and box["width"] > 500 and box["height"] > 150
    top = effects.first
    expect(top).to_contain_text(re.compile("Drinking water|electronic payments"))
    facts = page.get_by_test_id("cascade-facts")
    expect(facts).to_contain_text("With cascades")
    shot(page, "butterfly-blackout")
    _fits(page)
    box = page.locator("#butterfly svg.marks").bounding_box()
    assert box is not None and box["width"] <= 390


def test_the_regions_heat_map(stack_people: Browsers) -> None:
    page = stack_people.page("admin")
    main = stack_people.site.world.main
    page.goto(f"/editions/{main}")
    page.get_by_role("link", name="Regional profiles rolled up").click()
    expect(page).to_have_url(re.compile(rf"/editions/{main}/regions$"))
    wait_for_diagram(page, "#heatmap")
    table = page.get_by_test_id("rollup-table")
    for name in ("Zeeland", "Utrecht", "Rotterdam-Rijnmond"):
        expect(table.locator("thead")).to_contain_text(name)
    blackout = table.locator(f'tr[data-target="{BLACKOUT}"] td')
    assert blackout.count() == 5 and "–" not in blackout.first.inner_text()
    cells = page.locator("#heatmap svg g.mark-rect.role-mark path")
    assert cells.count() >= table.locator("tbody tr").count() * 3
    shot(page, "regions-heatmap")
    _fits(page)


def test_the_pages_in_dutch(stack_people: Browsers) -> None:
    page = stack_people.page("admin")
    main = stack_people.site.world.main
    page.goto(f"/editions/{main}/cascades?lang=nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cascades en stapeling")
    wait_for_diagram(page, "#cascade-diagram")
    assert "Waarschijnlijkheid" in (page.locator("#cascade-diagram svg.marks").text_content() or "")
    page.goto(f"/editions/{main}/cascades/{BLACKOUT}?lang=nl")
    expect(page.get_by_role("heading", name="Oorzaken", level=2)).to_be_visible()
    page.goto(f"/editions/{main}/regions?lang=nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Regionale profielen opgeteld")


def test_a_reader_sees_no_link_to_a_hidden_scenario(
    stack_people: Browsers, stack_site: tuple[Site, int]
) -> None:
    guarded = stack_site[1]
    page = stack_people.page("reader")
    page.goto(f"/editions/{guarded}/cascades")
    wait_for_diagram(page, "#cascade-diagram")
    expect(page.get_by_test_id("links-not-shown")).to_contain_text("2 links not shown")
    assert SECRET not in page.content() and SECRET_TITLE not in page.content()
    page.goto(f"/editions/{guarded}/cascades/drinking-water-disruption")
    wait_for_diagram(page, "#butterfly")
    assert SECRET_TITLE not in page.content()
    expect(page.get_by_test_id("links-not-shown")).to_be_visible()
    response = page.goto(f"/editions/{guarded}/cascades/{SECRET}")
    assert response is not None and response.status == 404
    admin = stack_people.page("admin")
    admin.goto(f"/editions/{guarded}/cascades/drinking-water-disruption")
    wait_for_diagram(admin, "#butterfly")
    expect(admin.get_by_test_id("causes-table")).to_contain_text(SECRET_TITLE)
    expect(admin.get_by_test_id("links-not-shown")).to_have_count(0)


def test_an_edition_without_regions_says_so(stack_people: Browsers) -> None:
    page = stack_people.page("admin")
    page.goto(f"/editions/{stack_people.site.world.adopt}/regions")
    expect(page.get_by_test_id("no-regions")).to_be_visible()
    _fits(page)
