"""Plans (phases 2 and 3) in the shared system, through the API on both databases.

One world per module and database (api_support.build_world): the bundled example plan is
imported once, a contributor of another organisation ('jenv') is given a role on the example
edition, and a small edition with nothing classified serves the report's marking. Tests that
change a plan import a small plan of their own (its own id), so they do not depend on each
other's order; refused changes are proved harmless by comparing every table before and after.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import yaml
from api_support import (
    DV,
    ROOT,
    SECRET_SLUG,
    SG,
    Caller,
    World,
    assert_error,
    build_world,
    markers_in,
    small_raw,
    snapshot,
)
from sqlalchemy import delete, insert, select, update

from natrisk.services import accounts, audit, plan_store
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry, MeasureRecord, Membership, PlanRecord

PLAN_FILE = ROOT / "examples" / "nl-plan-2026.yaml"
EDITION = "nl-example-2026"  # the slug of the world's example edition (pub)
SMALL_EDITION = "plans-small-edition"  # an edition with nothing classified in it
CONTRIBUTOR = "contrib-jenv"  # a user of organisation 'jenv', contributor on pub

# markers of this module: classified text that must never reach a user below its level
M_DV_MEASURE = "MARKER-PLAN-DV-MEASURE-3e9a"
M_SG_MEASURE = "MARKER-PLAN-SG-MEASURE-3e9a"
M_SG_PLAN = "MARKER-PLAN-SG-PLAN-3e9a"

EN_HEADINGS = (
    "Summary",
    "Development of the threat and the risks",
    "Development of resilience",
    "Development of the approach",
)

NL_HEADINGS = (
    "Samenvatting",
    "Ontwikkeling van de dreiging en de risico's",
    "Ontwikkeling van de weerbaarheid",
    "Ontwikkeling van de aanpak",
)

FULL = {"people": 4, "material": 4, "knowledge": 4, "skills": 4, "procedures": 4}


# ---------------------------------------------------------------------------- plan files


@functools.cache
def _example_plan() -> dict[str, Any]:
    return yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))


def example_plan() -> dict[str, Any]:
    """The bundled example plan as plain data (a fresh copy)."""
    return copy.deepcopy(_example_plan())


def measure(mid: str, owner: str, **extra: Any) -> dict[str, Any]:
    """A measure under line al-1 with one milestone and one indicator."""
    return {
        "id": mid,
        "title": f"Measure {mid}",
        "line": "al-1",
        "owner": owner,
        "phase": "preparation",
        "status": "planned",
        "milestones": [{"title": "Plan ready", "due": "2026-06-30"}],
        "indicators": [
            {"id": "i-1", "title": "Share ready", "unit": "%", "target": 90, "direction": "up"}
        ],
        **extra,
    }


def small_plan(
    pid: str, edition: str = EDITION, a: str = "coastal-flood", b: str = "river-flood"
) -> dict[str, Any]:
    """A small plan: a gap (evac-transport 2 < 4), a duplication (task water), two measures."""
    return {
        "format": "natrisk-plan/1",
        "plan": {"id": pid, "title": f"Plan {pid}", "edition": edition, "priority": "all"},
        "security_issues": [
            {"id": "floods", "title": "Floods", "lead": "ienw", "scenarios": [a, b]},
            {"id": "others", "title": "Others", "lead": "jenv", "scenarios": [b]},
        ],
        "tasks": [
            {"id": "evacuation", "title": "Evacuation", "scenarios": {a: 4, b: 3}},
            {"id": "water", "title": "Drinking water", "scenarios": {a: 3}},
        ],
        "capabilities": [
            {
                "id": "evac-transport",
                "title": "Evacuation transport",
                "owner": "national",
                "holder": "bzk",
                "phase": "response",
                "tasks": ["evacuation"],
                "current": 2,
            },
            {
                "id": "water-a",
                "title": "Emergency water (companies)",
                "owner": "private",
                "holder": "vewin",
                "phase": "response",
                "tasks": ["water"],
                "current": 3,
            },
            {
                "id": "water-b",
                "title": "Emergency water (defence)",
                "owner": "national",
                "holder": "def",
                "phase": "response",
                "tasks": ["water"],
                "current": 3,
            },
        ],
        "strategies": [
            {
                "id": "vs",
                "title": "Strategy",
                "start": "2023-04-01",
                "end": "2029-12-31",
                "lines": [{"id": "al-1", "title": "Line one", "issues": ["floods"]}],
            }
        ],
        "measures": [
            measure("m-jenv", "jenv", targets=[{"scenario": a, "likelihood": "A"}]),
            measure("m-bzk", "bzk"),
        ],
    }


def plan_bytes(raw: dict[str, Any]) -> bytes:
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True).encode("utf-8")


def upload(
    caller: Caller, edition_id: int, content: Any, name: str = "plan.yaml"
) -> httpx.Response:
    """POST a plan file (plain data is written as YAML) to an edition."""
    data = content if isinstance(content, bytes) else plan_bytes(content)
    return caller.post(
        f"/api/editions/{edition_id}/plans",
        files={"file": (name, data, "application/yaml")},
    )


def imported(caller: Caller, edition_id: int, content: Any) -> int:
    """Import a plan that must be accepted; its id."""
    r = upload(caller, edition_id, content)
    assert r.status_code == 201, r.text[:800]
    return int(r.json()["id"])


# ---------------------------------------------------------------------------- the world


@dataclass
class PlanWorld:
    w: World
    example: int  # the bundled example plan, imported by the coordinator on pub
    small: int  # an edition of admin1 with nothing classified


@pytest.fixture(scope="module")
def pw(shared_database: Database, api_environment: None) -> Iterator[PlanWorld]:
    w = build_world(shared_database)
    with shared_database.session() as s:
        user = accounts.add_user(s, CONTRIBUTOR, "contributor-password-123", "jenv", DV)
        w.user_ids[CONTRIBUTOR] = user.id
        w.tokens[CONTRIBUTOR] = accounts.issue_token(user)
    # the coordinator gives a user of another organisation the contributor role
    member = w.as_("coord").ok(
        "PUT", f"/api/editions/{w.pub}/members/{CONTRIBUTOR}", json={"role": "contributor"}
    )
    assert member == {"username": CONTRIBUTOR, "role": "contributor"}
    example = imported(w.as_("coord"), w.pub, PLAN_FILE.read_bytes())
    small = w.as_("admin1").ok(
        "POST", "/api/editions", 201, json=small_raw(SMALL_EDITION, "Plans small edition")
    )["id"]
    yield PlanWorld(w, example, small)
    w.wait_for_runs()
    w.http.close()


def measures_by_id(caller: Caller, pid: int) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in caller.ok("GET", f"/api/plans/{pid}/measures")}


# ---------------------------------------------------------------------------- import


def test_import_list_get_and_export(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    listed = coord.ok("GET", f"/api/editions/{w.pub}/plans")
    entry = next(p for p in listed if p["id"] == pw.example)
    assert entry["slug"] == "nl-plan-2026"
    assert entry["edition"] == w.pub
    assert entry["classification"] == "Openbaar"
    assert entry["version"] == 1
    assert entry["your_role"] == "coordinator"

    got = coord.ok("GET", f"/api/plans/{pw.example}")
    assert got["version"] == 1 and got["slug"] == "nl-plan-2026"
    doc = got["plan"]
    assert doc["format"] == "natrisk-plan/1"
    assert doc["plan"]["id"] == "nl-plan-2026" and doc["plan"]["edition"] == EDITION
    source = example_plan()
    assert [m["id"] for m in doc["measures"]] == [m["id"] for m in source["measures"]]
    assert [i["id"] for i in doc["security_issues"]] == [i["id"] for i in source["security_issues"]]
    assert len(doc["capabilities"]) == len(source["capabilities"])
    assert len(doc["weighings"]) == len(source["weighings"])

    # the reader and the contributor of another organisation see the plan too
    for name, role in (("reader", "reader"), (CONTRIBUTOR, "contributor")):
        listed = w.as_(name).ok("GET", f"/api/editions/{w.pub}/plans")
        assert pw.example in [p["id"] for p in listed], name
        assert w.as_(name).ok("GET", f"/api/plans/{pw.example}")["your_role"] == role

    r = coord.get(f"/api/plans/{pw.example}/export.yaml")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("application/yaml")
    assert 'filename="nl-plan-2026.yaml"' in r.headers["content-disposition"]
    assert yaml.safe_load(r.text) == doc


def test_an_exported_plan_imports_again(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    text = coord.get(f"/api/plans/{pw.example}/export.yaml").text
    original = coord.ok("GET", f"/api/plans/{pw.example}")["plan"]

    # the same file under another id, into the same edition
    raw = yaml.safe_load(text)
    raw["plan"]["id"] = "nl-plan-2026-again"
    again = imported(coord, w.pub, raw)
    doc = coord.ok("GET", f"/api/plans/{again}")["plan"]
    assert doc["plan"]["id"] == "nl-plan-2026-again"
    assert {**doc, "plan": original["plan"]} == original

    # unchanged but for its edition, into a copy of the edition (the next cycle)
    copied = coord.ok(
        "POST", f"/api/editions/{w.pub}/copy", 201, json={"slug": "nl-plans-2027", "title": "Next"}
    )["id"]
    raw = yaml.safe_load(text)
    raw["plan"]["edition"] = "nl-plans-2027"
    into_copy = imported(coord, copied, raw)
    listed = coord.ok("GET", f"/api/editions/{copied}/plans")
    assert [p["id"] for p in listed] == [into_copy]
    doc = coord.ok("GET", f"/api/plans/{into_copy}")["plan"]
    assert {**doc, "plan": original["plan"]} == original


def _bad_cases() -> list[tuple[str, Any, int, str]]:
    """(what, file content, status, text the error must mention)."""
    cases: list[tuple[str, Any, int, str]] = []

    raw = small_plan("bad-owner")
    del raw["capabilities"][0]["owner"]
    cases.append(("capability without owner", raw, 400, "required field is missing"))

    raw = small_plan("bad-line")
    raw["measures"][1]["line"] = "al-missing"
    cases.append(("measure on a missing line", raw, 400, "no action line 'al-missing'"))

    raw = small_plan("bad-level")
    raw["tasks"][0]["scenarios"]["coastal-flood"] = 9
    cases.append(("required level outside scale", raw, 400, "outside the scale 0..4"))

    raw = small_plan("bad-cycle")
    raw["strategies"][0]["replaces"] = "vs-old"
    raw["strategies"].append(
        {
            "id": "vs-old",
            "title": "Old",
            "start": "2019-01-01",
            "end": "2023-03-31",
            "replaces": "vs",
        }
    )
    cases.append(("cycle in replaces", raw, 400, "cycle"))

    raw = small_plan("bad-milestone")
    raw["measures"][0]["milestones"][0]["due"] = "2020-01-01"
    cases.append(("milestone before strategy start", raw, 400, "before strategy 'vs' began"))

    raw = small_plan("bad-edition", edition="nl-example-2023")
    cases.append(("plan for another edition", raw, 400, "nl-example-2023"))

    cases.append(("duplicate plan id", PLAN_FILE.read_bytes(), 409, "nl-plan-2026"))
    cases.append(("not YAML", b"plan: [unclosed\n  - {x: ]\n", 400, "not valid YAML"))
    cases.append(("not UTF-8", b"\xff\xfe\x00plan\x00", 400, "not YAML or JSON text"))
    cases.append(("not a mapping", b"- a\n- b\n", 400, "mapping"))

    raw = small_plan("bad-clearance")
    raw["measures"][1]["classification"] = SG  # above the coordinator's clearance
    cases.append(("measure above the importer's clearance", raw, 403, "clearance"))
    return cases


def test_bad_imports_are_all_or_nothing(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    before = snapshot(w.db)
    plans = len(coord.ok("GET", f"/api/editions/{w.pub}/plans"))
    for what, content, status, mention in _bad_cases():
        r = upload(coord, w.pub, content)
        err = assert_error(r, status)
        told = err["message"] + " " + " ".join(p["message"] for p in err.get("problems", []))
        assert mention in told, (what, err)
        for p in err.get("problems", []):
            assert set(p) == {"file", "where", "field", "message"}, (what, p)
        assert len(coord.ok("GET", f"/api/editions/{w.pub}/plans")) == plans, what
        assert snapshot(w.db) == before, f"{what}: a refused import changed data"
    # the problems are located: the capability that lacks its owner, by id and field
    r = upload(coord, w.pub, _bad_cases()[0][1])
    problem = assert_error(r, 400)["problems"][0]
    assert problem["field"] == "owner" and "evac-transport" in problem["where"], problem


def test_only_editors_import_plans(pw: PlanWorld) -> None:
    w = pw.w
    before = snapshot(w.db)
    for name in ("reader", "reviewer", CONTRIBUTOR):
        assert_error(upload(w.as_(name), w.pub, small_plan(f"by-{name}")), 403)
    # another organisation's administrator does not see the edition at all
    assert_error(upload(w.as_("admin2"), w.pub, small_plan("by-admin2")), 404)
    assert snapshot(w.db) == before


# ---------------------------------------------------------------------------- analysis


def test_analysis_ranks_gaps_and_finds_duplications(pw: PlanWorld) -> None:
    coord = pw.w.as_("coord")
    a = coord.ok("GET", f"/api/plans/{pw.example}/analysis")
    assert a["plan"] == "nl-plan-2026" and a["edition"] == EDITION
    assert a["prioritised"]
    gaps = a["gaps"]
    assert gaps, "the example plan has capability gaps"
    assert [g["rank"] for g in gaps] == list(range(1, len(gaps) + 1))
    for g in gaps:
        assert g["required"] > g["current"] and g["shortfall"] == g["required"] - g["current"]
        assert set(g["exposed"]) <= set(a["prioritised"]), g
    fronts = [g["front"] for g in gaps if g["exposed"]]
    assert fronts == sorted(fronts), "gaps exposing higher risks rank first"
    assert a["duplications"], "the example plan has a duplicated task"
    for d in a["duplications"]:
        assert len(d["capabilities"]) >= 2 and len(d["holders"]) >= 2, d
    caps = [c["id"] for c in example_plan()["capabilities"]]
    assert sorted(a["requirements"]) == sorted(caps)
    assert len(a["weighings"]) == len(example_plan()["security_issues"])

    top = gaps[0]
    cap = coord.ok("GET", f"/api/plans/{pw.example}/capabilities/{top['capability']}")
    assert cap["required"][top["dimension"]] == top["required"]
    assert cap["current"][top["dimension"]] == top["current"]
    needed = cap["needed_by"]
    assert needed and {"scenario", "task", "prioritised", "front", "levels", "short"} <= set(
        needed[0]
    )
    assert set(top["exposed"]) <= {n["scenario"] for n in needed}
    assert any(top["dimension"] in n["short"] for n in needed)
    r = coord.get(f"/api/plans/{pw.example}/capabilities/no-such-capability")
    assert_error(r, 404)

    coverage = coord.ok("GET", f"/api/plans/{pw.example}/coverage")
    assert coverage
    assert {row["scenario"] for row in coverage} <= set(a["prioritised"])
    for row in coverage:
        assert {"scenario", "front", "tasks"} <= set(row)
        for cell in row["tasks"]:
            assert {"task", "capabilities"} <= set(cell)
            for c in cell["capabilities"]:
                assert c["capability"] in caps and isinstance(c["meets"], bool)


def test_small_plan_analysis(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    pid = imported(coord, w.pub, small_plan("analysis-small"))
    a = coord.ok("GET", f"/api/plans/{pid}/analysis")
    assert {(g["capability"], g["dimension"]) for g in a["gaps"]} == {
        ("evac-transport", d) for d in FULL
    }
    assert [g["rank"] for g in a["gaps"]] == [1, 2, 3, 4, 5]
    assert [d["task"] for d in a["duplications"]] == ["water"]
    assert sorted(a["duplications"][0]["capabilities"]) == ["water-a", "water-b"]
    cap = coord.ok("GET", f"/api/plans/{pid}/capabilities/evac-transport")
    assert cap["required"] == FULL
    assert cap["current"] == dict.fromkeys(FULL, 2)
    assert {(n["scenario"], n["task"]) for n in cap["needed_by"]} == {
        ("coastal-flood", "evacuation"),
        ("river-flood", "evacuation"),
    }


# ---------------------------------------------------------------------------- weighing


def test_weighing_gives_a_verdict_and_refuses_bad_changes(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    pid = imported(coord, w.pub, small_plan("weighing"))
    url = f"/api/plans/{pid}/weighings/floods"
    yes = {"answer": True, "rationale": "There is one."}
    no = {"answer": False, "rationale": "Not enough."}

    body = coord.ok("PUT", url, params={"version": 1}, json={"integrated": yes, "sufficient": no})
    assert body == {"issue": "floods", "verdict": "strengthened", "version": 2}
    doc = coord.ok("GET", f"/api/plans/{pid}")
    assert doc["version"] == 2
    [weighing] = doc["plan"]["weighings"]
    assert weighing["issue"] == "floods" and weighing["sufficient"]["answer"] is False
    assert weighing["author"] == "coord"

    body = coord.ok("PUT", url, params={"version": 2}, json={"integrated": yes, "sufficient": yes})
    assert body["verdict"] == "sustained" and body["version"] == 3
    weighings = coord.ok("GET", f"/api/plans/{pid}")["plan"]["weighings"]
    assert len(weighings) == 1 and weighings[0]["sufficient"]["answer"] is True
    summary = coord.ok("GET", f"/api/plans/{pid}/analysis")["weighings"]
    assert {row["issue"]: row["verdict"] for row in summary} == {
        "floods": "sustained",
        "others": None,
    }
    an = pw.w.as_("analyst").ok(
        "PUT", url, params={"version": 3}, json={"integrated": no, "sufficient": no}
    )
    assert an["verdict"] == "strengthened" and an["version"] == 4

    before = snapshot(w.db)
    # a rationale is required
    r = coord.put(url, json={"integrated": {"answer": True}, "sufficient": no})
    err = assert_error(r, r.status_code)
    assert r.status_code in (400, 422), err
    assert "rationale" in str(err.get("problems", "")) + err["message"], err
    # no such issue
    assert_error(
        coord.put(
            f"/api/plans/{pid}/weighings/no-issue", json={"integrated": yes, "sufficient": yes}
        ),
        404,
    )
    # a stale version
    r = coord.put(url, params={"version": 2}, json={"integrated": yes, "sufficient": yes})
    assert_error(r, 409)
    # roles without 'edit'
    for name in ("reader", CONTRIBUTOR):
        assert_error(w.as_(name).put(url, json={"integrated": yes, "sufficient": yes}), 403)
    assert_error(
        coord.put(
            "/api/plans/987654/weighings/floods", json={"integrated": yes, "sufficient": yes}
        ),
        404,
    )
    assert snapshot(w.db) == before


# ---------------------------------------------------------------------------- levels


def test_raising_current_levels_closes_the_gap(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    pid = imported(coord, w.pub, small_plan("levels"))
    levels = f"/api/plans/{pid}/capabilities/evac-transport/levels"
    gaps = coord.ok("GET", f"/api/plans/{pid}/analysis")["gaps"]
    assert {g["capability"] for g in gaps} == {"evac-transport"}

    before = snapshot(w.db)
    for body, status in (
        ({"levels": {"people": 9}, "version": 1}, 400),  # outside the scale 0..4
        ({"levels": {"people": -1}, "version": 1}, 400),
        ({"levels": {"courage": 3}, "version": 1}, 400),  # no such dimension
        ({"levels": {"people": 4}, "version": 7}, 409),  # stale
    ):
        assert_error(coord.put(levels, json=body), status)
    assert_error(
        coord.put(f"/api/plans/{pid}/capabilities/nothing/levels", json={"levels": FULL}), 404
    )
    for name in ("reader", CONTRIBUTOR):
        assert_error(w.as_(name).put(levels, json={"levels": FULL, "version": 1}), 403)
    assert snapshot(w.db) == before

    body = coord.ok("PUT", levels, json={"levels": FULL, "rationale": "Buses bought", "version": 1})
    assert body == {"ok": True, "version": 2}
    a = coord.ok("GET", f"/api/plans/{pid}/analysis")
    assert a["gaps"] == []
    assert a["requirements"]["evac-transport"]["current"] == FULL
    cap = coord.ok("GET", f"/api/plans/{pid}")["plan"]["capabilities"][0]
    assert cap["id"] == "evac-transport" and cap["rationale"] == "Buses bought"


# ---------------------------------------------------------------------------- measures


def progress_body(**extra: Any) -> dict[str, Any]:
    return {"status": "running", "note": "Under way", "date": "2026-05-01", **extra}


def test_measures_follow_their_owner(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    contrib, analyst = w.as_(CONTRIBUTOR), w.as_("analyst")
    pid = imported(coord, w.pub, small_plan("owners"))
    url = f"/api/plans/{pid}/measures"

    seen = measures_by_id(contrib, pid)
    assert set(seen) == {"m-jenv", "m-bzk"}
    assert seen["m-jenv"]["editable"] is True and seen["m-bzk"]["editable"] is False
    assert seen["m-jenv"]["version"] == 1 and seen["m-jenv"]["classification"] == "Openbaar"
    assert {m["editable"] for m in measures_by_id(coord, pid).values()} == {True}
    assert {m["editable"] for m in measures_by_id(analyst, pid).values()} == {False}

    # refusals change nothing
    before = snapshot(w.db)
    assert_error(contrib.post(url, json=measure("m-new-bzk", "bzk")), 403)
    assert_error(contrib.post(f"{url}/m-bzk/progress", json=progress_body()), 403)
    assert_error(analyst.post(url, json=measure("m-new-jenv", "jenv")), 403)
    assert_error(analyst.post(f"{url}/m-jenv/progress", json=progress_body()), 403)
    assert_error(w.as_("reader").post(url, json=measure("m-new-org1", "org1")), 403)
    assert_error(w.as_("reader").post(f"{url}/m-jenv/progress", json=progress_body()), 403)
    assert_error(contrib.post(f"{url}/m-nothing/progress", json=progress_body()), 404)
    assert_error(contrib.post(f"{url}/m-jenv/progress", json=progress_body(version=7)), 409)
    assert_error(contrib.post(url, json=measure("m-jenv", "jenv")), 409)  # id taken
    assert_error(contrib.post(url, json=measure("m-bad", "jenv", line="al-9")), 400)
    bad_status = progress_body(status="finished")
    assert_error(contrib.post(f"{url}/m-jenv/progress", json=bad_status), 400)
    assert_error(
        contrib.post(f"{url}/m-jenv/progress", json=progress_body(values={"i-9": 1.0})), 400
    )
    assert snapshot(w.db) == before

    # the contributor creates and reports on their own organisation's measures
    assert contrib.ok("POST", url, 201, json=measure("m-new-jenv", "jenv")) == {"id": "m-new-jenv"}
    body = contrib.ok(
        "POST",
        f"{url}/m-jenv/progress",
        201,
        json=progress_body(values={"i-1": 40}, milestones_done=["Plan ready"], version=1),
    )
    assert body == {"id": "m-jenv", "status": "running"}
    m = measures_by_id(contrib, pid)["m-jenv"]
    assert m["status"] == "running" and m["version"] == 2
    assert m["indicators"][0]["values"] == [{"date": "2026-05-01", "value": 40.0}]
    assert m["milestones"][0]["done"] == "2026-05-01"
    assert m["progress"][-1]["author"] == CONTRIBUTOR
    assert m["progress"][-1]["note"] == "Under way"
    # its version moved on: the old one is stale
    assert_error(contrib.post(f"{url}/m-jenv/progress", json=progress_body(version=1)), 409)

    # an analyst of the edition's own organisation works on measures of that organisation
    assert analyst.ok("POST", url, 201, json=measure("m-org1", "org1")) == {"id": "m-org1"}
    # the coordinator edits every measure
    done = progress_body(status="done", version=1)
    assert coord.ok("POST", f"{url}/m-bzk/progress", 201, json=done)["status"] == "done"
    assert coord.ok("POST", f"{url}/m-jenv/progress", 201, json=progress_body(version=2))["status"]
    assert coord.ok("POST", url, 201, json=measure("m-coord-bzk", "bzk"))["id"] == "m-coord-bzk"
    final = measures_by_id(coord, pid)
    assert set(final) == {"m-jenv", "m-bzk", "m-new-jenv", "m-org1", "m-coord-bzk"}
    assert final["m-bzk"]["status"] == "done"
    assert final["m-jenv"]["version"] == 3
    assert [m["id"] for m in coord.ok("GET", f"/api/plans/{pid}")["plan"]["measures"]] == [
        "m-jenv",
        "m-bzk",
        "m-new-jenv",
        "m-org1",
        "m-coord-bzk",
    ]


def test_a_contributor_changes_nothing_else(pw: PlanWorld) -> None:
    w = pw.w
    contrib = w.as_(CONTRIBUTOR)
    before = snapshot(w.db)
    flood = f"/api/editions/{w.pub}/scenarios/coastal-flood"
    assert_error(contrib.put(flood + "/scores/1.2", json={"value": "B", "version": 1}), 403)
    assert_error(contrib.post(flood + "/comments", json={"body": "hi"}), 403)
    r = contrib.put(
        f"/api/plans/{pw.example}/capabilities/strategic-stocks/levels", json={"levels": FULL}
    )
    assert_error(r, 403)
    assert snapshot(w.db) == before


def test_a_contributor_role_is_only_for_plans_of_other_organisations(pw: PlanWorld) -> None:
    w = pw.w
    # a user of another organisation gets no other role than contributor
    r = w.as_("coord").put(f"/api/editions/{w.pub}/members/{CONTRIBUTOR}", json={"role": "analyst"})
    assert_error(r, 404)
    with w.db.session() as s:
        member = s.get(Membership, (w.user_ids[CONTRIBUTOR], w.pub))
        assert member is not None and member.role == "contributor"


# ---------------------------------------------------------------------------- clearance


def classified_plan(pid: str) -> dict[str, Any]:
    """A small plan that names the secret scenario and has DV and SG measures."""
    raw = small_plan(pid)
    raw["security_issues"][0]["scenarios"].append(SECRET_SLUG)
    raw["tasks"][0]["scenarios"][SECRET_SLUG] = 4
    raw["measures"] += [
        {**measure("m-dv", "jenv", classification=DV), "title": f"Measure {M_DV_MEASURE}"},
        {
            **measure("m-sg", "jenv", classification=SG),
            "title": f"Measure {M_SG_MEASURE}",
            "targets": [{"scenario": SECRET_SLUG, "likelihood": "A"}],
        },
    ]
    return raw


def test_classified_measures_and_scenarios_are_absent_below_clearance(pw: PlanWorld) -> None:
    w = pw.w
    pid = imported(w.as_("admin1"), w.pub, classified_plan("classified"))
    base = f"/api/plans/{pid}"
    reads = [
        "",
        "/measures",
        "/export.yaml",
        "/analysis",
        "/coverage",
        "/capabilities/evac-transport",
        "/targets",
        "/calendar",
    ]

    def plan_of(name: str) -> dict[str, Any]:
        return w.as_(name).ok("GET", base)["plan"]

    # the administrator (Staatsgeheim Geheim) sees everything
    doc = plan_of("admin1")
    assert [m["id"] for m in doc["measures"]] == ["m-jenv", "m-bzk", "m-dv", "m-sg"]
    assert SECRET_SLUG in doc["tasks"][0]["scenarios"]
    assert SECRET_SLUG in doc["security_issues"][0]["scenarios"]

    hidden = {
        "reader": ({"m-dv", "m-sg"}, [M_DV_MEASURE, M_SG_MEASURE, SECRET_SLUG]),
        "coord": ({"m-sg"}, [M_SG_MEASURE, SECRET_SLUG]),
        CONTRIBUTOR: ({"m-sg"}, [M_SG_MEASURE, SECRET_SLUG]),
    }
    for name, (absent, markers) in hidden.items():
        caller = w.as_(name)
        doc = plan_of(name)
        ids = [m["id"] for m in doc["measures"]]
        assert not absent & set(ids), (name, ids)
        assert not absent & set(measures_by_id(caller, pid)), name
        assert SECRET_SLUG not in doc["tasks"][0]["scenarios"], name
        assert SECRET_SLUG not in doc["security_issues"][0]["scenarios"], name
        for path in reads:
            r = caller.get(base + path)
            assert r.status_code == 200, (name, path, r.text[:300])
            assert not markers_in(r.content, markers), (name, path, markers_in(r.content, markers))
        if name == "reader":  # the report (costly to render) once, for the lowest clearance
            page = caller.get(base + "/review.html")
            assert page.status_code == 200, page.text[:300]
            assert not markers_in(page.content, markers)
            assert 'class="marking"' not in page.text  # nothing classified in their view
        for mid in [*absent, "m-none"]:
            r = caller.post(f"{base}/measures/{mid}/progress", json=progress_body())
            if name == "reader":  # no role to report progress: refused alike, seen or not
                assert_error(r, 403)
            else:  # a hidden measure's id answers exactly like one that does not exist
                assert assert_error(r, 404)["message"] == f"no measure {mid!r} in plan {pid}"
    assert "m-dv" in measures_by_id(w.as_("coord"), pid)


def test_a_classified_plan_is_absent_below_clearance(pw: PlanWorld) -> None:
    w = pw.w
    raw = small_plan("secret-plan")
    raw["plan"]["classification"] = SG
    raw["plan"]["title"] = f"Plan {M_SG_PLAN}"
    before = snapshot(w.db)
    assert_error(upload(w.as_("coord"), w.pub, raw), 403)  # above the importer's clearance
    assert snapshot(w.db) == before
    pid = imported(w.as_("admin1"), w.pub, raw)
    listed = w.as_("admin1").ok("GET", f"/api/editions/{w.pub}/plans")
    assert [p["classification"] for p in listed if p["id"] == pid] == [SG]
    paths = ["", "/measures", "/export.yaml", "/analysis", "/coverage", "/calendar", "/targets"]
    paths += ["/capabilities/evac-transport", "/review.html"]
    for name in ("coord", "reader", CONTRIBUTOR, "admin2"):
        caller = w.as_(name)
        if name != "admin2":
            r = caller.get(f"/api/editions/{w.pub}/plans")
            assert pid not in [p["id"] for p in r.json()], name
            assert not markers_in(r.content, [M_SG_PLAN]), name
        for path in paths:
            err = assert_error(caller.get(f"/api/plans/{pid}{path}"), 404)
            assert M_SG_PLAN not in err["message"], (name, path)
        r = caller.put(
            f"/api/plans/{pid}/weighings/floods",
            json={
                "integrated": {"answer": True, "rationale": "x"},
                "sufficient": {"answer": True, "rationale": "x"},
            },
        )
        assert_error(r, 404)
        assert_error(caller.post(f"/api/plans/{pid}/measures", json=measure("m-x", "jenv")), 404)


def test_measure_targets_on_hidden_scenarios_are_absent(pw: PlanWorld) -> None:
    w = pw.w
    raw = small_plan("target-leak")
    raw["measures"][0]["targets"].append({"scenario": SECRET_SLUG, "likelihood": "A"})
    pid = imported(w.as_("admin1"), w.pub, raw)
    doc = w.as_("coord").ok("GET", f"/api/plans/{pid}")["plan"]
    assert SECRET_SLUG not in str(doc)  # the plan view leaves the hidden target out
    r = w.as_("coord").get(f"/api/plans/{pid}/measures")
    assert r.status_code == 200
    assert not markers_in(r.content, [SECRET_SLUG])


# ---------------------------------------------------------------------------- audit


def test_changes_are_audited_and_the_chain_holds(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    pid = imported(coord, w.pub, small_plan("audited"))
    yes = {"answer": True, "rationale": "yes"}
    coord.ok(
        "PUT",
        f"/api/plans/{pid}/weighings/floods",
        params={"version": 1},
        json={"integrated": yes, "sufficient": yes},
    )
    coord.ok(
        "PUT",
        f"/api/plans/{pid}/capabilities/water-a/levels",
        json={"levels": {"people": 4}, "version": 2},
    )
    w.as_(CONTRIBUTOR).ok("POST", f"/api/plans/{pid}/measures", 201, json=measure("m-a", "jenv"))
    w.as_(CONTRIBUTOR).ok(
        "POST", f"/api/plans/{pid}/measures/m-a/progress", 201, json=progress_body(version=1)
    )
    with w.db.session() as s:
        count, problems = audit.verify(s)
        assert count > 0 and problems == []
        plan_entries = s.scalars(
            select(AuditEntry).where(AuditEntry.key == f"plan:{pid}").order_by(AuditEntry.id)
        ).all()
        assert [(e.entity, e.actor, e.edition_id) for e in plan_entries] == [
            ("plan", "coord", w.pub)
        ] * 3
        assert [e.reason for e in plan_entries] == [
            "import",
            "weighing floods",
            "levels of water-a",
        ]
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.key == f"plan:{pid}/measure:m-a")
            .order_by(AuditEntry.id)
        ).all()
        assert [(e.entity, e.actor, e.reason) for e in entries] == [
            ("measure", CONTRIBUTOR, "create"),
            ("measure", CONTRIBUTOR, "progress"),
        ]
        assert entries[0].old is None and entries[1].old["status"] == "planned"
        assert entries[1].new["status"] == "running"
        rows = s.scalars(select(MeasureRecord).where(MeasureRecord.plan_id == pid)).all()
        assert {r.slug for r in rows} == {"m-jenv", "m-bzk", "m-a"}
    assert w.as_("admin1").ok("GET", "/api/audit/verify") == {"intact": True}


# ---------------------------------------------------------------------------- follow-up


def test_calendar_and_targets(pw: PlanWorld) -> None:
    coord = pw.w.as_("coord")
    rows = coord.ok("GET", f"/api/plans/{pw.example}/calendar", params={"today": "2026-06-01"})
    assert rows
    for row in rows:
        assert {"kind", "title", "due", "done", "status"} <= set(row), row
        dt.date.fromisoformat(row["due"])
        assert row["done"] is None or dt.date.fromisoformat(row["done"])
    assert {r["kind"] for r in rows} >= {"milestone"}
    assert any(r["status"] == "done" for r in rows)
    assert [r["due"] for r in rows] == sorted(r["due"] for r in rows)

    targets = coord.ok("GET", f"/api/plans/{pw.example}/targets")
    assert targets
    aimed = {t["scenario"] for m in example_plan()["measures"] for t in m.get("targets", [])}
    assert {t["id"] for t in targets} <= aimed
    for t in targets:
        assert {"current", "achieved", "target"} <= set(t), t
        assert {"likelihood", "impact", "rank"} <= set(t["target"]), t


def test_progress_report_html_and_pdf(pw: PlanWorld) -> None:
    admin = pw.w.as_("admin1")
    pid = imported(
        admin, pw.small, small_plan("report", SMALL_EDITION, "small-scenario", "second-scenario")
    )
    base = f"/api/plans/{pid}"
    r = admin.get(f"{base}/review.html")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    for heading in EN_HEADINGS:
        assert heading in r.text, heading
    r = admin.get(f"{base}/review.html", params={"lang": "nl"})
    assert r.status_code == 200, r.text[:300]
    assert '<html lang="nl">' in r.text
    for heading in NL_HEADINGS:
        assert heading in html.unescape(r.text), heading
    assert_error(admin.get(f"{base}/review.html", params={"lang": "de"}), 422)
    assert_error(admin.get(f"{base}/review.txt"), 400)
    r = admin.get(f"{base}/review.pdf")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    # a name one can file: what, language and date (issue 14)
    name = re.search(r'filename="([^"]+)"', r.headers["content-disposition"])
    assert name and re.fullmatch(r"progress-report-en-\d{4}-\d{2}-\d{2}\.pdf", name.group(1)), (
        r.headers
    )

    # nothing classified: no marking; a DV measure marks the report of a cleared reader
    page = admin.get(f"{base}/review.html").text
    assert DV.upper() not in page and 'class="marking"' not in page
    admin.ok("POST", f"{base}/measures", 201, json=measure("m-dv", "org1", classification=DV))
    page = admin.get(f"{base}/review.html").text
    assert f'<div class="marking">{DV.upper()}</div>' in page
    assert "admin1" in page  # the watermark names who downloaded it


# ---------------------------------------------------------------------------- strategies


def test_strategies_of_the_example_plan(pw: PlanWorld) -> None:
    coord = pw.w.as_("coord")
    url = f"/api/plans/{pw.example}/strategies"
    data = coord.ok("GET", url, params={"today": "2026-01-15"})
    assert [s["id"] for s in data] == ["nvs-2019", "vs-2023"]
    nvs, vs = data
    assert (nvs["current"], vs["current"], vs["replaces"]) == (False, True, "nvs-2019")
    assert len(nvs["lines"]) == 12 and len(vs["lines"]) == 12
    assert [ln["id"] for ln in vs["lines"]] == [f"al-{n:02d}" for n in range(1, 13)]
    # the counts add up to the measures of each line, and to every measure of the plan
    measures = list(measures_by_id(coord, pw.example).values())
    for s in data:
        for ln in s["lines"]:
            mine = [m for m in measures if m["line"] == ln["id"]]
            assert ln["measures"] == len(mine), ln["id"]
            assert ln["done"] == sum(m["status"] == "done" for m in mine), ln["id"]
            assert ln["overdue"] <= ln["measures"] and ln["stalled"] <= ln["measures"]
    assert sum(ln["measures"] for s in data for ln in s["lines"]) == len(measures)
    source = next(s for s in example_plan()["strategies"] if s["id"] == "vs-2023")
    assert [(lk["from"], lk["to"], lk["sign"]) for lk in vs["links"]] == [
        (lk["from"], lk["to"], lk["sign"]) for lk in source["links"]
    ]
    assert {lk["sign"] for lk in vs["links"]} == {"+", "-"}
    assert [(c["from"], c["to"]) for c in vs["crosswalk"]] == [
        (c["from"], c["to"]) for c in source["crosswalk"]
    ]
    assert all(c["from_title"].startswith("nvs-2019 · ") for c in vs["crosswalk"])

    # in Dutch; read by a reader too; the flags depend on the day asked about
    dutch = coord.ok("GET", url, params={"lang": "nl", "today": "2026-01-15"})
    assert dutch[1]["lines"][0]["title"] == "Versterken van de krijgsmacht en het bondgenootschap"
    assert [ln["measures"] for ln in dutch[1]["lines"]] == [ln["measures"] for ln in vs["lines"]]
    assert pw.w.as_("reader").ok("GET", url, params={"today": "2026-01-15"}) == data
    early = coord.ok("GET", url, params={"today": "2023-04-01"})
    assert sum(ln["overdue"] for ln in early[1]["lines"]) == 0
    assert_error(coord.get(url, params={"lang": "de"}), 422)
    assert_error(coord.get(url, params={"today": "15-01-2026"}), 422)
    assert_error(coord.get("/api/plans/987654/strategies"), 404)
    assert_error(pw.w.as_("admin2").get(url), 404)


def test_strategies_count_only_the_measures_a_user_may_see(pw: PlanWorld) -> None:
    w = pw.w
    pid = imported(w.as_("admin1"), w.pub, classified_plan("strategy-clearance"))
    # al-1 holds m-jenv, m-bzk, the DV measure m-dv and the SG measure m-sg
    for name, count in (("admin1", 4), ("coord", 3), (CONTRIBUTOR, 3), ("reader", 2)):
        caller = w.as_(name)
        r = caller.get(f"/api/plans/{pid}/strategies")
        assert r.status_code == 200, (name, r.text[:300])
        (strategy,) = r.json()
        (line,) = strategy["lines"]
        assert line["measures"] == count == len(measures_by_id(caller, pid)), name
        assert not markers_in(r.content, [M_DV_MEASURE, M_SG_MEASURE, SECRET_SLUG]), name


# ---------------------------------------------------------------------------- one section


def report_sections(page: str, summary: str = "Summary") -> list[str]:
    """The headings of the report's sections (one per line or issue; appendices left out)."""
    text = html.unescape(page)
    found = re.findall(
        rf'<h2 class="pb">([^<]*)</h2>\s*<p class="small">[^\n]*\s*<h3>{summary}</h3>', text
    )
    assert text.count(f"<h3>{summary}</h3>") == len(found), found
    return [heading.strip() for heading in found]


