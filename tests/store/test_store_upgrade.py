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
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0011"
            )  # head
    finally:
        db.close()


def test_upgrade_to_server_sessions_keeps_users_and_frees_names(db_url):
    """0004: users keep their password and memberships; names become unique per organisation;
    the database gets its own identity, so its tokens are its own."""
    from natrisk.services import accounts
    from natrisk.store.models import Instance

    engine = make_engine(db_url)
    migrate(engine, "0003")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO organisations (id, slug, name) VALUES (1, 'a', 'A'), (2, 'b', 'B')")
        )
        conn.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, clearance, "
                "organisation_id, is_admin, active, created_at) VALUES ('ann', 'Ann', :h, 2, 1, "
                "true, true, CURRENT_TIMESTAMP)"
            ),
            {"h": accounts.HASHER.hash("ann-has-a-long-password")},
        )
    engine.dispose()
    db = Database(db_url)
    try:
        with db.session() as s:
            user = accounts.authenticate(s, "ann", "ann-has-a-long-password")
            assert (user.display_name, user.clearance, user.credential_version) == ("Ann", 2, 1)
            instance = s.get(Instance, 1)
            assert instance is not None and len(instance.uid) == 32 and len(instance.secret) > 40
            accounts.add_user(s, "ann", "another-long-password", "b")  # the other organisation
        with db.session() as s:
            assert len(accounts.users_named(s, "ann")) == 2
    finally:
        db.close()
    other = (
        Database(db_url.replace("natrisk.db", "other.db")) if db_url.startswith("sqlite") else None
    )
    if other is not None:
        try:
            with other.session() as s, db.session() as t:
                assert s.get(Instance, 1).uid != t.get(Instance, 1).uid  # type: ignore[union-attr]
        finally:
            other.close()


def test_upgrade_to_withdrawn_scenarios_keeps_every_scenario_in_the_picture(db_url):
    """0005: scenarios keep their data and are not withdrawn; reset links can be stored."""
    import datetime as dt

    from natrisk.store.models import PasswordReset, ScenarioRecord

    engine = make_engine(db_url)
    migrate(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, slug, name) VALUES (1, 'org', 'Org')"))
        conn.execute(
            text("INSERT INTO frameworks (id, name, document, sha256) VALUES ('f', 'F', '{}', 'x')")
        )
        conn.execute(
            text(
                "INSERT INTO editions (id, slug, organisation_id, title, description, framework_id, "
                "status, classification, extra, version, created_at) VALUES (1, 'e', 1, 'E', '', "
                "'f', 'draft', 0, '{}', 4, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO scenarios (id, edition_id, slug, position, title, theme, malicious, "
                "description, assumptions, classification, likelihood, extra, version, revision) "
                "VALUES (1, 1, 's', 0, 'S', 't', false, 'Story', 'If', 0, '{\"class\": \"B\"}', "
                "'{}', 3, 2)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, clearance, "
                "organisation_id, is_admin, active, credential_version, created_at) VALUES "
                "(1, 'ann', 'Ann', 'h', 0, 1, false, true, 1, CURRENT_TIMESTAMP)"
            )
        )
    assert "withdrawn" not in {c["name"] for c in inspect(engine).get_columns("scenarios")}
    engine.dispose()
    db = Database(db_url)
    try:
        with db.session() as s:
            rec = s.get(ScenarioRecord, 1)
            assert rec is not None
            assert (rec.slug, rec.description, rec.version, rec.withdrawn) == (
                "s",
                "Story",
                3,
                False,
            )
            now = dt.datetime.now(dt.UTC)
            s.add(PasswordReset(user_id=1, token_hash="a" * 64, created_by="admin", expires_at=now))
        with db.session() as s:
            assert s.get(PasswordReset, 1).used_at is None  # type: ignore[union-attr]
    finally:
        db.close()


def test_upgrade_to_comment_threads_closes_the_comments_of_published_editions(db_url):
    """0011: comments become threads; those of a published edition are closed, others open."""
    engine = make_engine(db_url)
    migrate(engine, "0010")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, slug, name) VALUES (1, 'org', 'Org')"))
        conn.execute(
            text("INSERT INTO frameworks (id, name, document, sha256) VALUES ('f', 'F', '{}', 'x')")
        )
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, clearance, "
                "organisation_id, is_admin, active, created_at) VALUES (1, 'ann', 'Ann', 'h', 0, "
                "1, false, true, CURRENT_TIMESTAMP)"
            )
        )
        for eid, status in ((1, "published"), (2, "review")):
            conn.execute(
                text(
                    "INSERT INTO editions (id, slug, organisation_id, title, description, "
                    "framework_id, status, classification, extra, version, created_at) VALUES "
                    f"({eid}, 'e{eid}', 1, 'E', '', 'f', '{status}', 0, '{{}}', 1, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO scenarios (id, edition_id, slug, position, title, theme, "
                    "malicious, description, assumptions, classification, likelihood, extra, "
                    f"version) VALUES ({eid}, {eid}, 's', 0, 'S', 't', false, '', '', 0, "
                    "'{\"class\": \"B\"}', '{}', 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO comments (id, scenario_id, author_id, body, classification, "
                    f"created_at) VALUES ({eid}, {eid}, 1, 'On {status}', 0, CURRENT_TIMESTAMP)"
                )
            )
    engine.dispose()
    db = Database(db_url)  # migrates to head
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT body, state, parent_id, version FROM comments ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [
            ("On published", "closed", None, 1),
            ("On review", "open", None, 1),
        ]
    finally:
        db.close()
