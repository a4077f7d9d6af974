"""The trends page and the deep-dive page in Chromium, from the bundled example.

A server of its own on an empty SQLite file: ``natrisk serve`` bootstraps as on a first start
(the example as edition 1, its baseline as edition 2, the trends of 2023 on edition 2 as trend
set 1, those of 2026 on edition 1 as set 2, the deep-dive as deep-dive 1). Pages are watched
for console errors and uncaught exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from web_support import VIEWPORT, Browsers, Server, Site, World, wait_for_diagram

EDITION, CURRENT, DEEPDIVE = 1, 2, 1
SET_TITLE = "Illustrative strategic foresight 2026 (not official)"
READER, READER_PASSWORD = "foresight-reader", "foresight-reader-correct-horse"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("web-foresight")
    server = Server(f"sqlite:///{home / 'natrisk.db'}", home)
    try:
        yield Site(server.base, World(main=EDITION, planted=0, adopt=0, user_ids={}), server)
    finally:
        server.close()


def _db(site: Site) -> Any:
    from natrisk.store.database import Database

    return Database(f"sqlite:///{site.server.log_path.parent / 'natrisk.db'}")


@pytest.fixture(scope="module")
def cookies(browser: Browser, site: Site) -> dict[str, list[Any]]:
    """'admin' (password from the first start's message) and a reader, signed in once each."""
    from argon2 import PasswordHasher

    from natrisk.services import accounts
    from natrisk.services.access import Actor

    found = re.search(r"administrator 'admin' with password '([^']+)'", site.server.log())
    assert found and "its trends and a deep-dive" in site.server.log(), site.server.log()
    saved = accounts.HASHER
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    db = _db(site)
    try:
        with db.session() as s:
            accounts.add_user(s, READER, READER_PASSWORD, "example", "Openbaar", False)
            admin = Actor.of(accounts.find_user(s, "admin"))  # type: ignore[arg-type]
            for edition in (1, 2):
                accounts.set_role(s, admin, edition, READER, "reader")
    finally:
        db.close()
        accounts.HASHER = saved
    out = {}
    for user, secret in (("admin", found.group(1)), (READER, READER_PASSWORD)):
        ctx = browser.new_context(base_url=site.base, viewport=VIEWPORT, locale="en-GB")
        page = ctx.new_page()
        page.goto("/login?next=/editions")
        page.get_by_label("Username").fill(user)
        page.get_by_label("Password").fill(secret)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/editions$"))
        out[user] = list(ctx.cookies())
        ctx.close()
    return out


class Watch:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def page(self, people: Browsers, cookies: list[Any], locale: str = "en-GB") -> Page:
        ctx = people.context(locale)
        ctx.add_cookies(cookies)
        page = ctx.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught {e}"))
        return page


def test_the_trends_page_shows_the_analysis_and_saves_with_versions(
    people: Browsers, cookies: dict[str, list[Any]]
) -> None:
    w = Watch()
    page = w.page(people, cookies["admin"])
    page.goto("/editions")
    page.get_by_role("link", name="Foresight").click()
    page.get_by_role("link", name=SET_TITLE).click()
    expect(page).to_have_url(re.compile(rf"/trend-sets/{CURRENT}$"))
    wait_for_diagram(page, "#bearings")
    expect(page.locator("article.trend")).to_have_count(15)
    expect(page.get_by_test_id("transitions").locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("analysis-summary")).to_contain_text("foresight 2023")
    expect(page.get_by_test_id("lines")).to_contain_text(
        "Intensifying climate mitigation and adaptation"
    )
    stale = w.page(people, cookies["admin"])
    stale.goto(f"/trend-sets/{CURRENT}")
    form = page.get_by_test_id("form-fintech")
    form.get_by_label("Direction").select_option("rising")
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"saved=fintech"))
    expect(page.get_by_role("status")).to_contain_text("fintech")
    expect(page.get_by_test_id("trend-fintech")).to_contain_text("rising")
    other = stale.get_by_test_id("form-fintech")
    other.get_by_label("Direction").select_option("falling")
    other.get_by_role("button", name="Save").click()
    expect(stale.get_by_test_id("error")).to_contain_text("changed since you read it")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_test_id("report-pdf-nl").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
    assert [e for e in w.errors if "409" not in e] == []


def test_the_trends_page_in_dutch(people: Browsers, cookies: dict[str, list[Any]]) -> None:
    page = Watch().page(people, cookies[READER], locale="nl-NL")
    page.goto(f"/trend-sets/{CURRENT}")
    expect(page.get_by_role("heading", name="Trendanalyse")).to_be_visible()
    expect(page.locator("article.trend").first).to_contain_text("Multi-orde wereld")
    expect(page.locator("form[data-testid^=form-]")).to_have_count(0)  # a reader writes nothing