def test_progress_report_on_one_line_or_issue(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    url = f"/api/plans/{pw.example}/review.html"
    full = coord.get(url)
    assert full.status_code == 200, full.text[:300]
    assert len(report_sections(full.text)) == 13  # twelve lines and one issue with its texts

    def one(caller: Caller, **params: str) -> str:
        r = caller.get(url, params=params)
        assert r.status_code == 200, (params, r.text[:300])
        return r.text

    page = one(coord, line="al-02")
    assert report_sections(page) == [
        "2. Countering hybrid warfare and increasing societal preparedness"
    ]
    assert re.findall(r'<div class="verdict (\w+)">', page) == ["adjust"]
    texts = next(r for r in example_plan()["reports"] if r["scope"] == {"line": "al-02"})
    assert texts["summary"] in html.unescape(page)
    # a line of the strategy before (nvs-2019), an issue, in Dutch, for a reader
    assert report_sections(one(coord, line="nvs-cyber")) == ["7. Tackling digital threats"]
    title = next(i for i in example_plan()["security_issues"] if i["id"] == "undermining")
    assert report_sections(one(coord, issue="undermining")) == [title["title"]["en"]]
    dutch = one(coord, line="al-02", lang="nl")
    assert report_sections(dutch, "Samenvatting") == [
        "2. Bestrijden hybride conflictvoering en vergroten paraatheid samenleving"
    ]
    assert report_sections(one(w.as_("reader"), issue="cyber")) == [
        "Cyber security and digital threats"
    ]
    r = coord.get(f"/api/plans/{pw.example}/review.pdf", params={"line": "al-02"})
    assert r.status_code == 200, r.text[:300]
    assert r.content.startswith(b"%PDF")

    err = assert_error(coord.get(url, params={"line": "al-99"}), 404)
    assert "al-99" in err["message"]
    err = assert_error(coord.get(url, params={"issue": "no-issue"}), 404)
    assert "no-issue" in err["message"]
    err = assert_error(coord.get(url, params={"line": "al-02", "issue": "cyber"}), 400)
    assert "not both" in err["message"]
    assert_error(coord.get(url, params={"line": "x" * 101}), 422)
    assert_error(w.as_("admin2").get(url, params={"line": "al-02"}), 404)


# ---------------------------------------------------------------------------- next cycle


def test_next_cycle_on_a_copy_of_the_edition(pw: PlanWorld) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    copied = coord.ok(
        "POST",
        f"/api/editions/{w.pub}/copy",
        201,
        json={"slug": "nl-next-cycle-2029", "title": "Next cycle"},
    )["id"]
    old = coord.ok("GET", f"/api/plans/{pw.example}")
    old_analysis = coord.ok("GET", f"/api/plans/{pw.example}/analysis")
    open_measures = [
        m for m in old["plan"]["measures"] if m.get("status") not in ("done", "cancelled")
    ]
    assert 0 < len(open_measures) < len(old["plan"]["measures"])

    url = f"/api/plans/{pw.example}/next-cycle"
    made = coord.ok("POST", url, 201, json={"edition": copied, "slug": "nl-plan-2029"})
    assert made["slug"] == "nl-plan-2029" and made["edition"] == copied
    assert (made["version"], made["your_role"], made["classification"]) == (
        1,
        "coordinator",
        "Openbaar",
    )
    listed = coord.ok("GET", f"/api/editions/{copied}/plans")
    assert [p["id"] for p in listed] == [made["id"]]

    new = coord.ok("GET", f"/api/plans/{made['id']}")["plan"]
    assert new["plan"]["id"] == "nl-plan-2029"
    assert new["plan"]["edition"] == "nl-next-cycle-2029"
    assert new["plan"]["title"]["en"].endswith("(next cycle)")
    assert new["plan"]["title"]["nl"].endswith("(volgende cyclus)")
    # open measures carried as they were; weighings, report texts and recorded events not
    assert new["measures"] == open_measures
    assert not new.get("weighings") and not new.get("reports") and not new.get("calendar")
    for part in ("security_issues", "tasks", "capabilities", "strategies"):
        assert new[part] == old["plan"][part], part
    assert {m["version"] for m in measures_by_id(coord, made["id"]).values()} == {1}
    lines = coord.ok("GET", f"/api/plans/{made['id']}/strategies")
    assert sum(ln["measures"] for s in lines for ln in s["lines"]) == len(open_measures)
    assert sum(ln["done"] for s in lines for ln in s["lines"]) == 0
    assert coord.ok("GET", f"/api/plans/{made['id']}/analysis")["gaps"] == old_analysis["gaps"]
    # the old plan is as it was
    assert coord.ok("GET", f"/api/plans/{pw.example}") == old


def test_next_cycle_refusals_change_nothing(pw: PlanWorld) -> None:
    w, coord, admin = pw.w, pw.w.as_("coord"), pw.w.as_("admin1")
    copied = coord.ok(
        "POST",
        f"/api/editions/{w.pub}/copy",
        201,
        json={"slug": "nl-next-cycle-refusals", "title": "Next cycle (refusals)"},
    )["id"]
    coord.ok(
        "POST",
        f"/api/plans/{pw.example}/next-cycle",
        201,
        json={"edition": copied, "slug": "taken-next"},
    )
    # an edition the coordinator may only read
    read_only = admin.ok(
        "POST", "/api/editions", 201, json=small_raw("next-cycle-read-only", "Read only")
    )["id"]
    admin.ok("PUT", f"/api/editions/{read_only}/members/coord", json={"role": "reader"})

    before = snapshot(w.db)
    url = f"/api/plans/{pw.example}/next-cycle"

    def refused(caller: Caller, status: int, edition: int, slug: str = "nl-plan-next") -> str:
        r = caller.post(url, json={"edition": edition, "slug": slug})
        err = assert_error(r, status)
        return " ".join([err["message"], *(p["message"] for p in err.get("problems", []))])

    for name in ("analyst", "reader", CONTRIBUTOR):  # only coordinators start the next cycle
        assert "transition" in refused(w.as_(name), 403, copied), name
    assert "another edition" in refused(coord, 400, w.pub)  # the plan's own edition
    assert "taken-next" in refused(coord, 409, copied, "taken-next")  # the id is taken there
    assert refused(coord, 403, read_only)  # a reader there may not add a plan
    for edition in (w.secret, w.org2, 987654):  # above clearance, another organisation, none
        assert refused(coord, 404, edition) == f"no edition {edition}"
    assert "may hold only" in refused(coord, 400, copied, "not an id!")
    # the small edition lacks the example's scenarios: the new plan would not be valid
    r = admin.post(url, json={"edition": pw.small, "slug": "nl-plan-small"})
    assert assert_error(r, 400).get("problems"), r.text[:500]
    assert_error(w.as_("admin2").post(url, json={"edition": w.org2, "slug": "x"}), 404)
    assert_error(
        coord.post("/api/plans/987654/next-cycle", json={"edition": copied, "slug": "x"}), 404
    )
    for body in ({"edition": 0, "slug": "x"}, {"edition": copied}, {"edition": copied, "slug": ""}):
        assert_error(coord.post(url, json=body), 422)
    assert snapshot(w.db) == before


# ---------------------------------------------------------------------------- lost races
# SQLite serialises writers (BEGIN IMMEDIATE), so only PostgreSQL can lose a race between the
# version check and the write. A competing writer is committed at exactly that moment, through
# a hook on a function the service calls in between, so the race is lost every time.


def _race(
    monkeypatch: pytest.MonkeyPatch, pw: PlanWorld, name: str, write: Callable[[Any], None]
) -> None:
    """Before the service's next call of plan_store.``name``, commit ``write`` elsewhere."""
    if pw.w.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: there is no race to lose")
    real = getattr(plan_store, name)
    fired: list[bool] = []

    def hooked(*args: Any, **kwargs: Any) -> Any:
        if not fired:
            fired.append(True)
            with pw.w.db.engine.begin() as conn:
                write(conn)
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_store, name, hooked)


