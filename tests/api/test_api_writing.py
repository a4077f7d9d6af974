"""Writing in the application through the API: scenarios (create, change, duplicate,
withdraw, restore, history), empty editions, edition headers, members, administration."""

from __future__ import annotations

from api_support import DV, M_DESC, SECRET_SLUG, World, assert_error, markers_in, snapshot

NEW = {
    "id": "drone-swarm",
    "title": "Drone swarm over an airport",
    "theme": "cyber",
    "malicious": True,
    "description": "A **swarm** closes the airport.",
    "assumptions": "Two days.",
    "likelihood": {"class": "B", "rationale": "seen abroad", "sources": ["NCTV 2025"]},
    "scores": {"3.2": "C", "5.3": "B-C"},
    "reason": "new threat",
}


def _new(w: World, name: str = "analyst", **changes: object) -> dict:
    return w.as_(name).ok("POST", f"/api/editions/{w.pub}/scenarios", 201, json=NEW | changes)


def test_an_analyst_writes_changes_withdraws_and_restores_a_scenario(world: World) -> None:
    w = world
    a = w.as_("analyst")
    created = _new(w)
    assert created["version"] == 1 and created["scores"]["3.2"]["class"] == "C"
    assessment = a.ok("GET", f"/api/editions/{w.pub}/assessment")
    assert "drone-swarm" in {r["id"] for r in assessment["scenarios"]}
    url = f"/api/editions/{w.pub}/scenarios/drone-swarm"
    changed = a.ok(
        "PATCH", url, json={"description": "A swarm closes Schiphol.", "version": 1, "reason": "r"}
    )
    assert changed["description"] == "A swarm closes Schiphol." and changed["version"] == 2
    a.ok("PATCH", url, json={"likelihood": "C (B-D)", "version": 2})
    a.ok("POST", f"{url}/withdraw", json={"version": 3, "reason": "merged into another"})
    ids = {r["id"] for r in a.ok("GET", f"/api/editions/{w.pub}/assessment")["scenarios"]}
    assert "drone-swarm" not in ids
    assert "drone-swarm" not in {s["id"] for s in a.ok("GET", f"/api/editions/{w.pub}/scenarios")}
    assert a.ok("GET", url)["withdrawn"] is True  # kept
    assert_error(a.put(f"{url}/scores/3.2", json={"value": "E", "version": 1}), 409)
    a.ok("POST", f"{url}/restore", json={"version": 4})
    ids = {r["id"] for r in a.ok("GET", f"/api/editions/{w.pub}/assessment")["scenarios"]}
    assert "drone-swarm" in ids
    history = a.ok("GET", f"{url}/history")
    assert [h["by"] for h in history] == ["analyst"] * 5
    text = next(h for h in history if h["changes"][0]["field"] == "description")
    diff = text["changes"][0]["diff"]
    assert ["-", "**swarm**"] in diff or any(k == "-" and "airport" in t for k, t in diff)
    assert any(k == "+" and "Schiphol" in t for k, t in diff)
    assert w.as_("admin1").ok("GET", "/api/audit/verify")["intact"] is True


def test_two_analysts_edit_one_description_and_nothing_is_lost(world: World) -> None:
    w = world
    _new(w)
    url = f"/api/editions/{w.pub}/scenarios/drone-swarm"
    w.as_("analyst").ok("PATCH", url, json={"description": "First text.", "version": 1})
    r = w.as_("analyst2").request("PATCH", url, json={"description": "Second text.", "version": 1})
    err = assert_error(r, 409)
    assert "analyst" in err["message"]
    stored = {p["field"]: p["message"] for p in err["problems"]}
    assert stored == {"description": "First text."}
    assert w.as_("analyst").ok("GET", url)["description"] == "First text."
    # with the new version, the merged text is stored
    w.as_("analyst2").ok("PATCH", url, json={"description": "First. Second.", "version": 2})


def test_bad_scenarios_are_refused_with_every_problem_and_nothing_stored(world: World) -> None:
    w = world
    a = w.as_("analyst")
    before = snapshot(w.db)
    for bad_id in ("", "x" * 10_000, "coastal-flood", SECRET_SLUG, "no spaces"):
        err = assert_error(
            a.post(f"/api/editions/{w.pub}/scenarios", json=NEW | {"id": bad_id}), 400
        )
        assert [p["field"] for p in err["problems"]] == ["id"], err
        assert not markers_in(str(err).encode(), [M_DESC])
    err = assert_error(
        a.post(
            f"/api/editions/{w.pub}/scenarios",
            json=NEW | {"title": "   ", "theme": "no-such-theme", "likelihood": "Q"},
        ),
        400,
    )
    assert {p["field"] for p in err["problems"]} == {"title", "theme", "likelihood"}
    assert "3 problems" in err["message"]
    err = assert_error(
        a.post(
            f"/api/editions/{w.pub}/scenarios",
            json=NEW | {"classification": "Staatsgeheim Geheim"},
        ),
        400,
    )
    assert err["problems"][0]["field"] == "classification"
    assert snapshot(w.db) == before


