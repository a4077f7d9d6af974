"""The whole round through the API: sign in, import, edit, judge, run, render, adopt, copy, diff."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from api_support import (
    EXAMPLE_SCENARIOS,
    PERSON,
    SECRET_SLUG,
    World,
    assert_error,
    example_raw,
    small_raw,
    snapshot,
)

from natrisk.domain.stacking import visible_sections
from natrisk.io.workbook import parse_workbook, write_workbook


def test_sign_in_with_a_token_and_with_a_cookie(world: World) -> None:
    w = world
    r = w.anon.post(
        "/api/login", json={"username": "analyst", "password": PERSON["analyst"].password}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["username"] == "analyst" and body["token"] and body["csrf_token"]
    me = w.http.client(body["token"]).ok("GET", "/api/me")
    assert me["username"] == "analyst"
    assert me["organisation"] == "org1"
    assert me["clearance"] == "Departementaal Vertrouwelijk"
    assert me["is_admin"] is False
    assert me["levels"][0] == "Openbaar" and me["levels"][-1] == "Staatsgeheim Geheim"

    browser = w.http.client()
    r = browser.post(
        "/api/login", json={"username": "reader", "password": PERSON["reader"].password}
    )
    assert r.status_code == 200
    assert browser.ok("GET", "/api/me")["username"] == "reader"  # the cookie alone signs in
    assert [e["id"] for e in browser.ok("GET", "/api/editions")] == [w.pub]

    r = w.anon.post("/api/login", json={"username": "analyst", "password": "not-the-password"})
    assert assert_error(r, 401)["message"] == "unknown user or wrong password"
    r = w.anon.post("/api/login", json={"username": "nobody-at-all", "password": "whatever-it-is"})
    assert assert_error(r, 401)["message"] == "unknown user or wrong password"


def test_import_by_json_yaml_and_xlsx(world: World, tmp_path: Path) -> None:
    w = world
    admin = w.as_("admin1")
    raw = example_raw()
    raw["edition"]["id"] = "by-json"
    made = admin.ok("POST", "/api/editions", 201, json=raw)
    assert made["scenarios"] == EXAMPLE_SCENARIOS and made["status"] == "draft"
    assert made["your_role"] == "coordinator"

    raw["edition"]["id"] = "by-yaml"
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    r = admin.post(
        "/api/editions/upload", files={"file": ("e.yaml", text.encode(), "application/yaml")}
    )
    assert r.status_code == 201, r.text
    by_yaml = r.json()

    raw["edition"]["id"] = "by-xlsx"
    xlsx = tmp_path / "edition.xlsx"
    write_workbook(parse_workbook(raw, {}, "x"), xlsx)
    r = admin.post(
        "/api/editions/upload",
        files={"file": ("edition.xlsx", xlsx.read_bytes(), "application/octet-stream")},
    )
    assert r.status_code == 201, r.text
    by_xlsx = r.json()

    exports = []
    for edition in (made["id"], by_yaml["id"], by_xlsx["id"]):
        data = admin.ok("GET", f"/api/editions/{edition}/export")
        data.pop("edition")
        exports.append(data)
    assert exports[0] == exports[1] == exports[2], "the three formats must store the same edition"
    slugs = {e["slug"] for e in admin.ok("GET", "/api/editions")}
    assert {"by-json", "by-yaml", "by-xlsx"} <= slugs
    r = admin.post("/api/editions", json=raw)  # the same slug again
    assert "already exists" in assert_error(r, 409)["message"]


BAD_YAML = """\
format: natrisk/1
edition:
  id: broken
  title: Broken edition
  framework: nl-2019
scenarios:
  - id: one
    title: One
    theme: cyber
    likelihood: C
    impacts:
      "2.1": {class: "Z"}
      "9.9": B
  - id: two
    theme: cyber
    likelihood: {probability: 3}
