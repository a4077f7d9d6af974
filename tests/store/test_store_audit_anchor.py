"""The audit chain anchored outside the database (security review finding 4).

Cutting entries off the end and moving ``audit_head`` back used to verify as intact, since
the head lived in the same database as the log. The head is now signed with a key kept
outside the database, and checkpoints exported to a file catch a rollback of the whole
database to an older, validly signed state.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from store_support import TOP, load_doc, new_actor, run_cli, small_doc

from natrisk.errors import InputError
from natrisk.services import audit, editing
from natrisk.store.database import Database

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _chain(database: Database, tmp_path: Path, changes: int = 4) -> None:
    from store_support import import_book

    path, book = load_doc(small_doc(), tmp_path)
    alice = new_actor(database, "alice", clearance=TOP, admin=True)
    edition_id = import_book(database, alice, book, path)
    for i in range(changes):
        with database.session() as s:
            editing.set_score(s, alice, edition_id, "cyber-grid", "5.1", "CDE"[i % 3], i + 1, "x")


def _problems(database: Database) -> list[str]:
    with database.session() as s:
        return [p.message for p in audit.verify(s)[1]]


def _cut_and_move_head_back(database: Database, keep: int) -> None:
    """What the attacker did: delete the last entries and point the head at the new last."""
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id > :k"), {"k": keep})
        last = conn.execute(text("SELECT hash FROM audit_log WHERE id = :k"), {"k": keep}).scalar()
        conn.execute(
            text("UPDATE audit_head SET last_id = :k, last_hash = :h"), {"k": keep, "h": last}
        )


def test_cutting_the_end_and_moving_the_head_back_is_detected(
    database: Database, tmp_path: Path
) -> None:
    _chain(database, tmp_path)
    assert _problems(database) == []
    _cut_and_move_head_back(database, keep=3)
    problems = _problems(database)
    assert problems and "signature" in problems[0], problems


def test_a_forged_signature_is_detected(database: Database, tmp_path: Path) -> None:
    _chain(database, tmp_path)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET signature = :s"), {"s": "0" * 64})
    assert any("signature" in p for p in _problems(database))


def test_without_the_key_the_trail_is_not_called_intact(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _chain(database, tmp_path)
    monkeypatch.setenv("NATRISK_AUDIT_KEY_FILE", str(tmp_path / "elsewhere" / "missing.key"))
    problems = _problems(database)
    assert problems and "cannot be checked" in problems[0]


def test_the_key_from_the_environment_signs_and_checks(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATRISK_AUDIT_KEY", "an-operator-chosen-audit-key-0123456789")
    _chain(database, tmp_path, changes=2)
    assert _problems(database) == []
    monkeypatch.setenv("NATRISK_AUDIT_KEY", "another-key-entirely-9876543210")
    assert any("signature" in p for p in _problems(database))


def test_the_default_key_file_is_one_per_database(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NATRISK_AUDIT_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    database = Database(db_url)
    try:
        _chain(database, tmp_path, changes=1)
        keys = list((tmp_path / "data" / "natrisk").glob("audit-*.key"))
        assert len(keys) == 1 and (keys[0].stat().st_mode & 0o777) == 0o600
        assert _problems(database) == []
    finally:
        database.close()


def test_a_checkpoint_catches_a_rollback_to_an_older_signed_state(
    database: Database, tmp_path: Path
) -> None:
    _chain(database, tmp_path, changes=2)
    with database.engine.begin() as conn:  # an old backup: the whole database as it was
        old_head = conn.execute(text("SELECT last_id, last_hash, signature FROM audit_head")).one()
    with database.session() as s:
        assert audit.verify(s)[0] == 3
    _chain_more(database)
    with database.session() as s:
        mark = audit.checkpoint(s)
    assert mark.last_id == 5 and mark.count == 5
    # roll back to the backup: entries after it gone, the backup's head and signature back
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id > :k"), {"k": old_head.last_id})
        conn.execute(
            text("UPDATE audit_head SET last_id = :i, last_hash = :h, signature = :s"),
            {"i": old_head.last_id, "h": old_head.last_hash, "s": old_head.signature},
        )
    assert _problems(database) == []  # validly signed: only the checkpoint can tell
    with database.session() as s:
        found = audit.against_checkpoint(s, mark)
    assert found and "cut back or rewritten" in found[0].message


def _chain_more(database: Database) -> None:
    from natrisk.services.access import Actor
    from natrisk.services.accounts import find_user

    with database.session() as s:
        user = find_user(s, "alice")
        assert user is not None
        alice = Actor.of(user)
    for version, value in ((3, "B"), (4, "C")):  # after two changes the score is at version 3
        with database.session() as s:
            editing.set_score(s, alice, 1, "cyber-grid", "5.1", value, version, "more")


def test_a_checkpoint_of_a_broken_chain_is_refused(database: Database, tmp_path: Path) -> None:
    _chain(database, tmp_path)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = 'rewritten' WHERE id = 2"))
    with database.session() as s, pytest.raises(InputError, match="broken"):
        audit.checkpoint(s)


def test_cli_checkpoint_and_verify_against_it(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    _chain(database, tmp_path)
    out = tmp_path / "anchor" / "head.json"
    made = run_cli("audit", "checkpoint", "--out", out, "--database", db_url, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    mark = json.loads(out.read_text())
    assert mark["last_id"] == 5 and len(mark["last_hash"]) == 64
    ok = run_cli("audit", "verify", "--checkpoint", out, "--database", db_url, cwd=tmp_path)
    assert ok.returncode == 0 and "consistent with the checkpoint" in ok.stderr, ok.stderr
    _cut_and_move_head_back(database, keep=3)
    broken = run_cli("audit", "verify", "--checkpoint", out, "--database", db_url, cwd=tmp_path)
    assert broken.returncode == 2 and "broken" in broken.stderr, broken.stderr
    bad = tmp_path / "not-a-checkpoint.json"
    bad.write_text('{"hello": 1}')
    refused = run_cli("audit", "verify", "--checkpoint", bad, "--database", db_url, cwd=tmp_path)
    assert refused.returncode == 2 and "not a natrisk audit checkpoint" in refused.stderr
