"""Review comments in Chromium: a reply under its comment, resolve and reopen with the
keyboard, an empty reply refused at its field, and a published edition's comments closed."""

from __future__ import annotations

import uuid

from accessibility import assert_accessible
from playwright.sync_api import Page, expect
from web_support import Browsers, small_raw

from natrisk.i18n import translator


def _edition() -> dict[str, object]:
    return small_raw(f"threads-{uuid.uuid4().hex[:8]}", "Threads picture")


def _store(people: Browsers) -> int:
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
            raw = _edition()
            edition = workspace.import_workbook(s, None, parse_workbook(raw, {}, "w"), admin)
            for name, role in (
                ("analyst1", "analyst"),
                ("analyst2", "analyst"),
                ("coordinator", "coordinator"),
            ):
                accounts.set_role(s, admin, edition.id, name, role)
            return edition.id
    finally:
        db.close()


def _publish(people: Browsers, edition: int) -> None:
    """The coordinator publishes the edition (through the workflow's service)."""
    from sqlalchemy import select

    from natrisk.services import workspace
    from natrisk.services.access import Actor
    from natrisk.store.database import Database
    from natrisk.store.models import User

    db = Database(people.site.server.url)
    try:
        with db.session() as s:
            who = s.scalars(select(User).where(User.username == "coordinator")).one()
            for to in ("review", "adopted", "published"):
                workspace.transition(s, Actor.of(who), edition, to, "end of the review")
    finally:
        db.close()


def _csrf(page: Page) -> str:
    return str(page.locator("input[name=csrf_token]").first.get_attribute("value"))


def test_replying_resolving_and_reopening_with_the_keyboard(people: Browsers) -> None:
    edition = _store(people)
    url = f"/editions/{edition}/scenarios/dike-breach"
    author = people.page("analyst2")
    author.goto(url)
    form = author.get_by_test_id("comment-form")
    form.get_by_label("Comment").fill("Is the breach width of 200 m right?")
    form.get_by_role("button", name="Add comment").click()

    page = people.page("analyst1")
    page.goto(url)
    comment = page.get_by_test_id("comment")
    expect(comment).to_have_count(1)
    expect(comment.get_by_test_id("comment-state")).to_have_text("Open: not yet resolved")
    # a reply of spaces: said at its field, nothing stored
    comment.get_by_label("Reply").fill("   ")
    comment.get_by_role("button", name="Send reply").click()
    comment = page.get_by_test_id("comment")
    expect(comment.locator(".field-error")).to_contain_text("cannot be empty or only spaces")
    expect(comment.get_by_label("Reply")).to_have_attribute("aria-invalid", "true")
    expect(comment.get_by_test_id("reply")).to_have_count(0)
    # typed and sent with the keyboard alone
    comment.get_by_label("Reply").focus()
    page.keyboard.type("Yes: the 2024 survey measured 190-210 m.")
    page.keyboard.press("Tab")
    expect(comment.get_by_role("button", name="Send reply")).to_be_focused()
    page.keyboard.press("Enter")
    comment = page.get_by_test_id("comment")
    expect(comment.get_by_test_id("reply")).to_have_count(1)
    expect(comment.locator("ol.replies")).to_contain_text("analyst1")
    expect(comment.locator("ol.replies")).to_contain_text("the 2024 survey measured 190-210 m")
    comment.get_by_role("button", name="Resolve").focus()
    page.keyboard.press("Enter")
    state = page.get_by_test_id("comment").get_by_test_id("comment-state")
    expect(state).to_contain_text("Resolved by analyst1 on")
    assert_accessible(page, "a scenario with a resolved comment and its reply")

    # its author reopens it (an old tab resolving it again is told so, nothing changes)
    author.reload()
    comment = author.get_by_test_id("comment")
    comment.get_by_role("button", name="Reopen").click()
    expect(author.get_by_test_id("comment-state")).to_have_text("Open: not yet resolved")
    page.get_by_test_id("comment").get_by_role("button", name="Reopen").click()
    expect(page.get_by_test_id("comment").locator(".field-error")).to_contain_text(
        "only a resolved comment can be reopened"
    )
    expect(page.get_by_test_id("comment-state")).to_have_text("Open: not yet resolved")

    # in Dutch the forms carry Dutch labels
    nl = translator("nl")
    page.goto(url + "?lang=nl")
    comment = page.get_by_test_id("comment")
    expect(comment.get_by_role("textbox", name=nl("Reply"), exact=True)).to_be_visible()
    expect(comment.get_by_role("button", name=nl("Resolve"))).to_be_visible()
    assert nl("Reply") != "Reply" and nl("Resolve") != "Resolve"

    # published: the open comment is closed, no reply or resolve form is offered
    _publish(people, edition)
    page.goto(url + "?lang=en")
    expect(page.get_by_test_id("comment-state")).to_have_text("Closed: the edition was published")
    expect(page.get_by_test_id("review-closed")).to_be_visible()
    expect(page.get_by_test_id("reply-form")).to_have_count(0)
    expect(page.get_by_test_id("settle-form")).to_have_count(0)
    comment_id = str(page.get_by_test_id("comment").get_attribute("id")).removeprefix("comment-")
    r = page.request.post(
        f"{url}/comments/{comment_id}/replies",
        form={"csrf_token": _csrf(page), "body": "too late"},
    )
    assert r.status == 409, r.status
    page.reload()
    expect(page.get_by_test_id("reply")).to_have_count(1)
