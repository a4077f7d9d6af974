"""Migration 0007: the sensitivity runs of a database at 0006 move into the job queue with
their ids; a run that was queued or running is queued again (and delivered on PostgreSQL)."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from natrisk.services.worker import Worker
from natrisk.store.database import Database, make_engine, migrate
from natrisk.store.models import Job


def _row(conn, table: str, values: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Insert ``values`` and a placeholder for every other required column."""
    filled = dict(values)
    for col in inspect(conn).get_columns(table):
        if col["name"] in filled or col["nullable"] or col.get("autoincrement") is True:
            continue
        kind = str(col["type"]).upper()
        filled[col["name"]] = (
            False
            if "BOOL" in kind
            else 0
            if "INT" in kind or "FLOAT" in kind
            else "2026-01-01T00:00:00+00:00"
            if "DATE" in kind or "TIME" in kind
            else "{}"
            if "JSON" in kind
            else "x"
        )
    names = ", ".join(filled)
    marks = ", ".join(f":{k}" for k in filled)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), filled)


def test_sensitivity_runs_become_jobs_and_queued_ones_still_run(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, "0006")
        with engine.begin() as conn:
            _row(conn, "organisations", {"id": 1, "slug": "org1", "name": "Org"})
            _row(conn, "users", {"id": 1, "username": "ann", "organisation_id": 1, "active": True})
            _row(conn, "frameworks", {"id": "nl-2019", "name": "NL", "document": "{}"})
            _row(
                conn,
                "editions",
                {"id": 1, "slug": "e1", "organisation_id": 1, "framework_id": "nl-2019"},
            )
            done = json.dumps({"samples": 10})
            for rid, status, result in (
                (4, "done", done),
                (7, "running", None),
                (9, "queued", None),
            ):
                _row(
                    conn,
                    "sensitivity_runs",
                    {
                        "id": rid,
                        "edition_id": 1,
                        "requested_by": 1,
                        "clearance": 0,
                        "status": status,
                        "progress": 0.5 if status == "running" else 1.0,
                        "params": json.dumps({"samples": 10}),
                        "result": result,
                    },
                )
        migrate(engine)
        assert "sensitivity_runs" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    db = Database(db_url)
    try:
        with db.session(write=False) as s:
            rows = {j.id: (j.kind, j.status, j.progress) for j in s.query(Job)}
            assert rows == {
                4: ("sensitivity", "done", 1.0),
                7: ("sensitivity", "queued", 0.0),
                9: ("sensitivity", "queued", 0.0),
            }
            assert s.get(Job, 4).result == {"samples": 10}  # type: ignore[union-attr]
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                delivered = conn.exec_driver_sql(
                    "SELECT (args->>'job_id')::int FROM procrastinate.procrastinate_jobs "
                    "WHERE status = 'todo' ORDER BY id"
                ).scalars()
                assert list(delivered) == [7, 9]
        with db.session() as s:  # new jobs are numbered after the moved ones
            job = Job(kind="sensitivity", edition_id=1, requested_by=1, clearance=0, params={})
            s.add(job)
            s.flush()
            assert job.id > 9
            s.delete(job)
        # the moved runs are real jobs: a worker picks them up (and fails them: the edition
        # of this bare database has no scenarios worth the name)
        assert Worker(db, name="migration-test").drain() == 2
        with db.session(write=False) as s:
            assert {s.get(Job, i).status for i in (7, 9)} <= {"done", "failed"}  # type: ignore[union-attr]
    finally:
        db.close()
