"""Engines, sessions and migrations. SQLite by default, PostgreSQL from NATRISK_DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from natrisk.errors import Conflict, NatriskError, OutputError, Unavailable
from natrisk.store import hooks

MIGRATIONS = Path(__file__).parent / "migrations"
READ_ONLY = "natrisk_read_only"  # execution option of the engine behind read sessions
RACE_STATES = {"40001", "40P01"}  # PostgreSQL: serialization failure, deadlock detected
READ_ONLY_STATE = "25006"  # PostgreSQL: a write in a read-only transaction


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
            # SQLite cannot upgrade a read transaction safely under concurrency: a writer
            # takes the write lock up front, so writers queue instead of failing midway; a
            # reader takes none and reads one WAL snapshot, never waiting for a writer
            reading = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql(f"PRAGMA query_only={int(reading)}")  # SQLite refuses writes
            conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def serialize_appends(session: Session) -> None:
    """Hold the audit-append lock until the transaction ends (PostgreSQL; SQLite already
    serialises writers: write sessions begin with BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(724301)"))


def end_transaction(session: Session) -> None:
    """End the session's transaction now, before slow work that needs no database.

    What was loaded stays usable; a reader lets go of its snapshot and its pooled
    connection, and anything the session does afterwards runs in a new transaction.
    """
    session.commit()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                # SQLite rebuilds a table to change its constraints; its own guide says to
                # switch foreign keys off for that (outside a transaction) and check after
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                    if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise OutputError("database migration broke a foreign key; nothing changed")
            finally:
                if sqlite:
                    conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    except SQLAlchemyError as exc:
        raise OutputError(f"database migration failed: {exc}") from exc


def _mark_written(session: Session, _context: Any) -> None:
    # a session that has written may yet roll back: views it computes must not be cached
    session.info["wrote"] = True


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySession("a read session cannot store changes; use a write session")


def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySession("a read session cannot change rows; use a write session")


class ReadOnlySession(OutputError):
    """A read session was asked to write (a bug: the route should use a write session)."""


def translate(exc: SQLAlchemyError) -> NatriskError:
    """The natrisk error for a database failure: a lost race, a busy database, or a fault."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None)
    if state == READ_ONLY_STATE or "readonly database" in str(orig):
        return ReadOnlySession("a read session cannot change rows; use a write session")
    if isinstance(exc, (StaleDataError, IntegrityError)) or state in RACE_STATES:
        return Conflict(
            "someone else changed the same data at the same moment; nothing was stored. "
            "Reload and apply your change again"
        )
    if isinstance(exc, OperationalError):  # locked, busy, disconnected, out of connections
        return Unavailable(
            "the database is busy or unreachable; nothing was stored. Try again in a moment"
        )
    if isinstance(exc, DBAPIError):
        return OutputError("the database refused the request; nothing was stored")
    return OutputError(f"database error: {type(exc).__name__}")


class Database:
    """An engine and its two session factories: writers and readers."""

    def __init__(self, url: str | None = None, upgrade: bool = True) -> None:
        hooks.opening()  # the listeners of the layers above (the search index), before any flush
        self.engine = make_engine(url)
        if upgrade:
            migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "after_flush", _mark_written)
        options: dict[str, Any] = {READ_ONLY: True}
        if self.engine.dialect.name == "postgresql":
            options["postgresql_readonly"] = True  # the server refuses a write, too
        self.readers = sessionmaker(
            self.engine.execution_options(**options), expire_on_commit=False
        )
        event.listen(self.readers, "before_flush", _refuse_flush)
        event.listen(self.readers, "do_orm_execute", _refuse_dml)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def session(self, write: bool = True) -> Iterator[Session]:
        """A session committed at the end (rolled back on any error); ``write=False`` reads only.

        A database failure, at commit included, leaves as a natrisk error (409 for a lost
        race, 503 for a busy database), so a caller never reports success for a lost write.
        """
        with (self.sessions if write else self.readers)() as session:
            try:
                yield session
                session.commit()  # also whatever was begun after an early commit or rollback
            except SQLAlchemyError as exc:
                raise translate(exc) from exc
