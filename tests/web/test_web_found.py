"""What a new user stumbled on in Chromium (issue 14, item 7), each shown fixed in the browser.

Every test here failed before its fix; the docstrings say what the user saw.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from web_support import Browsers, small_raw


@pytest.fixture
def own_edition(people: Browsers) -> Iterator[int]:
    """A draft edition of this test alone, on nl-2023 (two-dimensional 1.1, 2.3 and 5.1)."""
    yield _edition(people, _raw23())


def _raw23() -> dict[str, Any]:
    raw = small_raw(f"found-{uuid.uuid4().hex[:8]}", "Found picture")
    raw["edition"]["framework"] = "nl-2023"
    for scen in raw["scenarios"]:
        scen["theme"] = "climate-and-natural-disasters"
        scen["impacts"] = {"2.2": 200, "5.3": "C"}
    return raw


def _edition(people: Browsers, raw: dict[str, Any], roles: dict[str, str] | None = None) -> int:
    from sqlalchemy import select

    from natrisk.io.workbook import parse_workbook
    from natrisk.services import accounts, workspace
    from natrisk.services.access import Actor
    from natrisk.store.database import Database
    from natrisk.store.models import User

    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            admin = Actor.of(s.scalars(select(User).where(User.username == "admin")).one())
            edition = workspace.import_workbook(s, None, parse_workbook(raw, {}, "w"), admin)
            for name, role in (roles or {"analyst1": "analyst", "reader": "reader"}).items():
                accounts.set_role(s, admin, edition.id, name, role)
            return edition.id
    finally:
        db.close()


def _card(page: Page, criterion: str) -> Locator:
    return page.locator(f'section.score[id="c-{criterion}"]')


def _open_form(page: Page, criterion: str) -> Locator:
    card = _card(page, criterion)
    card.locator("details.edit > summary").click()
    return card.get_by_test_id(f"form-{criterion}")


def _type(field: Locator, text: str) -> None:
    field.fill("")
    field.press_sequentially(text, delay=30)


# ---------------------------------------------------------------------------- scores


def test_a_two_dimensional_criterion_takes_its_two_quantities(
    people: Browsers, own_edition: int
) -> None:
    """1.1, 2.3 and 5.1 could only be given a class in the browser, not their two quantities."""
    page = people.page("analyst1")
    page.goto(f"/editions/{own_edition}/scenarios/dike-breach")
    form = _open_form(page, "2.3")
    _type(form.get_by_label("people (persons)", exact=True), "1,000,000")
    form.get_by_label("people (persons) to").fill("3,000,000")
    _type(form.get_by_label("days (days)", exact=True), "7")
    expect(form.locator("output.classified")).to_contain_text("class D")
    form.get_by_label("Rationale").fill("A week without water for a million people.")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Score 2.3 saved")
    expect(page.get_by_test_id("class-2.3")).to_have_text("D")
    current = _card(page, "2.3").locator(".current p").first
    expect(current).to_contain_text("people 1,000,000–3,000,000")
    expect(current).to_contain_text("days 7")
    for criterion in ("1.1", "5.1"):
        expect(_card(page, criterion).get_by_test_id(f"quantities-{criterion}")).to_have_count(1)


def test_a_quantity_that_cannot_be_used_says_why_while_typing(
    people: Browsers, own_edition: int
) -> None:
    """Typing "abc" or "-3" showed nothing at all."""
    page = people.page("analyst1")
    page.goto(f"/editions/{own_edition}/scenarios/dike-breach")
    form = _open_form(page, "2.2")
    quantity = form.get_by_label(re.compile("or quantity"))
    output = form.locator("output.classified")
    _type(quantity, "abc")
    expect(output).to_contain_text("“abc” is not a number")
    _type(quantity, "-3")
    expect(output).to_contain_text("is negative")
    _type(quantity, "500")
    expect(output).to_have_text("class C")
    _type(quantity, "abc")
    form.get_by_role("button", name="Save").click()  # the server says the same, stores nothing
    expect(form.locator("xpath=..").get_by_role("alert").last).to_contain_text("not a number")
    page.reload()
    expect(page.get_by_test_id("class-2.2")).to_have_text("B")  # 200 persons, as imported


def test_quantities_in_dutch_are_read_as_dutch_numbers(people: Browsers, own_edition: int) -> None:
    """In Dutch "1.000" was read as 1 (class A), and "1,5" or "1,000" gave nothing."""
    page = people.page("analyst1")
    page.goto(f"/editions/{own_edition}/scenarios/dike-breach?lang=nl")
    form = _open_form(page, "2.2")
    quantity = form.locator("input[name=min]")
    output = form.locator("output.classified")
    _type(quantity, "1.000")
    expect(output).to_contain_text("klasse C")
    expect(output).to_contain_text("gelezen als 1000")
    _type(quantity, "1,5")
    expect(output).to_contain_text("klasse A")
    expect(output).to_contain_text("gelezen als 1,5")
    _type(quantity, "1.000")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("class-2.2")).to_have_text("C")
    expect(_card(page, "2.2").locator(".current strong").first).to_have_text("1.000")
    page.goto(f"/editions/{own_edition}/scenarios/dike-breach?lang=en")
    expect(_card(page, "2.2").locator(".current strong").first).to_have_text("1,000")


def test_large_quantities_are_written_out_like_their_scale(people: Browsers) -> None:
    """Costs showed as "5e+10 – 1.5e+11 EUR" while the scale beside them said 5,000,000,000."""
    page = people.page("reader")
    page.goto(f"/editions/{people.site.world.main}/scenarios/coastal-flood")
    current = _card(page, "3.1").locator(".current p").first
    expect(current).to_contain_text("50,000,000,000 – 150,000,000,000 EUR")
    expect(current).not_to_contain_text("e+")
    expect(_card(page, "3.1").locator("table.scale")).to_contain_text("5,000,000,000")


# ---------------------------------------------------------------------------- import


def _upload(page: Page, name: str, data: bytes, new_id: str = "") -> None:
    page.goto("/import")
    page.get_by_label("Workbook file").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )
    if new_id:
        page.get_by_label("New edition id (only when the workbook's id is taken)").fill(new_id)
    page.get_by_role("button", name="Import").click()


def test_an_analyst_imports_and_sees_every_problem_of_a_workbook(
    people: Browsers, tmp_path: Any
) -> None:
    """The Import link was hidden from analysts and coordinators; an XLSX with four problems
    listed only its formula; a workbook whose id existed could not be imported at all."""
    import sys
    from pathlib import Path

    import yaml

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
    from test_cli_found import four_xlsx

    page = people.page("analyst1")
    page.get_by_role("navigation").get_by_role("link", name="Import").click()
    _upload(page, "four.xlsx", four_xlsx(tmp_path / "four.xlsx").read_bytes())
    rows = page.get_by_test_id("problems").locator("tbody tr")
    expect(rows).to_have_count(4)
    for n, where in enumerate(
        ("sheet scenarios, row 4", "sheet impacts, row 2", "sheet impacts, row 3", "row 4")
    ):
        expect(rows.nth(n).locator("td").first).to_contain_text(where)
    expect(rows.nth(0)).to_contain_text("likelihood")

    slug = f"twice-{uuid.uuid4().hex[:6]}"
    text = yaml.safe_dump(small_raw(slug, "Imported twice")).encode()
    _upload(page, "twice.yaml", text)
    expect(page.get_by_role("heading", level=1)).to_have_text("Imported twice")
    _upload(page, "twice.yaml", text)
    expect(page.get_by_role("alert")).to_contain_text(f"edition '{slug}' already exists")
    field = page.get_by_label("New edition id (only when the workbook's id is taken)")
    expect(field).to_have_value(f"{slug}-2")
    page.get_by_label("Workbook file").set_input_files(
        files=[{"name": "twice.yaml", "mimeType": "application/yaml", "buffer": text}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Imported twice")
    page.goto("/editions")
    expect(page.locator("table.list tbody tr", has_text="Imported twice")).to_have_count(2)


# ---------------------------------------------------------------------------- the picture


def _diagram(page: Page) -> None:
    page.locator("#diagram[data-ready=true]").wait_for(state="attached")
    page.locator("#diagram svg.marks").wait_for()


POINTS = "#diagram path[role=graphics-symbol][aria-roledescription=point]"


def test_the_diagram_says_what_was_given_in_words(people: Browsers) -> None:
    """The tooltip gave "B" for a likelihood of A-B and no class per criterion; points read
    "2.4515449935" to a screen reader; the subtitle promised percentile bars that were not
    there; method and profile showed as ids (weighted-sum, interests-equal)."""
    raw = _raw23()
    raw["scenarios"][0]["likelihood"] = "A-B"
    edition = _edition(people, raw)
    page = people.page("reader")
    page.goto(f"/editions/{edition}")
    _diagram(page)
    labels = page.locator(POINTS).evaluate_all("ps => ps.map(p => p.ariaLabel)")
    assert len(labels) == 3
    for label in labels:
        assert not re.search(r"\d\.\d{3,}", label), label
    dike = page.locator(f'{POINTS}[aria-label*="Scenario: Dike breach in a polder;"]')
    expect(dike).to_have_attribute("aria-label", re.compile("Likelihood: A-B;"))
    dike.hover()
    tooltip = page.locator("#vg-tooltip-element")
    expect(tooltip).to_contain_text("A-B")
    expect(tooltip).to_contain_text("Class per criterion")
    expect(tooltip).to_contain_text("2.2 B")
    subtitle = page.locator("#diagram .role-title-subtitle")
    expect(subtitle).to_have_text(
        "Method: Weighted sum, weight profile: Equal weights per criterion"
    )
    expect(page.locator("form.controls select[name=method] option:checked")).to_have_text(
        "Weighted sum"
    )
    page.goto(f"/editions/{edition}?uncertainty=1")
    _diagram(page)
    expect(subtitle).to_contain_text("bars: 5th-95th percentile")


def test_theme_colours_do_not_change_with_the_language(people: Browsers) -> None:
    """Coastal flood was blue in English and brown in Dutch: the colours followed the
    translated names' order."""
    page = people.page("reader")
    title = "Coastal flood after a dike breach in South Holland"
    colours = []
    for lang in ("en", "nl"):
        page.goto(f"/editions/{people.site.world.main}?lang={lang}")
        _diagram(page)
        colours.append(
            page.locator(f'{POINTS}[aria-label*="Scenario: {title};"]').get_attribute("fill")
        )
    assert colours[0] and colours[0] == colours[1], colours


