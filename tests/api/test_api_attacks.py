"""Bad input and attack: each gets the right 4xx with a clear message, and no data changes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml
from api_support import (
    EDITION_ROUTES,
    PAYLOAD,
    PERSON,
    SCRIPT_PAYLOAD,
    SQL_PAYLOAD,
    World,
    assert_error,
    call,
    small_raw,
    snapshot,
)
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, inspect, select

from natrisk.api.app import MAX_BODY
from natrisk.services import signins
from natrisk.store.models import AuditEntry, Base, ScenarioRecord, ScoreRecord, User

FLOOD = "/api/editions/{pub}/scenarios/coastal-flood"


def url(w: World, template: str) -> str:
    return template.format(pub=w.pub)


# ---------------------------------------------------------------------------- malformed bodies


def test_invalid_json_is_422_and_changes_nothing(world: World) -> None:
    before = snapshot(world.db)
    cases = [
        (world.anon, "POST", "/api/login"),
        (world.as_("admin1"), "POST", "/api/editions"),
        (world.as_("analyst"), "PUT", url(world, FLOOD + "/scores/1.2")),
        (world.as_("analyst"), "PUT", url(world, FLOOD + "/likelihood")),
        (world.as_("reviewer"), "POST", url(world, FLOOD + "/comments")),
        (world.as_("coord"), "POST", f"/api/editions/{world.pub}/transition"),
    ]
    for text in (b"{not json", b'{"value": "B",', b"{'single': 'quotes'}", b"", b"[1, 2"):
        for caller, method, path in cases:
            r = caller.request(
                method, path, content=text, headers={"content-type": "application/json"}
            )
            err = assert_error(r, 422)
            assert err["type"] == "ValidationError", err
            assert err["problems"], err
    assert snapshot(world.db) == before


def test_a_body_that_is_not_utf8_is_422_like_other_invalid_json(world: World) -> None:
    """Bytes that are not UTF-8 are not JSON either: the same status and type as bad syntax."""
    before = snapshot(world.db)
    for caller, method, path in (
        (world.anon, "POST", "/api/login"),
        (world.as_("reviewer"), "POST", url(world, FLOOD + "/comments")),
    ):
        r = caller.request(
            method,
            path,
            content=b'{"body": "\xc3\x28 \x80"}',
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422, (
            f"{method} {path} with non-UTF-8 bytes: {r.status_code} {r.text}"
        )
        assert assert_error(r, 422)["type"] == "ValidationError"
    assert snapshot(world.db) == before


def test_wrong_types_are_422_and_change_nothing(world: World) -> None:
    before = snapshot(world.db)
    flood = url(world, FLOOD)
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("", "POST", "/api/login", {"json": {"username": 5, "password": ["x"]}}),
        ("", "POST", "/api/login", {"json": {"username": "reader"}}),
        ("admin1", "POST", "/api/users", {"json": {"username": "x", "password": 123456789012}}),
        ("admin1", "POST", "/api/users", {"json": {"username": "xy", "password": "short"}}),
        ("admin1", "POST", "/api/editions", {"json": ["a", "list"]}),
        ("coord", "POST", f"/api/editions/{world.pub}/transition", {"json": {"to": 7}}),
        ("coord", "POST", f"/api/editions/{world.pub}/transition", {"json": {"to": "gone"}}),
        ("coord", "POST", f"/api/editions/{world.pub}/copy", {"json": {"slug": 1, "title": []}}),
        ("coord", "PUT", f"/api/editions/{world.pub}/members/analyst", {"json": {"role": None}}),
        ("analyst", "PUT", flood + "/scores/1.2", {"json": {"value": "B", "version": "abc"}}),
        ("analyst", "PUT", flood + "/scores/1.2", {"json": {"value": "B", "version": -1}}),
        ("analyst", "PUT", flood + "/likelihood", {"json": {"value": "B", "reason": 5}}),
        (
            "coord",
            "POST",
            f"/api/editions/{world.pub}/invitations",
            {"json": {"expert": "expert", "scenarios": "coastal-flood"}},
        ),
        ("expert", "PUT", flood + "/judgements/2.1", {"json": {"class": 3}}),
        ("reviewer", "POST", flood + "/comments", {"json": {"body": {"a": 1}}}),
        ("reviewer", "POST", flood + "/comments", {"json": {"body": ""}}),
        ("reader", "POST", f"/api/editions/{world.pub}/sensitivity", {"json": {"samples": "many"}}),
        ("reader", "POST", f"/api/editions/{world.pub}/sensitivity", {"json": {"samples": 0}}),
        ("reader", "POST", f"/api/editions/{world.pub}/sensitivity", {"json": {"samples": 10**9}}),
        ("reader", "POST", f"/api/editions/{world.pub}/sensitivity", {"json": {"method": "x"}}),
        ("reader", "GET", "/api/editions/abc", {}),
        ("reader", "GET", f"/api/editions/{world.pub}/report.html", {"params": {"samples": "x"}}),
        ("reader", "GET", "/api/runs/1.5", {}),
    ]
    for name, method, path, kwargs in cases:
        caller = world.as_(name) if name else world.anon
        r = caller.request(method, path, **kwargs)
        err = assert_error(r, 422)
        assert err["problems"] and all(p["field"] and p["message"] for p in err["problems"]), (
            path,
            err,
        )
    assert snapshot(world.db) == before


def test_a_wrong_value_is_400_with_located_problems(world: World) -> None:
    before = snapshot(world.db)
    flood = url(world, FLOOD)
    analyst = world.as_("analyst")
    r = analyst.put(flood + "/scores/1.2", json={"value": {"class": "Z"}, "version": 1})
    err = assert_error(r, 400)
    assert any("Z" in p["message"] for p in err["problems"]), err
    r = analyst.put(flood + "/scores/2.1", json={"value": {"min": 9, "max": 1}, "version": 1})
    assert_error(r, 400)
    r = analyst.put(
        flood + "/scores/1.2", json={"value": {"class": "B", "quantity": 3}, "version": 1}
    )
    assert_error(r, 400)
    r = analyst.put(flood + "/likelihood", json={"value": {"probability": 7}, "version": 1})
    assert_error(r, 400)
    r = analyst.put(flood + "/scores/1.2", json={"value": "B"})  # no version sent
    assert "version" in assert_error(r, 400)["message"]
    r = world.as_("reader").get(f"/api/editions/{world.pub}/export", params={"format": "xml"})
    assert_error(r, 400)
    r = world.as_("reader").get(f"/api/editions/{world.pub}/diagram.gif")
    assert_error(r, 400)
    r = world.as_("reader").get(f"/api/editions/{world.pub}/assessment", params={"method": "x"})
    assert_error(r, 400)
    assert snapshot(world.db) == before


# ---------------------------------------------------------------------------- oversized bodies

OVER = MAX_BODY + 1024 * 1024


async def _chunks(total: int, size: int = 1024 * 1024, head: bytes = b"") -> AsyncIterator[bytes]:
    # ``head`` starts the body validly (a multipart part), so only its size is wrong
    if head:
        yield head
    sent = len(head)
    while sent < total:
        n = min(size, total - sent)
        yield b"x" * n
        sent += n


def _big_routes(w: World) -> list[tuple[str, str, str]]:
    return [
        ("admin1", "POST", "/api/editions"),
        ("admin1", "POST", "/api/editions/upload"),
        ("analyst", "PUT", url(w, FLOOD + "/scores/1.2")),
        ("", "POST", "/api/login"),
    ]


def test_a_declared_oversized_body_is_413(world: World) -> None:
    before = snapshot(world.db)
    for name, method, path in _big_routes(world):
        caller = world.as_(name) if name else world.anon
        r = caller.request(
            method,
            path,
            content=_chunks(OVER),
            headers={"content-length": str(OVER), "content-type": "application/json"},
        )
        err = assert_error(r, 413)
        assert "25 MB" in err["message"], err
    assert snapshot(world.db) == before


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_streamed_oversized_body_without_length_is_413(world: World) -> None:
    """A client may send a body in chunks without declaring its length; the limit holds."""
    before = snapshot(world.db)
    for name, method, path in _big_routes(world):
        caller = world.as_(name) if name else world.anon
        content_type = (
            "multipart/form-data; boundary=xyz" if path.endswith("upload") else "application/json"
        )
        head = (
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.yaml"\r\n\r\n'
            if path.endswith("upload")
            else b""
        )
        r = caller.request(
            method, path, content=_chunks(OVER, head=head), headers={"content-type": content_type}
        )
        assert "content-length" not in r.request.headers
        assert r.status_code == 413, (
            f"{method} {path} streamed {OVER} bytes: {r.status_code} {r.text}"
        )
        assert_error(r, 413)
    assert snapshot(world.db) == before


# ---------------------------------------------------------------------------- unknown ids


def test_unknown_ids_are_404(world: World) -> None:
    before = snapshot(world.db)
    admin = world.as_("admin1")
    for key in EDITION_ROUTES:
        err = assert_error(call(world, admin, key, edition_id=987654, other_id=world.pub), 404)
        assert "987654" in err["message"], (key, err)
    flood = url(world, FLOOD)
    for r in (
        admin.get(f"/api/editions/{world.pub}/scenarios/no-such-scenario"),
        admin.get("/api/runs/987654"),
        admin.get(f"/api/editions/{world.pub}/diff/987654"),
        admin.get(f"/api/editions/{world.pub}/scenarios/coastal-flood/scores/9.9/history"),
        admin.get("/api/editions/-1"),
        admin.put(flood + "/scores/9.9", json={"value": "B", "version": 0}),
        admin.put(f"/api/editions/{world.pub}/members/nobody", json={"role": "analyst"}),
        admin.post(
            f"/api/editions/{world.pub}/invitations",
            json={"expert": "nobody", "scenarios": ["coastal-flood"]},
        ),
        admin.post(
            f"/api/editions/{world.pub}/invitations",
            json={"expert": "expert", "scenarios": ["no-such-scenario"]},
        ),
        admin.get("/api/no-such-route"),
    ):
        if r.request.url.path.endswith("/history"):
            # an unknown criterion has no history: an empty list is as honest as a 404
            assert r.status_code in (200, 404), r.text
            if r.status_code == 200:
                assert r.json() == []
            continue
        assert_error(r, 404)
    assert snapshot(world.db) == before


@pytest.mark.parametrize("huge", [2**31, 2**63, 2**70])
def test_an_id_beyond_the_database_integer_is_404(world: World, huge: int) -> None:
    """An id too large for the integer column is an unknown id, not a server error."""
    admin = world.as_("admin1")
    for path in (
        f"/api/editions/{huge}",
        f"/api/editions/{huge}/scenarios",
        f"/api/runs/{huge}",
        f"/api/editions/{world.pub}/diff/{huge}",
    ):
        try:
            r = admin.get(path)
        except Exception as exc:  # the ASGI transport re-raises what the app did not handle
            pytest.fail(f"GET {path}: unhandled {type(exc).__name__}: {str(exc).splitlines()[0]}")
        assert r.status_code in (404, 422), f"GET {path}: {r.status_code} {r.text[:300]}"
        assert_error(r, r.status_code)


# ---------------------------------------------------------------------------- injection text


def test_sql_and_script_text_is_stored_and_returned_verbatim(world: World) -> None:
    w = world
    flood = url(w, FLOOD)
    with w.db.session() as s:
        scores_before = _pub_scores(s, w.pub)

    score = w.as_("analyst").ok(
        "PUT",
        flood + "/scores/1.2",
        json={
            "value": {"class": "B", "rationale": PAYLOAD, "sources": [PAYLOAD, SQL_PAYLOAD]},
            "version": 1,
            "reason": PAYLOAD,
        },
    )
    assert score["rationale"] == PAYLOAD and score["sources"] == [PAYLOAD, SQL_PAYLOAD]
    lik = w.as_("analyst").ok(
        "PUT",
        flood + "/likelihood",
        json={"value": {"class": "B", "rationale": PAYLOAD}, "version": 1, "reason": PAYLOAD},
    )
    assert lik["likelihood"]["rationale"] == PAYLOAD
    comment = w.as_("reviewer").ok("POST", flood + "/comments", 201, json={"body": PAYLOAD})
    assert comment["body"] == PAYLOAD
    w.as_("coord").ok(
        "POST",
        f"/api/editions/{w.pub}/invitations",
        201,
        json={"expert": "expert", "scenarios": ["heatwave-drought"]},
    )
    judged = w.as_("expert").ok(
        "PUT",
        f"/api/editions/{w.pub}/scenarios/heatwave-drought/judgements/2.1",
        json={"class": "C", "rationale": PAYLOAD},
    )
    assert judged["rationale"] == PAYLOAD
    w.as_("coord").ok(
        "POST", f"/api/editions/{w.pub}/transition", json={"to": "review", "reason": PAYLOAD}
    )
    copied = w.as_("coord").ok(
        "POST", f"/api/editions/{w.pub}/copy", 201, json={"slug": "copy-1", "title": PAYLOAD}
    )
    assert copied["title"] == PAYLOAD
    made = w.as_("admin1").ok(
        "POST",
        "/api/users",
        201,
        json={"username": "newcomer", "password": "newcomer-password-1", "display_name": PAYLOAD},
    )
    assert made["display_name"] == PAYLOAD

    # read everything back through the API
    scen = w.as_("analyst").ok("GET", flood)
    assert scen["scores"]["1.2"]["rationale"] == PAYLOAD
    assert scen["scores"]["1.2"]["sources"] == [PAYLOAD, SQL_PAYLOAD]
    assert scen["likelihood"]["rationale"] == PAYLOAD
    history = w.as_("reader").ok("GET", flood + "/scores/1.2/history")
    assert history[-1]["reason"] == PAYLOAD and history[-1]["new"]["rationale"] == PAYLOAD
    assert PAYLOAD in [c["body"] for c in w.as_("reader").ok("GET", flood + "/comments")]
    judgements = w.as_("coord").ok(
        "GET", f"/api/editions/{w.pub}/scenarios/heatwave-drought/judgements"
    )
    assert judgements["2.1"]["judgements"][0]["rationale"] == PAYLOAD
    assert w.as_("coord").ok("GET", f"/api/editions/{copied['id']}")["title"] == PAYLOAD
    users = w.as_("admin1").ok("GET", "/api/users")
    assert PAYLOAD in [u["display_name"] for u in users]
    export = w.as_("analyst").get(f"/api/editions/{w.pub}/export", params={"format": "yaml"})
    data = yaml.safe_load(export.text)
    flood_row = next(s for s in data["scenarios"] if s["id"] == "coastal-flood")
    assert flood_row["impacts"]["1.2"]["rationale"] == PAYLOAD
    with w.db.session() as s:
        reasons = s.scalars(select(AuditEntry.reason).where(AuditEntry.entity == "edition")).all()
        assert PAYLOAD in reasons  # the transition's reason, as given
        assert _pub_scores(s, w.pub) == scores_before
    # every table is still there
    names = set(inspect(w.db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= names


def _pub_scores(s: Any, edition: int) -> int:
    return int(
        s.scalar(
            select(func.count())
            .select_from(ScoreRecord)
            .join(ScenarioRecord, ScenarioRecord.id == ScoreRecord.scenario_id)
            .where(ScenarioRecord.edition_id == edition)
        )
    )


def test_script_in_titles_is_rendered_escaped(world: World) -> None:
    raw = small_raw("scripted", SCRIPT_PAYLOAD, SCRIPT_PAYLOAD)
    raw["scenarios"][0]["theme"] = SCRIPT_PAYLOAD
    raw["edition"]["themes"] = [SCRIPT_PAYLOAD]  # an edition's own theme (unknown ones are refused)
    admin = world.as_("admin1")
    made = admin.ok("POST", "/api/editions", 201, json=raw)
    assert made["title"] == SCRIPT_PAYLOAD
    report = admin.get(f"/api/editions/{made['id']}/report.html", params={"samples": 100})
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert SCRIPT_PAYLOAD not in report.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report.text
    svg = admin.get(f"/api/editions/{made['id']}/diagram.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<script" not in svg.content
    for path in ("", "/scenarios", "/diagram.json", "/assessment"):
        r = admin.get(f"/api/editions/{made['id']}{path}")
        assert r.headers["content-type"].startswith("application/json"), path


# ---------------------------------------------------------------------------- tokens


def _token(
    w: World, data: Any, key: bytes | str | None = None, salt: str = "natrisk-session", age: int = 0
) -> str:
    class Dated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    with w.db.session() as s:
        real = signins.signing_key(s)
    serializer = URLSafeTimedSerializer(key or real, salt=salt, signer=Dated)
    return str(serializer.dumps(data))


def _claims(w: World, name: str) -> dict[str, Any]:
    """The claims inside a real token of ``name`` (its signature checked with the real key)."""
    with w.db.session() as s:
        key = signins.signing_key(s)
    data: dict[str, Any] = URLSafeTimedSerializer(key, salt="natrisk-session").loads(w.tokens[name])
    return data


def test_forged_tokens_are_401_and_change_nothing(world: World) -> None:
    w = world
    before = snapshot(w.db)
    admin_id = w.user_ids["admin1"]
    good = w.tokens["admin1"]
    claims = _claims(w, "admin1")
    forged = [
        "garbage",
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        _token(w, claims, key="not-the-servers-key"),
        _token(w, claims, salt="another-salt"),
        _token(w, {"uid": admin_id}),  # the old form: a user id alone
        _token(w, claims | {"db": "another-instance"}),
        _token(w, claims | {"n": "a-guessed-nonce"}),
        _token(w, claims | {"sid": claims["sid"] + 1000}),
        _token(w, claims | {"cv": claims["cv"] + 1}),
        _token(w, "admin1"),
        ".".join(["eyJ1aWQiOjF9"] * 3),
    ]
    put = url(w, FLOOD + "/scores/1.2")
    for token in forged:
        c = w.http.client(token)
        err = assert_error(c.get("/api/me"), 401)
        assert "token" in err["message"] or "sign in" in err["message"], err
        assert_error(c.put(put, json={"value": "E", "version": 1}), 401)
        cookie = w.http.client(headers={"cookie": f"natrisk_session={token}; natrisk_csrf=x"})
        assert_error(
            cookie.put(put, json={"value": "E", "version": 1}, headers={"x-csrf-token": "x"}), 401
        )
    for header in ("Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer  ", good):
        r = w.http.client(headers={"authorization": header}).get("/api/me")
        assert_error(r, 401)
    assert snapshot(w.db) == before


def test_expired_tokens_are_401(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = world
    old = _token(w, _claims(w, "admin1"), age=signins.token_age() + 60)
    err = assert_error(w.http.client(old).get("/api/me"), 401)
    assert "expired" in err["message"], err
    cookie = w.http.client(headers={"cookie": f"natrisk_session={old}"})
    assert "expired" in assert_error(cookie.get("/api/me"), 401)["message"]
    fresh = w.tokens["admin1"]
    assert w.http.client(fresh).get("/api/me").status_code == 200
    monkeypatch.setattr(signins, "TOKEN_HOURS", -1)  # time travel: every token is now too old
    assert "expired" in assert_error(w.http.client(fresh).get("/api/me"), 401)["message"]


def test_a_deactivated_users_token_is_401(world: World) -> None:
    w = world
    assert w.as_("analyst").get("/api/me").status_code == 200
    with w.db.session() as s:
        user = s.get(User, w.user_ids["analyst"])
        assert user is not None
        user.active = False
    assert_error(w.as_("analyst").get("/api/me"), 401)
    r = w.anon.post(
        "/api/login", json={"username": "analyst", "password": PERSON["analyst"].password}
    )
    assert_error(r, 401)


# ---------------------------------------------------------------------------- password guessing


def _login(w: World, name: str, password: str, address: str = "127.0.0.1", **headers: str) -> Any:
    c = w.http.client(address=address, headers=headers)
    return c.post("/api/login", json={"username": name, "password": password})


def test_a_password_guess_loop_is_stopped_per_account(world: World) -> None:
    w = world
    before = snapshot(w.db)
    statuses = [_login(w, "analyst", f"guess-number-{i:04d}").status_code for i in range(7)]
    assert statuses[:5] == [401] * 5, statuses
    assert statuses[5:] == [429, 429], statuses
    r = _login(w, "analyst", PERSON["analyst"].password)
    err = assert_error(r, 429)
    assert "too many" in err["message"].lower(), err
    assert "token" not in r.json()
    # from another address too: the account is what is being guessed
    assert_error(_login(w, "analyst", PERSON["analyst"].password, "10.9.9.9"), 429)
    # another account is not affected
    assert _login(w, "analyst2", PERSON["analyst2"].password).status_code == 200
    # the tokens already issued still work: only signing in is limited
    assert w.as_("analyst").get("/api/me").status_code == 200
    assert snapshot(w.db) == before


def test_a_password_guess_loop_is_stopped_per_address(world: World) -> None:
    w = world
    attacker = "10.66.0.1"
    for i in range(20):  # many accounts, few guesses each: under the per-account limit
        r = _login(w, f"ghost-{i % 5}", f"guess-number-{i:04d}", attacker)
        assert r.status_code == 401, (i, r.text)
    r = _login(w, "reader", PERSON["reader"].password, attacker)
    assert_error(r, 429)
    r = _login(w, "reader", PERSON["reader"].password, attacker, **{"x-forwarded-for": "1.2.3.4"})
    assert_error(r, 429)
    assert _login(w, "reader", PERSON["reader"].password, "10.66.0.2").status_code == 200


# ---------------------------------------------------------------------------- other organisation


def test_another_organisation_gets_404_everywhere_and_changes_nothing(world: World) -> None:
    w = world
    before = snapshot(w.db)
    admin2 = w.as_("admin2")
    for edition in (w.pub, w.secret):
        for key in EDITION_ROUTES:
            r = call(w, admin2, key, edition_id=edition, other_id=w.org2)
            err = assert_error(r, 404)
            assert err["message"] == f"no edition {edition}", (key, err)
    # its own world shows nothing of org1
    assert [e["id"] for e in admin2.ok("GET", "/api/editions")] == [w.org2]
    assert [u["username"] for u in admin2.ok("GET", "/api/users")] == ["admin2"]
    assert [o["slug"] for o in admin2.ok("GET", "/api/organisations")] == ["org2"]
    r = admin2.get(f"/api/editions/{w.org2}/diff/{w.pub}")
    assert assert_error(r, 404)["message"] == f"no edition {w.pub}"
    r = admin2.put(f"/api/editions/{w.org2}/members/reader", json={"role": "coordinator"})
    assert_error(r, 404)
    assert snapshot(w.db) == before
    # and org1 sees nothing of org2
    assert_error(w.as_("admin1").get(f"/api/editions/{w.org2}"), 404)


# ---------------------------------------------------------------------------- CSRF


def test_cookie_requests_need_the_csrf_token(world: World) -> None:
    w = world
    browser = w.http.client()
    r = browser.post(
        "/api/login", json={"username": "reviewer", "password": PERSON["reviewer"].password}
    )
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
    assert "httponly" in cookies["natrisk_session"].lower()
    assert "samesite=lax" in cookies["natrisk_session"].lower()
    assert "httponly" not in cookies["natrisk_csrf"].lower()
    assert browser.raw.cookies.get("natrisk_csrf") == csrf
    assert browser.get("/api/me").json()["username"] == "reviewer"  # reading needs no token

    comments = url(w, FLOOD + "/comments")
    before = snapshot(w.db)
    err = assert_error(browser.post(comments, json={"body": "no token"}), 403)
    assert "CSRF" in err["message"], err
    assert_error(
        browser.post(comments, json={"body": "bad token"}, headers={"x-csrf-token": "forged"}),
        403,
    )
    assert_error(browser.post("/api/logout"), 403)
    assert snapshot(w.db) == before

    r = browser.post(comments, json={"body": "with token"}, headers={"x-csrf-token": csrf})
    assert r.status_code == 201, r.text
    bodies = [c["body"] for c in browser.get(comments).json()]
    assert "with token" in bodies and "no token" not in bodies and "bad token" not in bodies
    # a bearer token is not a cookie: no CSRF token needed
    r = w.as_("reviewer").post(comments, json={"body": "by script"})
    assert r.status_code == 201, r.text
    assert browser.post("/api/logout", headers={"x-csrf-token": csrf}).status_code == 200
    assert_error(browser.get("/api/me"), 401)
