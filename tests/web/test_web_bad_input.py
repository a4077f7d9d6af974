"""Bad input on every form, in a real browser: empty, too long, wrong type, script tags,
double submits, an expired session, a post without the CSRF token, a broken workbook.

Where the browser itself refuses (required, maxlength, min), the test first shows that and
then takes the check away (as a crafted request would) to prove the server refuses too.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect
from web_support import (
    SECRET_KEY,
    Browsers,
    bad_workbook_yaml,
    csrf_of,
    expired_token,
    fill_sign_in,
    shot,
    small_raw,
)

SCRIPT = '<script>alert("xss")</script><img src=x onerror="alert(2)">'


def open_scenario(page: Page, edition: int, slug: str) -> None:
    page.goto(f"/editions/{edition}/scenarios/{slug}")
    expect(page.get_by_role("heading", name="Scores per criterion")).to_be_visible()


def score_form(page: Page, criterion: str) -> Locator:
    """Open a criterion's "Change this score" and return its form."""
    card = page.locator(f'section.score[id="c-{criterion}"]')
    card.get_by_text("Change this score").click()
    return card.get_by_test_id(f"form-{criterion}")


def result_box(page: Page, criterion: str) -> Locator:
    return page.locator(f"#result-{criterion.replace('.', '-')}")


def save(page: Page, form: Locator) -> None:
    with page.expect_response(lambda r: r.request.method == "POST" and "/scores/" in r.url):
        form.get_by_role("button", name="Save").click()


def shown_class(page: Page, criterion: str) -> Locator:
    return page.get_by_test_id(f"class-{criterion}")


def set_value(field: Locator, value: str) -> None:
    """Put a value in a field the way a crafted request would: past maxlength and pattern."""
    field.evaluate(
        "(e, v) => { e.removeAttribute('maxlength'); e.removeAttribute('required');"
        " e.removeAttribute('pattern'); e.removeAttribute('min'); e.value = v; }",
        value,
    )


def no_required(form: Locator) -> None:
    form.evaluate(
        "f => { f.noValidate = true; f.querySelectorAll('[required]')"
        ".forEach(e => e.removeAttribute('required')); }"
    )


def error_page(page: Page, code: int) -> Locator:
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Something is not right ({code})")
    return page.locator("main [role=alert]")


def track_posts(page: Page) -> list[str]:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    return posts


# ---------------------------------------------------------------------------- empty


def test_empty_required_fields(people: Browsers) -> None:
    main = people.site.world.main
    slug = "avian-influenza-zoonosis"
    page = people.page("analyst1")
    open_scenario(page, main, slug)
    posts = track_posts(page)

    # the browser refuses an empty comment ...
    comments = page.locator("#comments")
    comments.get_by_role("button", name="Add comment").click()
    body = comments.get_by_label("Comment")
    assert body.evaluate("e => e.validity.valueMissing")
    page.wait_for_timeout(300)
    assert posts == []
    # ... and so does the server, empty or blank
    for text in ("", "   \n  "):
        open_scenario(page, main, slug)
        form = page.locator("#comments form")
        no_required(form)
        form.get_by_label("Comment").fill(text)
        form.get_by_role("button", name="Add comment").click()
        # the message at its field, the page and the form kept (issue 14, bad input)
        expect(page.locator("#comments #err-body")).to_contain_text("comment is required")
    open_scenario(page, main, slug)
    expect(page.locator("#comments")).to_contain_text("No comments yet.")

    # a score with neither class nor quantity
    form = score_form(page, "5.3")
    form.get_by_label("Class or range").fill("")
    form.get_by_label("Rationale").fill("")
    save(page, form)
    expect(result_box(page, "5.3")).to_contain_text("give a class (such as C or B-C) or a quantity")
    page.reload()
    expect(shown_class(page, "5.3")).to_have_text("B")

    # the expert session's invitation, as the coordinator
    coord = people.page("coordinator")
    coord.goto(f"/editions/{main}")
    invite = coord.locator("form[action$='/invitations']")
    invite.get_by_role("button", name="Invite").click()
    assert invite.get_by_label("Experts (usernames)").evaluate("e => e.validity.valueMissing")
    no_required(invite)
    invite.get_by_label("Experts (usernames)").fill("expert1")
    invite.get_by_role("button", name="Invite").click()
    expect(coord.locator("#err-scenario")).to_contain_text("choose at least one scenario")
    expect(coord.get_by_label("Experts (usernames)")).to_have_value("expert1")
    coord.goto(f"/editions/{main}")
    invite = coord.locator("form[action$='/invitations']")
    no_required(invite)
    invite.get_by_label("Scenarios").select_option(slug)
    invite.get_by_role("button", name="Invite").click()
    expect(coord.locator("#err-experts")).to_contain_text("experts is required")

    # the sign-in form with nothing in it
    anon = people.page()
    anon.goto("/login")
    form = anon.locator("form[action='/login']")
    form.get_by_role("button", name="Sign in").click()
    expect(anon).to_have_url(re.compile(r"/login$"))  # the browser kept it
    no_required(form)
    form.get_by_role("button", name="Sign in").click()
    expect(anon.locator("main [role=alert]")).to_contain_text("unknown user or wrong password")


