"""Signals, clusters and scans in the database (SQLite and PostgreSQL), through the services:
versions, the audit trail, the lifecycle, clusters confirmed, split, merged and dissolved,
adoption, exports within a clearance, and large imports audited in bulk."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from store_support import DEPV, OPENBAAR, grant, import_example, new_actor
from tests.served import ROOT

from natrisk.errors import Conflict, InputError, WorkbookError
from natrisk.io.files import read_bytes
from natrisk.io.signals import parse_located
from natrisk.services import audit, cluster_proposals, scans, signal_clusters, signal_files, signals
from natrisk.services.access import Forbidden, NotFound
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry, SignalRecord

pytestmark = pytest.mark.usefixtures("fast_passwords")
SIGNALS = ROOT / "examples" / "signals-2026.yaml"
BODY = {
    "title": "Drones over a port",
    "observed": "2026-05-02",
    "themes": ["cyber"],
    "horizon": "short",
}


def world(db: Database, bulk: int | None = None) -> dict[str, Any]:
    admin = new_actor(db, "admin", admin=True)
    ed = import_example(db, admin)
    people = {"admin": admin, "ed": ed}
    for name, level, role in (
        ("analyst", DEPV, "analyst"),
        ("coord", DEPV, "coordinator"),
        ("low", OPENBAAR, "analyst"),
        ("ministry", OPENBAAR, "contributor"),
    ):
        people[name] = new_actor(db, name, "org1" if name != "ministry" else "min", level)
        grant(db, admin, ed, name, role)
    data = read_bytes(SIGNALS)
    with db.session() as s:
        doc, locate = parse_located(data, str(SIGNALS))
        signal_files.import_file(s, admin, ed, doc, locate)
    return people


def test_lifecycle_versions_and_audit(database: Database) -> None:
    w = world(database)
    ed = w["ed"]
    with database.session() as s:
        rec = signals.submit(s, w["ministry"], ed, dict(BODY))
        slug, version = rec.slug, rec.version
    with database.session() as s, pytest.raises(Forbidden):
        signals.assess(s, w["ministry"], ed, slug, "weak", "rising", version)
    with database.session() as s:
        signals.change(s, w["ministry"], ed, slug, {"description": "Seen twice."}, version)
    with database.session() as s, pytest.raises(Conflict):
        signals.assess(s, w["analyst"], ed, slug, "weak", "rising", version)  # stale
    with database.session() as s:
        rec = signals.assess(s, w["analyst"], ed, slug, "moderate", "rising", version + 1)
        assert rec.status == "assessed"
        rec = signals.step(s, w["analyst"], ed, slug, "watch", rec.version)
        rec = signals.step(
            s,
            w["analyst"],
            ed,
            slug,
            "absorbed",
            rec.version,
            scenario="cyber-espionage-government",
        )
        assert rec.absorbed_into == "cyber-espionage-government"
        assert "cyber-espionage-government" in rec.scenarios
    with database.session() as s, pytest.raises(Conflict, match="final"):
        signals.step(s, w["analyst"], ed, slug, "watch", rec.version + 0)
    with database.session() as s, pytest.raises(Forbidden):
        signals.change(s, w["ministry"], ed, slug, {"title": "mine"}, rec.version)  # no longer new
    with database.session() as s:
        reasons = [e.reason for e in signals.history(s, w["analyst"], ed, slug)]
        assert reasons == ["submitted", "", "assessed", "watch", "absorbed"]
        count, problems = audit.verify(s)
        assert problems == [] and count > 90


def test_clusters_confirm_split_merge_dissolve(database: Database) -> None:
    w = world(database)
    ed, a = w["ed"], w["analyst"]
    with database.session() as s:
        proposed = signal_clusters.propose(s, a, ed)
        group = next(g for g in proposed if "s081-critical-1a" in g["signals"])
        cl = signal_clusters.confirm(s, a, ed, group["signals"], "North Sea", "north-sea")
        assert cl.slug == "north-sea"
    with database.session() as s:
        [shown] = signal_clusters.confirmed(s, a, ed)
        assert shown["signals"] == group["signals"]
        part = signal_clusters.split(
            s, a, ed, "north-sea", group["signals"][:1], shown["version"], "Split"
        )
    with database.session() as s:
        found = {c["id"]: c for c in signal_clusters.confirmed(s, a, ed)}
        assert found[part.slug]["signals"] == group["signals"][:1]
        with pytest.raises(Conflict):
            signal_clusters.merge(
                s, a, ed, ["north-sea", part.slug], found["north-sea"]["version"] + 5
            )
        signal_clusters.merge(s, a, ed, ["north-sea", part.slug], found["north-sea"]["version"])
    with database.session() as s:
        [merged] = signal_clusters.confirmed(s, a, ed)
        assert sorted(merged["signals"]) == sorted(group["signals"])
        signal_clusters.dissolve(s, a, ed, "north-sea", merged["version"])
    with database.session() as s:
        assert signal_clusters.confirmed(s, a, ed) == []
        kinds = [
            e.reason for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "cluster"))
        ]
        assert kinds == ["confirmed", "confirmed", "merged", "dissolved"]


def test_what_is_above_a_clearance_is_absent(database: Database) -> None:
    w = world(database)
    ed = w["ed"]
    with database.session() as s:
        hidden = {
            r.slug for r in s.scalars(select(SignalRecord).where(SignalRecord.classification > 0))
        }
        assert hidden
        low = signal_files.export_file(s, w["low"], ed)
        high = signal_files.export_file(s, w["analyst"], ed)
        assert not hidden & {x.id for x in low.signals}
        assert hidden <= {x.id for x in high.signals}
        for scan in low.scans:
            assert not hidden & {x.signal for x in scan.snapshot or []}
        assert not hidden & {
            x for g in signal_clusters.propose(s, w["low"], ed) for x in g["signals"]
        }
        picture = scans.picture(s, w["low"], ed, "autumn-2026")
        assert not hidden & {x.id for x in picture.signals}
        assert not hidden & {x for f in picture.flags.values() for x in f.signals}
        some = sorted(hidden)[0]
        with pytest.raises(NotFound):
            signals.get_signal(s, w["low"], ed, some)
        with pytest.raises(NotFound):
            signal_clusters.confirm(s, w["low"], ed, [some])
        _, total_low = signals.list_signals(s, w["low"], ed)
        _, total_high = signals.list_signals(s, w["analyst"], ed)
        assert total_high - total_low == len(hidden)
    with database.session() as s, pytest.raises(WorkbookError) as caught:
        signals.submit(s, w["low"], ed, BODY | {"classification": DEPV})
    assert caught.value.problems[0].field == "classification"


def test_proposals_are_kept_per_state_and_clearance(database: Database) -> None:
    """Proposals are computed once per state of the visible signals: kept for the next visit,
    computed anew after any change, and never shared between clearances."""
    w = world(database)
    ed, high, low = w["ed"], w["analyst"], w["low"]
    cluster_proposals.forget()
    with database.session() as s:
        hidden = set(s.scalars(select(SignalRecord.slug).where(SignalRecord.classification > 0)))
        first = signal_clusters.propose(s, high, ed)
        assert hidden & {x for g in first for x in g["signals"]}
    with database.session() as s:  # kept: a reader who will not wait gets them at once
        kept, share = signal_clusters.proposals(s, high, ed, wait=0)
        assert kept == first and share == 1.0
        lower = signal_clusters.propose(s, low, ed)  # computed for the low clearance itself
        assert not hidden & {x for g in lower for x in g["signals"]}
    with database.session() as s:
        twin = signals.submit(s, w["ministry"], ed, dict(BODY))
        twin_slug = twin.slug
    with database.session() as s:
        copy = signals.submit(s, w["ministry"], ed, dict(BODY) | {"title": f"{BODY['title']}!"})
        copy_slug = copy.slug
    with database.session() as s:  # the new signals changed the state: computed anew
        groups = signal_clusters.propose(s, low, ed)
        assert any({twin_slug, copy_slug} <= set(g["signals"]) for g in groups)
    with database.session() as s:
        rec = signals.get_signal(s, w["analyst"], ed, copy_slug)
        signals.step(s, w["analyst"], ed, copy_slug, "dismissed", rec.version, "a duplicate")
    with database.session() as s:  # a dismissed signal leaves the proposals
        groups = signal_clusters.propose(s, low, ed)
        assert copy_slug not in {x for g in groups for x in g["signals"]}


def test_adoption_keeps_the_snapshot(database: Database) -> None:
    w = world(database)
    ed = w["ed"]
    with database.session() as s:
        autumn = scans.get_scan(s, w["coord"], ed, "autumn-2026")
        with pytest.raises(WorkbookError) as caught:
            scans.change(
                s,
                w["analyst"],
                ed,
                "autumn-2026",
                {"interpretations": {"weather": "x"}},
                autumn.version,
            )
        assert caught.value.problems[0].field == "interpretations.weather"
    with database.session() as s:
        autumn = scans.change(
            s,
            w["analyst"],
            ed,
            "autumn-2026",
            {"interpretations": {"cyber": "Rising."}},
            autumn.version,
        )
        with pytest.raises(Forbidden):
            scans.adopt(s, w["analyst"], ed, "autumn-2026", autumn.version)
    with database.session() as s:
        adopted = scans.adopt(s, w["coord"], ed, "autumn-2026", autumn.version)
        before = {x["signal"]: x["status"] for x in adopted.snapshot or []}
    with database.session() as s:
        rec = signals.get_signal(s, w["analyst"], ed, "s074-cyber-1d")
        signals.step(s, w["analyst"], ed, rec.slug, "dismissed", rec.version, "not confirmed")
    with database.session() as s:
        scan = scans.get_scan(s, w["coord"], ed, "autumn-2026")
        again = {x.id: x.status for x in scans.seen(s, w["coord"], _edition(s, ed), scan)}
        assert again["s074-cyber-1d"] == before["s074-cyber-1d"] != "dismissed"
        with pytest.raises(Conflict):
            scans.adopt(s, w["coord"], ed, "autumn-2026", adopted.version)
        with pytest.raises(InputError):
            scans.create(
                s,
                w["analyst"],
                ed,
                {"id": "x", "title": "X", "start": "2026-05-01", "end": "2026-01-01"},
            )


def _edition(s: Any, ed: int) -> Any:
    from natrisk.store.models import Edition

    return s.get(Edition, ed)


def test_a_large_import_is_audited_in_bulk_and_the_chain_holds(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signal_files, "BULK", 25)
    w = world(database)
    with database.session() as s:
        bulk = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "signals")
        )
        one = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "signal")
        )
        assert (bulk, one) == (4, 0)  # 90 signals in entries of 25
        count, problems = audit.verify(s)
        assert problems == []
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "signals")).all()
        assert sum(len(e.new) for e in entries) == 90
        assert w["ed"]
