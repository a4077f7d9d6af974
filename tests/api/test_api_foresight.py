"""Strategic foresight and deep-dives through the API, on both databases: trend files in and
out in four formats, the analysis and the report, located bad input that stores nothing,
versions (409 on stale), clearance (a classified trend is absent from every answer) and a
scenario made from a deep-dive that keeps its origin."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from api_support import DV, ROOT, World, assert_error, snapshot

from natrisk.io.trends import csv_text, load_trends, parse_upload

EX = ROOT / "examples"
TRENDS = EX / "trends-2026.yaml"
DEEPDIVE = EX / "deepdive-2026.yaml"
MARKER = "MARKER-FORESIGHT-DV-TREND-41aa"


def upload(world: World, who: str, data: bytes, name: str) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return world.as_(who).post(f"/api/editions/{world.pub}/trend-sets", files=files)


def imported(world: World) -> int:
    r = upload(world, "analyst", TRENDS.read_bytes(), "trends-2026.yaml")
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_import_export_analysis_and_report(world: World) -> None:
    sid = imported(world)
    reader = world.as_("reader")
    listed = reader.ok("GET", f"/api/editions/{world.pub}/trend-sets")
    assert [s["slug"] for s in listed] == ["nl-trends-2026"]
    got = reader.ok("GET", f"/api/trend-sets/{sid}")
    assert len(got["trends"]["trends"]) == 15 and set(got["trend_versions"].values()) == {1}
    original = load_trends(TRENDS)
    for fmt in ("yaml", "json", "xlsx", "csv"):
        r = reader.get(f"/api/trend-sets/{sid}/export.{fmt}")
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        assert parse_upload(r.content, f"x.{fmt}") == original
    analysis = reader.ok("GET", f"/api/trend-sets/{sid}/analysis?lang=nl")
    assert analysis["set"] == "nl-trends-2026" and len(analysis["transitions"]) == 4
    pdf = reader.get(f"/api/trend-sets/{sid}/report?format=pdf&lang=nl")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = reader.get(f"/api/trend-sets/{sid}/report?format=html&lang=nl").text
    assert "Strategische verkenning" in html and "Klimaatverandering" in html
    paths = reader.ok("GET", "/openapi.json")["paths"]
    assert "/api/trend-sets/{set_id}/analysis" in paths and "/api/deepdives/{dd_id}" in paths


def test_bad_uploads_are_located_and_store_nothing(world: World) -> None:
    before = snapshot(world.db)
    lines = csv_text(load_trends(TRENDS)).split("\r\n")
    lines.insert(5, "Trends,,,bad-trend,international,T,T,sideways" + "," * 25)
    err = assert_error(upload(world, "analyst", "\r\n".join(lines).encode(), "bad.csv"), 400)
    assert any(
        p["where"].startswith("line 6") and p["field"] == "direction" for p in err["problems"]
    ), err
    raw = yaml.safe_load(TRENDS.read_text(encoding="utf-8"))
    bad = copy.deepcopy(raw)
    bad["trends"][0]["bears_on"].append(
        {"scenario": "no-such-scenario", "sign": "+", "strength": "weak"}
    )
    err = assert_error(upload(world, "analyst", yaml.safe_dump(bad).encode(), "bad.yaml"), 400)
    assert any("no scenario 'no-such-scenario'" in p["message"] for p in err["problems"]), err
    assert_error(upload(world, "reader", TRENDS.read_bytes(), "trends.yaml"), 403)
    assert_error(upload(world, "analyst", b"\x00\x01", "trends.xlsx"), 400)
    assert snapshot(world.db) == before


def test_versions_and_clearance_of_a_trend(world: World) -> None:
    sid = imported(world)
    analyst = world.as_("analyst")
    url = f"/api/trend-sets/{sid}/trends/fintech"
    changed = analyst.ok("PATCH", url, json={"version": 1, "changes": {"direction": "rising"}})
    assert changed["version"] == 2
    assert_error(
        analyst.request("PATCH", url, json={"version": 1, "changes": {"direction": "falling"}}), 409
    )
    assert_error(analyst.request("PATCH", url, json={"changes": {"direction": "falling"}}), 400)
    err = assert_error(
        analyst.request("PATCH", url, json={"version": 2, "changes": {"direction": "up"}}), 400
    )
    assert any(p["field"] == "direction" for p in err["problems"])
    analyst.ok(
        "PATCH",
        url,
        json={"changes": {"classification": DV, "description": MARKER}},
        headers={"If-Match": '"2"'},
    )
    reader = world.as_("reader")
    for path in (
        f"/api/trend-sets/{sid}",
        f"/api/trend-sets/{sid}/export.yaml",
        f"/api/trend-sets/{sid}/export.csv",
        f"/api/trend-sets/{sid}/analysis",
        f"/api/trend-sets/{sid}/report?format=html",
    ):
        r = reader.get(path)
        assert r.status_code == 200, path
        assert MARKER not in r.text and "fintech" not in r.text, path
    assert MARKER in analyst.get(f"/api/trend-sets/{sid}/export.yaml").text
    assert_error(
        reader.request("PATCH", url, json={"version": 3, "changes": {"direction": "stable"}}), 403
    )


def import_signals(world: World) -> None:
    """The bundled signals (which the deep-dive names), through the service as an import."""
    from natrisk.io.files import read_bytes
    from natrisk.io.signals import parse_located
    from natrisk.services.access import Actor
    from natrisk.services.accounts import find_user
    from natrisk.services.signal_files import import_file

    path = EX / "signals-2026.yaml"
    with world.db.session() as s:
        doc, locate = parse_located(read_bytes(path), str(path))
        import_file(s, Actor.of(find_user(s, "admin1")), world.pub, doc, locate)  # type: ignore[arg-type]


def test_a_scenario_from_a_deepdive_shows_where_it_came_from(world: World) -> None:
    imported(world)
    import_signals(world)
    dd = yaml.safe_load(DEEPDIVE.read_text(encoding="utf-8"))
    analyst = world.as_("analyst")
    bad = {**dd, "theme": "no-such-theme"}
    err = assert_error(analyst.post(f"/api/editions/{world.pub}/deepdives", json=bad), 400)
    assert any(p["field"] == "theme" for p in err["problems"]), err
    made = analyst.ok("POST", f"/api/editions/{world.pub}/deepdives", 201, json=dd)
    assert_error(analyst.post(f"/api/editions/{world.pub}/deepdives", json=dd), 409)
    created = analyst.ok(
        "POST", f"/api/deepdives/{made['id']}/scenarios/vector-borne-outbreak", 201
    )
    assert created["change"] == "new"
    # the judged signal the new scenario rests on is absorbed into it, with an audited step
    sig = analyst.ok("GET", f"/api/editions/{world.pub}/signals/s005-climate-2a")
    assert sig["status"] == "absorbed" and sig["absorbed_into"] == "vector-borne-outbreak", sig
    steps = analyst.ok("GET", f"/api/editions/{world.pub}/signals/s005-climate-2a/history")
    assert steps and "absorbed" in str(steps[-1]), steps
    analyst.ok("POST", f"/api/deepdives/{made['id']}/scenarios/avian-influenza-zoonosis", 201)
    reader = world.as_("reader")
    origin = reader.ok("GET", f"/api/editions/{world.pub}/scenarios/vector-borne-outbreak/origin")
    assert origin[0]["deepdive"]["slug"] == "climate-and-health-2026"
    assert [t["trend"] for t in origin[0]["trends"]] == ["climate-change"]
    assert [x["id"] for x in origin[0]["signals"]] == ["s005-climate-2a"]
    shown = reader.ok("GET", f"/api/deepdives/{made['id']}")["deepdive"]["signals"]
    assert "s011-infectious-1a" not in shown  # classified above the reader's clearance
    scen = reader.ok("GET", f"/api/editions/{world.pub}/scenarios/vector-borne-outbreak")
    assert scen is not None
    v = reader.ok("GET", f"/api/deepdives/{made['id']}")["version"]
    assert_error(
        analyst.request(
            "PATCH",
            f"/api/deepdives/{made['id']}",
            json={"version": v + 5, "changes": {"question": "x"}},
        ),
        409,
    )
    analyst.ok(
        "PATCH",
        f"/api/deepdives/{made['id']}",
        json={"version": v, "changes": {"classification": DV}},
    )
    assert_error(reader.get(f"/api/deepdives/{made['id']}"), 404)
    assert reader.ok("GET", f"/api/editions/{world.pub}/deepdives") == []
    assert (
        reader.ok("GET", f"/api/editions/{world.pub}/scenarios/vector-borne-outbreak/origin") == []
    )


@pytest.mark.parametrize("fmt", ["txt", "pdf"])
def test_unknown_export_formats_are_refused(world: World, fmt: str) -> None:
    sid = imported(world)
    assert_error(world.as_("reader").get(f"/api/trend-sets/{sid}/export.{fmt}"), 404)