def test_a_classified_trend_is_absent_for_the_reader(
    people: Browsers, cookies: dict[str, list[Any]], site: Site
) -> None:
    from natrisk.services import trends
    from natrisk.services.access import Actor
    from natrisk.services.accounts import find_user

    db = _db(site)
    try:
        with db.session() as s:
            admin = Actor.of(find_user(s, "admin"))  # type: ignore[arg-type]
            stored = trends.set_for(s, admin, CURRENT)
            v = trends.trend_for(s, stored, "environmental-pressure", admin.clearance).version
            changes = {"classification": "Departementaal Vertrouwelijk"}
            trends.update_trend(s, admin, CURRENT, "environmental-pressure", changes, v)
    finally:
        db.close()
    page = Watch().page(people, cookies[READER])
    page.goto(f"/trend-sets/{CURRENT}")
    expect(page.locator("article.trend")).to_have_count(14)
    expect(page.get_by_test_id("trend-environmental-pressure")).to_have_count(0)
    assert "Environmental pressure" not in page.content()
    admin_page = Watch().page(people, cookies["admin"])
    admin_page.goto(f"/trend-sets/{CURRENT}")
    expect(admin_page.get_by_test_id("trend-environmental-pressure")).to_be_visible()


def test_a_scenario_made_by_the_deepdive_shows_where_it_came_from(
    people: Browsers, cookies: dict[str, list[Any]]
) -> None:
    w = Watch()
    page = w.page(people, cookies["admin"])
    page.goto("/foresight")
    page.get_by_test_id("deepdives").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/deepdives/{DEEPDIVE}$"))
    expect(page.get_by_test_id("trends")).to_contain_text("Climate change")
    expect(page.get_by_test_id("signals")).to_contain_text("Early spring drought in sandy soils")
    page.get_by_test_id("create-vector-borne-outbreak").click()
    expect(page).to_have_url(re.compile(rf"/editions/{EDITION}/scenarios/vector-borne-outbreak$"))
    origin = page.get_by_test_id("origin")
    expect(origin).to_contain_text("Created by the deep-dive")
    expect(origin).to_contain_text("Climate change and infectious diseases")
    expect(origin).to_contain_text("Early spring drought in sandy soils")
    origin.get_by_role("link", name="Climate change", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/trend-sets/{CURRENT}#trend-climate-change$"))
    page.goto(f"/deepdives/{DEEPDIVE}")
    page.get_by_test_id("record-avian-influenza-zoonosis").click()
    expect(page.get_by_test_id("origin")).to_contain_text("Changed by the deep-dive")
    page.goto(f"/editions/{EDITION}/scenarios/vector-borne-outbreak/origin")  # a page of its own
    expect(page.get_by_test_id("origin")).to_contain_text("Climate change and infectious diseases")
    page.goto(f"/editions/{EDITION}/scenarios/coastal-flood/origin")
    expect(page.get_by_test_id("no-origin")).to_be_visible()
    assert w.errors == []


def test_trend_files_are_imported_in_the_browser_and_bad_ones_store_nothing(
    people: Browsers, cookies: dict[str, list[Any]], site: Site, tmp_path: Path
) -> None:
    import yaml
    from sqlalchemy import func, select

    from natrisk.io.trends import csv_text, load_trends, xlsx_bytes
    from natrisk.store.models import TrendSetRecord

    example = Path(__file__).resolve().parents[2] / "examples" / "trends-2026.yaml"
    ts = load_trends(example)
    rows = csv_text(ts).split("\r\n")
    n = next(i for i, row in enumerate(rows) if row.startswith("Trends,"))
    rows[n] = rows[n].replace(",international,", ",no-such-group,", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("\r\n".join(rows), encoding="utf-8")
    db = _db(site)

    def stored() -> int:
        with db.session() as s:
            return int(s.scalar(select(func.count()).select_from(TrendSetRecord)) or 0)

    try:
        before = stored()
        w = Watch()
        page = w.page(people, cookies["admin"])
        page.goto("/foresight")
        form = page.get_by_test_id("import-form")
        form.get_by_label("Edition").select_option(str(EDITION))
        form.get_by_label("File", exact=True).set_input_files(str(bad))
        form.get_by_role("button", name="Import").click()
        expect(page.get_by_test_id("problems")).to_contain_text("no group 'no-such-group'")
        expect(page.get_by_test_id("problems")).to_contain_text("line ")
        assert stored() == before
        renamed = ts.model_copy(
            update={"trends_info": ts.info.model_copy(update={"id": "nl-trends-web"})}
        )
        good = tmp_path / "good.xlsx"
        good.write_bytes(xlsx_bytes(renamed))
        form = page.get_by_test_id("import-form")
        form.get_by_label("Edition").select_option(str(EDITION))
        form.get_by_label("File", exact=True).set_input_files(str(good))
        form.get_by_role("button", name="Import").click()
        expect(page).to_have_url(re.compile(r"/trend-sets/\d+$"))
        expect(page.locator("article.trend")).to_have_count(15)
        assert stored() == before + 1
        assert yaml.safe_load(example.read_text(encoding="utf-8"))["set"]["id"] == "nl-trends-2026"
    finally:
        db.close()


def test_a_deepdive_is_written_in_the_form_and_bad_input_stores_nothing(
    people: Browsers, cookies: dict[str, list[Any]], site: Site
) -> None:
    from sqlalchemy import func, select

    from natrisk.store.models import DeepDiveRecord

    db = _db(site)

    def stored() -> int:
        with db.session() as s:
            return int(s.scalar(select(func.count()).select_from(DeepDiveRecord)) or 0)

    try:
        before = stored()
        w = Watch()
        page = w.page(people, cookies["admin"])
        page.goto("/foresight")
        page.get_by_test_id("write-deepdive").get_by_role("link").first.click()
        expect(page).to_have_url(re.compile(rf"/editions/{EDITION}/deepdives/new$"))
        # keyboard only: focus the title, then type and move on with Tab
        page.get_by_label("Title", exact=True).focus()
        page.keyboard.type("Cyber resilience of ports")
        page.keyboard.press("Tab")
        expect(page.get_by_label("Id", exact=True)).to_be_focused()
        page.keyboard.type("ports-cyber")
        page.get_by_label("Theme", exact=True).select_option("cyber")
        page.get_by_label("Year", exact=True).fill("2026")
        page.get_by_label("Question", exact=True).fill("How exposed are the ports?")
        page.get_by_label("Findings", exact=True).fill("Ransomware is the **main** concern.")
        page.get_by_role("checkbox", name=re.compile("s077-cyber-2c")).check()
        page.get_by_label("More signals, by id, one a line").fill("no-such-signal")
        page.get_by_label("Sources, one a line").fill("NCSC report | NCSC | 2026-13-40")
        page.get_by_role("button", name="Store the deep-dive").focus()
        page.keyboard.press("Enter")
        problems = page.get_by_test_id("problems")
        expect(problems).to_contain_text("sources.0.date")
        assert stored() == before
        # what was typed is kept; mend the date, then the unknown signal is named
        expect(page.get_by_label("Title", exact=True)).to_have_value("Cyber resilience of ports")
        page.get_by_label("Sources, one a line").fill("NCSC report | NCSC | 2026-03-02")
        page.get_by_role("button", name="Store the deep-dive").click()
        expect(page.get_by_test_id("problems")).to_contain_text("no signal 'no-such-signal'")
        assert stored() == before
        page.get_by_label("More signals, by id, one a line").fill("")
        page.get_by_label("Sources, one a line").fill(
            "NCSC report | NCSC | 2026-03-02\nbad | a | b | c"
        )
        page.get_by_role("button", name="Store the deep-dive").click()
        expect(page.get_by_test_id("error")).to_contain_text("sources, line 2")
        assert stored() == before
        page.get_by_label("Sources, one a line").fill("NCSC report | NCSC | 2026-03-02")
        page.get_by_label("Horizon", exact=True).select_option("short")
        page.get_by_role("button", name="Store the deep-dive").click()
        expect(page).to_have_url(re.compile(r"/deepdives/\d+\?saved=1$"))
        expect(page.get_by_role("heading", name="Cyber resilience of ports")).to_be_visible()
        expect(page.get_by_test_id("horizon")).to_contain_text("6")
        expect(page.get_by_test_id("sources")).to_contain_text("NCSC report — NCSC (2026-03-02)")
        expect(page.get_by_test_id("signals").locator("li")).to_have_count(1)
        assert stored() == before + 1
        page.goto(f"/editions/{EDITION}/deepdives/new")
        page.get_by_label("Title", exact=True).fill("Cyber resilience of ports")
        page.get_by_label("Id", exact=True).fill("ports-cyber")
        page.get_by_role("button", name="Store the deep-dive").click()
        expect(page.get_by_test_id("error")).to_contain_text(
            "already has a deep-dive 'ports-cyber'"
        )
        assert stored() == before + 1
        # the refused forms answer 400 and 409 (the browser logs those); nothing else failed
        assert [e for e in w.errors if not e.startswith("Failed to load resource")] == []
        dutch = Watch().page(people, cookies["admin"], locale="nl-NL")
        dutch.goto(f"/editions/{EDITION}/deepdives/new")
        expect(
            dutch.get_by_role("heading", name="Een thematische verdieping schrijven")
        ).to_be_visible()
        expect(dutch.get_by_role("button", name="De verdieping opslaan")).to_be_visible()
        reader = Watch().page(people, cookies[READER])
        response = reader.goto(f"/editions/{EDITION}/deepdives/new")
        assert response is not None and response.status == 403
    finally:
        db.close()
