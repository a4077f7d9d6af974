"""Above a clearance means absent: no response says, or lets one tell, that something is hidden.

The export of an edition with a hidden scenario must read exactly like the export of the
same edition without it; a plan that names a hidden scenario must be refused exactly like
one that names a scenario that does not exist (upload through the API and the browser, and
changes through the API); and the references to hidden scenarios already in a plan survive,
unseen, the changes of someone who cannot see them.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import yaml
from api_support import (
    SECRET_SLUG,
    World,
    assert_error,
    markers_in,
    plan_raw,
    signed_in_browser,
    snapshot,
)

from natrisk.services import accounts, workspace
from natrisk.store.models import Edition, MeasureRecord, PlanRecord

MISSING = "no-such-scenario-7f3a"  # an id that never existed, for comparison
PLACEHOLDER = "<scenario>"


def twin_without_the_secret(w: World) -> int:
    """The example edition as stored, without the secret scenario, readable by the reader."""
    admin = w.actor("admin1")
    with w.db.session() as s:
        edition = s.get(Edition, w.pub)
        assert edition is not None
        book, _ = workspace.workbook_view(s, edition, 10**6)
        info = book.edition.model_copy(update={"id": "twin-edition"})
        scenarios = [x for x in book.scenarios if x.id != SECRET_SLUG]
        twin = book.model_copy(update={"edition": info, "scenarios": scenarios})
        eid = workspace.import_workbook(s, None, twin, admin).id
        accounts.set_role(s, admin, eid, "reader", "reader")
    return eid


def without_id(data: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["edition"].pop("id")
    return out


def test_the_export_reads_as_if_the_hidden_scenario_did_not_exist(world: World) -> None:
    w = world
    twin = twin_without_the_secret(w)
    reader = w.as_("reader")
    seen = reader.ok("GET", f"/api/editions/{w.pub}/export", params={"format": "json"})
    alike = reader.ok("GET", f"/api/editions/{twin}/export", params={"format": "json"})
    assert "scenarios_withheld" not in json.dumps(seen), seen.get("withheld")
    assert without_id(seen) == without_id(alike)
    # what the reader may know stays: a score they see whose grounds are above them
    assert seen["withheld"] == {"rationales_withheld": ["coastal-flood/2.1", "coastal-flood/2.3"]}
    as_yaml = [
        yaml.safe_load(reader.get(f"/api/editions/{e}/export", params={"format": "yaml"}).text)
        for e in (w.pub, twin)
    ]
    assert without_id(as_yaml[0]) == without_id(as_yaml[1])
    headers = [reader.ok("GET", f"/api/editions/{e}") for e in (w.pub, twin)]
    for h in headers:
        h.pop("id"), h.pop("slug")
    assert headers[0] == headers[1]


# ---------------------------------------------------------------------------- plan references


def naming(scenario: str, plan_id: str = "names-a-scenario") -> dict[str, Any]:
    """The world's small plan, whose issue, task and measure also name ``scenario``."""
    raw = plan_raw(plan_id)
    raw["security_issues"][0]["scenarios"].append(scenario)
    raw["tasks"][0]["scenarios"][scenario] = 3
    raw["measures"][0]["targets"] = [{"scenario": scenario, "likelihood": "A"}]
    return raw


def plan_file(raw: dict[str, Any]) -> dict[str, Any]:
    return {"files": {"file": ("plan.yaml", yaml.safe_dump(raw).encode(), "application/yaml")}}


def masked(text: str) -> str:
    return text.replace(SECRET_SLUG, PLACEHOLDER).replace(MISSING, PLACEHOLDER)


def test_a_plan_upload_naming_a_hidden_scenario_is_refused_like_a_missing_one(
    world: World,
) -> None:
    w = world
    coord = w.as_("coord")  # Departementaal Vertrouwelijk: the secret scenario is hidden
    url = f"/api/editions/{w.pub}/plans"
    before = snapshot(w.db)
    hidden = coord.post(url, **plan_file(naming(SECRET_SLUG)))
    missing = coord.post(url, **plan_file(naming(MISSING)))
    err = assert_error(hidden, 400)
    assert_error(missing, 400)
    assert masked(hidden.text) == masked(missing.text)
    assert len(err["problems"]) == 3, err  # the issue, the task and the measure's target
    assert snapshot(w.db) == before
    # for someone cleared for it, the reference is simply valid
    w.as_("admin1").ok("POST", url, 201, **plan_file(naming(SECRET_SLUG)))


def card(page: str) -> str:
    """The message part of an error page (the rest holds per-response tokens)."""
    found = re.search(r'<section class="card">.*?</section>', page, re.S)
    assert found, page[:500]
    return found.group()


