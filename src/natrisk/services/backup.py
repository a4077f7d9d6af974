"""Backups of an SQLite database and their restore, both checked and written in the audit trail.

A backup is copied online (``store/sqlite_copy.py``), then checked before it is kept: SQLite's
integrity check and the audit trail's hash chain and signed head in the copy. The live
database then records that a backup was taken (file, size, entries, SHA-256).

A restore checks the backup the same way first. It refuses to overwrite a database that
holds data unless forced, and then keeps the database it replaces beside it
(``<file>.before-restore-<time>``), so nothing is lost. The restored database is migrated
to this version, records the restore, and its chain is verified again.

PostgreSQL is backed up with ``pg_dump`` (docs/deploy.md).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from natrisk.errors import InputError, OutputError
from natrisk.services import audit
from natrisk.store.database import Database
from natrisk.store.sqlite_copy import (
    copy_file,
    has_tables,
    integrity_problems,
    is_sqlite_file,
    sqlite_path,
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Copied:
    """A checked copy: its file, size, SHA-256 and the audit entries it holds."""

    path: Path
    size: int
    sha256: str
    entries: int
    kept: Path | None = None  # the database a restore replaced, kept beside it


def _actor(command: str) -> str:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        who = str(os.getuid())
    return f"system:{who} ({command})"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked(path: Path, what: str, upgrade: bool = False) -> int:
    """Raise unless ``path`` is a sound natrisk database with an intact audit trail; the
    number of audit entries."""
    if not is_sqlite_file(path):
        raise InputError(f"{path}: not an SQLite database file")
    problems = integrity_problems(path)
    if problems:
        raise OutputError(f"{what} {path} is damaged: {'; '.join(problems[:3])}")
    db = Database(f"sqlite:///{path}", upgrade=upgrade)
    try:
        with db.session(write=False) as s:
            count, broken = audit.verify(s)
    except OutputError:
        raise
    except Exception as exc:  # a file of another program, or of no natrisk version
        raise InputError(f"{path}: not a natrisk database ({type(exc).__name__})") from exc
    finally:
        db.close()
    if broken:
        first = broken[0]
        raise OutputError(
            f"the audit trail of {what} {path} is broken ({len(broken)} problem(s); "
            f"entry {first.entry_id}: {first.message})"
        )
    return count


def _record(url: str, key: str, new: dict[str, object], command: str) -> None:
    db = Database(url, upgrade=False)
    try:
        with db.session() as s:
            audit.record(s, _actor(command), "database", key, None, new, command)
    finally:
        db.close()


def backup(url: str, out: Path, force: bool = False, progress: Progress | None = None) -> Copied:
    """Copy the SQLite database at ``url`` to ``out`` while it is in use, check the copy, and
    record the backup in the database's audit trail."""
    source = sqlite_path(url)
    if not source.exists():
        raise InputError(f"{source}: there is no database to back up")
    if source.resolve() == out.resolve():
        raise InputError(f"{out}: a backup cannot be written over its own database")
    if out.exists() and not force:
        raise InputError(f"{out} exists; choose another file or add --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.partial")
    staging.unlink(missing_ok=True)
    try:
        copy_file(source, staging, progress)
        entries = _checked(staging, "the backup")
        os.replace(staging, out)
    finally:
        staging.unlink(missing_ok=True)
    copied = Copied(out, out.stat().st_size, _sha256(out), entries)
    new = {"file": str(out), "bytes": copied.size, "sha256": copied.sha256, "entries": entries}
    _record(url, "database:backup", new, "natrisk db backup")
    return copied


def restore(
    url: str, backup_file: Path, force: bool = False, progress: Progress | None = None
) -> Copied:
    """Replace the SQLite database at ``url`` with ``backup_file`` after checking the backup;
    a database that holds data is replaced only when ``force`` is given, and is kept."""
    target = sqlite_path(url)
    if not backup_file.exists():
        raise InputError(f"{backup_file}: no such backup file")
    if target.exists() and target.resolve() == backup_file.resolve():
        raise InputError(f"{backup_file} is the database itself")
    entries = _checked(backup_file, "the backup")
    kept = None
    if has_tables(target):
        if not force:
            raise InputError(
                f"{target} holds a database; stop the web processes and workers that use it, "
                "then add --force to replace it (it is kept beside the restored one)"
            )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        copy_file(target, kept)
    target.parent.mkdir(parents=True, exist_ok=True)
    copy_file(backup_file, target, progress)
    _checked(target, "the restored database", upgrade=True)  # migrated to this version
    new = {
        "file": str(backup_file),
        "sha256": _sha256(backup_file),
        "entries": entries,
        "replaced": str(kept) if kept else None,
    }
    _record(url, "database:restore", new, "natrisk db restore")
    count = _checked(target, "the restored database")
    return Copied(target, target.stat().st_size, _sha256(target), count, kept)