def test_the_language_switch_keeps_method_profile_and_uncertainty(people: Browsers) -> None:
    page = people.page("reader")
    page.goto(f"/editions/{people.site.world.main}")
    _diagram(page)
    page.locator("form.controls select[name=method]").select_option("medal")
    expect(page).to_have_url(re.compile("method=medal"))
    page.locator("form.controls select[name=profile]").select_option("physical-first")
    expect(page).to_have_url(re.compile("profile=physical-first"))
    page.get_by_label("Show uncertainty").check()
    expect(page).to_have_url(re.compile("uncertainty=1"))
    _diagram(page)
    page.get_by_role("link", name="NL", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("form.controls select[name=method]")).to_have_value("medal")
    expect(page.locator("form.controls select[name=profile]")).to_have_value("physical-first")
    expect(page.locator("form.controls input[name=uncertainty]")).to_be_checked()


def test_downloads_carry_the_edition_language_and_date(people: Browsers) -> None:
    """The YAML export saved as "export" and the PDF as "report.pdf"."""
    import datetime as dt

    page = people.page("coordinator")
    page.goto(f"/editions/{people.site.world.main}")
    today = dt.date.today().isoformat()
    with page.expect_download() as got:
        page.get_by_role("link", name="Workbook (YAML)").click()
    assert got.value.suggested_filename == f"nl-example-2026-{today}.yaml"
    with page.expect_download(timeout=90_000) as got:
        page.get_by_role("link", name="Risk picture (PDF)").click()
    assert got.value.suggested_filename == f"nl-example-2026-risk-picture-en-{today}.pdf"
    # a draft has no public edition to download: no link that answers 409
    expect(page.get_by_role("link", name="Public edition (zip)")).to_have_count(0)