LOST_RACE = (
    "BUG: on PostgreSQL a write that loses a race after the version check raises "
    "{error} (500) instead of 409: plan_store flushes with session.flush(), not through "
    "editing._flush, which turns StaleDataError/IntegrityError into Conflict"
)


def test_a_progress_report_that_loses_a_race_gets_409(
    pw: PlanWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    pid = imported(coord, w.pub, small_plan("race-measure"))
    table = MeasureRecord.__table__
    _race(
        monkeypatch,
        pw,
        "revalidated",
        lambda conn: conn.execute(
            update(table)
            .where(table.c.plan_id == pid, table.c.slug == "m-jenv")
            .values(version=table.c.version + 1)
        ),
    )
    r = w.as_(CONTRIBUTOR).post(
        f"/api/plans/{pid}/measures/m-jenv/progress", json=progress_body(version=1)
    )
    assert_error(r, 409)


def test_a_weighing_that_loses_a_race_gets_409(
    pw: PlanWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, coord = pw.w, pw.w.as_("coord")
    pid = imported(coord, w.pub, small_plan("race-weighing"))
    table = PlanRecord.__table__
    _race(
        monkeypatch,
        pw,
        "revalidated",
        lambda conn: conn.execute(
            update(table).where(table.c.id == pid).values(version=table.c.version + 1)
        ),
    )
    yes = {"answer": True, "rationale": "yes"}
    r = coord.put(
        f"/api/plans/{pid}/weighings/floods",
        params={"version": 1},
        json={"integrated": yes, "sufficient": yes},
    )
    assert_error(r, 409)


def test_an_import_that_loses_a_race_gets_409(
    pw: PlanWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = pw.w
    # level_index is first called right after the check that the plan id is free
    _race(
        monkeypatch,
        pw,
        "level_index",
        lambda conn: conn.execute(
            insert(PlanRecord.__table__).values(
                edition_id=w.pub,
                slug="race-import",
                title="Got there first",
                classification=0,
                document={},
                version=1,
                created_at=dt.datetime.now(dt.UTC),
            )
        ),
    )
    try:
        assert_error(upload(w.as_("coord"), w.pub, small_plan("race-import")), 409)
    finally:  # the competing row is not a plan any other test should meet
        with w.db.session() as s:
            s.execute(delete(PlanRecord).where(PlanRecord.slug == "race-import"))


def test_uploaded_yaml_is_read_with_the_file_guards(pw: PlanWorld) -> None:
    """An upload goes through the same reader as a file: alias bombs refused, lines named."""
    w, coord = pw.w, pw.w.as_("coord")
    before = snapshot(w.db)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + k)}: &{chr(98 + k)} [*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, "
        f"*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, "
        f"*{chr(97 + k)}, *{chr(97 + k)}]\n"
        for k in range(8)
    )
    err = assert_error(upload(coord, w.pub, bomb.encode()), 400)
    assert "expands to more than" in err["problems"][0]["message"], err
    # a problem in an uploaded YAML plan names its line, as for a file on disk
    raw = small_plan("located")
    del raw["capabilities"][0]["owner"]
    err = assert_error(upload(coord, w.pub, raw), 400)
    assert err["problems"][0]["where"].startswith("line "), err
    # a file that is not a plan format is refused by its name
    r = coord.post(
        f"/api/editions/{w.pub}/plans", files={"file": ("plan.txt", b"x: 1", "text/plain")}
    )
    assert "upload a plan as" in assert_error(r, 400)["message"]
    assert snapshot(w.db) == before
