"""Migrations: forward from an empty database, idempotent, and in step with the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from store_support import PASSWORD

from natrisk.services.accounts import add_user
from natrisk.store.database import MIGRATIONS, Database, make_engine, migrate
from natrisk.store.fulltext import INDEX_TABLES, is_index_object
from natrisk.store.models import Base, User

pytestmark = pytest.mark.usefixtures("fast_passwords")

TABLES = {
    "organisations",
    "users",
    "frameworks",
    "editions",
    "memberships",
    "scenarios",
    "scores",
    "judgements",
    "invitations",
    "comments",
    "audit_log",
    "audit_head",
    "jobs",
    "login_attempts",
    "sign_in_limits",
    "plans",
    "measures",
    "instance",
    "sign_ins",
    "password_resets",
    "signals",
    "signal_themes",
    "signal_clusters",
    "scans",
    "feed_tokens",
    "search_entries",
    "trend_sets",
    "trends",
    "deepdives",
    "scenario_origins",
}


def _config(conn=None) -> Config:  # type: ignore[no-untyped-def]
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


HEAD = ScriptDirectory.from_config(_config()).get_current_head()


def _version(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


def test_migrate_forward_from_an_empty_database(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []  # the fixture hands out an empty database
        migrate(engine)
        tables = set(inspect(engine).get_table_names()) - INDEX_TABLES  # SQLite's FTS5 tables
        assert tables == TABLES | {"alembic_version"}
        assert set(Base.metadata.tables) == TABLES  # every model has its table
        assert _version(engine) == [HEAD]
    finally:
        engine.dispose()


def test_migrate_twice_is_harmless_and_keeps_data(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.session() as s:
            add_user(s, "alice", PASSWORD, "org1", 0)
        migrate(db.engine)
        migrate(db.engine)
        assert _version(db.engine) == [HEAD]
    finally:
        db.close()
    again = Database(db_url)  # a second start on the same database
    try:
        assert _version(again.engine) == [HEAD]
        with again.session() as s:
            assert s.scalars(select(User.username)).all() == ["alice"]
    finally:
        again.close()


def test_database_without_upgrade_leaves_an_empty_database_alone(db_url: str) -> None:
    db = Database(db_url, upgrade=False)
    try:
        assert inspect(db.engine).get_table_names() == []
    finally:
        db.close()


def test_migrated_schema_matches_the_models(database: Database) -> None:
    """The migration creates exactly what the models declare (no drift to autogenerate)."""
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": is_index_object})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_downgrade_to_base_and_upgrade_again(database: Database) -> None:
    with database.engine.begin() as conn:
        command.downgrade(_config(conn), "base")
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    migrate(database.engine)
    tables = set(inspect(database.engine).get_table_names()) - INDEX_TABLES
    assert tables == TABLES | {"alembic_version"}
    assert _version(database.engine) == [HEAD]


def test_migration_chain_starts_at_the_initial_schema() -> None:
    revisions = list(ScriptDirectory.from_config(_config()).walk_revisions())
    assert revisions[-1].revision == "0001"
    assert revisions[-1].down_revision is None
    assert revisions[0].revision == HEAD
    assert len({r.revision for r in revisions}) == len(revisions)  # one line, no branches


def test_upgrade_from_the_first_release_keeps_its_data(db_url: str) -> None:
    """A database left at revision 0001 with an edition in it upgrades to head intact."""
    engine = make_engine(db_url)
    try:
        migrate(engine, "0001")
        assert _version(engine) == ["0001"]
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO organisations (id, slug, name) VALUES (1, 'org1', 'Org')")
            )
            conn.execute(
                text(
                    "INSERT INTO frameworks (id, name, document, sha256) "
                    "VALUES ('nl-2019', 'NL', '{}', 'x')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO editions (id, slug, organisation_id, title, description, "
                    "framework_id, status, classification, extra, version, created_at) VALUES "
                    "(1, 'e1', 1, 'Edition', '', 'nl-2019', 'draft', 0, '{}', 1, :now)"
                ),
                {"now": "2026-01-01T00:00:00+00:00"},
            )
            conn.execute(
                text(
                    "INSERT INTO scenarios (id, edition_id, slug, position, title, theme, "
                    "malicious, description, assumptions, classification, likelihood, extra, "
                    "version) VALUES (1, 1, 's1', 0, 'S', 'cyber', false, '', '', 0, "
                    "'{\"class\": \"B\"}', '{}', 3)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO scores (id, scenario_id, criterion, position, klass, rationale, "
                    "rationale_classification, sources, version) VALUES "
                    "(1, 1, '5.1', 0, 'C', 'why', 0, '[]', 2)"
                )
            )
        migrate(engine)
        assert _version(engine) == [HEAD]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT slug, version FROM scenarios")).all() == [("s1", 3)]
            assert conn.execute(text("SELECT klass, version FROM scores")).all() == [("C", 2)]
    finally:
        engine.dispose()