def test_readers_and_reviewers_cannot_write_scenarios(world: World) -> None:
    w = world
    _new(w)
    before = snapshot(w.db)
    for name in ("reader", "reviewer", "expert"):
        assert_error(
            w.as_(name).post(f"/api/editions/{w.pub}/scenarios", json=NEW | {"id": "x2"}), 403
        )
        r = w.as_(name).request(
            "PATCH",
            f"/api/editions/{w.pub}/scenarios/drone-swarm",
            json={"title": "T", "version": 1},
        )
        assert_error(r, 403)
    assert snapshot(w.db) == before


def test_duplicate_keeps_scores_and_their_classification(world: World) -> None:
    w = world
    a = w.as_("analyst")
    copy = a.ok(
        "POST",
        f"/api/editions/{w.pub}/scenarios/coastal-flood/duplicate",
        201,
        json={"id": "coastal-flood-2"},
    )
    original = a.ok("GET", f"/api/editions/{w.pub}/scenarios/coastal-flood")
    assert copy["title"].endswith("(copy)")
    assert set(copy["scores"]) == set(original["scores"])
    assert copy["scores"]["2.1"].get("classification") == DV
    reader = w.as_("reader").ok("GET", f"/api/editions/{w.pub}/scenarios/coastal-flood-2")
    assert reader["scores"]["2.1"]["withheld"] is True


def test_an_empty_edition_its_header_and_a_copy_with_members(world: World) -> None:
    w = world
    a = w.as_("analyst")
    e = a.ok(
        "POST",
        "/api/editions/empty",
        201,
        json={"slug": "regional-2027", "title": "Regional 2027", "framework": "nl-2019"},
    )
    assert e["your_role"] == "coordinator" and e["scenarios"] == 0
    assert_error(a.get(f"/api/editions/{e['id']}/assessment"), 404)
    changed = a.ok(
        "PATCH",
        f"/api/editions/{e['id']}",
        json={"title": "Regional risk 2027", "themes": [{"id": "floods", "name": "Floods"}]},
    )
    assert changed["title"] == "Regional risk 2027" and changed["themes"][0]["id"] == "floods"
    a.ok("POST", f"/api/editions/{e['id']}/scenarios", 201, json=NEW | {"theme": "floods"})
    a.ok("PUT", f"/api/editions/{e['id']}/members/reader", json={"role": "reader"})
    members = {m["username"]: m["role"] for m in a.ok("GET", f"/api/editions/{e['id']}/members")}
    assert members == {"analyst": "coordinator", "reader": "reader"}
    copy = a.ok(
        "POST",
        f"/api/editions/{e['id']}/copy",
        201,
        json={"slug": "regional-2028", "title": "2028"},
    )
    assert copy["scenarios"] == 1
    assert {m["username"] for m in a.ok("GET", f"/api/editions/{copy['id']}/members")} == {
        "analyst",
        "reader",
    }
    assert w.as_("reader").ok("GET", f"/api/editions/{copy['id']}")["your_role"] == "reader"
    a.ok("DELETE", f"/api/editions/{copy['id']}/members/reader")
    assert_error(w.as_("reader").get(f"/api/editions/{copy['id']}"), 404)
    err = assert_error(
        a.post(
            "/api/editions/empty",
            json={"slug": "regional-2027", "title": "x", "framework": "nl-2019"},
        ),
        400,
    )
    assert err["problems"][0]["field"] == "slug"


def test_administrators_manage_their_own_users_only(world: World) -> None:
    w = world
    admin = w.as_("admin1")
    changed = admin.ok("PATCH", "/api/users/reader", json={"clearance": DV, "reason": "vetted"})
    assert changed["clearance"] == DV
    assert_error(w.as_("admin2").request("PATCH", "/api/users/reader", json={"active": False}), 404)
    assert_error(w.as_("coord").request("PATCH", "/api/users/reader", json={"active": False}), 403)
    link = admin.ok("POST", "/api/users/reader/reset", 201)["link"]
    assert "/reset/" in link
    admin.ok("PATCH", "/api/users/reader", json={"active": False})
    assert_error(w.as_("reader").get("/api/me"), 401)
    org = admin.ok(
        "POST",
        "/api/organisations",
        201,
        json={
            "slug": "bzk",
            "name": "BZK",
            "admin_username": "bzk-admin",
            "admin_password": "bzk-admin-password-1",
        },
    )
    assert org == {"slug": "bzk", "name": "BZK"}
    assert "bzk-admin" not in {u["username"] for u in admin.ok("GET", "/api/users")}
    assert admin.ok("GET", "/api/audit/verify")["intact"] is True
