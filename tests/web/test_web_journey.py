"""The issue's "Done means", as one journey in Chromium from an empty database.

``natrisk serve`` starts on an empty SQLite file and bootstraps its administrator. Then, in
the browser only: the administrator creates an organisation with its first administrator,
who creates an analyst and a reader; the analyst creates an edition, writes three scenarios
with texts and scores, edits one, withdraws one and restores it; as the edition's
coordinator the analyst gives the reader a role; the reader finds a scenario by a word of
its description in the header's search box. Everything shows in the history, and
``natrisk audit verify`` passes on the database afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from accessibility import assert_accessible
from playwright.sync_api import Browser, Page, expect
from web_support import SECRET_KEY, VIEWPORT, Server, Site, World

PASSWORD = "journey-correct-horse-battery"
WORD = "saltmarshes"  # only in one scenario's description


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("web-journey")
    server = Server(f"sqlite:///{home / 'natrisk.db'}", home)
    try:
        yield Site(server.base, World(main=1, planted=0, adopt=0, user_ids={}), server)
    finally:
        server.close()


def _person(browser: Browser, site: Site, name: str, password: str) -> Page:
    """A browser of one's own, signed in through the form: sign-in leads to the start page."""
    ctx = browser.new_context(base_url=site.base, viewport=VIEWPORT, locale="en-GB")
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Your work", level=1)).to_be_visible()
    return page


def _write_scenario(page: Page, edition: str, slug: str, title: str, text: str, klass: str) -> None:
    page.goto(f"{edition}/scenarios/new")
    page.get_by_label("Id (letters, digits, '-')").fill(slug)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description (Markdown)").fill(text)
    page.get_by_label("Class, range or estimate").fill("B")
    page.locator("input[name='score-5.3']").fill(klass)
    page.locator("input[name='score-5.1']").fill("C")
    page.get_by_role("button", name="Create scenario").click()
    expect(page).to_have_url(re.compile(rf"/scenarios/{slug}$"))
    expect(page.locator(".md").first).to_contain_text(text)