def test_a_browser_plan_import_naming_a_hidden_scenario_is_refused_like_a_missing_one(
    world: World,
) -> None:
    w = world
    browser, csrf = signed_in_browser(w, "coord")
    url = f"/editions/{w.pub}/plans"
    before = snapshot(w.db, skip=("login_attempts", "sign_ins"))
    pages = []
    for scenario in (SECRET_SLUG, MISSING):
        r = browser.post(url, headers={"x-csrf-token": csrf}, **plan_file(naming(scenario)))
        assert r.status_code == 400, r.text[:500]
        pages.append(masked(card(r.text)))
    assert pages[0] == pages[1]
    assert "no scenario" in pages[0]
    assert snapshot(w.db, skip=("login_attempts", "sign_ins")) == before


def test_a_measure_change_naming_a_hidden_scenario_is_refused_like_a_missing_one(
    world: World,
) -> None:
    w = world
    coord = w.as_("coord")
    url = f"/api/plans/{w.plan}/measures/m1"
    before = snapshot(w.db)
    answers = []
    for scenario in (SECRET_SLUG, MISSING):
        body = {
            "title": "Dikes",
            "line": "al-1",
            "owner": "org1",
            "phase": "prevention",
            "targets": [{"scenario": scenario, "likelihood": "A"}],
        }
        r = coord.put(url, params={"version": 1}, json=body)
        assert_error(r, 400)
        answers.append(masked(r.text))
    assert answers[0] == answers[1]
    assert snapshot(w.db) == before


# ---------------------------------------------------------------------------- stored references


def stored(w: World, pid: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan document and its measure m1 as stored (everything, hidden or not)."""
    with w.db.session() as s:
        plan = s.get(PlanRecord, pid)
        assert plan is not None
        m1 = s.query(MeasureRecord).filter_by(plan_id=pid, slug="m1").one()
        return dict(plan.document), dict(m1.document)


def test_references_to_hidden_scenarios_survive_an_uncleared_editor(world: World) -> None:
    """Decision: a plan change by someone who cannot see a scenario keeps the stored
    references to it as they were; they neither drop out nor show up (plan_store._with_hidden)."""
    w = world
    raw = naming(SECRET_SLUG, "keeps-hidden")
    raw["measures"][0]["targets"].insert(0, {"scenario": "coastal-flood", "likelihood": "B"})
    admin = w.as_("admin1")
    pid = admin.ok("POST", f"/api/editions/{w.pub}/plans", 201, **plan_file(raw))["id"]
    coord = w.as_("coord")
    base = f"/api/plans/{pid}"

    # the coordinator changes the measure as they see it: one target, on coastal-flood
    [seen] = [m for m in coord.ok("GET", f"{base}/measures") if m["id"] == "m1"]
    assert [t["scenario"] for t in seen["targets"]] == ["coastal-flood"]
    mine = {k: seen[k] for k in ("title", "line", "owner", "phase", "status", "indicators")}
    mine["targets"] = [{"scenario": "coastal-flood", "likelihood": "A"}]
    coord.ok("PUT", f"{base}/measures/m1", params={"version": seen["version"]}, json=mine)
    progress = {"status": "running", "note": "n", "version": seen["version"] + 1}
    coord.ok("POST", f"{base}/measures/m1/progress", 201, json=progress)
    # and the plan itself: a weighing and a capability's levels
    weighing = {
        "integrated": {"answer": True, "rationale": "r"},
        "sufficient": {"answer": True, "rationale": "r"},
    }
    coord.ok("PUT", f"{base}/weighings/floods", params={"version": 1}, json=weighing)
    coord.ok(
        "PUT", f"{base}/capabilities/buses/levels", json={"levels": {"people": 4}, "version": 2}
    )

    doc, m1 = stored(w, pid)
    targets = {t["scenario"]: t["likelihood"] for t in m1["targets"]}
    assert targets == {"coastal-flood": "A", SECRET_SLUG: "A"}  # changed, and kept
    assert m1["status"] == "running"
    required = doc["tasks"][0]["scenarios"]
    assert list(required) == ["coastal-flood", SECRET_SLUG]
    assert set(required[SECRET_SLUG].values()) == {3}
    assert doc["security_issues"][0]["scenarios"] == ["coastal-flood", SECRET_SLUG]
    assert doc["weighings"][0]["issue"] == "floods"
    # ... and still absent from everything the coordinator reads
    for path in ("", "/measures", "/export.yaml", "/analysis", "/coverage"):
        r = coord.get(base + path)
        assert r.status_code == 200, (path, r.text[:300])
        assert not markers_in(r.content, [SECRET_SLUG]), path
    full = admin.ok("GET", base)["plan"]
    assert SECRET_SLUG in json.dumps(full)
