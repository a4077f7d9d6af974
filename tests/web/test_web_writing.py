"""Writing in the browser, as a new organisation would start (issue 14's "done means"):
the administrator makes the accounts, an analyst starts an edition and writes scenarios,
a reader is given a role and finds the work; conflicts keep both texts; reset links work once.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from web_support import Browsers, csrf_of, small_raw

PASSWORD = "writing-test-password-01"


@pytest.fixture
def own_edition(people: Browsers) -> int:
    """A draft edition of this test alone (others adopt or change the shared ones)."""
    from sqlalchemy import select

    from natrisk.io.workbook import parse_workbook
    from natrisk.services import accounts, workspace
    from natrisk.services.access import Actor
    from natrisk.store.database import Database
    from natrisk.store.models import User

    slug = f"writing-{uuid.uuid4().hex[:8]}"
    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            admin = Actor.of(s.scalars(select(User).where(User.username == "admin")).one())
            raw = small_raw(slug, "Writing picture")
            edition = workspace.import_workbook(s, None, parse_workbook(raw, {}, "w"), admin)
            for name in ("analyst1", "analyst2"):
                accounts.set_role(s, admin, edition.id, name, "analyst")
            return edition.id
    finally:
        db.close()


def _sign_in(
    people: Browsers, name: str, password: str = PASSWORD, target: str = "/editions"
) -> Page:
    page = people.context().new_page()
    page.goto(f"/login?next={target}")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    return page


def _write_scenario(page: Page, edition: str, slug: str, title: str, description: str) -> None:
    page.goto(f"{edition}/scenarios/new")
    page.get_by_label("Id (letters, digits, '-')").fill(slug)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description (Markdown)").fill(description)
    page.get_by_label("Class, range or estimate").fill("B")
    page.locator("input[name='score-5.3']").fill("C")
    page.get_by_role("button", name="Create scenario").click()
    expect(page).to_have_url(re.compile(rf"/scenarios/{slug}$"))


def test_a_new_organisation_writes_its_picture_in_the_browser(people: Browsers) -> None:
    tag = uuid.uuid4().hex[:6]
    analyst, reader = f"ana-{tag}", f"rea-{tag}"
    admin = people.page("admin")
    admin.goto("/admin")
    for name, clearance in ((analyst, "Departementaal Vertrouwelijk"), (reader, "Openbaar")):
        form = admin.locator("form[action='/admin/users']")
        form.get_by_label("Username").fill(name)
        form.get_by_label("First password (at least 12 characters)").fill(PASSWORD)
        form.get_by_label("Clearance").select_option(clearance)
        form.get_by_role("button", name="Create user").click()
        expect(admin.get_by_role("status")).to_contain_text("Saved")
    org = admin.locator("form[action='/admin/organisations']")
    org.get_by_label("Id (letters, digits, '-')").fill(f"min-{tag}")
    org.get_by_label("Name", exact=True).fill("Ministry")
    org.get_by_label("Its administrator's username").fill(f"madm-{tag}")
    org.get_by_label("Their first password").fill(PASSWORD)
    org.get_by_role("button", name="Create organisation").click()
    expect(admin.get_by_role("status")).to_contain_text("Saved")
    expect(admin.locator(f"tr[data-user='madm-{tag}']")).to_have_count(0)  # not ours to see

    page = _sign_in(people, analyst)
    page.get_by_role("link", name="New edition").click()
    page.get_by_label("Id (letters, digits, '-')").fill(f"pic-{tag}")
    page.get_by_label("Title").fill("Our first picture")
    page.get_by_role("button", name="Create edition").click()
    expect(page.get_by_text("There is no scenario in this edition's picture yet.")).to_be_visible()
    edition = re.sub(r"^https?://[^/]+", "", page.url)
    _write_scenario(page, edition, "dike", "Dike breach", "The dike **breaks** at night.")
    expect(page.locator(".md strong")).to_have_text("breaks")
    _write_scenario(
        page, edition, "grid", "Grid failure", "<script>alert(1)</script>[x](javascript:alert(1))"
    )
    expect(page.locator("main script")).to_have_count(0)
    expect(page.locator("main a[href^='javascript']")).to_have_count(0)
    _write_scenario(page, edition, "port", "Port fire", "A fire in the port.")

    page.goto(f"{edition}/scenarios/dike")
    page.get_by_text("Change the scenario (texts, theme, likelihood, classification)").click()
    form = page.get_by_test_id("scenario-form")
    form.get_by_label("Description (Markdown)").fill("The dike breaks at dawn, after a storm.")
    form.get_by_label("Class, range or estimate").fill("C (B-D)")
    form.get_by_role("button", name="Save the scenario").click()
    expect(page.get_by_role("status")).to_contain_text("The scenario was saved")
    expect(page.get_by_test_id("likelihood")).to_have_text("C (B-D)")

    page.goto(f"{edition}/scenarios/port")
    page.get_by_role("button", name="Withdraw from the picture").click()
    expect(page.get_by_test_id("withdrawn")).to_be_visible()
    page.goto(edition)
    expect(page.locator("#picture").get_by_role("link", name="Port fire")).to_have_count(0)
    page.locator("aside").get_by_role("link", name="Port fire").click()
    page.get_by_role("button", name="Restore to the picture").click()
    expect(page.get_by_role("status")).to_contain_text("back in the picture")

    page.goto(f"{edition}/settings")
    members = page.locator("#members")
    members.get_by_label("Username (another organisation's as organisation/name)").fill(reader)
    members.get_by_label("Role").select_option("reader")
    members.get_by_role("button", name="Give the role").click()
    expect(page.locator("#members table")).to_contain_text(reader)

    page.goto(f"{edition}/scenarios/dike/history")
    expect(page.locator(".diff del").first).to_be_visible()
    expect(page.locator(".diff ins", has_text="dawn,")).to_be_visible()

    other = _sign_in(people, reader)
    other.goto(edition)
    expect(other.locator("#picture").get_by_role("link", name="Dike breach").first).to_be_visible()
    expect(other.get_by_role("link", name="Write a new scenario")).to_have_count(0)


def test_two_people_edit_one_description_and_both_texts_stay(
    people: Browsers, own_edition: int
) -> None:
    first, second = people.page("analyst1"), people.page("analyst2")
    url = f"/editions/{own_edition}/scenarios/grid-failure"
    for page in (first, second):
        page.goto(url)
        page.get_by_text("Change the scenario (texts, theme, likelihood, classification)").click()
    first.get_by_test_id("scenario-form").get_by_label("Description (Markdown)").fill("Mine first.")
    first.get_by_role("button", name="Save the scenario").click()
    expect(first.get_by_role("status")).to_contain_text("saved")
    form = second.get_by_test_id("scenario-form")
    form.get_by_label("Description (Markdown)").fill("Second text, typed meanwhile.")
    form.get_by_role("button", name="Save the scenario").click()
    expect(second.get_by_role("alert")).to_contain_text("Conflict")
    expect(second.locator(".theirs")).to_contain_text("Mine first.")
    box = second.get_by_test_id("scenario-form").get_by_label("Description (Markdown)")
    expect(box).to_have_value("Second text, typed meanwhile.")
    box.fill("Mine first. Second text, typed meanwhile.")
    second.get_by_role("button", name="Save the scenario").click()
    expect(second.get_by_role("status")).to_contain_text("saved")


def test_a_saved_score_shows_and_saves_again(people: Browsers, own_edition: int) -> None:
    """Saving a score showed nothing (HX-Redirect to the same URL + #fragment only scrolled),
    and saving again was a conflict with oneself."""
    page = people.page("analyst1")
    page.goto(f"/editions/{own_edition}/scenarios/dike-breach")
    for klass in ("D", "B"):
        card = page.locator("#c-3\\.2")
        card.get_by_text("Change this score").click()
        card.locator("input[name='class']").fill(klass)
        card.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("class-3.2")).to_have_text(klass)
        expect(page.get_by_role("status")).to_contain_text("Score 3.2 saved")


def test_a_reset_link_works_once(people: Browsers) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = people.page("admin")
    admin.goto("/admin")
    form = admin.locator("form[action='/admin/users']")
    form.get_by_label("Username").fill(f"forgot-{tag}")
    form.get_by_label("First password (at least 12 characters)").fill(PASSWORD)
    form.get_by_role("button", name="Create user").click()
    admin.locator(f"tr[data-user='forgot-{tag}']").get_by_role("button", name="Reset link").click()
    link = admin.get_by_test_id("reset-link").locator("code").inner_text()
    assert csrf_of(admin)
    anon = people.context().new_page()
    anon.goto(link)
    anon.get_by_label("New password (at least 12 characters)").fill("a-brand-new-password-1")
    anon.get_by_label("New password again").fill("a-brand-new-password-1")
    anon.get_by_role("button", name="Set the password").click()
    expect(anon.get_by_role("status")).to_contain_text("Your password is set")
    anon.goto(link)
    expect(anon.get_by_role("alert")).to_contain_text("used or has expired")
    _sign_in(people, f"forgot-{tag}", "a-brand-new-password-1")