# ---------------------------------------------------------------------------- review and members


def _publish(people: Browsers, edition: int) -> None:
    from sqlalchemy import select

    from natrisk.services import workspace
    from natrisk.services.access import Actor
    from natrisk.store.database import Database
    from natrisk.store.models import User

    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            admin = Actor.of(s.scalars(select(User).where(User.username == "admin")).one())
            for to in ("review", "adopted", "published"):
                workspace.transition(s, admin, edition, to, "test")
    finally:
        db.close()


def test_a_comment_on_a_criterion_that_does_not_exist_is_refused_at_its_field(
    people: Browsers, own_edition: int
) -> None:
    """A comment on criterion "9.9" was stored and shown."""
    page = people.page("analyst1")
    page.goto(f"/editions/{own_edition}/scenarios/dike-breach")
    form = page.get_by_test_id("comment-form")
    form.get_by_label("Criterion (optional)").fill("9.9")
    form.get_by_label("Comment").fill("Is this one right?")
    form.get_by_role("button", name="Add comment").click()
    form = page.get_by_test_id("comment-form")
    expect(form.locator("#err-criterion")).to_contain_text("there is no criterion '9.9'")
    expect(form.get_by_label("Comment")).to_have_value("Is this one right?")
    expect(form.get_by_label("Criterion (optional)")).to_have_value("9.9")
    expect(page.locator("#comments article.comment")).to_have_count(0)
    form.get_by_label("Criterion (optional)").fill("2.2")
    form.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments article.comment")).to_have_count(1)


