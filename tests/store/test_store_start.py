"""The start page's use case on real SQLite and PostgreSQL: each user sees what awaits them,
within their roles and clearance."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from store_support import (
    DEPV,
    OPENBAAR,
    ROOT,
    STGGEHEIM,
    grant,
    import_book,
    import_example,
    load_doc,
    new_actor,
    small_doc,
)

from natrisk.io.plan import load_plan
from natrisk.services import plan_store, review, start, workspace
from natrisk.store.database import Database

pytestmark = pytest.mark.usefixtures("fast_passwords")
PLAN = ROOT / "examples" / "nl-plan-2026.yaml"
TODAY = dt.date(2027, 1, 15)


def page(db: Database, actor: Any) -> dict[str, Any]:
    with db.session(write=False) as s:
        found = start.start_page(s, actor, TODAY)
        # read what the assertions need while the session is open
        found["invited"] = [(r["scenario"].slug, r["judged"]) for r in found["invitations"]]
        found["reviewing"] = [e.slug for e, _ in found["in_review"]]
        found["to_report"] = [(r["measure"].id, r["late"]) for r in found["measures"]]
        found["statuses"] = {st: sorted(e.slug for e, _ in rows) for st, rows in found["by_status"]}
        return found


@pytest.fixture
def world(database: Database, tmp_path: Path) -> dict[str, Any]:
    admin = new_actor(database, "admin", admin=True)
    edition = import_example(database, admin)
    with database.session() as s:
        plan_store.import_plan(s, admin, edition, load_plan(PLAN))
    doc = small_doc("review-2026")
    doc["scenarios"][0]["classification"] = STGGEHEIM
    _, book = load_doc(doc, tmp_path)
    other = import_book(database, admin, book)
    expert = new_actor(database, "expert", clearance=DEPV)
    reviewer = new_actor(database, "reviewer", clearance=OPENBAAR)
    ministry = new_actor(database, "defence", organisation="def", clearance=DEPV)
    for e in (edition, other):
        grant(database, admin, e, "expert", "expert")
        grant(database, admin, e, "reviewer", "reviewer")
    with database.session() as s:
        from natrisk.services.accounts import set_role

        set_role(s, admin, edition, "def/defence", "contributor")
        review.invite(s, admin, edition, "expert", ["coastal-flood", "river-flood"])
        workspace.transition(s, admin, other, "review", "for review")
    return {
        "db": database,
        "admin": admin,
        "edition": edition,
        "other": other,
        "expert": expert,
        "reviewer": reviewer,
        "ministry": ministry,
    }


def test_an_expert_sees_the_invitations_unjudged_first(world: dict[str, Any]) -> None:
    db, expert = world["db"], world["expert"]
    assert page(db, expert)["invited"] == [("coastal-flood", 0), ("river-flood", 0)]
    with db.session() as s:
        review.judge(s, expert, world["edition"], "coastal-flood", "2.1", "B", "my view")
    assert page(db, expert)["invited"] == [("river-flood", 0), ("coastal-flood", 1)]
    assert page(db, world["reviewer"])["invited"] == []  # invitations are the expert's own


def test_a_reviewer_sees_the_editions_in_review(world: dict[str, Any]) -> None:
    db = world["db"]
    assert page(db, world["reviewer"])["reviewing"] == ["review-2026"]
    assert page(db, world["expert"])["reviewing"] == []  # experts judge, they do not comment
    statuses = page(db, world["reviewer"])["statuses"]
    assert statuses == {"draft": ["nl-example-2026"], "review": ["review-2026"]}


def test_an_organisation_sees_its_open_measures_late_first(world: dict[str, Any]) -> None:
    found = page(world["db"], world["ministry"])
    measures = found["to_report"]
    assert measures, "the ministry 'def' owns measures of the example plan"
    with world["db"].session(write=False) as s:
        sp = plan_store.plan_for(s, world["admin"], 1)
        owned = {
            r.slug
            for r in plan_store.measure_records(s, sp.record, 3)
            if r.owner == "def" and r.document.get("status") not in start.CLOSED
        }
    assert {m for m, _ in measures} == owned
    lates = [late for _, late in measures]
    assert lates == sorted(lates, reverse=True)  # every late one before every other
    assert lates[0]  # m-01's milestone of 2026-06-30 is late on 2027-01-15
    assert found["statuses"] == {"draft": ["nl-example-2026"]}  # only where it has a role
    assert page(world["db"], world["reviewer"])["to_report"] == []  # its organisation owns none


def test_classified_and_foreign_things_stay_away(world: dict[str, Any]) -> None:
    db, admin, other = world["db"], world["admin"], world["other"]
    with db.session() as s:
        review.invite(s, admin, other, "expert", ["cyber-grid"])
        from natrisk.store.models import Edition

        edition = s.get(Edition, other)
        assert edition is not None
        edition.classification = 2  # above the expert's and the reviewer's clearance
    assert page(db, world["reviewer"])["reviewing"] == []
    assert [slug for slug, _ in page(db, world["expert"])["invited"]] == [
        "coastal-flood",
        "river-flood",
    ]
    outsider = new_actor(db, "outsider", organisation="org9", admin=True)
    empty = page(db, outsider)
    assert empty["editions"] == 0 and empty["statuses"] == {} and empty["to_report"] == []


def test_ones_own_runs_newest_first_and_only_ones_own(world: dict[str, Any]) -> None:
    from natrisk.services import runs

    db, admin, edition = world["db"], world["admin"], world["edition"]
    analyst = new_actor(db, "analyst", clearance=DEPV)
    grant(db, admin, edition, "analyst", "analyst")
    params = {"samples": 200, "seed": 1, "method": "weighted-sum", "profile": None}
    with db.session() as s:
        first = runs.start(s, analyst, edition, {**params, "weight_mode": "around"}).id
        second = runs.start(s, analyst, edition, {**params, "weight_mode": "fixed"}).id
        runs.start(s, admin, edition, {**params, "weight_mode": "around"})
    with db.session(write=False) as s:
        mine = start.start_page(s, analyst, TODAY)["runs"]
    assert [r["id"] for r in mine] == [second, first]
    assert all(r["status"] == "queued" and r["edition"] == edition for r in mine)
    with db.session() as s:  # the analyst loses the role: the runs on that edition go too
        from natrisk.services.members import remove_member

        remove_member(s, admin, edition, "analyst")
    assert page(db, analyst)["runs"] == []
