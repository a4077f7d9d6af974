"""Clearance: nothing above the requester's clearance in any response, count or error.

Every GET route is swept as the reader (clearance Openbaar, a reader on every edition of
org1), as an analyst (Departementaal Vertrouwelijk) and as the top-cleared administrator;
every body is searched for the planted marker strings. The administrator must see every
org1 marker, so a sweep that found nothing because it asked for nothing fails too.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from api_support import (
    DV_MARKERS,
    EDITION_ROUTES,
    EXAMPLE_SCENARIOS,
    GONE,
    M_DV_RATIONALE,
    M_DV_SOURCE,
    ORG2_MARKERS,
    PERSON,
    ROUTES,
    SCENARIO_ROUTES,
    SECRET_SLUG,
    SG_MARKERS,
    Http,
    World,
    assert_error,
    call,
    markers_in,
    openapi_routes,
    small_raw,
    snapshot,
)

from natrisk.api.app import create_app
from natrisk.io.workbook import parse_workbook
from natrisk.method.aggregation import METHODS
from natrisk.services import workspace
from natrisk.services.access import Actor
from natrisk.store.database import Database
from natrisk.store.models import User

E = "/api/editions/{edition_id}"
S = E + "/scenarios/{slug}"
NOT_RENDERED = {"png"}  # text drawn as pixels cannot be searched
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def searchable(r: httpx.Response) -> bytes:
    """The body in a form the markers can be found in: an Excel file's zipped XML unpacked."""
    if r.headers["content-type"].startswith(XLSX):
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            return b"\n".join(zf.read(name) for name in zf.namelist())
    return r.content


@dataclass
class Sweep:
    """Every GET response of one user, by URL, and the route templates it used."""

    bodies: dict[str, bytes] = field(default_factory=dict)
    templates: set[str] = field(default_factory=set)
    json: dict[str, Any] = field(default_factory=dict)


MANAGERS = ("coordinator", "administrator")


