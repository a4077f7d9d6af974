"""Replacing a draft's scenarios from a workbook file (issue 14, Import): history kept,
missing scenarios withdrawn and restorable, all or nothing, never on a published edition."""

from __future__ import annotations

from typing import Any

import yaml
from api_support import World, assert_error, small_raw, snapshot


def _file(raw: dict[str, Any]) -> dict[str, Any]:
    return {"file": ("e.yaml", yaml.safe_dump(raw).encode(), "application/yaml")}


def _draft(w: World) -> int:
    made = w.as_("analyst").ok(
        "POST", "/api/editions/upload", 201, files=_file(small_raw("to-replace", "Draft"))
    )
    return int(made["id"])


def test_replacing_a_draft_keeps_its_history(world: World) -> None:
    w = world
    eid = _draft(w)
    raw = small_raw("to-replace", "Draft", scenario_title="Changed scenario title")
    raw["scenarios"][0]["impacts"]["3.2"] = "C"
    raw["scenarios"][1] = dict(raw["scenarios"][0], id="third-scenario", title="A third one")
    got = w.as_("analyst").ok("POST", f"/api/editions/{eid}/replace", files=_file(raw))
    assert (got["changed"], got["created"], got["withdrawn"]) == (1, 1, 1)
    base = f"/api/editions/{eid}/scenarios"
    history = w.as_("analyst").ok("GET", f"{base}/small-scenario/history")
    assert len(history) >= 2 and "replaced from e.yaml" in str(history[0])
    assert "Changed scenario title" in str(history) and "Small scenario" in str(history)
    gone = w.as_("analyst").ok("GET", f"{base}/second-scenario")
    assert gone["withdrawn"] is True
    assert w.as_("analyst").ok("GET", f"{base}/third-scenario")["title"] == "A third one"
    # the old file again: the third is withdrawn and the second restored
    again = w.as_("analyst").ok(
        "POST", f"/api/editions/{eid}/replace", files=_file(small_raw("to-replace", "Draft"))
    )
    assert again["restored"] == 1 and again["withdrawn"] == 1


def test_a_file_with_a_problem_stores_nothing(world: World) -> None:
    w = world
    eid = _draft(w)
    raw = small_raw("to-replace", "Draft", scenario_title="Should not be stored")
    raw["scenarios"][1]["impacts"]["9.9"] = "B"
    before = snapshot(w.db)
    err = assert_error(w.as_("analyst").post(f"/api/editions/{eid}/replace", files=_file(raw)), 400)
    assert any(p["field"] == "impacts.9.9" for p in err["problems"])
    assert snapshot(w.db) == before


def test_a_published_edition_and_a_reader_cannot_replace(world: World) -> None:
    w = world
    before = snapshot(w.db)
    text = _file(small_raw("to-replace", "Draft"))
    assert_error(w.as_("reader").post(f"/api/editions/{w.pub}/replace", files=text), 403)
    assert snapshot(w.db) == before
    for to in ("review", "adopted", "published"):
        w.as_("coord").ok("POST", f"/api/editions/{w.pub}/transition", json={"to": to})
    before = snapshot(w.db)
    err = assert_error(w.as_("coord").post(f"/api/editions/{w.pub}/replace", files=text), 409)
    assert "read-only" in err["message"]
    assert snapshot(w.db) == before