def test_comments_are_closed_on_a_published_edition(people: Browsers) -> None:
    """Comments stayed open on published editions."""
    edition = _edition(people, _raw23())
    _publish(people, edition)
    page = people.page("analyst1")
    page.goto(f"/editions/{edition}/scenarios/dike-breach")
    expect(page.get_by_test_id("review-closed")).to_be_visible()
    expect(page.get_by_test_id("comment-form")).to_have_count(0)
    r = page.request.post(
        f"/editions/{edition}/scenarios/dike-breach/comments",
        form={"csrf_token": _csrf(page), "body": "too late"},
    )
    assert r.status == 409, r.status
    page.reload()
    expect(page.locator("#comments article.comment")).to_have_count(0)


def _csrf(page: Page) -> str:
    return str(page.locator("input[name=csrf_token]").first.get_attribute("value"))


def test_inviting_an_unknown_username_keeps_the_page_and_the_form(people: Browsers) -> None:
    """An unknown username replaced the whole page with an error page; the form was lost."""
    edition = _edition(people, _raw23(), {"coordinator": "coordinator", "expert1": "expert"})
    page = people.page("coordinator")
    page.goto(f"/editions/{edition}")
    form = page.get_by_test_id("invite-form")
    form.get_by_label("Experts (usernames)").fill("expert1 nobody-here")
    form.get_by_label("Scenarios").select_option(["dike-breach", "port-fire"])
    form.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Found picture")
    form = page.get_by_test_id("invite-form")
    expect(form.locator("#err-experts")).to_contain_text("nobody-here")
    expect(form.get_by_label("Experts (usernames)")).to_have_value("expert1 nobody-here")
    chosen = form.get_by_label("Scenarios").evaluate(
        "s => [...s.selectedOptions].map(o => o.value)"
    )
    assert chosen == ["dike-breach", "port-fire"]
    expert = people.page("expert1")  # nobody was invited: one wrong name stores nothing
    expert.goto(f"/editions/{edition}/scenarios/dike-breach")
    expect(expert.locator("details.judge")).to_have_count(0)