def sweep(w: World, name: str, run_ids: list[int]) -> Sweep:
    """GET everything the user may see, following the ids and slugs the API itself gives."""
    c = w.as_(name)
    out = Sweep()

    def get(template: str, params: dict[str, Any] | None = None, **values: Any) -> Any:
        url = template.format(**values)
        r = c.get(url, params=params)
        assert r.status_code == 200, (name, url, params, r.status_code, r.text[:300])
        key = url + ("?" + urlencode(params) if params else "")
        out.templates.add(template)
        if values.get("fmt") not in NOT_RENDERED:
            out.bodies[key] = searchable(r)
        if r.headers["content-type"].startswith("application/json"):
            out.json[key] = r.json()
            return r.json()
        return r.content

    get("/api/me")
    get("/api/organisations")
    get("/api/sessions")
    editions = get("/api/editions")
    if PERSON[name].admin:
        get("/api/users")
        get("/api/audit/verify")
        get("/api/frameworks")
    ids = [e["id"] for e in editions]
    for eid in ids:
        get(E, edition_id=eid)
        get(E + "/export", {"format": "json"}, edition_id=eid)
        get(E + "/export", {"format": "yaml"}, edition_id=eid)
        scenarios = get(E + "/scenarios", edition_id=eid)
        if next(e["your_role"] for e in editions if e["id"] == eid) in MANAGERS:
            get(E + "/members", edition_id=eid)
        for method in METHODS:
            get(E + "/assessment", {"method": method}, edition_id=eid)
        get(E + "/diagram.{fmt}", edition_id=eid, fmt="json")
        get(E + "/picture", edition_id=eid)
        for other in ids:
            if other != eid:
                get(E + "/diff/{other_id}", edition_id=eid, other_id=other)
        for plan in get(E + "/plans", edition_id=eid):
            pid = plan["id"]
            p = "/api/plans/{plan_id}"
            doc = get(p, plan_id=pid)["plan"]
            for tail in (
                "/export.yaml",
                "/export.xlsx",
                "/analysis",
                "/coverage",
                "/measures",
                "/targets",
                "/calendar",
                "/strategies",
            ):
                get(p + tail, plan_id=pid)
            for cap in doc.get("capabilities", []):
                get(p + "/capabilities/{capability}", plan_id=pid, capability=cap["id"])
            get(p + "/review.{fmt}", plan_id=pid, fmt="html")
        if eid == w.copy:
            continue  # the copy holds the same material; its header and lists suffice
        get(E + "/diagram.{fmt}", edition_id=eid, fmt="svg")
        get(E + "/diagram.{fmt}", edition_id=eid, fmt="png")
        get(E + "/report.{fmt}", {"samples": 100}, edition_id=eid, fmt="html")
        for i, scen in enumerate(scenarios):
            slug = scen["id"]
            get(S, edition_id=eid, slug=slug)
            get(S + "/judgements", edition_id=eid, slug=slug)
            get(S + "/comments", edition_id=eid, slug=slug)
            get(S + "/history", edition_id=eid, slug=slug)
            criteria = list(scen["scores"])
            if i > 0 and slug != SECRET_SLUG:
                criteria = criteria[:1]
            for cid in criteria:
                get(S + "/scores/{criterion}/history", edition_id=eid, slug=slug, criterion=cid)
        # how threats combine: cascades, variants, compounds (issue 12)
        few = {"samples": 50}
        cascades = get(E + "/cascades", few, edition_id=eid)
        get(E + "/cascades-diagram.{fmt}", few, edition_id=eid, fmt="json")
        get(E + "/variants", edition_id=eid)
        get(E + "/compounds", few, edition_id=eid)
        get(E + "/rollup", edition_id=eid)
        for row in cascades["scenarios"][:3]:
            get(E + "/cascades/{slug}", few, edition_id=eid, slug=row["id"])
            get(
                E + "/cascades/{slug}/butterfly.{fmt}",
                few,
                edition_id=eid,
                slug=row["id"],
                fmt="json",
            )
        # what is coming at us: signals, scans, feeds, trends, deep-dives (issue 11)
        get(E + "/signals", edition_id=eid)
        get(E + "/signals-file", {"format": "yaml"}, edition_id=eid)
        get(E + "/clusters", edition_id=eid)
        get(E + "/clusters/proposed", edition_id=eid)
        get(E + "/scans", edition_id=eid)
        get(E + "/trend-sets", edition_id=eid)
        get(E + "/deepdives", edition_id=eid)
        get("/api/feeds/{edition_id}/themes/{theme}.atom", edition_id=eid, theme="cyber")
        get("/api/feeds/{edition_id}/escalated.cap", edition_id=eid)
        for scen in scenarios[:3]:
            get(S + "/origin", edition_id=eid, slug=scen["id"])
    get("/api/feed-tokens")
    get("/api/runs")
    for words in ("marker", "secret 7f3a", "flood"):  # the markers' own words, and a plain one
        get("/api/search", {"q": words})
    for run_id in run_ids:
        get("/api/runs/{run_id}", run_id=run_id)
    return out


# GET routes of objects this world does not hold (a signal, a scan, a trend set, a deep-dive,
# a regional edition, a run's file): their own tests read them, and prove their clearance
ABSENT_HERE = {
    "/api/editions/{edition_id}/signals/{slug}",
    "/api/editions/{edition_id}/signals/{slug}/history",
    "/api/editions/{edition_id}/scans/{slug}/picture",
    "/api/editions/{edition_id}/scans/{slug}/report",
    "/api/editions/{edition_id}/rollup-heatmap.{fmt}",
    "/api/trend-sets/{set_id}",
    "/api/trend-sets/{set_id}/analysis",
    "/api/trend-sets/{set_id}/export.{fmt}",
    "/api/trend-sets/{set_id}/report",
    "/api/deepdives/{dd_id}",
    "/api/runs/{run_id}/output",
}


def everything(s: Sweep) -> bytes:
    return b"\n".join(s.bodies.values())