def test_empty_judgement(people: Browsers) -> None:
    main = people.site.world.main
    slug = "medicine-supply-disruption"
    coord = people.page("coordinator")
    coord.goto(f"/editions/{main}")
    invite = coord.locator("form[action$='/invitations']")
    invite.get_by_label("Experts (usernames)").fill("expert2")
    invite.get_by_label("Scenarios").select_option(slug)
    invite.get_by_role("button", name="Invite").click()
    expect(coord.get_by_text("The experts are invited.")).to_be_visible()

    expert = people.page("expert2")
    open_scenario(expert, main, slug)
    form = expert.get_by_test_id("judge-3.1")
    form.get_by_role("button", name="Submit judgement").click()
    assert form.get_by_label("Class or range").evaluate("e => e.validity.valueMissing")
    no_required(form)
    form.get_by_role("button", name="Submit judgement").click()
    expect(error_page(expert, 400)).to_contain_text("class is required")
    for bad, says in (("Q", "not in this framework"), ("D-B", "reversed")):
        open_scenario(expert, main, slug)
        form = expert.get_by_test_id("judge-3.1")
        form.get_by_label("Class or range").fill(bad)
        form.get_by_role("button", name="Submit judgement").click()
        expect(error_page(expert, 400)).to_contain_text(says)
    open_scenario(expert, main, slug)
    expect(expert.get_by_test_id("judgements-3.1")).to_have_count(0)


# ---------------------------------------------------------------------------- too long