def test_a_role_for_a_user_cleared_below_the_edition_is_given_with_a_warning(
    people: Browsers,
) -> None:
    """A role on a classified edition was given to a user cleared below it, without a word."""
    raw = _raw23()
    raw["scenarios"][0]["classification"] = "Departementaal Vertrouwelijk"
    edition = _edition(people, raw, {"coordinator": "coordinator"})
    page = people.page("coordinator")
    page.goto(f"/editions/{edition}/settings")
    members = page.locator("#members")
    members.get_by_label("Username (another organisation's as organisation/name)").fill("reader")
    members.get_by_label("Role").select_option("reader")
    members.get_by_role("button", name="Give the role").click()
    warning = page.get_by_test_id("member-warning")
    expect(warning).to_contain_text("reader's clearance (Openbaar) is below")
    expect(warning).to_contain_text("Departementaal Vertrouwelijk")
    expect(page.locator("#members table")).to_contain_text("reader")


# ---------------------------------------------------------------------------- sensitivity


def test_a_sensitivity_run_keeps_its_form_names_scenarios_and_draws_their_intervals(
    people: Browsers,
) -> None:
    """The form reset to its defaults after a run; the result listed slugs
    (heatwave-drought) and had no chart of each scenario's rank interval."""
    page = people.page("analyst1")
    main = people.site.world.main
    page.goto(f"/editions/{main}/sensitivity")
    page.get_by_label("Samples").fill("500")
    page.get_by_label("Method").select_option("medal")
    page.get_by_label("Weight profile").select_option("physical-first")
    page.get_by_label("Weights").select_option("fixed")
    expect(page.get_by_label("Method").locator("option:checked")).to_have_text("Medal")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"sensitivity\?run=\d+$"))
    run = page.get_by_test_id("run")
    expect(run.locator(".status")).to_have_text("done", timeout=120_000)
    expect(page.get_by_label("Samples")).to_have_value("500")
    expect(page.get_by_label("Method")).to_have_value("medal")
    expect(page.get_by_label("Weight profile")).to_have_value("physical-first")
    expect(page.get_by_label("Weights")).to_have_value("fixed")
    page.reload()
    run = page.get_by_test_id("run")
    expect(
        run.get_by_role("link", name="Coastal flood after a dike breach in South Holland")
    ).to_be_visible()
    expect(run.locator("table.list").first).not_to_contain_text("heatwave-drought")
    chart = run.get_by_test_id("rank-chart")
    page.locator("[data-testid=rank-chart][data-ready=true]").wait_for(state="attached")
    expect(chart.locator("svg.marks")).to_contain_text("Rank interval per scenario")
    expect(chart.locator("svg.marks")).to_contain_text("Coastal flood after a dike breach")


# ---------------------------------------------------------------------------- diff


def test_the_diff_reads_from_the_older_edition_to_the_newer_by_title(people: Browsers) -> None:
    """Comparing the 2027 copy with 2026 showed "B → A-B" with the 2027 value on the left;
    the chart had no arrowheads or labels and a numeric axis; the tables listed slugs; with
    no change at all it drew an empty chart (axis "0.000000") with console warnings."""
    old = _raw23()
    new = _raw23()
    new["scenarios"][0]["likelihood"] = "C"
    new["scenarios"][0]["impacts"]["5.3"] = "E"
    first, second = _edition(people, old), _edition(people, new)
    page = people.page("analyst1")
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if m.type in ("warning", "error") else 0)
    for here, other in ((second, first), (first, second)):
        page.goto(f"/editions/{here}/diff?to={other}")
        moved = page.get_by_test_id("moved").locator("tbody tr")
        dike = moved.filter(has_text="Dike breach in a polder")
        expect(dike).to_contain_text("B → C")
        expect(moved.filter(has_text="dike-breach")).to_have_count(0)
        changed = page.get_by_test_id("scores-changed").locator("tbody tr")
        expect(changed.first).to_contain_text("Dike breach in a polder")
        expect(changed.first).to_contain_text("5.3: C → E")
        page.locator("[data-testid=diff-diagram][data-ready=true]").wait_for(state="attached")
        marks = page.get_by_test_id("diff-diagram").locator("svg.marks")
        expect(marks).to_contain_text("B unlikely")  # class axes, not 0.6-5.4
        expect(marks).to_contain_text("E catastrophic")
        n = moved.count()
        expect(marks.locator("path[aria-roledescription=point]")).to_have_count(2 * n)
        expect(marks.locator("text", has_text=re.compile(r"^1$"))).to_have_count(1)
    same = _edition(people, _raw23())
    page.goto(f"/editions/{same}/diff?to={first}")
    expect(page.get_by_test_id("no-moves")).to_be_visible()
    expect(page.get_by_test_id("diff-diagram")).to_have_count(0)
    assert not [m for m in messages if "WARN" in m or "Infinite" in m], messages


