"""One error shape for every refusal: {"error": {"status", "type", "message"[, "problems"]}}."""

from __future__ import annotations

from api_support import PERSON, World, assert_error, snapshot

from natrisk.api.app import MAX_BODY


def test_every_error_status_has_the_one_shape(world: World) -> None:
    w = world
    flood = f"/api/editions/{w.pub}/scenarios/coastal-flood"
    seen: dict[int, dict[str, object]] = {}

    def check(r: object, status: int, kind: str | None = None) -> None:
        err = assert_error(r, status)  # type: ignore[arg-type]
        if kind:
            assert err["type"] == kind, err
        seen[status] = err

    # 400: a value the user can fix, with the problems located
    r = w.as_("analyst").put(flood + "/scores/1.2", json={"value": "Q", "version": 1})
    check(r, 400)
    problems = r.json()["error"]["problems"]
    assert problems and set(problems[0]) == {"file", "where", "field", "message"}, problems
    check(w.as_("reader").get(f"/api/editions/{w.pub}/export?format=pdf"), 400)
    # 401: nobody signed in
    check(w.anon.get("/api/me"), 401, "Unauthorized")
    # 403: signed in, role too small
    check(w.as_("reader").post(flood + "/comments", json={"body": "hi"}), 403, "Forbidden")
    check(w.as_("analyst").get("/api/users"), 403, "Forbidden")
    # 404: no such thing (or not for you), and no such route
    check(w.as_("reader").get("/api/editions/987654"), 404, "NotFound")
    check(w.as_("reader").get("/api/nothing-here"), 404)
    # 405: a method the route does not have
    check(w.as_("admin1").request("DELETE", f"/api/editions/{w.pub}"), 405)
    # 409: a stale version, and a move the workflow does not allow
    check(w.as_("analyst").put(flood + "/scores/1.2", json={"value": "B", "version": 7}), 409)
    check(
        w.as_("coord").post(f"/api/editions/{w.pub}/transition", json={"to": "published"}),
        409,
        "Conflict",
    )
    # 413: a body over the limit
    r = w.as_("admin1").post(
        "/api/editions",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": str(MAX_BODY + 1)},
    )
    check(r, 413, "PayloadTooLarge")
    # 422: a request that does not fit the route's schema, with the problems located
    r = w.as_("coord").post(f"/api/editions/{w.pub}/copy", json={"slug": "x"})
    check(r, 422, "ValidationError")
    assert r.json()["error"]["problems"][0]["field"] == "body.title"
    # 429: too many failed sign-ins
    for i in range(5):
        w.anon.post("/api/login", json={"username": "coord", "password": f"wrong-{i}"})
    r = w.anon.post("/api/login", json={"username": "coord", "password": PERSON["coord"].password})
    check(r, 429, "TooManyAttempts")

    assert set(seen) == {400, 401, 403, 404, 405, 409, 413, 422, 429}
    for status, err in seen.items():
        assert "Traceback" not in str(err["message"]), (status, err)


def test_errors_change_nothing_and_leave_the_audit_intact(world: World) -> None:
    w = world
    before = snapshot(w.db)
    flood = f"/api/editions/{w.pub}/scenarios/coastal-flood"
    w.as_("analyst").put(flood + "/scores/1.2", json={"value": "Q", "version": 1})
    w.as_("analyst").put(flood + "/scores/1.2", json={"value": "B", "version": 7})
    w.as_("coord").post(f"/api/editions/{w.pub}/transition", json={"to": "adopted"})
    w.as_("reader").put(flood + "/scores/1.2", json={"value": "B", "version": 1})
    w.as_("expert").put(
        f"/api/editions/{w.pub}/scenarios/heatwave-drought/judgements/1.2", json={"class": "B"}
    )
    w.as_("admin2").put(flood + "/scores/1.2", json={"value": "B", "version": 1})
    assert snapshot(w.db) == before
    assert w.as_("admin1").ok("GET", "/api/audit/verify") == {"intact": True}
