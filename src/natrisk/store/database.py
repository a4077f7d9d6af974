"""Engines, sessions and migrations. SQLite by default, PostgreSQL from NATRISK_DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from natrisk.errors import OutputError

MIGRATIONS = Path(__file__).parent / "migrations"


def default_url() -> str:
    """NATRISK_DATABASE_URL, or an SQLite file in the user's data folder."""
    url = os.environ.get("NATRISK_DATABASE_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    folder = base / "natrisk"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'natrisk.db'}"


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    url = url or default_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_size=20, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            conn.isolation_level = None  # we issue BEGIN ourselves, below
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # SQLite cannot upgrade a read transaction safely under concurrency: take the
            # write lock up front, so concurrent writers queue instead of failing midway
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def serialize_appends(session: Session) -> None:
    """Hold the audit-append lock until the transaction ends (PostgreSQL; SQLite already
    serialises writers with BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(724301)"))


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise OutputError(f"database migration failed: {exc}") from exc


def _mark_written(session: Session, _context: Any) -> None:
    # a session that has written may yet roll back: views it computes must not be cached
    session.info["wrote"] = True


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str | None = None, upgrade: bool = True) -> None:
        self.engine = make_engine(url)
        if upgrade:
            migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "after_flush", _mark_written)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session
