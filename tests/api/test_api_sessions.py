"""Sessions kept on the server (security review findings 2, 5, 9 and 13).

- a token of one instance is refused by another, even for the same user id, with or
  without a shared NATRISK_SECRET_KEY;
- signing out, changing the password and deactivation end sessions at once;
- each user sees and ends their own sessions;
- the CSRF token is bound to the session, and the sign-in form has one;
- usernames are unique per organisation, so creating a name another organisation uses
  tells nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Http, assert_error

from natrisk.api.app import create_app
from natrisk.services import accounts
from natrisk.store.database import Database

PASSWORD = "a-long-enough-password-1"
NEW_PASSWORD = "another-long-password-2"
SG = "Staatsgeheim Geheim"


def _instance(url: str) -> tuple[Database, Http]:
    """A database with an administrator (uid 1) and a reader (uid 2), and its app."""
    db = Database(url)
    with db.session() as s:
        accounts.add_user(s, "admin", PASSWORD, "nctv", SG, True)
        accounts.add_user(s, "reader", PASSWORD, "nctv", 0)
    return db, Http(create_app(db))


@pytest.fixture
def one(db_url: str, fast_passwords: None) -> Iterator[tuple[Database, Http]]:
    db, http = _instance(db_url)
    yield db, http
    http.close()
    db.close()


def _login(http: Http, name: str = "admin", password: str = PASSWORD) -> dict[str, str]:
    r = http.client().post("/api/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    return {"token": body["token"], "csrf": body["csrf_token"]}


# ---------------------------------------------------------------------------- instances


@pytest.mark.parametrize("shared_secret", [False, True], ids=["own-keys", "shared-secret"])
def test_a_token_of_one_instance_is_refused_by_another(
    tmp_path: Path, fast_passwords: None, monkeypatch: pytest.MonkeyPatch, shared_secret: bool
) -> None:
    if shared_secret:  # one operator's secret for both: each database still derives its own key
        monkeypatch.setenv("NATRISK_SECRET_KEY", "one-secret-for-every-instance-0123456789")
    training, t_http = _instance(f"sqlite:///{tmp_path / 'training.db'}")
    production, p_http = _instance(f"sqlite:///{tmp_path / 'production.db'}")
    try:
        token = _login(t_http)["token"]
        assert t_http.client(token).get("/api/me").status_code == 200
        err = assert_error(p_http.client(token).get("/api/me"), 401)
        assert "sign in" in err["message"]
        cookie = p_http.client(headers={"cookie": f"natrisk_session={token}"})
        assert_error(cookie.get("/api/me"), 401)
        assert p_http.client(_login(p_http)["token"]).get("/api/me").status_code == 200
    finally:
        t_http.close()
        p_http.close()
        training.close()
        production.close()


# ---------------------------------------------------------------------------- ending sessions


def test_signing_out_ends_the_token_and_the_cookie(one: tuple[Database, Http]) -> None:
    _, http = one
    bearer = _login(http)
    c = http.client(bearer["token"])
    assert c.post("/api/logout").status_code == 200
    assert "ended" in assert_error(c.get("/api/me"), 401)["message"]
    # the cookie session of the browser: a captured cookie dies with the sign-out
    browser = http.client()
    r = browser.post("/api/login", json={"username": "admin", "password": PASSWORD})
    cookie, csrf = r.cookies["natrisk_session"], r.json()["csrf_token"]
    captured = http.client(headers={"cookie": f"natrisk_session={cookie}"})
    assert captured.get("/api/me").status_code == 200
    assert browser.post("/api/logout", headers={"x-csrf-token": csrf}).status_code == 200
    assert_error(captured.get("/api/me"), 401)
    # another session of the same user is not touched
    other = _login(http)
    assert http.client(other["token"]).get("/api/me").status_code == 200


def test_changing_the_password_ends_every_session(one: tuple[Database, Http]) -> None:
    _, http = one
    first, second = _login(http), _login(http)
    c = http.client(first["token"])
    wrong = {"current_password": "not-the-password-at-all", "new_password": NEW_PASSWORD}
    assert_error(c.post("/api/me/password", json=wrong), 400)
    assert http.client(second["token"]).get("/api/me").status_code == 200
    body = c.ok(
        "POST",
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert body["sessions_ended"] >= 2
    for old in (first, second):
        assert_error(http.client(old["token"]).get("/api/me"), 401)
    assert http.client(body["token"]).get("/api/me").status_code == 200
    r = http.client().post("/api/login", json={"username": "admin", "password": PASSWORD})
    assert_error(r, 401)
    assert _login(http, password=NEW_PASSWORD)["token"]


def test_a_too_short_new_password_changes_nothing(one: tuple[Database, Http]) -> None:
    _, http = one
    c = http.client(_login(http)["token"])
    r = c.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert_error(r, 422)
    assert c.get("/api/me").status_code == 200
    assert _login(http)["token"]


def test_deactivation_and_a_password_reset_end_sessions(one: tuple[Database, Http]) -> None:
    db, http = one
    token = _login(http, "reader")["token"]
    with db.session() as s:
        user = accounts.find_user(s, "reader")
        assert user is not None
        assert accounts.set_password(s, user, NEW_PASSWORD) == 1
    assert_error(http.client(token).get("/api/me"), 401)
    token = _login(http, "reader", NEW_PASSWORD)["token"]
    with db.session() as s:
        user = accounts.find_user(s, "reader")
        assert user is not None
        accounts.set_active(s, user, False)
    assert_error(http.client(token).get("/api/me"), 401)
    r = http.client().post("/api/login", json={"username": "reader", "password": NEW_PASSWORD})
    assert_error(r, 401)


def test_users_see_and_end_their_own_sessions(one: tuple[Database, Http]) -> None:
    _, http = one
    a, b = _login(http), _login(http)
    reader = _login(http, "reader")
    mine = http.client(a["token"]).ok("GET", "/api/sessions")
    assert len(mine) == 2 and [s["current"] for s in mine].count(True) == 1
    theirs = http.client(reader["token"]).ok("GET", "/api/sessions")
    assert len(theirs) == 1
    # another user's session is 'not found', and stays open
    assert_error(http.client(a["token"]).request("DELETE", f"/api/sessions/{theirs[0]['id']}"), 404)
    assert http.client(reader["token"]).get("/api/me").status_code == 200
    other = next(s for s in mine if not s["current"])
    http.client(a["token"]).ok("DELETE", f"/api/sessions/{other['id']}")
    assert_error(http.client(b["token"]).get("/api/me"), 401)
    assert http.client(a["token"]).get("/api/me").status_code == 200
    assert len(http.client(a["token"]).ok("GET", "/api/sessions")) == 1


# ---------------------------------------------------------------------------- CSRF


def test_a_planted_csrf_cookie_is_refused(one: tuple[Database, Http]) -> None:
    _, http = one
    browser = http.client()
    r = browser.post("/api/login", json={"username": "admin", "password": PASSWORD})
    cookie, csrf = r.cookies["natrisk_session"], r.json()["csrf_token"]
    planted = "attacker-chosen-value"
    forged = http.client(headers={"cookie": f"natrisk_session={cookie}; natrisk_csrf={planted}"})
    body = {"username": "mallory", "password": PASSWORD}
    err = assert_error(forged.post("/api/users", json=body, headers={"x-csrf-token": planted}), 403)
    assert "CSRF" in err["message"]
    assert_error(forged.post("/api/users", json=body), 403)
    # the session's own token works, whatever cookie sits beside it
    ok = forged.post("/api/users", json=body, headers={"x-csrf-token": csrf})
    assert ok.status_code == 201, ok.text


def test_the_csrf_token_of_another_session_is_refused(one: tuple[Database, Http]) -> None:
    _, http = one
    mine = http.client().post("/api/login", json={"username": "admin", "password": PASSWORD})
    theirs = _login(http, "reader")
    c = http.client(headers={"cookie": f"natrisk_session={mine.cookies['natrisk_session']}"})
    r = c.post("/api/logout", headers={"x-csrf-token": theirs["csrf"]})
    assert_error(r, 403)


def _login_form(http: Http) -> tuple[object, str]:
    browser = http.client()
    page = browser.get("/login")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the sign-in form carries a CSRF token"
    return browser, match.group(1)


def test_the_sign_in_form_needs_its_csrf_token(one: tuple[Database, Http]) -> None:
    _, http = one
    form = {"username": "admin", "password": PASSWORD, "next": "/editions"}
    # a form posted from another site: no token, or a token without this browser's cookie
    r = http.client().post("/login", data=form)
    assert r.status_code == 403 and "natrisk_session" not in r.cookies
    browser, token = _login_form(http)
    stranger = http.client()
    r = stranger.post("/login", data=form | {"csrf_token": token})
    assert r.status_code == 403 and "natrisk_session" not in r.cookies
    r = browser.post("/login", data=form | {"csrf_token": "x" * 43})  # type: ignore[attr-defined]
    assert r.status_code == 403
    browser, token = _login_form(http)
    r = browser.post("/login", data=form | {"csrf_token": token})  # type: ignore[attr-defined]
    assert r.status_code == 303 and r.cookies.get("natrisk_session")


def test_web_sign_out_ends_the_session_on_the_server(one: tuple[Database, Http]) -> None:
    _, http = one
    browser, token = _login_form(http)
    form = {"username": "admin", "password": PASSWORD, "next": "/editions", "csrf_token": token}
    r = browser.post("/login", data=form)  # type: ignore[attr-defined]
    cookie = r.cookies["natrisk_session"]
    page = browser.get("/editions")  # type: ignore[attr-defined]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = browser.post("/logout", data={"csrf_token": csrf.group(1)})  # type: ignore[attr-defined]
    assert r.status_code == 303
    captured = http.client(headers={"cookie": f"natrisk_session={cookie}"})
    assert_error(captured.get("/api/me"), 401)


# ---------------------------------------------------------------------------- usernames


def test_names_of_other_organisations_cannot_be_enumerated(one: tuple[Database, Http]) -> None:
    db, http = one
    with db.session() as s:
        accounts.add_user(s, "admin2", PASSWORD, "minbzk", SG, True)
    admin2 = http.client(_login(http, "admin2")["token"])
    taken = admin2.post("/api/users", json={"username": "reader", "password": NEW_PASSWORD})
    fresh = admin2.post("/api/users", json={"username": "nobody", "password": NEW_PASSWORD})
    assert taken.status_code == fresh.status_code == 201, (taken.text, fresh.text)
    assert taken.json()["organisation"] == "minbzk"
    # within one's own organisation a name is taken, and saying so tells nothing new
    again = admin2.post("/api/users", json={"username": "reader", "password": NEW_PASSWORD})
    assert_error(again, 409)
    # both readers sign in with their own passwords; 'organisation/name' is exact
    me1 = http.client(_login(http, "reader")["token"]).ok("GET", "/api/me")
    me2 = http.client(_login(http, "reader", NEW_PASSWORD)["token"]).ok("GET", "/api/me")
    assert (me1["organisation"], me2["organisation"]) == ("nctv", "minbzk")
    exact = http.client(_login(http, "minbzk/reader", NEW_PASSWORD)["token"]).ok("GET", "/api/me")
    assert exact["organisation"] == "minbzk"
    r = http.client().post("/api/login", json={"username": "nctv/reader", "password": NEW_PASSWORD})
    assert_error(r, 401)
    # the first administrator's list shows only their own organisation
    names = [u["username"] for u in http.client(_login(http)["token"]).ok("GET", "/api/users")]
    assert names.count("reader") == 1 and "nobody" not in names
