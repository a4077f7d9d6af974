"""``natrisk db backup`` and ``natrisk db restore`` on real SQLite files, as an operator runs them.

A backup is taken while writers keep writing and is one consistent state; both commands
check what they copy (integrity, the audit trail's chain and signed head), write what they
did in the audit trail, refuse to overwrite what holds data unless forced, and keep what a
forced restore replaces. ``natrisk audit verify`` passes afterwards.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from store_support import PASSWORD, run_cli

from natrisk.services import accounts
from natrisk.services.access import Actor
from natrisk.services.editing import set_score
from natrisk.services.workspace import import_workbook
from natrisk.store.database import Database
from natrisk.store.models import AuditEntry, ScoreRecord, User

pytestmark = pytest.mark.usefixtures("fast_passwords")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nl-2026.yaml"
CRITERION = "1.2"  # a class-scored criterion of the bundled framework


def _seeded(path: Path) -> tuple[str, int]:
    """A database file with an administrator and the bundled example; its URL and edition."""
    from natrisk.io.workbook import load_workbook

    url = f"sqlite:///{path}"
    db = Database(url)
    with db.session() as s:
        admin = accounts.add_user(s, "admin", PASSWORD, "org", 3, is_admin=True)
        edition = import_workbook(s, EXAMPLE, load_workbook(EXAMPLE), Actor.of(admin)).id
    db.close()
    return url, edition


def _audit(url: str) -> list[tuple[str, str]]:
    db = Database(url, upgrade=False)
    with db.session(write=False) as s:
        rows = [(e.key, e.actor) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    db.close()
    return rows


def _scores(url: str) -> list[tuple[int, str | None, int]]:
    db = Database(url, upgrade=False)
    with db.session(write=False) as s:
        rows = [
            (r.id, r.klass, r.version)
            for r in s.scalars(select(ScoreRecord).order_by(ScoreRecord.id))
        ]
    db.close()
    return rows


def test_a_backup_taken_during_writes_is_whole_and_audited(tmp_path: Path) -> None:
    url, edition = _seeded(tmp_path / "live.db")
    db = Database(url)
    with db.session() as s:
        actor = Actor.of(s.scalars(select(User)).one())
        slug = s.scalar(select(func.min(ScoreRecord.id)))  # any row: the writer picks below
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        from natrisk.services.workspace import scenario_records
        from natrisk.store.models import Edition

        with db.session() as s:
            ed = s.get(Edition, edition)
            assert ed is not None
            target = scenario_records(s, ed)[0].slug
        version, k = 1, 0
        while not stop.is_set():
            with db.session() as s:
                rec = set_score(s, actor, edition, target, CRITERION, "ABCDE"[k % 5], version, "w")
                version = rec.version
            written.append(version)
            k += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 3:  # the writer is going
            stop.wait(0.05)
        out = tmp_path / "backups" / "natrisk.db"
        done = run_cli("db", "backup", "--out", out, "--database", url, cwd=tmp_path)
        during = len(written)
    finally:
        stop.set()
        thread.join(60)
        db.close()
    assert slug is not None
    assert done.returncode == 0, done.stderr
    assert "audit entries intact" in done.stderr and "sha256" in done.stderr
    assert during > 3, "the backup was taken while writes went on"
    # the copy is one consistent state: sound, its chain intact, and openable as a database
    conn = sqlite3.connect(out)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    verified = run_cli("audit", "verify", "--database", f"sqlite:///{out}", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "intact" in verified.stderr
    # the live database says that a backup was taken, by whom, and its chain is intact
    backups = [actor for key, actor in _audit(url) if key == "database:backup"]
    assert len(backups) == 1 and backups[0].startswith("system:"), backups
    assert run_cli("audit", "verify", "--database", url, cwd=tmp_path).returncode == 0
    # every score of the copy is one the live database had (no half-written change)
    copied = {r[0]: r for r in _scores(f"sqlite:///{out}")}
    assert copied and all(r[2] >= 1 for r in copied.values())


def test_backup_refuses_what_it_should(tmp_path: Path, pg_cluster: object) -> None:
    url, _ = _seeded(tmp_path / "live.db")
    out = tmp_path / "b.db"
    assert run_cli("db", "backup", "--out", out, "--database", url, cwd=tmp_path).returncode == 0
    again = run_cli("db", "backup", "--out", out, "--database", url, cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    forced = run_cli("db", "backup", "--out", out, "--force", "--database", url, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    itself = run_cli(
        "db", "backup", "--out", tmp_path / "live.db", "--force", "--database", url, cwd=tmp_path
    )
    assert itself.returncode == 2 and "its own database" in itself.stderr
    missing = run_cli(
        "db",
        "backup",
        "--out",
        out,
        "--database",
        f"sqlite:///{tmp_path / 'nope.db'}",
        cwd=tmp_path,
    )
    assert missing.returncode == 2 and "no database" in missing.stderr
    pg = pg_cluster.new_database()  # type: ignore[attr-defined]
    refused = run_cli("db", "backup", "--out", out, "--database", pg, cwd=tmp_path)
    assert refused.returncode == 2 and "pg_dump" in refused.stderr
    restored = run_cli("db", "restore", out, "--database", pg, cwd=tmp_path)
    assert restored.returncode == 2 and "pg_dump" in restored.stderr


def test_restore_into_a_new_file_and_over_a_live_one(tmp_path: Path) -> None:
    url, edition = _seeded(tmp_path / "live.db")
    out = tmp_path / "b.db"
    assert run_cli("db", "backup", "--out", out, "--database", url, cwd=tmp_path).returncode == 0
    at_backup = _scores(url)
    # a new file needs no --force
    fresh = f"sqlite:///{tmp_path / 'elsewhere' / 'new.db'}"
    done = run_cli("db", "restore", out, "--database", fresh, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _scores(fresh) == at_backup
    assert _audit(fresh)[-1][0] == "database:restore"
    # the live database changes after the backup
    db = Database(url)
    with db.session() as s:
        actor = Actor.of(s.scalars(select(User)).one())
        from natrisk.services.workspace import scenario_records
        from natrisk.store.models import Edition

        ed = s.get(Edition, edition)
        assert ed is not None
        slug = scenario_records(s, ed)[0].slug
    with db.session() as s:
        set_score(s, actor, edition, slug, CRITERION, "E", 1, "after the backup")
    db.close()
    changed = _scores(url)
    assert changed != at_backup
    # without --force a database that holds data is left alone
    refused = run_cli("db", "restore", out, "--database", url, cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert _scores(url) == changed
    # with --force it is replaced, and what it held is kept beside it
    forced = run_cli("db", "restore", out, "--force", "--database", url, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert _scores(url) == at_backup
    kept = sorted(tmp_path.glob("live.db.before-restore-*"))
    assert len(kept) == 1 and str(kept[0]) in forced.stderr
    assert _scores(f"sqlite:///{kept[0]}") == changed
    # the restored trail is the backup's (taken before its own backup was recorded) and
    # says that it was restored; the kept one goes on to the backup and the change after it
    keys = [k for k, _ in _audit(url)]
    assert keys[-1] == "database:restore" and "database:backup" not in keys
    kept_keys = [k for k, _ in _audit(f"sqlite:///{kept[0]}")]
    assert "database:backup" in kept_keys and kept_keys[-1].endswith(f"score:{CRITERION}")
    verified = run_cli("audit", "verify", "--database", url, cwd=tmp_path)
    assert verified.returncode == 0 and "intact" in verified.stderr, verified.stderr


def test_restore_refuses_a_damaged_or_tampered_backup(tmp_path: Path) -> None:
    url, _ = _seeded(tmp_path / "live.db")
    out = tmp_path / "b.db"
    assert run_cli("db", "backup", "--out", out, "--database", url, cwd=tmp_path).returncode == 0
    target = f"sqlite:///{tmp_path / 'target.db'}"
    # an audit entry edited in the backup: the chain no longer holds
    tampered = tmp_path / "tampered.db"
    tampered.write_bytes(out.read_bytes())
    conn = sqlite3.connect(tampered)
    conn.execute("UPDATE audit_log SET reason = 'rewritten' WHERE id = 1")
    conn.commit()
    conn.close()
    r = run_cli("db", "restore", tampered, "--database", target, cwd=tmp_path)
    assert r.returncode == 2 and "audit trail" in r.stderr, r.stderr
    assert not (tmp_path / "target.db").exists()
    # bytes that are not a database, and a truncated copy
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all", encoding="utf-8")
    r = run_cli("db", "restore", junk, "--database", target, cwd=tmp_path)
    assert r.returncode == 2 and "not an SQLite database" in r.stderr
    cut = tmp_path / "cut.db"
    cut.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
    r = run_cli("db", "restore", cut, "--database", target, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert not (tmp_path / "target.db").exists() or not _has_rows(tmp_path / "target.db")
    r = run_cli("db", "restore", tmp_path / "absent.db", "--database", target, cwd=tmp_path)
    assert r.returncode == 2 and "no such backup" in r.stderr


def _has_rows(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
    finally:
        conn.close()