def test_an_edition_is_marked_by_the_highest_classification_its_viewer_sees(
    people: Browsers,
) -> None:
    """An edition holding Staatsgeheim Geheim scenarios was labelled "Openbaar" in its
    header and in the list."""
    planted = people.site.world.planted
    admin = people.page("admin")
    admin.goto("/editions")
    expect(admin.get_by_test_id(f"classification-{planted}")).to_have_text("Staatsgeheim Geheim")
    admin.goto(f"/editions/{planted}")
    expect(admin.get_by_test_id("classification")).to_have_text("Staatsgeheim Geheim")
    reader = people.page("reader")  # what is above the reader stays absent, its level too
    reader.goto("/editions")
    expect(reader.get_by_test_id(f"classification-{planted}")).to_have_text("Openbaar")


def test_the_api_reference_draws_without_internet_access(people: Browsers) -> None:
    """/docs was blank without internet access: Swagger UI came from a CDN."""
    page = people.page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("natrisk")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    base = people.site.base
    assert all(url.startswith(base) or url.startswith("data:") for url in asked), asked


# ---------------------------------------------------------------------------- experts


def _invite(people: Browsers, edition: int, expert: str, slug: str) -> None:
    from sqlalchemy import select

    from natrisk.services import review
    from natrisk.services.access import Actor
    from natrisk.store.database import Database
    from natrisk.store.models import User

    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            admin = Actor.of(s.scalars(select(User).where(User.username == "admin")).one())
            review.invite(s, admin, edition, expert, [slug])
    finally:
        db.close()


def test_experts_judge_before_they_see_the_score_and_the_analyst_adopts_the_range(
    people: Browsers,
) -> None:
    """Experts saw the analyst's score and rationale before they judged (anchoring); the
    analyst could not take over the experts' combined range."""
    raw = _raw23()
    raw["scenarios"][0]["impacts"]["5.3"] = {"class": "C", "rationale": "ANALYST-REASONING"}
    edition = _edition(people, raw, {"analyst1": "analyst", "expert1": "expert"})
    _invite(people, edition, "expert1", "dike-breach")
    expert = people.page("expert1")
    expert.goto(f"/editions/{edition}/scenarios/dike-breach")
    expect(expert.get_by_test_id("hidden-5.3")).to_be_visible()
    expect(expert.get_by_test_id("class-5.3")).to_have_text("?")
    expect(expert.locator("main")).not_to_contain_text("ANALYST-REASONING")
    form = expert.get_by_test_id("judge-5.3")
    form.get_by_label("Class or range").fill("D-E")
    form.get_by_role("button", name="Submit judgement").click()
    expect(expert.get_by_test_id("class-5.3")).to_have_text("C")  # now the analyst's shows
    expect(expert.locator("#c-5\\.3 .rationale")).to_have_text("ANALYST-REASONING")
    expect(expert.get_by_test_id("hidden-2.2")).to_be_visible()  # not judged yet: hidden

    analyst = people.page("analyst1")
    analyst.goto(f"/editions/{edition}/scenarios/dike-breach")
    analyst.on("dialog", lambda d: d.accept())
    adopt = analyst.get_by_test_id("adopt-combined-5.3")
    adopt.get_by_role("button", name="Adopt the combined range D-E").click()
    expect(analyst.get_by_role("status")).to_contain_text("Score 5.3 saved")
    expect(analyst.locator("#c-5\\.3 .current strong").first).to_have_text("D-E")
    expect(analyst.locator("#c-5\\.3 .rationale")).to_contain_text("combined range of 1 expert")


# ---------------------------------------------------------------------------- bad input

OWN_PASSWORD = "found-tests-password-01"