def test_too_long_text(people: Browsers) -> None:
    main = people.site.world.main
    slug = "avian-influenza-zoonosis"
    page = people.page("analyst2")
    open_scenario(page, main, slug)

    # the browser stops typing at maxlength
    form = score_form(page, "5.2")
    klass = form.get_by_label("Class or range")
    klass.press_sequentially("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert len(klass.input_value()) == 20

    cases = (
        ("Class or range", "C" * 21, "class is too long (21 characters; at most 20)"),
        ("Rationale", "r" * 20_001, "rationale is too long (20,001 characters; at most 20,000)"),
        ("Reason for the change", "w" * 5_001, "reason is too long (5,001 characters"),
        ("Sources (one per line)", "s" * 20_001, "sources is too long"),
    )
    for label, value, says in cases:
        open_scenario(page, main, slug)
        form = score_form(page, "5.2")
        form.get_by_label("Class or range").fill("C")
        set_value(form.get_by_label(label), value)
        save(page, form)
        expect(result_box(page, "5.2")).to_contain_text(says)
    page.reload()
    expect(shown_class(page, "5.2")).to_have_text("X")  # still not scored: nothing stored

    form = page.locator("#comments form")
    set_value(form.get_by_label("Comment"), "c" * 20_001)
    form.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments #err-body")).to_contain_text("comment is too long")

    anon = people.page()
    anon.goto("/login")
    set_value(anon.get_by_label("Username"), "u" * 101)
    anon.get_by_label("Password").fill("whatever-password")
    anon.get_by_role("button", name="Sign in").click()
    expect(error_page(anon, 400)).to_contain_text("username is too long")


# ---------------------------------------------------------------------------- wrong type


def test_wrong_types(people: Browsers) -> None:
    main = people.site.world.main
    slug = "avian-influenza-zoonosis"
    page = people.page("analyst2")
    open_scenario(page, main, slug)

    cases = (
        ({"or quantity": "abc"}, "quantity: “abc” is not a number"),
        ({"or quantity": "12", "to": "many"}, "“many” is not a number"),
        ({"or quantity": "-5"}, "negative"),
        ({"Class or range": "Q"}, "not in this framework"),
    )
    for fields, says in cases:
        open_scenario(page, main, slug)
        form = score_form(page, "2.1")
        for label, value in fields.items():
            set_value(form.get_by_label(re.compile(f"^{label}")), value)
        save(page, form)
        expect(result_box(page, "2.1")).to_contain_text(says)
    open_scenario(page, main, slug)
    form = score_form(page, "2.1")
    set_value(form.locator("input[name=version]"), "one")
    form.get_by_label("Class or range").fill("C")
    save(page, form)
    expect(result_box(page, "2.1")).to_contain_text("the version must be a number")
    open_scenario(page, main, slug)
    expect(page.locator('section.score[id="c-2.1"] .current strong').first).to_have_text("0 – 15")

    # the sensitivity form: the browser keeps the number in range; the server too
    page.goto(f"/editions/{main}/sensitivity")
    samples = page.get_by_label("Samples")
    samples.fill("50")
    page.get_by_role("button", name="Start").click()
    assert samples.evaluate("e => e.validity.rangeUnderflow")
    set_value(samples, "50")
    page.get_by_role("button", name="Start").click()
    expect(error_page(page, 400)).to_contain_text("between 100 and 1,000,000")
    r = page.request.post(
        f"/editions/{main}/sensitivity",
        form={"csrf_token": csrf_of(page.context), "samples": "abc"},
        max_redirects=0,
    )
    assert r.status == 400 and "whole number" in r.text()

    # an unknown method in the picture's address
    page.goto(f"/editions/{main}?method=astrology")
    expect(error_page(page, 400)).to_contain_text("unknown method")


def test_malformed_addresses_give_the_error_page(people: Browsers) -> None:
    """Text where a number belongs in a page's address: the error page, not a crash."""
    page = people.page("analyst1")
    main = people.site.world.main
    for address in (
        "/editions/not-a-number",
        f"/editions/{main}/sensitivity?run=abc",
        f"/editions/{main}/diff?to=x",
        "/runs/abc",
        "/editions/99999999999999999999",
    ):
        response = page.goto(address)
        assert response is not None
        assert 400 <= response.status < 500, (address, response.status)
        assert response.headers["content-type"].startswith("text/html"), address
        expect(page.get_by_role("heading", level=1)).to_contain_text("Something is not right")


# ---------------------------------------------------------------------------- script tags


def test_script_tags_are_shown_as_text(people: Browsers) -> None:
    main = people.site.world.main
    slug = "antimicrobial-resistant-outbreak"
    page = people.page("analyst1")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_scenario(page, main, slug)

    form = score_form(page, "5.3")
    form.get_by_label("Class or range").fill("C")
    form.get_by_label("Rationale").fill(f"Rationale {SCRIPT}")
    form.get_by_label("Sources (one per line)").fill(f"Source {SCRIPT}")
    form.get_by_label("Reason for the change").fill(f"Reason {SCRIPT}")
    save(page, form)
    # the saved score's own address loads first; going elsewhere before would abort it
    expect(page).to_have_url(re.compile(r"saved="))
    open_scenario(page, main, slug)
    card = page.locator('section.score[id="c-5.3"]')
    expect(card.locator(".rationale")).to_have_text(f"Rationale {SCRIPT}")
    expect(card.locator("ul.sources li")).to_have_text(f"Source {SCRIPT}")
    card.get_by_text(re.compile(r"History \(")).click()
    expect(card.locator("ol.history li").last).to_contain_text(f"Reason {SCRIPT}")

    comments = page.locator("#comments")
    comments.get_by_label("Criterion (optional)").fill("<b>5.3</b>")
    comments.get_by_label("Comment").fill(f"Comment {SCRIPT}")
    comments.get_by_role("button", name="Add comment").click()
    # no such criterion: said at the field, the markup as text, the comment kept to fix
    comments = page.locator("#comments")
    expect(comments.locator("#err-criterion")).to_contain_text("<b>5.3</b>")
    expect(comments.get_by_label("Comment")).to_have_value(f"Comment {SCRIPT}")
    comments.get_by_label("Criterion (optional)").fill("5.3")
    comments.get_by_role("button", name="Add comment").click()
    expect(page).to_have_url(re.compile(r"#comments$"))
    expect(page.locator("article.comment").last).to_contain_text(f"Comment {SCRIPT}")

    # in an error message that repeats what was typed (past the field's pattern)
    form = score_form(page, "5.2")
    klass = form.get_by_label("Class or range")
    klass.fill("<i>x</i>")
    form.get_by_role("button", name="Save").click()
    assert klass.evaluate("e => e.validity.patternMismatch")  # the browser objects first
    set_value(klass, "<i>x</i>")
    save(page, form)
    expect(result_box(page, "5.2")).to_contain_text("<i>x</i>")

    page.wait_for_timeout(500)  # any injected handler would have fired by now
    assert dialogs == []
    assert page.locator("main img[src=x], main i, main b").count() == 0
    assert SCRIPT not in page.evaluate("() => [...document.scripts].map(s => s.text).join()")
    shot(page, "scenario-script-tags")


def test_script_tags_in_the_invitation_are_shown_as_text(people: Browsers) -> None:
    main = people.site.world.main
    coord = people.page("coordinator")
    dialogs: list[str] = []
    coord.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    coord.goto(f"/editions/{main}")
    invite = coord.locator("form[action$='/invitations']")
    invite.get_by_label("Experts (usernames)").fill("<script>alert(1)</script>")
    invite.get_by_label("Scenarios").select_option("financial-crisis")
    invite.get_by_role("button", name="Invite").click()
    expect(coord.locator("#err-experts")).to_contain_text("no user '<script>alert(1)</script>'")
    coord.wait_for_timeout(300)
    assert dialogs == []


# ---------------------------------------------------------------------------- double submit


def test_double_submit_of_a_score_is_a_conflict(people: Browsers) -> None:
    main = people.site.world.main
    slug = "deliberate-release-biological-agent"
    url = f"/editions/{main}/scenarios/{slug}"
    page = people.page("analyst1")
    open_scenario(page, main, slug)

    # the same form sent twice (a double click, a resubmission)
    form = score_form(page, "5.3")
    fields = {
        "csrf_token": csrf_of(page.context),
        "version": form.locator("input[name=version]").input_value(),
        "class": "E",
        "rationale": "sent twice",
    }
    first = page.request.post(f"{url}/scores/5.3", form=fields, max_redirects=0)
    assert first.status == 303, first.status
    second = page.request.post(f"{url}/scores/5.3", form=fields, max_redirects=0)
    assert second.status == 409, second.status
    assert "Conflict" in second.text()

    # a person double-clicking Save: one change is stored, never two
    open_scenario(page, main, slug)
    form = score_form(page, "5.1")
    form.get_by_label("Class or range").fill("D")
    form.get_by_role("button", name="Save").dblclick()
    page.wait_for_timeout(1500)
    open_scenario(page, main, slug)
    expect(shown_class(page, "5.3")).to_have_text("E")
    expect(shown_class(page, "5.1")).to_have_text("D")
    card = page.locator('section.score[id="c-5.1"]')
    card.get_by_text(re.compile(r"History \(")).click()
    expect(card.locator("ol.history li", has_text="analyst1")).to_have_count(1)


def test_double_submit_of_a_comment_stores_it_once(people: Browsers) -> None:
    main = people.site.world.main
    slug = "chemical-accident-port"
    page = people.page("analyst2")
    open_scenario(page, main, slug)
    comments = page.locator("#comments")
    comments.get_by_label("Comment").fill("Please check the wind direction (double click)")
    comments.get_by_role("button", name="Add comment").dblclick()
    expect(page).to_have_url(re.compile(r"#comments$"))
    page.wait_for_timeout(1000)
    open_scenario(page, main, slug)
    expect(page.locator("article.comment")).to_have_count(1)


# ---------------------------------------------------------------------------- session


def test_missing_session_goes_to_sign_in_and_back(people: Browsers) -> None:
    main = people.site.world.main
    slug = "nuclear-accident-abroad"
    page = people.page("analyst1")
    open_scenario(page, main, slug)
    form = score_form(page, "5.3")
    form.get_by_label("Class or range").fill("D")
    form.get_by_label("Rationale").fill("saved before the session ended")
    save(page, form)
    # the POST's 303 arrives before the browser follows it: wait for the saved page itself,
    # or the next navigation would interrupt that one (ERR_ABORTED)
    page.wait_for_url(re.compile(r"\?saved=score-5\.3"), wait_until="load")
    open_scenario(page, main, slug)
    expect(shown_class(page, "5.3")).to_have_text("D")

    page.context.clear_cookies(name="natrisk_session")
    form = score_form(page, "5.3")
    form.get_by_label("Class or range").fill("E")
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    fill_sign_in(page, "analyst1")
    expect(
        page, "after signing in, the browser must be back on the page where the form was sent"
    ).to_have_url(re.compile(rf"/editions/{main}/scenarios/{slug}"))
    expect(shown_class(page, "5.3")).to_have_text("D")  # the saved value is kept
    expect(page.locator('section.score[id="c-5.3"] .rationale')).to_have_text(
        "saved before the session ended"
    )


def test_expired_session_goes_to_sign_in_and_back(people: Browsers) -> None:
    world = people.site.world
    slug = "tanker-grounding-wadden"
    page = people.page("analyst2")
    open_scenario(page, world.main, slug)
    comments = page.locator("#comments")
    comments.get_by_label("Comment").fill("Saved before the session expired")
    comments.get_by_role("button", name="Add comment").click()
    expect(page.locator("article.comment")).to_have_count(1)

    token = expired_token(people.site.server.url, world.user_ids["analyst2"])
    page.context.add_cookies([{"name": "natrisk_session", "value": token, "url": people.site.base}])
    comments.get_by_label("Comment").fill("Typed after the session expired")
    comments.get_by_role("button", name="Add comment").click()
    expect(page).to_have_url(re.compile(r"/login\?next=.*&expired=1$"))
    expect(page.get_by_role("status")).to_contain_text("Your session has expired")
    fill_sign_in(page, "analyst2")
    expect(
        page, "after signing in, the browser must be back on the page where the form was sent"
    ).to_have_url(re.compile(rf"/editions/{world.main}/scenarios/{slug}"))
    expect(page.locator("article.comment")).to_have_count(1)
    expect(page.locator("article.comment")).to_contain_text("Saved before the session expired")

    # a page opened with an expired session comes back after signing in
    page.context.add_cookies([{"name": "natrisk_session", "value": token, "url": people.site.base}])
    page.goto(f"/editions/{world.main}/sensitivity")
    expect(page).to_have_url(re.compile(r"/login\?next=.*&expired=1$"))
    fill_sign_in(page, "analyst2")
    expect(page).to_have_url(re.compile(rf"/editions/{world.main}/sensitivity$"))

    # a forged token is no session at all
    page.context.add_cookies(
        [{"name": "natrisk_session", "value": token[:-4] + "AAAA", "url": people.site.base}]
    )
    page.goto("/editions")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert SECRET_KEY not in page.content()


# ---------------------------------------------------------------------------- CSRF


def test_posts_without_the_csrf_token_are_refused(people: Browsers) -> None:
    world = people.site.world
    slug = "shipping-route-blockade"
    url = f"/editions/{world.main}/scenarios/{slug}"
    page = people.page("coordinator")
    open_scenario(page, world.main, slug)
    version = score_form(page, "5.3").locator("input[name=version]").input_value()

    posts = {
        f"{url}/scores/5.3": {"version": version, "class": "E", "rationale": "forged"},
        f"{url}/comments": {"body": "forged comment"},
        f"/editions/{world.main}/transition": {"to": "review", "reason": "forged"},
        f"/editions/{world.main}/invitations": {"experts": "expert1", "scenario": slug},
        f"/editions/{world.main}/sensitivity": {"samples": "100"},
        "/logout": {},
    }
    for target, fields in posts.items():
        for token in (None, "wrong-token"):
            form = dict(fields, **({"csrf_token": token} if token else {}))
            r = page.request.post(target, form=form, max_redirects=0)
            assert r.status == 403, (target, token, r.status)
            assert "Something is not right (403)" in r.text(), target
            assert "did not come from this site" in r.text(), target
    r = page.request.post(
        "/import",
        multipart={"file": {"name": "w.yaml", "mimeType": "text/yaml", "buffer": b"x: 1"}},
        max_redirects=0,
    )
    assert r.status == 403

    # the refusal as a person sees it: a form whose token was tampered with
    form = page.locator("#comments form")
    form.locator("input[name=csrf_token]").evaluate("e => e.remove()")
    form.get_by_label("Comment").fill("no token")
    form.get_by_role("button", name="Add comment").click()
    expect(error_page(page, 403)).to_contain_text("reload the page and try again")
    shot(page, "csrf-refused", full_page=False)

    open_scenario(page, world.main, slug)  # nothing changed, still signed in
    expect(shown_class(page, "5.3")).to_have_text(re.compile("^[A-E]"))
    expect(page.locator('section.score[id="c-5.3"] .rationale')).not_to_have_text("forged")
    expect(page.locator("article.comment")).to_have_count(0)
    page.goto(f"/editions/{world.main}")
    expect(page.locator(".heading .status")).to_have_text("draft")


# ---------------------------------------------------------------------------- import


def _editions(page: Page) -> list[str]:
    page.goto("/editions")
    return page.locator("table.list tbody tr").all_inner_texts()


def upload(page: Page, name: str, data: bytes) -> None:
    page.goto("/import")
    page.get_by_label("Workbook file").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )
    page.get_by_role("button", name="Import").click()


