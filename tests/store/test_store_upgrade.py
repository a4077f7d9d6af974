"""Migrations run forward from the previous schema with data in it, on both databases."""

from __future__ import annotations

from sqlalchemy import inspect, text

from natrisk.store.database import Database, make_engine, migrate


def test_upgrade_from_first_schema_keeps_data(db_url):
    engine = make_engine(db_url)
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, slug, name) VALUES (1, 'org', 'Org')"))
        conn.execute(
            text("INSERT INTO frameworks (id, name, document, sha256) VALUES ('f', 'F', '{}', 'x')")
        )
        conn.execute(
            text(
                "INSERT INTO editions (id, slug, organisation_id, title, description, framework_id, status, "
                "classification, extra, version, created_at) VALUES (1, 'e', 1, 'E', '', 'f', 'draft', 0, '{}', 1, "
                "CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO scenarios (id, edition_id, slug, position, title, theme, malicious, description, "
                "assumptions, classification, likelihood, extra, version) VALUES (1, 1, 's', 0, 'S', 't', false, '', '', "
                "0, '{\"class\": \"B\"}', '{}', 3)"
            )
        )
    assert "revision" not in {c["name"] for c in inspect(engine).get_columns("scenarios")}
    engine.dispose()
    db = Database(db_url)  # migrates to head
    try:
        columns = {c["name"] for c in inspect(db.engine).get_columns("scenarios")}
        assert "revision" in columns
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT slug, version, revision FROM scenarios")).one()
            assert tuple(row) == ("s", 3, 0)
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
    finally:
        db.close()