def _user(people: Browsers, name: str, clearance: str, admin: bool = False) -> Page:
    from natrisk.services import accounts
    from natrisk.store.database import Database

    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            accounts.add_user(s, name, OWN_PASSWORD, "example", clearance, admin)
    finally:
        db.close()
    page = people.context().new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile("/login"))
    return page


def _strip_checks(field: Locator) -> None:
    field.evaluate(
        "e => { e.removeAttribute('maxlength'); e.removeAttribute('required');"
        " e.removeAttribute('pattern'); }"
    )


def test_a_new_scenario_with_a_bad_id_or_a_blank_title_keeps_what_was_typed(
    people: Browsers, own_edition: int
) -> None:
    """An id that exists, is empty or is 10,000 characters long, and a title of spaces: a
    message at the field, the typed text kept, nothing stored."""
    page = people.page("analyst1")
    url = f"/editions/{own_edition}/scenarios/new"
    cases = (
        ("dike-breach", "A title", "already"),
        ("", "A title", "required"),
        ("x" * 10_000, "A title", "100"),
        ("fresh-id", "    ", "more than spaces"),
    )
    for slug, title, says in cases:
        page.goto(url)
        for label in ("Id (letters, digits, '-')", "Title"):
            _strip_checks(page.get_by_label(label, exact=True))
        page.get_by_label("Id (letters, digits, '-')").fill(slug)
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("Description (Markdown)").fill("Kept, whatever else is wrong.")
        page.get_by_label("Class, range or estimate").fill("B")
        page.get_by_role("button", name="Create scenario").click()
        field = "err-title" if title.isspace() else "err-id"
        expect(page.locator(f"#{field}")).to_contain_text(says)
        expect(page.get_by_label("Description (Markdown)")).to_have_value(
            "Kept, whatever else is wrong."
        )
        expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    page.goto(f"/editions/{own_edition}")
    expect(page.locator("#picture").get_by_role("link", name="A title")).to_have_count(0)


def test_markdown_with_script_iframe_and_javascript_links_is_inert(
    people: Browsers, own_edition: int
) -> None:
    page = people.page("analyst1")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"/editions/{own_edition}/scenarios/port-fire")
    page.get_by_text("Change the scenario (texts, theme, likelihood, classification)").click()
    form = page.get_by_test_id("scenario-form")
    form.get_by_label("Description (Markdown)").fill(
        '<script>alert(1)</script><iframe src="javascript:alert(2)"></iframe>'
        "[click](javascript:alert(3)) <img src=x onerror=alert(4)> **kept**"
    )
    form.get_by_role("button", name="Save the scenario").click()
    expect(page.get_by_role("status")).to_contain_text("The scenario was saved")
    main = page.locator("main")
    expect(main.locator(".md strong", has_text="kept")).to_have_count(1)
    for selector in ("script", "iframe", "a[href^='javascript']", "img[onerror]"):
        expect(main.locator(selector)).to_have_count(0)
    page.wait_for_timeout(300)
    assert dialogs == []


def test_a_role_that_does_not_exist_and_a_clearance_above_ones_own_are_refused(
    people: Browsers,
) -> None:
    tag = uuid.uuid4().hex[:6]
    edition = _edition(people, _raw23(), {"coordinator": "coordinator"})
    page = people.page("coordinator")
    page.goto(f"/editions/{edition}/settings")
    members = page.locator("#members")
    members.get_by_label("Username (another organisation's as organisation/name)").fill("reader")
    members.get_by_label("Role").evaluate("s => { s.options[0].value = 'emperor'; }")
    members.get_by_role("button", name="Give the role").click()
    expect(page.locator("#err-member")).to_contain_text("emperor")
    expect(
        page.get_by_label("Username (another organisation's as organisation/name)")
    ).to_have_value("reader")
    expect(page.locator("#members table")).not_to_contain_text("reader")

    admin = _user(people, f"dvadmin-{tag}", "Departementaal Vertrouwelijk", admin=True)
    admin.goto("/admin")
    form = admin.locator("form[action='/admin/users']")
    options = form.get_by_label("Clearance").locator("option").all_inner_texts()
    assert "Staatsgeheim Geheim" not in options  # the form offers none above one's own
    form.get_by_label("Username").fill(f"high-{tag}")
    form.get_by_label("First password (at least 12 characters)").fill(OWN_PASSWORD)
    form.get_by_label("Clearance").evaluate(
        "s => { s.options[0].value = 'Staatsgeheim Geheim'; s.selectedIndex = 0; }"
    )
    form.get_by_role("button", name="Create user").click()
    expect(admin.get_by_role("alert")).to_contain_text("clearance")
    expect(admin.locator(f"tr[data-user='high-{tag}']")).to_have_count(0)


