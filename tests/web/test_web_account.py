"""The account page in a real browser: one's sessions, ending one, changing the password.

Security review finding 5: signing out and a password change must end sessions on the
server, and each user can see their own sessions and end them.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from web_support import Browsers

from natrisk.services import accounts
from natrisk.store.database import Database

PASSWORD = "account-page-password-01"
NEW_PASSWORD = "account-page-password-02"


@pytest.fixture
def own_user(people: Browsers) -> str:
    """A user of this test alone (changing a shared user's password would upset others)."""
    name = f"acct-{uuid.uuid4().hex[:10]}"
    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            accounts.add_user(s, name, PASSWORD, "example", 0)
    finally:
        db.close()
    return name


def _sign_in(people: Browsers, name: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = people.context().new_page()
    page.goto("/login?next=/account")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    return page


def test_a_user_sees_and_ends_another_session(people: Browsers, own_user: str) -> None:
    laptop = _sign_in(people, own_user)
    phone = _sign_in(people, own_user)
    laptop.reload()
    rows = laptop.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    expect(laptop.get_by_text("this session")).to_have_count(1)
    laptop.get_by_role("button", name="End session").click()
    expect(laptop.get_by_role("status")).to_contain_text("The session has ended")
    expect(rows).to_have_count(1)
    phone.goto("/editions")
    expect(phone).to_have_url(re.compile(r"/login\?next=.*&expired=1$"))
    laptop.goto("/editions")
    expect(laptop).to_have_url(re.compile(r"/editions$"))


def test_signing_out_ends_the_session_for_a_copied_cookie(people: Browsers, own_user: str) -> None:
    page = _sign_in(people, own_user)
    cookie = next(c for c in page.context.cookies() if c["name"] == "natrisk_session")
    thief = people.context()
    thief.add_cookies(
        [{"name": "natrisk_session", "value": cookie["value"], "url": people.site.base}]
    )
    stolen = thief.new_page()
    stolen.goto("/editions")
    expect(stolen).to_have_url(re.compile(r"/editions$"))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    stolen.goto("/editions")
    expect(stolen).to_have_url(re.compile(r"/login\?next=.*&expired=1$"))


def test_changing_the_password_in_the_browser(people: Browsers, own_user: str) -> None:
    page = _sign_in(people, own_user)
    other = _sign_in(people, own_user)
    form = page.locator("form[action='/account/password']")
    form.get_by_label("Current password").fill("not-my-password-at-all")
    form.get_by_label("New password (at least 12 characters)").fill(NEW_PASSWORD)
    form.get_by_label("New password again").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("the current password is wrong")
    form = page.locator("form[action='/account/password']")
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label("New password (at least 12 characters)").fill(NEW_PASSWORD)
    form.get_by_label("New password again").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    other.goto("/editions")
    expect(other).to_have_url(re.compile(r"/login\?next=.*&expired=1$"))
    _sign_in(people, own_user, NEW_PASSWORD)


def test_the_account_page_in_dutch(people: Browsers, own_user: str) -> None:
    page = _sign_in(people, own_user)
    page.goto("/account?lang=nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw account")
    expect(page.get_by_role("button", name="Wachtwoord wijzigen")).to_be_visible()
