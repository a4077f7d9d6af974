"""The audit trail: who, when, old, new and why; hash-chained so that tampering is detected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text
from store_support import (
    OPENBAAR,
    STGGEHEIM,
    TOP,
    actor_of,
    grant,
    import_book,
    load_doc,
    new_actor,
    run_cli,
    small_doc,
)

from natrisk.services import audit, editing
from natrisk.services.access import Actor
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _edition(database: Database, tmp_path: Path) -> tuple[Actor, int]:
    path, book = load_doc(small_doc(), tmp_path)
    alice = new_actor(database, "alice", clearance=TOP, admin=True)
    return alice, import_book(database, alice, book, path)


def _chain(database: Database, tmp_path: Path, changes: int = 3) -> tuple[Actor, int]:
    """An edition with an import entry and ``changes`` score changes: 1 + changes entries."""
    alice, edition_id = _edition(database, tmp_path)
    for i in range(changes):
        with database.session() as s:
            editing.set_score(
                s, alice, edition_id, "cyber-grid", "5.1", "CDE"[i % 3], i + 1, f"change {i}"
            )
    return alice, edition_id


def _verify(database: Database) -> tuple[int, list[audit.ChainProblem]]:
    with database.session() as s:
        return audit.verify(s)


def _sql(database: Database, statement: str) -> None:
    with database.engine.begin() as conn:
        conn.execute(text(statement))


def test_set_score_records_who_when_old_new_and_why(database: Database, tmp_path: Path) -> None:
    alice, edition_id = _edition(database, tmp_path)
    before = dt.datetime.now(dt.UTC)
    with database.session() as s:
        editing.set_score(
            s,
            alice,
            edition_id,
            "cyber-grid",
            "5.1",
            {"class": "D", "rationale": "new info"},
            1,
            "r1",
        )
    after = dt.datetime.now(dt.UTC)

    with database.session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert entry.actor == "alice"
        assert entry.entity == "score"
        assert entry.edition_id == edition_id
        assert entry.key == editing.score_key(edition_id, "cyber-grid", "5.1")
        assert entry.old == {"class": "C", "rationale": "", "sources": []}
        assert entry.new["class"] == "D"
        assert entry.new["rationale"] == "new info"
        assert entry.reason == "r1"
        at = dt.datetime.fromisoformat(entry.at)
        assert at.tzinfo is not None
        assert before <= at <= after


def test_score_history_is_oldest_first(database: Database, tmp_path: Path) -> None:
    alice, edition_id = _edition(database, tmp_path)
    for version, (klass, why) in enumerate([("D", "first"), ("E", "second"), ("B", "third")], 1):
        with database.session() as s:
            editing.set_score(s, alice, edition_id, "cyber-grid", "5.1", klass, version, why)
    with database.session() as s:  # another score's change does not show
        editing.set_score(s, alice, edition_id, "cyber-grid", "5.3", "E", 1, "elsewhere")

    with database.session() as s:
        history = editing.score_history(s, alice, edition_id, "cyber-grid", "5.1")

    assert [h["reason"] for h in history] == ["first", "second", "third"]
    assert [h["by"] for h in history] == ["alice"] * 3
    assert [(h["old"]["class"], h["new"]["class"]) for h in history] == [
        ("C", "D"),
        ("D", "E"),
        ("E", "B"),
    ]
    times = [dt.datetime.fromisoformat(h["at"]) for h in history]
    assert times == sorted(times)


def test_new_score_has_no_old_value(database: Database, tmp_path: Path) -> None:
    alice, edition_id = _edition(database, tmp_path)
    with database.session() as s:
        editing.set_score(s, alice, edition_id, "cyber-grid", "2.1", 12, 0, "added")
    with database.session() as s:
        (entry,) = editing.score_history(s, alice, edition_id, "cyber-grid", "2.1")
    assert entry["old"] is None
    assert entry["new"]["quantity"] == {"min": 12.0, "max": 12.0}


def test_likelihood_change_is_audited(database: Database, tmp_path: Path) -> None:
    alice, edition_id = _edition(database, tmp_path)
    with database.session() as s:
        scen = editing.set_likelihood(s, alice, edition_id, "pandemic", "D", 1, "new estimate")
        assert scen.version == 2
    with database.session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.entity, entry.actor, entry.reason) == ("likelihood", "alice", "new estimate")
    assert entry.old == {"probability": {"min": 0.01, "max": 0.05}, "rationale": "", "sources": []}
    assert entry.new["class"] == "D"


def test_fresh_chain_is_intact(database: Database, tmp_path: Path) -> None:
    assert _verify(database) == (0, [])
    _chain(database, tmp_path)
    assert _verify(database) == (4, [])


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET reason = 'x' WHERE id = 2",
        "UPDATE audit_log SET actor = 'mallory' WHERE id = 1",
        "UPDATE audit_log SET new = NULL WHERE id = 3",
        "DELETE FROM audit_log WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 4",
        "DELETE FROM audit_log WHERE id >= 3",
        "DELETE FROM audit_log",
        "DELETE FROM audit_head",
    ],
    ids=[
        "edit-reason",
        "edit-actor",
        "edit-new",
        "delete-middle",
        "delete-last",
        "delete-tail",
        "delete-all",
        "delete-head",
    ],
)
def test_tampering_is_detected(database: Database, tmp_path: Path, tamper: str) -> None:
    _chain(database, tmp_path)
    assert _verify(database) == (4, [])
    _sql(database, tamper)
    _, problems = _verify(database)
    assert problems, f"{tamper!r} went unnoticed"


def test_edit_with_a_recomputed_hash_is_detected(database: Database, tmp_path: Path) -> None:
    """Rewriting an entry and its own hash still breaks the link to the next entry."""
    _chain(database, tmp_path)
    with database.session() as s:
        entry = s.get(AuditEntry, 2)
        assert entry is not None
        entry.reason = "nothing to see"
        entry.hash = audit._digest(entry.prev_hash, entry)
    _, problems = _verify(database)
    assert [p.entry_id for p in problems] == [3]


def test_chain_stays_intact_after_a_rolled_back_change(database: Database, tmp_path: Path) -> None:
    """A change that is rolled back (e.g. the request failed later) leaves no trace and no
    false alarm: the next entries still verify. (PostgreSQL sequences do not roll back.)"""
    alice, edition_id = _chain(database, tmp_path, changes=1)
    with pytest.raises(RuntimeError), database.session() as s:
        editing.set_score(s, alice, edition_id, "cyber-grid", "5.3", "E", 1, "doomed")
        raise RuntimeError("the request failed after the change")
    with database.session() as s:
        editing.set_score(s, alice, edition_id, "cyber-grid", "5.3", "D", 1, "kept")

    count, problems = _verify(database)
    assert problems == []
    assert count == 3
    with database.session() as s:
        reasons = [
            h["reason"] for h in editing.score_history(s, alice, edition_id, "cyber-grid", "5.3")
        ]
    assert reasons == ["kept"]


def test_history_never_shows_a_rationale_above_the_readers_clearance(
    database: Database, tmp_path: Path
) -> None:
    """Declassifying a rationale must not publish the old, classified text in the history."""
    alice, edition_id = _edition(database, tmp_path)
    new_actor(database, "rita", clearance=OPENBAAR)
    grant(database, alice, edition_id, "rita", "reader")
    rita = actor_of(database, "rita")
    secret = {
        "class": "C",
        "rationale": "MARKER-7f3a-SECRET-RATIONALE",
        "sources": ["MARKER-7f3a-SECRET-SOURCE"],
        "classification": STGGEHEIM,
    }
    with database.session() as s:
        editing.set_score(
            s, alice, edition_id, "cyber-grid", "5.1", secret, 1, "classified grounds"
        )
    with database.session() as s:
        editing.set_score(
            s,
            alice,
            edition_id,
            "cyber-grid",
            "5.1",
            {"class": "C", "rationale": "public"},
            2,
            "declassified",
        )

    with database.session() as s:
        history = editing.score_history(s, rita, edition_id, "cyber-grid", "5.1")
    assert "MARKER-7f3a" not in repr(history)
    with database.session() as s:  # the cleared user sees both changes, in full
        full = editing.score_history(s, alice, edition_id, "cyber-grid", "5.1")
    assert [h["reason"] for h in full] == ["classified grounds", "declassified"]
    assert "MARKER-7f3a-SECRET-RATIONALE" in repr(full)


def test_cli_audit_verify_exit_codes(database: Database, db_url: str, tmp_path: Path) -> None:
    _chain(database, tmp_path, changes=2)
    intact = run_cli("audit", "verify", "--database", db_url, cwd=tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert "intact" in intact.stderr and "3 entries" in intact.stderr

    _sql(database, "UPDATE audit_log SET reason = 'x' WHERE id = 2")
    broken = run_cli("audit", "verify", "--database", db_url, cwd=tmp_path)
    assert broken.returncode == 2, broken.stderr
    assert "entry 2" in broken.stderr
    assert "Traceback" not in broken.stderr
