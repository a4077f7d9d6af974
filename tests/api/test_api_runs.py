"""Runs through the API: cascade and report runs, one's own list, cancel and retry, the file a
report run produced, and the refusals (other users, finished runs, bad bodies).

The world's worker (tests/api/api_support.py) executes them, outside the app; the kill -9 and
restart cases with real processes are in tests/store/test_jobs_worker.py.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from api_support import SECRET_SLUG, Caller, World, assert_error


def finished(caller: Caller, run_id: int, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = caller.ok("GET", f"/api/runs/{run_id}")
        if run["status"] in ("done", "failed", "cancelled"):
            return run  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still {run['status']}")


@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")
def test_cascade_and_report_runs_deliver_their_results(world: World) -> None:
    w, analyst = world, world.as_("analyst")
    body = {"samples": 400, "seed": 2}
    cascade = analyst.ok("POST", f"/api/editions/{w.pub}/cascade-runs", 202, json=body)
    assert cascade["kind"] == "cascades" and cascade["status"] == "queued"
    report = analyst.ok(
        "POST", f"/api/editions/{w.pub}/report-runs", 202, json=body | {"lang": "nl"}
    )
    c = finished(analyst, cascade["id"])
    assert c["status"] == "done" and c["progress"] == 1.0, c
    assert c["result"]["samples"] == 400 and c["result"]["scenarios"]
    r = finished(analyst, report["id"])
    assert r["status"] == "done" and r["has_output"], r
    pdf = analyst.get(f"/api/runs/{report['id']}/output")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "risk-picture-" in pdf.headers["content-disposition"]
    # a cascade run has no file; the reader, with a lower clearance, sees neither run
    assert_error(analyst.get(f"/api/runs/{cascade['id']}/output"), 404)
    for run_id in (cascade["id"], report["id"]):
        assert_error(w.as_("reader").get(f"/api/runs/{run_id}"), 404)
        assert_error(w.as_("reader").get(f"/api/runs/{run_id}/output"), 404)
    mine = analyst.ok("GET", "/api/runs")
    assert [m["id"] for m in mine][:2] == [report["id"], cascade["id"]]
    assert all(m["result"] is None for m in mine) and SECRET_SLUG not in str(mine)
    assert w.as_("reader").ok("GET", "/api/runs") == []


def test_the_owner_cancels_and_retries_a_run_and_nobody_else_may(world: World) -> None:
    w, analyst = world, world.as_("analyst")
    body = {"samples": 1_000_000, "seed": 1}
    run = analyst.ok("POST", f"/api/editions/{w.pub}/sensitivity", 202, json=body)
    err = assert_error(w.as_("coord").post(f"/api/runs/{run['id']}/cancel"), 403)
    assert "only the user who started" in err["message"]
    state = analyst.ok("POST", f"/api/runs/{run['id']}/cancel")
    assert state["status"] == "cancelled" or state["cancel_requested"]
    stopped = finished(analyst, run["id"])
    assert stopped["status"] == "cancelled" and stopped["result"] is None
    assert_error(analyst.post(f"/api/runs/{run['id']}/cancel"), 409)
    assert_error(w.as_("coord").post(f"/api/runs/{run['id']}/retry"), 403)
    again = analyst.ok("POST", f"/api/runs/{run['id']}/retry", 202)
    assert again["status"] == "queued" and again["error"] is None
    analyst.ok("POST", f"/api/runs/{run['id']}/cancel")
    assert finished(analyst, run["id"])["status"] == "cancelled"
    small = analyst.ok("POST", f"/api/editions/{w.pub}/sensitivity", 202, json={"samples": 50})
    assert finished(analyst, small["id"])["status"] == "done"
    err = assert_error(analyst.post(f"/api/runs/{small['id']}/retry"), 409)
    assert "only a failed or cancelled run" in err["message"]


@pytest.mark.parametrize(
    "path, body",
    [
        ("cascade-runs", {"samples": 0}),
        ("cascade-runs", {"samples": 2_000_000}),
        ("report-runs", {"samples": 50}),
        ("report-runs", {"lang": "de"}),
        ("sensitivity", {"method": "sum"}),
    ],
)
def test_bad_run_requests_are_refused_and_nothing_is_queued(
    world: World, path: str, body: dict[str, Any]
) -> None:
    w = world
    r = w.as_("analyst").post(f"/api/editions/{w.pub}/{path}", json=body)
    assert r.status_code in (400, 422), r.text
    assert w.as_("analyst").ok("GET", "/api/runs") == []


def test_readers_may_not_start_runs_and_unknown_runs_are_absent(world: World) -> None:
    w = world
    for path in ("sensitivity", "cascade-runs", "report-runs"):
        assert_error(w.as_("reader").post(f"/api/editions/{w.pub}/{path}", json={}), 403)
        assert_error(w.as_("analyst").post(f"/api/editions/{w.org2}/{path}", json={}), 404)
    for verb, tail in (("GET", ""), ("POST", "/cancel"), ("POST", "/retry"), ("GET", "/output")):
        assert_error(w.as_("analyst").request(verb, f"/api/runs/999999{tail}"), 404)