"""


def test_a_bad_upload_lists_located_problems_and_stores_nothing(world: World) -> None:
    w = world
    admin = w.as_("admin1")
    before = snapshot(w.db)
    r = admin.post(
        "/api/editions/upload", files={"file": ("bad.yaml", BAD_YAML.encode(), "text/yaml")}
    )
    err = assert_error(r, 400)
    problems = err["problems"]
    assert len(problems) >= 2, problems
    for p in problems:
        assert set(p) == {"file", "where", "field", "message"}, p
        assert p["message"], p
    assert any(p["where"].startswith("line ") for p in problems), problems
    assert any("title" in p["field"] for p in problems), problems

    # the problems name the file the user sent, not a temporary path on the server
    files = {p["file"] for p in problems}
    assert not any("/tmp" in f or "upload." in f for f in files), (
        f"POST /api/editions/upload of bad.yaml: problems name {sorted(files)}"
    )

    r = admin.post(
        "/api/editions/upload",
        files={"file": ("bad.xlsx", b"PK\x03\x04 not a zip", "application/octet-stream")},
    )
    assert assert_error(r, 400)["problems"]
    r = admin.post(
        "/api/editions/upload", files={"file": ("bad.txt", b"format: natrisk/1", "text/plain")}
    )
    assert ".yaml" in assert_error(r, 400)["message"]
    r = admin.post(
        "/api/editions/upload", files={"file": ("bad.yaml", b"a: [unclosed", "text/yaml")}
    )
    assert assert_error(r, 400)["problems"][0]["where"].startswith("line")
    r = admin.post("/api/editions/upload", files={"file": ("empty.yaml", b"", "text/yaml")})
    assert_error(r, 400)
    bad = small_raw("semantic", "Semantically wrong")
    bad["scenarios"][0]["impacts"]["2.1"] = {"class": "Q"}
    bad["scenarios"][1]["impacts"]["1.1"] = 7  # 1.1 is scored on two axes
    r = admin.post("/api/editions", json=bad)
    problems = assert_error(r, 400)["problems"]
    assert {p["field"] for p in problems} >= {"impacts.2.1", "impacts.1.1"}, problems
    assert snapshot(w.db) == before


def test_a_sensitivity_run_in_the_background(world: World) -> None:
    w = world
    analyst = w.as_("analyst")
    r = analyst.post(
        f"/api/editions/{w.pub}/sensitivity",
        json={"samples": 2000, "seed": 7, "method": "medal", "weight_mode": "across"},
    )
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    assert r.json()["status"] in ("queued", "running", "done")
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = analyst.ok("GET", f"/api/runs/{run_id}")
        seen.append(run["progress"])
        if run["status"] in ("done", "failed"):
            break
        time.sleep(0.02)
    assert run["status"] == "done", run
    assert run["error"] is None
    assert run["progress"] == 1.0
    assert seen == sorted(seen), "progress never goes back"
    assert all(0.0 <= p <= 1.0 for p in seen)
    result = run["result"]
    assert result["samples"] == 2000 and result["method"] == "medal"
    assert len(result["scenarios"]) == EXAMPLE_SCENARIOS
    assert SECRET_SLUG not in json.dumps(run)
    assert run["params"]["seed"] == 7
    # the reader may not see the analyst's run: it holds DV material
    assert_error(w.as_("reader").get(f"/api/runs/{run_id}"), 404)


@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")
def test_diagram_and_report_formats(world: World) -> None:
    w = world
    admin = w.as_("admin1")
    png = admin.get(f"/api/editions/{w.pub}/diagram.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = admin.get(f"/api/editions/{w.pub}/diagram.svg", params={"lang": "nl"})
    assert svg.status_code == 200 and b"<svg" in svg.content[:500]
    spec = admin.ok("GET", f"/api/editions/{w.pub}/diagram.json", params={"method": "evamix"})
    assert "$schema" in spec and "vega-lite" in spec["$schema"]
    pdf = admin.get(f"/api/editions/{w.pub}/report.pdf", params={"samples": 100})
    assert pdf.status_code == 200, pdf.text[:300]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 10_000
    html = w.as_("reader").get(
        f"/api/editions/{w.pub}/report.html", params={"lang": "nl", "samples": 100}
    )
    assert html.status_code == 200 and "<html" in html.text.lower()
    assert_error(admin.get(f"/api/editions/{w.pub}/report.html", params={"lang": "fr"}), 400)


def test_edition_workflow_judgements_copy_and_diff(world: World) -> None:
    w = world
    pub = w.pub
    coord, analyst, expert = w.as_("coord"), w.as_("analyst"), w.as_("expert")
    base = f"/api/editions/{pub}/scenarios"

    # analysts edit a draft; the history shows who, what and why
    r = analyst.put(
        f"{base}/heatwave-drought/scores/2.1",
        json={"value": {"min": 900, "max": 2500}, "version": 1, "reason": "new mortality study"},
    )
    assert r.status_code == 200, r.text
    history = w.as_("reader").ok("GET", f"{base}/heatwave-drought/scores/2.1/history")
    assert history[-1]["by"] == "analyst" and history[-1]["reason"] == "new mortality study"
    assert history[-1]["new"]["quantity"] == {"min": 900.0, "max": 2500.0}
    # a reviewer comments but cannot edit
    w.as_("reviewer").ok("POST", f"{base}/heatwave-drought/comments", 201, json={"body": "Source?"})
    assert_error(
        w.as_("reviewer").put(
            f"{base}/heatwave-drought/scores/2.1", json={"value": "B", "version": 2}
        ),
        403,
    )

    # expert judgements: invited experts judge; the combined range and spread are shown
    admin = w.as_("admin1")
    admin.ok(
        "POST",
        "/api/users",
        201,
        json={
            "username": "expert2",
            "password": "expert2-password-1",
            "clearance": "Departementaal Vertrouwelijk",
        },
    )
    coord.ok("PUT", f"/api/editions/{pub}/members/expert2", json={"role": "expert"})
    invited = coord.ok(
        "POST",
        f"/api/editions/{pub}/invitations",
        201,
        json={"expert": "expert2", "scenarios": ["heatwave-drought"]},
    )
    assert invited == {"invited": 1}
    coord.ok(
        "POST",
        f"/api/editions/{pub}/invitations",
        201,
        json={"expert": "expert", "scenarios": ["heatwave-drought"]},
    )
    token2 = w.anon.ok(
        "POST", "/api/login", json={"username": "expert2", "password": "expert2-password-1"}
    )["token"]
    expert2 = w.http.client(token2)
    expert.ok(
        "PUT",
        f"{base}/heatwave-drought/judgements/4.1",
        json={"class": "B", "rationale": "dry peat"},
    )
    expert2.ok(
        "PUT",
        f"{base}/heatwave-drought/judgements/4.1",
        json={"class": "C-D", "rationale": "fires"},
    )
    summary = coord.ok("GET", f"{base}/heatwave-drought/judgements")["4.1"]
    assert summary["experts"] == 2 and summary["spread"] == "B-D"
    assert {j["expert"] for j in summary["judgements"]} == {"expert", "expert2"}
    own = expert.ok("GET", f"{base}/heatwave-drought/judgements")["4.1"]
    assert [j["expert"] for j in own["judgements"]] == ["expert"], "experts judge independently"
    assert_error(
        expert.put(f"{base}/severe-storm-and-freezing-rain/judgements/4.1", json={"class": "B"}),
        403,
    )

    # the workflow: draft -> review -> adopted (read-only) -> published
    assert (
        coord.ok("POST", f"/api/editions/{pub}/transition", json={"to": "review"})["status"]
        == "review"
    )
    assert (
        coord.ok(
            "POST",
            f"/api/editions/{pub}/transition",
            json={"to": "draft", "reason": "one more fix"},
        )["status"]
        == "draft"
    )
    coord.ok("POST", f"/api/editions/{pub}/transition", json={"to": "review"})
    assert (
        coord.ok("POST", f"/api/editions/{pub}/transition", json={"to": "adopted"})["status"]
        == "adopted"
    )
    version = analyst.ok("GET", f"{base}/heatwave-drought")["scores"]["2.1"]["version"]
    r = analyst.put(f"{base}/heatwave-drought/scores/2.1", json={"value": "B", "version": version})
    assert "read-only" in assert_error(r, 409)["message"]
    assert_error(expert.put(f"{base}/heatwave-drought/judgements/4.1", json={"class": "E"}), 409)
    assert_error(coord.post(f"/api/editions/{pub}/transition", json={"to": "draft"}), 409)
    assert (
        coord.ok("POST", f"/api/editions/{pub}/transition", json={"to": "published"})["status"]
        == "published"
    )
    assert_error(coord.post(f"/api/editions/{pub}/transition", json={"to": "review"}), 409)
    assert_error(analyst.post(f"/api/editions/{pub}/transition", json={"to": "review"}), 403)

    # the next cycle starts as a copy; analysts change it; the diff shows what changed
    nxt = coord.ok(
        "POST",
        f"/api/editions/{pub}/copy",
        201,
        json={"slug": "nl-2027", "title": "Risk picture 2027"},
    )
    assert nxt["parent"] == pub and nxt["status"] == "draft" and nxt["title"] == "Risk picture 2027"
    coord.ok("PUT", f"/api/editions/{nxt['id']}/members/analyst", json={"role": "analyst"})
    coord.ok("PUT", f"/api/editions/{nxt['id']}/members/reader", json={"role": "reader"})
    nbase = f"/api/editions/{nxt['id']}/scenarios"
    v = analyst.ok("GET", f"{nbase}/national-power-blackout")["scores"]["2.1"]["version"]
    analyst.ok(
        "PUT",
        f"{nbase}/national-power-blackout/scores/2.1",
        json={"value": {"min": 5000, "max": 20000}, "version": v},
    )
    v = analyst.ok("GET", f"{nbase}/national-power-blackout")["version"]
    analyst.ok(
        "PUT", f"{nbase}/national-power-blackout/likelihood", json={"value": "E", "version": v}
    )
    diff = w.as_("reader").ok("GET", f"/api/editions/{pub}/diff/{nxt['id']}")
    assert diff["from"]["id"] == pub and diff["to"]["id"] == nxt["id"]
    assert diff["added"] == [] and diff["removed"] == []
    changed = {c["id"]: c["criteria"] for c in diff["scores_changed"]}
    assert "2.1" in changed["national-power-blackout"], diff["scores_changed"]
    assert "national-power-blackout" in {m["id"] for m in diff["moved"]}
    assert SECRET_SLUG not in json.dumps(diff)

    # an edition with a scenario removed and one added
    raw = example_raw()
    raw["edition"]["id"] = "other-shape"
    raw["scenarios"] = [s for s in raw["scenarios"] if s["id"] != "river-flood"]
    # its links, variants and compounds go with it (a workbook may not name a missing one)
    raw.update(visible_sections(raw, {s["id"] for s in raw["scenarios"]}))
    raw["scenarios"].append({**raw["scenarios"][0], "id": "brand-new", "title": "Brand new"})
    other = admin.ok("POST", "/api/editions", 201, json=raw)
    diff = admin.ok("GET", f"/api/editions/{pub}/diff/{other['id']}")
    assert diff["added"] == ["brand-new"]
    assert diff["removed"] == sorted(["river-flood", SECRET_SLUG])
    assert admin.ok("GET", "/api/audit/verify") == {"intact": True}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_users_are_created_by_administrators_within_their_clearance(world: World) -> None:
    w = world
    coordinator_admin = {
        "username": "dv-admin",
        "password": "dv-admin-password",
        "clearance": "Departementaal Vertrouwelijk",
        "is_admin": True,
    }
    made = w.as_("admin1").ok("POST", "/api/users", 201, json=coordinator_admin)
    assert made["organisation"] == "org1" and made["clearance"] == "Departementaal Vertrouwelijk"
    token = w.anon.ok(
        "POST", "/api/login", json={"username": "dv-admin", "password": "dv-admin-password"}
    )["token"]
    dv_admin = w.http.client(token)
    r = dv_admin.post(
        "/api/users",
        json={
            "username": "too-high",
            "password": "too-high-password",
            "clearance": "Staatsgeheim Geheim",
        },
    )
    assert_error(r, 403)
    r = dv_admin.post("/api/users", json={"username": "reader", "password": "duplicate-password"})
    assert_error(r, 409)
    r = dv_admin.post(
        "/api/users",
        json={"username": "odd", "password": "odd-password-12", "clearance": "Top Secret"},
    )
    assert_error(r, 400)
    # the DV administrator does not see the secret edition of its own organisation
    ids = {e["id"] for e in dv_admin.ok("GET", "/api/editions")}
    assert w.pub in ids and w.secret not in ids
    assert dv_admin.ok("GET", f"/api/editions/{w.pub}")["scenarios"] == EXAMPLE_SCENARIOS
