"""The web application in a real browser, as a person would use it.

Chromium (Debian's) drives a real ``natrisk serve`` on 127.0.0.1 over a real database.
Every test signs in through the form and clicks, types and hovers; screenshots of the main
pages go to tests/artifacts/ (and the risk picture's to docs/img/ for the README).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from web_support import (
    M_TITLE,
    MARKERS,
    SECRET_SLUG,
    Browsers,
    copy_to_docs,
    markers_in,
    redraw,
    shot,
    wait_for_diagram,
)

from natrisk.services.frameworks import load_framework
from natrisk.services.review import combine

MAIN_TITLE = "Illustrative national risk picture 2026 (not official)"
POINTS = "#diagram path[role=graphics-symbol][aria-roledescription=point]"


def point(page: Page, title: str) -> Locator:
    """The point of a scenario in the risk diagram (its aria-label names the scenario)."""
    return page.locator(f'{POINTS}[aria-label*="Scenario: {title};"]')


def control(page: Page, name: str) -> Locator:
    """A select of the risk picture's controls (method, profile, theme, interest)."""
    return page.locator(f"form.controls select[name={name}]")


def save(page: Page, form: Locator) -> None:
    """Click Save and wait for the server's answer."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/scores/" in r.url):
        form.get_by_role("button", name="Save").click()


def open_picture(page: Page, edition: int) -> None:
    page.goto(f"/editions/{edition}")
    wait_for_diagram(page)


def open_scenario(page: Page, edition: int, slug: str) -> None:
    page.goto(f"/editions/{edition}/scenarios/{slug}")
    expect(page.get_by_role("heading", name="Scores per criterion")).to_be_visible()


def score_card(page: Page, criterion: str) -> Locator:
    return page.locator(f'section.score[id="c-{criterion}"]')


# ---------------------------------------------------------------------------- 1. the picture


def test_sign_in_open_the_picture_hover_and_click_a_point(people: Browsers) -> None:
    page = people.page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("analyst1")
    page.get_by_label("Password").fill("analyst1-web-correct-horse")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))  # the start page of one's own work
    expect(page.get_by_role("heading", name="Your work")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Editions").click()
    expect(page.get_by_role("heading", name="Editions")).to_be_visible()

    page.get_by_role("link", name=MAIN_TITLE).click()
    main = people.site.world.main
    expect(page).to_have_url(re.compile(rf"/editions/{main}$"))
    wait_for_diagram(page)
    expect(page.locator(POINTS)).to_have_count(38)
    expect(page.get_by_text("38 scenarios shown.")).to_be_visible()
    path = shot(page, "risk-picture", full_page=False)
    copy_to_docs(path, "risk-picture-page.png")
    shot(page, "risk-picture-full")

    title = "Coastal flood after a dike breach in South Holland"
    point(page, title).hover()
    tooltip = page.locator("#vg-tooltip-element")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(title)
    expect(tooltip).to_contain_text("Impact score")
    expect(tooltip).to_contain_text("Rank")

    point(page, title).click()
    expect(page).to_have_url(re.compile(rf"/editions/{main}/scenarios/coastal-flood$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


# ---------------------------------------------------------------------------- 2. the controls


def _subtitle(page: Page) -> str:
    return page.locator("#diagram .role-title-subtitle").text_content() or ""


def _vertical_extent(page: Page) -> float:
    """The summed height of the rules in the diagram (the uncertainty bars among them)."""
    return float(
        page.locator("#diagram svg.marks").evaluate(
            """svg => [...svg.querySelectorAll('g.role-mark.mark-rule line')]
                 .reduce((t, l) => t + l.getBoundingClientRect().height, 0)"""
        )
    )


def test_switch_method_profile_theme_and_uncertainty(people: Browsers) -> None:
    page = people.page("analyst2")
    main = people.site.world.main
    open_picture(page, main)
    assert "Method: Weighted sum, weight profile: Equal weights per criterion" in _subtitle(page)
    subtitle = page.locator("#diagram .role-title-subtitle")

    redraw(page, lambda: control(page, "method").select_option("medal"))
    expect(page).to_have_url(re.compile(r"method=medal"))
    expect(subtitle).to_contain_text("Method: Medal")
    expect(page.locator("#diagram svg.marks")).to_contain_text("Impact class (Medal: highest class")

    redraw(page, lambda: control(page, "profile").select_option("physical-first"))
    expect(page).to_have_url(re.compile(r"profile=physical-first"))
    expect(subtitle).to_contain_text(
        "Method: Medal, weight profile: Physical and territorial harm first"
    )
    expect(control(page, "method")).to_have_value("medal")

    redraw(page, lambda: control(page, "theme").select_option(label="Cyber threats"))
    expect(page).to_have_url(re.compile(r"theme=cyber"))
    shown = page.get_by_text(re.compile(r"^\d+ scenarios shown\.")).inner_text()
    n = int(shown.split()[0])
    assert 0 < n < 38, shown
    expect(page.locator(POINTS)).to_have_count(n)
    expect(page.locator("table.heat tbody tr")).to_have_count(n)
    for label in page.locator(POINTS).evaluate_all("ps => ps.map(p => p.ariaLabel)"):
        assert "Theme: Cyber threats;" in label, label

    redraw(page, lambda: control(page, "interest").select_option("4"))
    expect(page).to_have_url(re.compile(r"interest=4"))
    m = int(page.get_by_text(re.compile(r"^\d+ scenarios shown\.")).inner_text().split()[0])
    assert m <= n
    expect(page.locator(POINTS)).to_have_count(m)

    redraw(page, lambda: control(page, "interest").select_option(""))
    redraw(page, lambda: control(page, "theme").select_option(""))
    expect(page.locator(POINTS)).to_have_count(38)
    redraw(page, lambda: control(page, "method").select_option("weighted-sum"))
    before = _vertical_extent(page)
    redraw(page, lambda: page.get_by_label("Show uncertainty").check())
    expect(page).to_have_url(re.compile(r"uncertainty=1"))
    expect(page.get_by_label("Show uncertainty")).to_be_checked()
    after = _vertical_extent(page)
    assert after > before + 50, (before, after)  # the bars now span the 5th-95th percentile
    shot(page, "risk-picture-uncertainty", full_page=False)

    redraw(page, lambda: page.get_by_label("Show uncertainty").uncheck())
    expect(page.get_by_label("Show uncertainty")).not_to_be_checked()
    assert _vertical_extent(page) == pytest.approx(before, abs=1)

    page.go_back()  # the pushed URL brings the uncertainty back
    expect(page).to_have_url(re.compile(r"uncertainty=1"))


# ---------------------------------------------------------------------------- 3. scoring


def test_score_a_criterion(people: Browsers) -> None:
    page = people.page("analyst1")
    main = people.site.world.main
    open_scenario(page, main, "river-flood")
    card = score_card(page, "5.3")
    expect(card.get_by_test_id("class-5.3")).to_have_text("B")
    card.get_by_text("Change this score").click()
    form = card.get_by_test_id("form-5.3")
    form.get_by_label("Class or range").fill("D")
    form.get_by_label("Rationale").fill("Nationwide outrage after the evacuation failed.")
    form.get_by_label("Reason for the change").fill("New study on public trust")
    save(page, form)

    # after saving, the browser shows the scenario again at the changed score
    problems = []
    try:
        # a new address (saved=, v=), not only a #fragment: that only scrolled (issue 14)
        expect(page).to_have_url(
            re.compile(r"/scenarios/river-flood\?saved=score-5\.3&v=\d+#c-5\.3$"), timeout=3000
        )
    except AssertionError:
        problems.append(f"the page stayed at {page.url} instead of going to #c-5.3")
    nested = page.locator("#main header.top").count()
    if nested:
        problems.append(
            "the whole scenario page (header, navigation and all) was swapped into the "
            "form's result box: htmx followed the 303 and never saw HX-Redirect"
        )
    shot(page, "scenario-after-save")

    page.goto(f"/editions/{main}/scenarios/river-flood")  # the saved value, as stored
    card = score_card(page, "5.3")
    expect(card.get_by_test_id("class-5.3")).to_have_text("D")
    expect(card.locator(".current strong").first).to_have_text("D")
    expect(card.locator(".rationale")).to_have_text(
        "Nationwide outrage after the evacuation failed."
    )
    card.get_by_text(re.compile(r"History \(\d+ changes?\)")).click()
    last = card.locator("ol.history li").last
    expect(last).to_contain_text("analyst1")
    expect(last).to_contain_text("B → D")
    expect(last).to_contain_text("New study on public trust")
    shot(page, "scenario")
    assert not problems, problems


def test_a_typed_quantity_shows_its_class(people: Browsers) -> None:
    page = people.page("analyst1")
    open_scenario(page, people.site.world.main, "heatwave-drought")
    card = score_card(page, "2.1")
    card.get_by_text("Change this score").click()
    quantity = card.get_by_test_id("form-2.1").get_by_label(re.compile("or quantity"))
    output = card.locator("output.classified")
    expect(output).to_have_text("")
    for typed, klass in (("500", "class D"), ("25", "class B"), ("5000", "class E")):
        quantity.fill("")
        quantity.press_sequentially(typed, delay=40)
        expect(output).to_have_text(klass)
        expect(card.locator("output")).to_have_count(1)  # the class replaces, never nests
    quantity.fill("")
    quantity.press_sequentially("abc", delay=40)
    expect(output).to_contain_text("not a number")  # said, not silently empty (issue 14)
    shot(page, "scenario-live-class", full_page=False)


# ---------------------------------------------------------------------------- 4. conflict


def run_conflict(people: Browsers, edition: int, slug: str) -> None:
    """Two analysts change the same score; the second sees the conflict, the first value stays."""
    one, two = people.page("analyst1"), people.page("analyst2")
    for page in (one, two):
        open_scenario(page, edition, slug)
        score_card(page, "5.3").get_by_text("Change this score").click()
    form1 = score_card(one, "5.3").get_by_test_id("form-5.3")
    form1.get_by_label("Class or range").fill("C")
    form1.get_by_label("Rationale").fill("analyst1 says C")
    save(one, form1)
    expect(one).to_have_url(re.compile(r"saved="))  # let the saved page load before leaving
    one.goto(f"/editions/{edition}/scenarios/{slug}")
    expect(score_card(one, "5.3").get_by_test_id("class-5.3")).to_have_text("C")

    form2 = score_card(two, "5.3").get_by_test_id("form-5.3")
    form2.get_by_label("Class or range").fill("E")
    form2.get_by_label("Rationale").fill("analyst2 says E")
    save(two, form2)
    message = score_card(two, "5.3").locator("[role=alert]")
    expect(message).to_contain_text("Conflict")
    expect(two).to_have_url(re.compile(rf"/scenarios/{slug}$"))  # still on the page
    shot(two, "score-conflict", full_page=False)

    two.reload()
    card = score_card(two, "5.3")
    expect(card.get_by_test_id("class-5.3")).to_have_text("C")
    expect(card.locator(".rationale")).to_have_text("analyst1 says C")


def test_conflict_when_two_sessions_save_the_same_score(people: Browsers) -> None:
    run_conflict(people, people.site.world.main, "severe-storm-and-freezing-rain")


def test_conflict_on_postgresql(pg_people: Browsers) -> None:
    run_conflict(pg_people, pg_people.site.world.main, "severe-storm-and-freezing-rain")


# ---------------------------------------------------------------------------- 5. experts


def test_expert_session_with_two_experts(people: Browsers) -> None:
    main = people.site.world.main
    slug, title = "pandemic-respiratory-virus", "Pandemic of a new respiratory virus"
    coord = people.page("coordinator")
    open_picture(coord, main)
    session = coord.locator("section.card", has=coord.get_by_role("heading", name="Expert session"))
    session.get_by_label("Experts (usernames)").fill("expert1 expert2")
    session.get_by_label("Scenarios").select_option(slug)
    session.get_by_role("button", name="Invite").click()
    expect(coord.get_by_text("The experts are invited.")).to_be_visible()

    for expert, klass in (("expert1", "B"), ("expert2", "C-D")):
        page = people.page(expert)
        page.get_by_role("link", name=MAIN_TITLE).click()
        wait_for_diagram(page)
        page.get_by_role("link", name=title).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        form = page.get_by_test_id("judge-2.2")
        form.get_by_label("Class or range").fill(klass)
        form.get_by_label("Rationale").fill(f"{expert}: hospital capacity estimate")
        form.get_by_role("button", name="Submit judgement").click()
        mine = page.get_by_test_id("judgements-2.2")
        expect(mine).to_contain_text(f"{expert}: {klass}")
        other = "expert2" if expert == "expert1" else "expert1"
        expect(mine).not_to_contain_text(other)  # experts judge independently

    ids = load_framework("nl-2019").impact_classes.ids
    c = combine([(ids.index("B"), ids.index("B")), (ids.index("C"), ids.index("D"))])

    def text(lo: int, hi: int) -> str:
        return ids[lo] if lo == hi else f"{ids[lo]}-{ids[hi]}"

    assert text(c["spread_low"], c["spread_high"]) == "B-D"
    open_scenario(coord, main, slug)
    summary = coord.get_by_test_id("judgements-2.2")
    expect(summary).to_contain_text("Experts: 2")
    expect(summary.locator("strong").nth(0)).to_have_text("B-D")  # the spread
    expect(summary.locator("strong").nth(1)).to_have_text(text(c["low"], c["high"]))
    expect(summary).to_contain_text("expert1: B")
    expect(summary).to_contain_text("expert2: C-D")
    summary.scroll_into_view_if_needed()
    shot(coord, "expert-session")


# ---------------------------------------------------------------------------- 6. adopt


def test_adopt_an_edition(people: Browsers) -> None:
    adopt = people.site.world.adopt
    coord = people.page("coordinator")
    open_scenario(coord, adopt, "port-fire")
    expect(coord.get_by_text("Change this score").first).to_be_visible()

    open_picture(coord, adopt)
    workflow = coord.locator("section.card", has=coord.get_by_role("heading", name="Workflow"))
    expect(workflow).to_contain_text("Status: draft")
    workflow.get_by_label("Reason").fill("ready for review")
    workflow.get_by_role("button", name="Move to: review").click()
    expect(workflow).to_contain_text("Status: review")
    workflow.locator("form", has=coord.locator("[data-to=adopted]")).get_by_label("Reason").fill(
        "adopted by the steering group"
    )
    questions: list[str] = []
    coord.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    workflow.get_by_role("button", name="Move to: adopted").click()
    expect(workflow).to_contain_text("Status: adopted")
    assert questions and "cannot be undone" in questions[0]  # an irreversible step asks first
    expect(workflow.get_by_role("button", name="Move to: published")).to_be_visible()
    expect(coord.locator(".heading .status")).to_have_text("adopted")

    coord.get_by_role("link", name="Editions").click()
    row = coord.locator("tr", has=coord.get_by_role("link", name="Adoption picture"))
    expect(row.locator(".status")).to_have_text("adopted")

    for who in (coord, people.page("analyst1")):
        open_scenario(who, adopt, "port-fire")
        expect(who.get_by_text("Change this score")).to_have_count(0)
        expect(who.locator("form[data-testid^=form-]")).to_have_count(0)


# ---------------------------------------------------------------------------- 7. PDF


def test_download_the_pdf(people: Browsers) -> None:
    page = people.page("analyst1")
    open_picture(page, people.site.world.main)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("link", name="Risk picture (PDF)").click()
    download = info.value
    path = download.path()
    data = path.read_bytes()
    assert data.startswith(b"%PDF"), data[:40]
    assert len(data) > 10_000


# ---------------------------------------------------------------------------- 8. language


def test_switch_language(people: Browsers) -> None:
    page = people.page("reader")
    main = people.site.world.main
    open_picture(page, main)
    expect(page.get_by_role("heading", name="Impact per criterion (heat map)")).to_be_visible()
    redraw(page, lambda: page.get_by_role("link", name="NL", exact=True).click())
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", name="Impact per criterion (heat map)")).to_have_count(0)
    expect(page.get_by_role("heading", name="Impact per criterium (heatmap)")).to_be_visible()
    expect(page.locator("#diagram .role-title-text")).to_have_text("Risicodiagram")

    page.get_by_role("link", name="Edities").click()  # the choice persists
    expect(page).to_have_url(re.compile(r"/editions$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Edities")
    page.get_by_role("link", name=MAIN_TITLE).click()
    wait_for_diagram(page)
    expect(page.get_by_role("heading", name="Werkstroom")).to_be_visible()

    redraw(page, lambda: page.get_by_role("link", name="EN", exact=True).click())
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Workflow")).to_be_visible()
    page.get_by_role("link", name="Editions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Editions")


# ---------------------------------------------------------------------------- 9. clearance


def sweep_as_reader(people: Browsers) -> list[str]:
    """Every page a reader reaches from the navigation and the pictures; the URLs visited."""
    page = people.page("reader")
    seen: list[str] = []

    def check(what: str) -> None:
        html = page.content()
        found = markers_in(html)
        assert not found, f"{what} ({page.url}) shows {found}"
        seen.append(page.url)

    check("editions")
    editions = page.locator("table.list a").evaluate_all("as => as.map(a => a.pathname)")
    assert len(editions) == 3, editions
    for href in editions:
        page.goto(href)
        wait_for_diagram(page)
        check("risk picture")
        # the diagram's own data: every point and tooltip
        labels = " ".join(page.locator(POINTS).evaluate_all("ps => ps.map(p => p.ariaLabel)"))
        assert not markers_in(labels), labels
        for p in page.locator(POINTS).all()[:3]:
            p.hover()
            expect(page.locator("#vg-tooltip-element")).to_be_visible()
            assert not markers_in(page.locator("#vg-tooltip-element").inner_text())
        redraw(page, lambda: page.get_by_label("Show uncertainty").check())
        check("risk picture with uncertainty")
        redraw(page, lambda: control(page, "method").select_option("evamix"))
        check("risk picture, evamix")
        page.goto(href)
        links = sorted(
            set(page.locator("table.heat a, .grid a").evaluate_all("as => as.map(a => a.pathname)"))
        )
        assert links
        for link in links:
            page.goto(link)
            check("scenario")
        page.goto(href)
        page.get_by_role("link", name="Sensitivity analysis").click()
        check("sensitivity")
        # a run costs the server minutes: readers may not start one (security review, 14)
        expect(page.get_by_role("button", name="Start")).to_have_count(0)
        expect(page.get_by_text("Starting a run is for analysts")).to_be_visible()
        page.goto(href)
        page.get_by_role("link", name="Compare with another edition").click()
        check("diff form")
        for value in (
            page.get_by_label("Compare with")
            .locator("option")
            .evaluate_all("os => os.map(o => o.value)")
        ):
            page.get_by_label("Compare with").select_option(value)
            page.get_by_role("button", name="Compare").click()
            expect(page).to_have_url(re.compile(rf"to={value}$"))
            if page.locator("#arrows").count():  # no chart when nothing moved
                wait_for_diagram(page, "#arrows")
            check("diff")
        page.goto(href)
        page.get_by_role("link", name="Risk picture (HTML)").click()
        check("report")
        edition = href.rsplit("/", 1)[1]
        yaml_text = page.request.get(f"/api/editions/{edition}/export?format=yaml").text()
        assert not markers_in(yaml_text), "workbook export"
    return seen


def test_low_clearance_never_sees_a_marker(people: Browsers) -> None:
    world = people.site.world
    seen = sweep_as_reader(people)
    assert len(seen) > 50, len(seen)

    # the diff of the planted edition, as the reader sees it
    page = people.page("reader")
    page.goto(f"/editions/{world.planted}/diff?to={world.adopt}")
    wait_for_diagram(page, "#arrows")
    shot(page, "diff")

    # the secret scenario's address, typed in: a 404 that names nothing classified
    page.goto(f"/editions/{world.planted}/scenarios/{SECRET_SLUG}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("404")
    response = page.request.get(f"/editions/{world.planted}/scenarios/{SECRET_SLUG}")
    assert response.status == 404
    # the slug was typed by the reader (it is in the address and the language links);
    # nothing else of the scenario may appear
    assert not markers_in(page.content(), [m for m in MARKERS if m != SECRET_SLUG])
    assert not markers_in(response.text(), [m for m in MARKERS if m != SECRET_SLUG])


def test_the_top_cleared_administrator_sees_the_markers(people: Browsers) -> None:
    """The sweep's counterpart: the markers are there for whoever is cleared."""
    world = people.site.world
    page = people.page("admin")
    open_picture(page, world.planted)
    assert M_TITLE in page.content()
    page.goto(f"/editions/{world.planted}/scenarios/{SECRET_SLUG}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(M_TITLE)
    page.goto(f"/editions/{world.planted}/scenarios/dike-breach")
    assert len(markers_in(page.content())) >= 3


# ---------------------------------------------------------------------------- sensitivity


def test_sensitivity_run_from_the_page(people: Browsers) -> None:
    page = people.page("analyst2")
    main = people.site.world.main
    open_picture(page, main)
    page.get_by_role("link", name="Sensitivity analysis").click()
    expect(page.get_by_role("heading", name="Sensitivity analysis")).to_be_visible()
    page.get_by_label("Samples").fill("2000")
    page.get_by_label("Weights").select_option("across")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(rf"/editions/{main}/sensitivity\?run=\d+$"))
    run = page.get_by_test_id("run")
    expect(run).to_be_visible()
    expect(run.locator(".status")).to_have_text("done", timeout=90_000)
    rows = run.locator("table.list").first.locator("tbody tr")
    expect(rows).to_have_count(38)
    expect(run).to_contain_text("2,000 samples")
    expect(
        run.get_by_role("heading", name="Agreement between methods and weight profiles")
    ).to_be_visible()
    first = rows.first.locator("td")
    assert re.fullmatch(r"\d+(\.\d+)?", first.nth(1).inner_text()), first.nth(1).inner_text()
    assert re.fullmatch(r"\d+–\d+", first.nth(2).inner_text()), first.nth(2).inner_text()
    shot(page, "sensitivity")
