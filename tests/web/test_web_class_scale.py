"""The published method in the browser: the class-scale diagram, totals in words,
three-point estimates and likelihood positions, and sources a reader can follow.

National Risk Assessment 6 (ANV/RIVM 2014, ch. 3) draws the impact axis with each class
three times the one before and reads totals as classes ("serious to very serious"); its
Table 1 gives each score as an expected value with a lower and an upper limit.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from web_support import Browsers, wait_for_diagram

AXIS_LABELS = ["A limited", "B substantial", "C serious", "D very serious", "E catastrophic"]


def _picture(page: Page, edition: int, query: str = "") -> None:
    page.goto(f"/editions/{edition}{query}")
    wait_for_diagram(page)


def test_the_diagram_reads_impact_as_classes(people: Browsers) -> None:
    page = people.page("admin")
    _picture(page, people.site.world.main)
    axis_text = page.locator("#diagram svg.marks").text_content() or ""
    for label in AXIS_LABELS:
        assert label in axis_text, label
    assert "Impact class" in axis_text
    # every point sits on the class scale: between none (0) and E (5)
    heat = page.locator("table.heat")
    expect(heat.locator("th", has_text="Total impact")).to_be_visible()
    readings = heat.locator("tbody tr td:last-child").all_inner_texts()
    assert readings and all(re.fullmatch(r"[a-z /]+", r) for r in readings), readings[:5]
    assert any(" to " in r for r in readings)
    # the tooltip names the total in words
    point = page.locator("#diagram path[role=graphics-symbol][aria-roledescription=point]").first
    point.hover()
    expect(page.locator("#vg-tooltip-element")).to_contain_text("Total impact")


def test_the_diagram_in_dutch_names_the_classes(people: Browsers) -> None:
    page = people.page("admin")
    _picture(page, people.site.world.main, "?lang=nl")
    axis_text = page.locator("#diagram svg.marks").text_content() or ""
    assert "C ernstig" in axis_text and "E catastrofaal" in axis_text
    expect(page.locator("table.heat th", has_text="Totale impact")).to_be_visible()


def test_evamix_keeps_its_own_axis(people: Browsers) -> None:
    page = people.page("admin")
    _picture(page, people.site.world.main, "?method=evamix")
    axis_text = page.locator("#diagram svg.marks").text_content() or ""
    assert "Evamix" in axis_text and "C serious" not in axis_text


def test_a_scenario_shows_its_three_point_estimates(people: Browsers) -> None:
    page = people.page("admin")
    page.goto(f"/editions/{people.site.world.main}/scenarios/coastal-flood")
    expect(page.get_by_role("heading", name="Scores per criterion")).to_be_visible()
    expect(page.locator("section.card").first).to_contain_text("B-low (A-B)")
    card = page.locator('section.score[id="c-5.3"]')
    expect(card).to_contain_text("C (C-D)")
    expect(card.get_by_test_id("class-5.3")).to_have_text("C")


def test_sources_shown_to_users_name_documents_not_files(people: Browsers) -> None:
    page = people.page("admin")
    page.goto(f"/editions/{people.site.world.main}/scenarios/military-conflict-nato-ally")
    expect(page.get_by_role("heading", name="Scores per criterion")).to_be_visible()
    html = page.content()
    for needle in ("seeds/", "METHOD.md", ".txt:"):
        assert needle not in html, needle
    assert "Security Strategy for the Kingdom of the Netherlands" in html or "2023" in html


def test_an_analyst_saves_a_three_point_estimate(people: Browsers) -> None:
    page = people.page("analyst1")
    page.goto(f"/editions/{people.site.world.main}/scenarios/heatwave-drought")
    card = page.locator('section.score[id="c-5.3"]')
    card.get_by_text("Change this score").click()
    form = card.locator("form")
    form.get_by_label("Class or range").fill("C (B-D)")
    form.get_by_label("Rationale").fill("Expected serious, between substantial and very serious.")
    form.get_by_label("Reason for the change").fill("Three-point estimate from the expert session")
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(
        re.compile(r"/scenarios/heatwave-drought\?saved=score-5\.3&v=\d+#c-5\.3$")
    )
    page.goto(f"/editions/{people.site.world.main}/scenarios/heatwave-drought")
    card = page.locator('section.score[id="c-5.3"]')
    expect(card).to_contain_text("C (B-D)")
    expect(card.get_by_test_id("class-5.3")).to_have_text("C")


def test_an_estimate_outside_its_limits_is_refused_in_the_form(people: Browsers) -> None:
    page = people.page("analyst1")
    page.goto(f"/editions/{people.site.world.main}/scenarios/river-flood")
    card = page.locator('section.score[id="c-5.3"]')
    card.get_by_text("Change this score").click()
    form = card.locator("form")
    form.get_by_label("Class or range").fill("E (B-C)")
    form.get_by_role("button", name="Save").click()
    expect(card).to_contain_text("outside its limits")