def test_done_means(browser: Browser, site: Site) -> None:
    log = site.server.log()
    found = re.search(r"administrator 'admin' with password '([^']+)'", log)
    assert found, log
    admin = _person(browser, site, "admin", found.group(1))

    # the administrator: an organisation with its first administrator
    admin.goto("/admin")
    org = admin.locator("form[action='/admin/organisations']")
    org.get_by_label("Id (letters, digits, '-')").fill("zeeland")
    org.get_by_label("Name", exact=True).fill("Veiligheidsregio Zeeland")
    org.get_by_label("Its administrator's username").fill("zadmin")
    org.get_by_label("Their first password").fill(PASSWORD)
    org.get_by_label("Their clearance").select_option("Departementaal Vertrouwelijk")
    org.get_by_role("button", name="Create organisation").click()
    expect(admin.get_by_role("status")).to_contain_text("Saved")

    # ... who creates the analyst and the reader of the new organisation
    zadmin = _person(browser, site, "zadmin", PASSWORD)
    zadmin.goto("/admin")
    for name, clearance in (("analyst", "Departementaal Vertrouwelijk"), ("reader", "Openbaar")):
        form = zadmin.locator("form[action='/admin/users']")
        form.get_by_label("Username").fill(name)
        form.get_by_label("Name", exact=True).fill(name.title())
        form.get_by_label("First password (at least 12 characters)").fill(PASSWORD)
        form.get_by_label("Clearance").select_option(clearance)
        form.get_by_role("button", name="Create user").click()
        expect(zadmin.get_by_role("status")).to_contain_text("Saved")
    expect(zadmin.locator("tr[data-user='analyst']")).to_be_visible()
    expect(zadmin.locator("tr[data-user='reader']")).to_be_visible()

    # the analyst: an edition and three scenarios with texts and scores
    analyst = _person(browser, site, "analyst", PASSWORD)
    analyst.get_by_role("link", name="New edition").click()
    analyst.get_by_label("Id (letters, digits, '-')").fill("zeeland-2027")
    analyst.get_by_label("Title").fill("Regional risk profile Zeeland 2027")
    analyst.get_by_role("button", name="Create edition").click()
    expect(
        analyst.get_by_text("There is no scenario in this edition's picture yet.")
    ).to_be_visible()
    edition = re.sub(r"^https?://[^/]+", "", analyst.url)
    _write_scenario(
        analyst,
        edition,
        "storm-surge",
        "Storm surge",
        f"A surge floods the {WORD} and a dike.",
        "D",
    )
    _write_scenario(analyst, edition, "ferry-fire", "Ferry fire", "Fire on a ferry.", "B")
    _write_scenario(analyst, edition, "lng-leak", "LNG leak", "A leak at the terminal.", "C")

    # edits one ...
    analyst.goto(f"{edition}/scenarios/ferry-fire")
    analyst.get_by_text("Change the scenario (texts, theme, likelihood, classification)").click()
    form = analyst.get_by_test_id("scenario-form")
    form.get_by_label("Description (Markdown)").fill("Fire on a ferry in the Westerschelde.")
    form.get_by_role("button", name="Save the scenario").click()
    expect(analyst.get_by_role("status")).to_contain_text("The scenario was saved")
    # ... withdraws one and restores it
    analyst.goto(f"{edition}/scenarios/lng-leak")
    analyst.get_by_role("button", name="Withdraw from the picture").click()
    expect(analyst.get_by_test_id("withdrawn")).to_be_visible()
    analyst.goto(edition)
    expect(analyst.locator("#picture").get_by_role("link", name="LNG leak")).to_have_count(0)
    analyst.locator("aside").get_by_role("link", name="LNG leak").click()
    analyst.get_by_role("button", name="Restore to the picture").click()
    expect(analyst.get_by_role("status")).to_contain_text("back in the picture")
    analyst.goto(edition)
    expect(analyst.locator("#picture").get_by_role("link", name="LNG leak").first).to_be_visible()

    # the coordinator of the edition (its maker) gives the reader a role
    analyst.goto(f"{edition}/settings")
    members = analyst.locator("#members")
    members.get_by_label("Username (another organisation's as organisation/name)").fill("reader")
    members.get_by_label("Role").select_option("reader")
    members.get_by_role("button", name="Give the role").click()
    expect(analyst.locator("#members table")).to_contain_text("reader")

    # the reader finds a scenario by a word of its description, with the header's box
    reader = _person(browser, site, "reader", PASSWORD)
    expect(reader.locator("#by-status")).to_contain_text("Regional risk profile Zeeland 2027")
    box = reader.get_by_role("search").get_by_role("searchbox")
    box.fill(WORD)
    box.press("Enter")
    expect(reader).to_have_url(re.compile(rf"/search\?q={WORD}"))
    expect(reader.locator("#search-count")).to_have_text(f"1 result for “{WORD}”")
    assert_accessible(reader, "the search results")
    hit = reader.locator("li.hit").first
    expect(hit.locator("mark")).to_have_text(WORD)
    hit.get_by_role("link", name="Storm surge").click()
    expect(reader).to_have_url(re.compile(rf"{edition}/scenarios/storm-surge$"))
    expect(reader.locator(".md").first).to_contain_text(WORD)
    # the reader's search finds nothing of the example edition, which is not theirs
    reader.goto("/search?q=Rhine")
    expect(reader.locator("#search-count")).to_have_text("0 results for “Rhine”")
    analyst.goto("/search?q=Rhine")  # nor the analyst's: a role on it is what counts
    expect(analyst.locator("#search-count")).to_have_text("0 results for “Rhine”")
    admin.goto("/search?q=Rhine")
    expect(admin.locator("li.hit").first).to_be_visible()

    # everything shows in the history
    analyst.goto(f"{edition}/scenarios/ferry-fire/history")
    expect(analyst.locator(".diff ins", has_text="Westerschelde.")).to_be_visible()
    analyst.goto(f"{edition}/scenarios/lng-leak/history")
    history = analyst.locator("main")
    expect(history).to_contain_text("withdraw")
    expect(history).to_contain_text("restore")
    analyst.goto(f"{edition}/scenarios/storm-surge/history")
    expect(analyst.locator("main")).to_contain_text("create")

    # and the audit trail verifies
    home = site.server.log_path.parent
    env = {**os.environ, "NATRISK_SECRET_KEY": SECRET_KEY, "XDG_DATA_HOME": str(home / "data")}
    env.pop("NATRISK_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "natrisk", "audit", "verify", "--database", site.server.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intact" in done.stdout + done.stderr
    from sqlalchemy import select

    from natrisk.store.database import Database
    from natrisk.store.models import AuditEntry

    db = Database(site.server.url)
    try:
        with db.session(write=False) as s:
            trail = [(e.actor, e.entity, e.key, e.reason) for e in s.scalars(select(AuditEntry))]
    finally:
        db.close()
    mine = [(a, e, k, r) for a, e, k, r in trail if a in ("admin", "zadmin", "analyst")]
    made = {(e, k.rsplit(":", 1)[-1], r) for _, e, k, r in mine}
    for step in (
        ("organisation", "zeeland", ""),
        ("user", "zeeland/analyst", "created"),
        ("user", "zeeland/reader", "created"),
        ("scenario", "storm-surge", "created"),
        ("scenario", "lng-leak", "withdrawn"),
        ("scenario", "lng-leak", "restored"),
        ("role", "zeeland/reader", "role given"),
    ):
        assert step in made, (step, sorted(made))