def rows_with_ids(spec: Any) -> set[str]:
    """Ids of the scenario rows anywhere in a Vega-Lite specification."""
    found: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if "id" in x and "rank" in x:
                found.add(x["id"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(spec)
    return found


def start_run(w: World, name: str) -> int:
    r = w.as_(name).post(f"/api/editions/{w.pub}/sensitivity", json={"samples": 30, "seed": 3})
    assert r.status_code == 202, r.text
    return int(r.json()["id"])


@pytest.fixture(scope="module")
def runs_by(shared_world: World) -> dict[str, int]:
    """A finished sensitivity run on the example edition for each swept user (the reader may
    not start one: theirs is the world's run on the public view)."""
    out = {name: start_run(shared_world, name) for name in ("analyst", "admin1")}
    out["reader"] = shared_world.run_id or 0
    shared_world.wait_for_runs()
    return out


def test_the_reader_sees_no_classified_marker_and_no_hidden_count(
    shared_world: World, runs_by: dict[str, int]
) -> None:
    w = shared_world
    s = sweep(w, "reader", [runs_by["reader"], w.run_id or 0])
    assert {t for m, t in openapi_routes(w) if m == "GET"} - {
        "/api/users",
        "/api/audit/verify",
        "/api/frameworks",
        "/api/editions/{edition_id}/members",  # coordinators only
    } - ABSENT_HERE <= (s.templates), "the sweep must use every GET route the reader may use"
    leaked = {
        url: markers_in(body, SG_MARKERS + DV_MARKERS + ORG2_MARKERS)
        for url, body in s.bodies.items()
    }
    leaked = {url: found for url, found in leaked.items() if found}
    assert not leaked, f"classified markers reached the reader: {leaked}"

    editions = s.json["/api/editions"]
    assert sorted(e["id"] for e in editions) == sorted([w.pub, w.copy]), editions
    for eid in (w.pub, w.copy):
        assert s.json[f"/api/editions/{eid}"]["scenarios"] == EXAMPLE_SCENARIOS
        assert len(s.json[f"/api/editions/{eid}/scenarios"]) == EXAMPLE_SCENARIOS
        export = s.json[f"/api/editions/{eid}/export?format=json"]
        assert len(export["scenarios"]) == EXAMPLE_SCENARIOS
        for method in METHODS:
            rows = s.json[f"/api/editions/{eid}/assessment?method={method}"]["scenarios"]
            assert len(rows) == EXAMPLE_SCENARIOS, method
            assert max(r["rank"] for r in rows) <= EXAMPLE_SCENARIOS, method
        spec = s.json[f"/api/editions/{eid}/diagram.json"]
        assert len(rows_with_ids(spec)) == EXAMPLE_SCENARIOS
    diff = s.json[f"/api/editions/{w.pub}/diff/{w.copy}"]
    assert diff["added"] == [] and diff["removed"] == [], diff
    run = s.json[f"/api/runs/{runs_by['reader']}"]
    assert len(run["result"]["scenarios"]) == EXAMPLE_SCENARIOS

    flood = s.json[f"/api/editions/{w.pub}/scenarios/coastal-flood"]
    assert flood["scores"]["2.1"]["rationale"] == workspace.WITHHELD
    assert flood["scores"]["2.1"]["withheld"] is True
    assert "sources" not in flood["scores"]["2.1"] or flood["scores"]["2.1"]["sources"] == []
    history = f"/api/editions/{w.pub}/scenarios/coastal-flood/scores/{{}}/history"
    assert [h["reason"] for h in s.json[history.format("5.2")]] == ["a public change"]
    assert s.json[history.format("2.3")] == []  # its one change is classified DV
    comments = s.json[f"/api/editions/{w.pub}/scenarios/coastal-flood/comments"]
    assert [c["body"] for c in comments] == ["A public remark"]
    assert comments[0]["replies"] == []  # its one reply is classified Staatsgeheim Geheim
    report = s.bodies[f"/api/editions/{w.pub}/report.html?samples=100"].upper()
    assert b"VERTROUWELIJK" not in report and b"STAATSGEHEIM" not in report


def test_an_analyst_sees_its_level_but_nothing_above(
    shared_world: World, runs_by: dict[str, int]
) -> None:
    w = shared_world
    s = sweep(w, "analyst", [runs_by["analyst"]])
    blob = everything(s)
    assert markers_in(blob, SG_MARKERS + ORG2_MARKERS) == []
    assert markers_in(blob, DV_MARKERS) == list(DV_MARKERS)
    assert s.json[f"/api/editions/{w.pub}"]["scenarios"] == EXAMPLE_SCENARIOS
    report = s.bodies[f"/api/editions/{w.pub}/report.html?samples=100"]
    assert b"DEPARTEMENTAAL VERTROUWELIJK" in report, "the report must carry its marking"
    assert b"analyst" in report, "the report must carry a watermark naming the requester"
    assert b"STAATSGEHEIM" not in report.upper()


def test_the_top_cleared_administrator_sees_every_org1_marker(
    shared_world: World, runs_by: dict[str, int]
) -> None:
    w = shared_world
    s = sweep(w, "admin1", [runs_by["admin1"], runs_by["reader"]])
    assert {t for m, t in openapi_routes(w) if m == "GET"} - ABSENT_HERE <= s.templates
    blob = everything(s)
    assert markers_in(blob, ORG2_MARKERS) == [], "another organisation's edition leaked"
    missing = set(SG_MARKERS + DV_MARKERS) - set(markers_in(blob, SG_MARKERS + DV_MARKERS))
    assert not missing, f"the sweep did not reach these markers: {missing}"
    ids = sorted(e["id"] for e in s.json["/api/editions"])
    assert ids == sorted([w.pub, w.secret, w.copy])
    assert s.json[f"/api/editions/{w.pub}"]["scenarios"] == EXAMPLE_SCENARIOS + 1
    run = s.json[f"/api/runs/{runs_by['admin1']}"]
    assert len(run["result"]["scenarios"]) == EXAMPLE_SCENARIOS + 1
    report = s.bodies[f"/api/editions/{w.pub}/report.html?samples=100"]
    assert b"STAATSGEHEIM GEHEIM" in report and b"admin1" in report


def _shape(r: httpx.Response, *secrets: object) -> tuple[int, str, str]:
    """Status, type and message, with the requested id or slug taken out."""
    err = assert_error(r, r.status_code)
    message = err["message"]
    for value in secrets:
        message = re.sub(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])", "<x>", message)
    return r.status_code, err["type"], message


@pytest.mark.parametrize("name", ["reader", "analyst", "expert", "coord"])
def test_a_secret_scenario_is_answered_like_a_missing_one(shared_world: World, name: str) -> None:
    w = shared_world
    c = w.as_(name)
    for key in SCENARIO_ROUTES:
        criterion = "5.2"  # scored on the secret scenario, not on the missing one
        secret = call(w, c, key, slug=SECRET_SLUG, criterion=criterion)
        missing = call(w, c, key, slug="no-such-scenario", criterion=criterion)
        if name in ROUTES[key].allowed:
            assert secret.status_code == 404, (key, secret.text)
        assert _shape(secret, SECRET_SLUG) == _shape(missing, "no-such-scenario"), key


COMMENT_ROUTES = [key for key in ROUTES if "{comment_id}" in key[1]]


@pytest.mark.parametrize("name", ["reader", "reviewer", "analyst", "coord"])
def test_a_classified_comment_is_answered_like_a_missing_one(
    shared_world: World, name: str
) -> None:
    """Comment 1 is classified Staatsgeheim Geheim: replying to it, resolving or reopening it
    is answered exactly as for a comment that was never there, and nothing changes."""
    w = shared_world
    c = w.as_(name)
    before = snapshot(w.db)
    assert COMMENT_ROUTES
    for key in COMMENT_ROUTES:
        secret = call(w, c, key, comment_id=1)
        missing = call(w, c, key, comment_id=GONE)
        if name in ROUTES[key].allowed:
            assert secret.status_code == 404, (key, secret.text)
        status, kind, message = _shape(secret)
        assert (status, kind, message.replace("comment 1 ", f"comment {GONE} ")) == _shape(
            missing
        ), key
    assert snapshot(w.db) == before


@pytest.mark.parametrize("name", ["reader", "analyst", "coord", "admin2"])
def test_a_secret_edition_is_answered_like_a_missing_one(shared_world: World, name: str) -> None:
    w = shared_world
    c = w.as_(name)
    nowhere = 987654
    for key in EDITION_ROUTES:
        secret = call(w, c, key, edition_id=w.secret, slug="small-scenario")
        missing = call(w, c, key, edition_id=nowhere, slug="small-scenario")
        assert secret.status_code == 404, (key, secret.text)
        assert _shape(secret, w.secret) == _shape(missing, nowhere), key
    key = ("GET", "/api/editions/{edition_id}/diff/{other_id}")
    secret = call(w, c, key, other_id=w.secret)
    missing = call(w, c, key, other_id=nowhere)
    if name != "admin2":
        assert secret.status_code == 404, secret.text
    assert _shape(secret, w.secret) == _shape(missing, nowhere)


def test_another_users_run_above_ones_clearance_is_answered_like_a_missing_one(
    shared_world: World, runs_by: dict[str, int]
) -> None:
    w = shared_world
    nowhere = 987654
    for name in ("reader", "analyst"):
        c = w.as_(name)
        r = c.get(f"/api/runs/{runs_by['admin1']}")
        assert r.status_code == 404, r.text
        assert _shape(r, runs_by["admin1"]) == _shape(c.get(f"/api/runs/{nowhere}"), nowhere)


def test_a_run_of_another_organisation_is_answered_like_a_missing_one(
    shared_world: World, runs_by: dict[str, int]
) -> None:
    """admin2 (org2, top clearance) asks for org1's runs: nothing may tell them apart from none."""
    w = shared_world
    c = w.as_("admin2")
    nowhere = 987654
    expected = _shape(c.get(f"/api/runs/{nowhere}"), nowhere)
    for run_id in (runs_by["reader"], runs_by["admin1"]):
        r = c.get(f"/api/runs/{run_id}")
        assert r.status_code == 404, r.text
        assert _shape(r, run_id) == expected, (
            f"GET /api/runs/{run_id} by another organisation: {r.json()['error']['message']!r}"
        )


def test_a_copy_reports_only_the_scenarios_its_maker_may_see(world: World) -> None:
    """The coordinator (Departementaal Vertrouwelijk) copies the edition that hides a secret scenario."""
    coord = world.as_("coord")
    visible = coord.ok("GET", f"/api/editions/{world.pub}")["scenarios"]
    assert visible == EXAMPLE_SCENARIOS
    made = coord.ok(
        "POST", f"/api/editions/{world.pub}/copy", 201, json={"slug": "next", "title": "Next"}
    )
    assert coord.ok("GET", f"/api/editions/{made['id']}")["scenarios"] == EXAMPLE_SCENARIOS
    assert made["scenarios"] == EXAMPLE_SCENARIOS, (
        f"POST /copy answered scenarios={made['scenarios']}: it counts the secret scenario"
    )
    assert SECRET_SLUG not in json.dumps(made)


def test_declassifying_a_rationale_keeps_its_old_text_from_the_history(world: World) -> None:
    """The top-cleared administrator replaces the DV rationale of coastal-flood/2.1 by a public one.

    The history entry then holds the old, DV-classified rationale as its old value; the
    reader (Openbaar) may see the entry, but never the old classified text.
    """
    admin = world.as_("admin1")
    url = f"/api/editions/{world.pub}/scenarios/coastal-flood/scores/2.1"
    admin.ok(
        "PUT",
        url,
        json={
            "value": {"quantity": {"min": 400, "max": 3000}, "rationale": "Public estimate"},
            "version": 1,
            "reason": "declassified",
        },
    )
    assert M_DV_RATIONALE.encode() in admin.get(url + "/history").content
    r = world.as_("reader").get(url + "/history")
    assert r.status_code == 200, r.text
    found = markers_in(r.content, DV_MARKERS)
    assert not found, f"GET {url}/history as the reader shows {found}: {r.json()}"
    flood = world.as_("reader").ok("GET", f"/api/editions/{world.pub}/scenarios/coastal-flood")
    assert flood["scores"]["2.1"]["rationale"] == "Public estimate"
    assert M_DV_SOURCE not in json.dumps(flood)


def test_cached_views_do_not_cross_databases(database: Database, tmp_path: Path) -> None:
    """Two apps on two databases in one process: edition 1 of each is its own.

    The view and assessment caches are keyed by (edition id, version, clearance); two
    databases both have an edition 1 at version 1, with different scenarios.
    """
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    apps = []
    try:
        for db, slug, title in ((database, "one", "First"), (other, "two", "Second")):
            with db.session() as s:
                from natrisk.services import accounts

                user = accounts.add_user(s, "boss", "boss-password-1234", "org", "Openbaar", True)
                raw = small_raw(slug, title, f"Scenario of {title}")
                edition = workspace.import_workbook(
                    s, None, parse_workbook(raw, {}, slug), Actor.of(user)
                )
                assert edition.id == 1
                token = accounts.issue_token(s.get(User, user.id))  # type: ignore[arg-type]
            http = Http(create_app(db))
            apps.append(http)
            titles = {
                row["title"]
                for row in http.client(token).ok("GET", "/api/editions/1/assessment")["scenarios"]
            }
            assert f"Scenario of {title}" in titles, (
                f"{db.engine.url.get_backend_name()}: GET /api/editions/1/assessment shows "
                f"{sorted(titles)}, the scenarios of another database"
            )
    finally:
        for http in apps:
            http.close()
        other.close()