def test_import_with_problems_lists_each_and_stores_nothing(people: Browsers) -> None:
    page = people.page("admin")
    before = _editions(page)

    upload(page, "broken.yaml", bad_workbook_yaml().encode())
    table = page.get_by_test_id("problems")
    expect(table, "the import page must list the problems (not an error 500)").to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(4)
    expected = [
        ("scenario first-bad", "impacts.2.1", "negative"),
        ("scenario first-bad", "likelihood", "class 'Q' is not in this framework"),
        ("scenario second-bad", "impacts.9.9", "unknown criterion"),
        ("scenario second-bad", "impacts.5.3", "class 'Z' is not in this framework"),
    ]
    for where, field, message in expected:
        row = rows.filter(has=page.locator("code", has_text=re.compile(f"^{re.escape(field)}$")))
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_contain_text(where)
        expect(row.locator("td").nth(2)).to_contain_text(message)
    shot(page, "import-problems")
    assert _editions(page) == before

    for name, data, says in (
        ("notes.txt", b"hello", re.compile(r"\.yaml, \.json or \.xlsx")),
        ("garbage.yaml", b"{{{{ not: [yaml", "garbage.yaml"),
        ("empty.json", b"", "empty"),
        ("list.json", b"[1, 2, 3]", "not a workbook"),
    ):
        upload(page, name, data)
        expect(page.get_by_role("heading", level=1)).to_have_text("Import a workbook")
        expect(page.locator("main .msg.error")).to_contain_text(says)
    assert _editions(page) == before

    page.goto("/import")
    form = page.locator("form[action='/import']")
    no_required(form)
    form.get_by_role("button", name="Import").click()
    expect(page.locator("main .msg.error")).to_contain_text("choose a workbook file")
    assert _editions(page) == before

    # a reader has no Import in the navigation and is refused all the same (analysts and
    # coordinators import: tests/web/test_web_found.py)
    reader = people.page("reader")
    expect(reader.get_by_role("navigation").get_by_role("link", name="Import")).to_have_count(0)
    import yaml

    upload(reader, "fine.yaml", yaml.safe_dump(small_raw("sneaky", "Sneaky")).encode())
    expect(reader.locator("main .msg.error")).to_contain_text("importing a workbook is for")
    assert _editions(page) == before


def test_import_lists_schema_and_framework_problems_together(people: Browsers) -> None:
    """One wrong field must not hide the other problems (as `natrisk validate` shows them)."""
    page = people.page("admin")
    before = _editions(page)
    text = bad_workbook_yaml().replace(
        "malicious: false\n    likelihood: B", "malicious: perhaps\n    likelihood: B"
    )
    upload(page, "mixed.yaml", text.encode())
    rows = page.get_by_test_id("problems").locator("tbody tr")
    expect(rows.filter(has_text="malicious")).to_have_count(1)
    expect(rows.filter(has_text="line 17")).to_have_count(1)
    # the framework's findings on the valid scenario are listed as well
    missing = "the framework's findings on the valid scenario must be listed too"
    expect(rows.filter(has_text="class 'Q' is not in this framework"), missing).to_have_count(1)
    expect(rows.filter(has_text="negative"), missing).to_have_count(1)
    assert _editions(page) == before