def test_an_expired_reset_link_is_refused_like_a_used_one(people: Browsers) -> None:
    import datetime as dt

    from sqlalchemy import select, update

    from natrisk.services import accounts, administration
    from natrisk.services.access import Actor
    from natrisk.store.database import Database
    from natrisk.store.models import PasswordReset, User

    tag = uuid.uuid4().hex[:6]
    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            admin = Actor.of(s.scalars(select(User).where(User.username == "admin")).one())
            user = accounts.add_user(s, f"late-{tag}", OWN_PASSWORD, "example", "Openbaar")
            link = administration.create_reset(s, admin, f"late-{tag}")
            user_id = user.id
        with db.session() as s:
            past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            s.execute(
                update(PasswordReset)
                .where(PasswordReset.user_id == user_id)
                .values(expires_at=past)
            )
    finally:
        db.close()
    page = people.context().new_page()
    page.goto(f"/reset/{link.token}")
    expect(page.get_by_role("alert")).to_contain_text("used or has expired")
    r = page.request.post(
        f"/reset/{link.token}",
        form={"password": "another-new-password-1", "password2": "another-new-password-1"},
    )
    assert r.status >= 400


def test_an_analyst_replaces_a_draft_from_a_file_and_keeps_its_history(people: Browsers) -> None:
    """A workbook whose id existed could not replace the draft; now the /import form offers the
    editable drafts: changed scenarios get a new version, missing ones are withdrawn, and a
    file with a problem stores nothing."""
    import yaml

    page = people.page("analyst1")
    slug = f"replace-{uuid.uuid4().hex[:6]}"
    raw = small_raw(slug, "To be replaced")
    _upload(page, "first.yaml", yaml.safe_dump(raw).encode())
    expect(page.get_by_role("heading", level=1)).to_have_text("To be replaced")
    edition_url = page.url
    eid = edition_url.rstrip("/").rsplit("/", 1)[-1]
    bad = yaml.safe_load(yaml.safe_dump(raw))
    bad["scenarios"][0]["title"] = "Never stored"
    bad["scenarios"][0]["impacts"]["9.9"] = "B"
    for data, name in ((bad, "bad.yaml"), (raw, "good.yaml")):
        if name == "good.yaml":
            data["scenarios"][0]["title"] = "Title from the file"
            del data["scenarios"][1]
        page.goto("/import")
        page.get_by_label("Workbook file").set_input_files(
            files=[
                {
                    "name": name,
                    "mimeType": "application/yaml",
                    "buffer": yaml.safe_dump(data).encode(),
                }
            ]
        )
        page.get_by_label("Or replace the scenarios of a draft edition").select_option(eid)
        page.get_by_role("button", name="Import").click()
        if name == "bad.yaml":
            expect(page.get_by_test_id("problems")).to_contain_text("9.9")
            select = page.get_by_label("Or replace the scenarios of a draft edition")
            expect(select).to_have_value(eid)  # the choice is kept
    expect(page).to_have_url(edition_url)
    page.goto(f"{edition_url}/scenarios/dike-breach/history")
    expect(page.locator("main")).to_contain_text("Title from the file")
    expect(page.locator("main del").first).to_contain_text("Dike")
    expect(page.locator("main ins").first).to_contain_text("Title")
    expect(page.locator("main")).not_to_contain_text("Never stored")
    page.goto(f"{edition_url}/scenarios/grid-failure/history")
    expect(page.locator("main")).to_contain_text("withdrawn")
