"""Copies of an SQLite database file, made with SQLite's own online backup.

The backup API copies the database inside SQLite's locking and takes the WAL file into
account. The copy is made in one step, which reads one snapshot: in WAL mode writers go on
meanwhile (a copy in several steps would start again after every write of another process,
and might never end while the system is busy). Writing into a target the same way lets
connections that are open on it see the new content at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from natrisk.errors import InputError, OutputError

HEADER = b"SQLite format 3\x00"


def sqlite_path(url: str) -> Path:
    """The file of an SQLite database URL; other databases are refused with what to use."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise InputError(
            f"{parsed.get_backend_name()} databases are backed up with their own tools "
            "(PostgreSQL: pg_dump and pg_restore, see docs/deploy.md)"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise InputError("an in-memory database has no file to back up")
    return Path(parsed.database)


def is_sqlite_file(path: Path) -> bool:
    """Whether ``path`` starts like an SQLite database."""
    try:
        with path.open("rb") as f:
            return f.read(16) == HEADER
    except OSError:
        return False


def copy_file(
    source: Path, target: Path, progress: Callable[[int, int], None] | None = None
) -> None:
    """Copy the database ``source`` into ``target`` (created or overwritten) online."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise OutputError(f"{source}: cannot open the database: {exc}") from exc
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            src.backup(dst, pages=-1, progress=step)  # one step: one snapshot
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise OutputError(f"copying {source} to {target} failed: {exc}") from exc
    finally:
        src.close()


def integrity_problems(path: Path) -> list[str]:
    """What SQLite's integrity check finds in ``path`` (empty: sound)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def has_tables(path: Path) -> bool:
    """Whether the database file holds any table (an empty or new file holds none)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        finally:
            conn.close()
    except sqlite3.Error:
        return True  # something is there that is not an empty database: do not overwrite it
