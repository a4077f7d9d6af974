"""Trend sets and deep-dives in the shared system, on SQLite and PostgreSQL: import all or
nothing, the analysis against the stored baseline, clearance (a classified trend or deep-dive
is absent from views, exports and the report), the audit trail, stale versions, and a
scenario created from a deep-dive that keeps its origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from store_support import PASSWORD

from natrisk.errors import Conflict, InputError, WorkbookError
from natrisk.io.deepdive import load_deepdive
from natrisk.io.plan import load_plan
from natrisk.io.trends import load_trends
from natrisk.io.workbook import load_workbook
from natrisk.services import audit, deepdives, plan_store, trends, workspace
from natrisk.services.access import Actor, NotFound
from natrisk.services.accounts import add_user, set_role
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry, ScenarioOrigin, TrendRecord, TrendSetRecord

pytestmark = pytest.mark.usefixtures("fast_passwords", "fresh_caches")
ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"
SG = "Staatsgeheim Geheim"


def _world(db: Database) -> dict[str, int]:
    with db.session() as s:
        admin = Actor.of(add_user(s, "admin", PASSWORD, "example", SG, True))
        add_user(s, "reader", PASSWORD, "example", "Openbaar")
        add_user(s, "analyst", PASSWORD, "example", SG)
        new = workspace.import_workbook(
            s, EX / "nl-2026.yaml", load_workbook(EX / "nl-2026.yaml"), admin
        ).id
        old = workspace.import_workbook(
            s, EX / "nl-2023.yaml", load_workbook(EX / "nl-2023.yaml"), admin
        ).id
        for e in (new, old):
            set_role(s, admin, e, "reader", "reader")
            set_role(s, admin, e, "analyst", "analyst")
        plan_store.import_plan(s, admin, new, load_plan(EX / "nl-plan-2026.yaml"))
        base = trends.import_set(s, admin, old, load_trends(EX / "trends-2023.yaml")).id
        cur = trends.import_set(s, admin, new, load_trends(EX / "trends-2026.yaml")).id
    return {"new": new, "old": old, "base": base, "cur": cur}


def _signals(db: Database, edition: int) -> None:
    """The bundled signals, which the bundled deep-dive names."""
    from natrisk.io.files import read_bytes
    from natrisk.io.signals import parse_located
    from natrisk.services.signal_files import import_file

    path = EX / "signals-2026.yaml"
    with db.session() as s:
        doc, locate = parse_located(read_bytes(path), str(path))
        import_file(s, _actor(s, "admin"), edition, doc, locate)


def _actor(s, name: str) -> Actor:  # type: ignore[no-untyped-def]
    from natrisk.services.accounts import find_user

    user = find_user(s, name)
    assert user is not None
    return Actor.of(user)


def test_import_analyse_and_report_against_the_stored_baseline(database: Database) -> None:
    w = _world(database)
    with database.session() as s:
        a, picture = trends.analysis_of(s, _actor(s, "reader"), w["cur"])
        data = a.to_json(picture)
        assert data["baseline"] == "nl-trends-2023"
        moved = {t["id"]: t for t in data["trends"] if t["status"] == "changed"}
        assert moved["multi-order-world"]["baseline_direction"] == "stable"
        assert len(data["transitions"]) == 4 and all(t["seen"] for t in data["transitions"])
        advice = {ln["id"]: ln["advice"] for ln in data["lines"]}
        assert advice["al-09"] == "intensify" and advice["al-08"] == "keep"
        pdf = trends.report_bytes(s, _actor(s, "reader"), w["cur"], None, "nl", "pdf")
        assert pdf.startswith(b"%PDF")
        html = trends.report_bytes(s, _actor(s, "reader"), w["cur"], None, "nl", "html").decode()
        assert "Klimaatverandering" in html and "Trendanalyse" in html
        # a set against itself has nothing new, changed or dropped
        same, _ = trends.analysis_of(s, _actor(s, "reader"), w["cur"], w["cur"])
        assert {t.status for t in same.trends} == {"unchanged"}
        assert all(p.delta == 0 for p in same.pressure)
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "trends")).all()
        assert len(entries) == 2


def test_a_classified_trend_is_absent_everywhere_below_its_level(database: Database) -> None:
    w = _world(database)
    with database.session() as s:
        analyst = _actor(s, "analyst")
        stored = trends.set_for(s, analyst, w["cur"])
        rec = trends.trend_for(s, stored, "climate-change", analyst.clearance)
        trends.update_trend(
            s,
            analyst,
            w["cur"],
            "climate-change",
            {"classification": SG, "description": "MARKER-SECRET-TREND"},
            rec.version,
        )
    with database.session() as s:
        reader = _actor(s, "reader")
        view = trends.export_set(s, reader, w["cur"])
        assert view.trend("climate-change") is None and len(view.trends) == 14
        assert all("climate-change" not in tr.trends for tr in view.transitions)
        html = trends.report_bytes(s, reader, w["cur"], None, "en", "html").decode()
        assert "MARKER-SECRET-TREND" not in html and "Climate change</b>" not in html
        a, _ = trends.analysis_of(s, reader, w["cur"])
        assert "climate-change" not in {t.id for t in a.trends}
        with pytest.raises(InputError):  # readers may not write, and this trend is not there
            trends.update_trend(s, reader, w["cur"], "climate-change", {"direction": "falling"}, 1)
        analyst_view = trends.export_set(s, _actor(s, "analyst"), w["cur"])
        assert analyst_view.trend("climate-change") is not None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "trend")).one()
        assert entry.classification == 3 and entry.new["description"] == "MARKER-SECRET-TREND"


def test_a_stale_version_is_a_conflict_and_bad_changes_store_nothing(database: Database) -> None:
    w = _world(database)
    with database.session() as s:
        analyst = _actor(s, "analyst")
        stored = trends.set_for(s, analyst, w["cur"])
        v = trends.trend_for(s, stored, "fintech", analyst.clearance).version
        trends.update_trend(s, analyst, w["cur"], "fintech", {"direction": "rising"}, v)
    with database.session() as s:
        analyst = _actor(s, "analyst")
        with pytest.raises(Conflict):
            trends.update_trend(s, analyst, w["cur"], "fintech", {"direction": "falling"}, v)
        with pytest.raises(WorkbookError) as caught:
            trends.update_trend(
                s,
                analyst,
                w["cur"],
                "fintech",
                {"bears_on": [{"scenario": "ghost", "sign": "+", "strength": "weak"}]},
                v + 1,
            )
        assert "no scenario 'ghost'" in str(caught.value)
        with pytest.raises(InputError):
            trends.update_trend(
                s, _actor(s, "reader"), w["cur"], "fintech", {"direction": "falling"}, v + 1
            )
    with database.session() as s:
        rec = s.scalars(
            select(TrendRecord).where(TrendRecord.slug == "fintech", TrendRecord.set_id == w["cur"])
        ).one()
        assert rec.document["direction"] == "rising" and rec.version == v + 1
        assert audit.verify(s)[1] == []


def test_a_bad_import_stores_nothing(database: Database) -> None:
    w = _world(database)
    raw = load_trends(EX / "trends-2026.yaml")
    bad = raw.model_copy(update={"trends_info": raw.info.model_copy(update={"id": "other"})})
    first = bad.trends[0]
    ghost = first.bears_on[0].model_copy(update={"theme": "no-such-theme"})
    bad = bad.model_copy(
        update={"trends": [first.model_copy(update={"bears_on": [ghost]}), *bad.trends[1:]]}
    )
    with database.session() as s:
        before = s.scalar(select(func.count()).select_from(TrendSetRecord))
        with pytest.raises(WorkbookError) as caught:
            trends.import_set(s, _actor(s, "analyst"), w["new"], bad)
        assert "no theme 'no-such-theme'" in str(caught.value)
        with pytest.raises(Conflict):
            trends.import_set(s, _actor(s, "analyst"), w["new"], raw)
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(TrendSetRecord)) == before


def test_a_scenario_from_a_deepdive_keeps_its_origin(database: Database) -> None:
    w = _world(database)
    _signals(database, w["new"])
    dd, where = load_deepdive(EX / "deepdive-2026.yaml")
    with database.session() as s:
        analyst = _actor(s, "analyst")
        rec = deepdives.import_deepdive(s, analyst, w["new"], dd, where)
        created = s.scalars(select(AuditEntry).where(AuditEntry.entity == "deepdive")).one()
        assert (
            created.classification == 1
        )  # it names a signal classified Departementaal Vertrouwelijk
        scen = deepdives.create_scenario(s, analyst, rec.id, "vector-borne-outbreak")
        deepdives.record_change(s, analyst, rec.id, "avian-influenza-zoonosis")
        dd_id, scen_id = rec.id, scen.id
    with database.session() as s:
        reader = _actor(s, "reader")
        from natrisk.services.access import edition_for, scenario_for

        edition, _ = edition_for(s, reader, w["new"])
        origins = deepdives.origins_of(
            s, reader, scenario_for(s, reader, edition, "vector-borne-outbreak")
        )
        assert origins[0]["change"] == "new" and origins[0]["deepdive"]["id"] == dd_id
        assert origins[0]["trends"][0]["trend"] == "climate-change"
        changed = deepdives.origins_of(
            s, reader, scenario_for(s, reader, edition, "avian-influenza-zoonosis")
        )
        assert changed[0]["change"] == "changed"
        assert s.scalar(select(func.count()).select_from(ScenarioOrigin)) == 2
        assert s.scalars(select(AuditEntry).where(AuditEntry.entity == "scenario-origin")).all()
        assert scen_id
        # a deep-dive above the reader's clearance: absent, and so is the origin it gave
        analyst = _actor(s, "analyst")
        v = deepdives.deepdive_for(s, analyst, dd_id).record.version
        deepdives.update_deepdive(s, analyst, dd_id, {"classification": SG}, v)
    with database.session() as s:
        reader = _actor(s, "reader")
        with pytest.raises(NotFound):
            deepdives.deepdive_for(s, reader, dd_id)
        assert deepdives.deepdives_of(s, reader, w["new"]) == []
        from natrisk.services.access import edition_for, scenario_for

        edition, _ = edition_for(s, reader, w["new"])
        assert (
            deepdives.origins_of(
                s, reader, scenario_for(s, reader, edition, "vector-borne-outbreak")
            )
            == []
        )


def test_deepdive_references_are_checked(database: Database) -> None:
    w = _world(database)
    _signals(database, w["new"])
    dd, _ = load_deepdive(EX / "deepdive-2026.yaml")
    bad = dd.model_copy(update={"theme": "nowhere", "signals": ["no-signal"]})
    with database.session() as s:
        with pytest.raises(WorkbookError) as caught:
            deepdives.import_deepdive(s, _actor(s, "analyst"), w["new"], bad)
        text = str(caught.value)
        assert "no theme 'nowhere'" in text and "no signal 'no-signal'" in text
        with pytest.raises(InputError):
            deepdives.import_deepdive(s, _actor(s, "reader"), w["new"], dd)
