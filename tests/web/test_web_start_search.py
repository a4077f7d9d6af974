"""The start page and the search in Chromium, on the shared world with planted markers: each
user sees what awaits them, and nobody finds or counts what is above their clearance."""

from __future__ import annotations

import re

from accessibility import assert_accessible
from playwright.sync_api import expect
from web_support import M_DESC, M_TITLE, MARKERS, Browsers, markers_in

from natrisk.services import review
from natrisk.services.access import Actor
from natrisk.store.database import Database
from natrisk.store.models import User


def _invite(people: Browsers, expert: str, slugs: list[str]) -> None:
    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            admin = Actor.of(s.get(User, people.site.world.user_ids["admin"]))  # type: ignore[arg-type]
            review.invite(s, admin, people.site.world.planted, expert, slugs)
    finally:
        db.close()


def test_sign_in_leads_to_ones_own_work(people: Browsers) -> None:
    _invite(people, "expert2", ["port-fire"])
    page = people.context().new_page()
    page.goto("/login")
    page.get_by_label("Username").fill("expert2")
    page.get_by_label("Password").fill("expert2-web-correct-horse")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    invitations = page.locator("#invitations")
    expect(invitations.get_by_role("link", name="Fire in a chemical port")).to_be_visible()
    expect(invitations).to_contain_text("awaiting your judgement")
    expect(page.locator("#by-status")).to_contain_text("Planted picture 2026")
    assert_accessible(page, "the start page")
    invitations.get_by_role("link", name="Fire in a chemical port").click()
    expect(page).to_have_url(re.compile(r"/scenarios/port-fire#judgements$"))


def test_the_start_page_speaks_dutch_and_keeps_secrets(people: Browsers) -> None:
    page = people.page("reader")
    page.goto("/?lang=nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw werk")
    expect(page.locator("#invitations")).to_contain_text("Geen uitnodiging")
    assert markers_in(page.content()) == []
    assert_accessible(page, "de startpagina")


def test_search_never_shows_or_counts_what_is_above_clearance(people: Browsers) -> None:
    admin = people.page("admin")
    admin.goto(f"/search?q={M_DESC}")
    expect(admin.locator("#search-count")).to_have_text(re.compile(r"^1 result"))
    expect(admin.locator("li.hit").first).to_contain_text(M_TITLE)
    reader = people.page("reader")
    for word in (M_DESC, M_TITLE, "MARKER"):
        reader.goto(f"/search?q={word}")
        expect(reader.locator("#search-count")).to_contain_text("0 results")
        assert markers_in(reader.content(), [m for m in MARKERS if m != word]) == []
        expect(reader.locator("ul.tabs")).to_contain_text("Scenarios (0)")
    # what the reader may see is found, a page at a time
    reader.goto("/search?q=a")
    count = reader.locator("#search-count").inner_text()
    total = int(re.match(r"(\d+)", count).group(1))  # type: ignore[union-attr]
    assert total > 20
    expect(reader.locator("li.hit")).to_have_count(20)
    reader.get_by_role("link", name="Next").click()
    expect(reader).to_have_url(re.compile(r"page=2"))
    expect(reader.locator("nav.pages")).to_contain_text("Page 2 of")
    assert markers_in(reader.content()) == []
    assert_accessible(reader, "a second page of results")


def test_bad_search_input_is_answered_on_the_page(people: Browsers) -> None:
    page = people.page("reader")
    page.goto("/search?q=" + "x" * 201)
    expect(page.get_by_role("alert")).to_contain_text("too long")
    expect(page.get_by_label("Words to find")).to_have_value("x" * 200)
    page.goto("/search?q=flood&kind=planet")
    expect(page.get_by_role("alert")).to_contain_text("unknown kind")
    page.goto("/search?q=flood&page=abc")
    expect(page.get_by_role("alert")).to_contain_text("whole number")
    page.goto('/search?q="%20OR%20*%20NEAR(')
    expect(page.locator("#search-count")).to_be_visible()


def test_search_on_postgresql_keeps_the_same_secrets(pg_people: Browsers) -> None:
    """The same pages on a PostgreSQL server: its own full-text search, the same filters."""
    admin = pg_people.page("admin")
    admin.goto(f"/search?q={M_DESC}")
    expect(admin.locator("#search-count")).to_have_text(re.compile(r"^1 result"))
    reader = pg_people.page("reader")
    reader.goto(f"/search?q={M_DESC}")
    expect(reader.locator("#search-count")).to_contain_text("0 results")
    reader.goto("/search?q=floods&kind=scenario")  # English stemming: 'floods' finds 'flood'
    expect(reader.locator("li.hit").first).to_be_visible()
    expect(reader.locator("li.hit mark").first).to_be_visible()
    assert markers_in(reader.content()) == []
    reader.goto("/")
    expect(reader.locator("#by-status")).to_contain_text("Planted picture 2026")
