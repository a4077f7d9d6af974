"""The job queue for background work: one ``jobs`` table for sensitivity and cascade runs,
reports and imports (the sensitivity runs move into it, keeping their ids); on PostgreSQL
also procrastinate's schema, in a schema of its own (``procrastinate``)

Revision ID: 0007
Revises: 0006
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

QUEUE_SCHEMA = "procrastinate"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("editions.id"), nullable=True),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("clearance", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("output", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_jobs_requested_by", "jobs", ["requested_by"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    # a run that was queued or running under the old thread pool had no worker to finish
    # it after the upgrade: it is queued again, so nothing asked for is lost
    op.execute(
        "INSERT INTO jobs (id, kind, edition_id, requested_by, clearance, status, progress, "
        "params, result, error, attempts, cancel_requested, created_at) "
        "SELECT id, 'sensitivity', edition_id, requested_by, clearance, "
        "CASE WHEN status IN ('queued', 'running') THEN 'queued' ELSE status END, "
        "CASE WHEN status IN ('queued', 'running') THEN 0.0 ELSE progress END, "
        "params, result, error, 0, false, created_at FROM sensitivity_runs"
    )
    op.drop_table("sensitivity_runs")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # ids were copied: the sequence must start after them
        op.execute(
            "SELECT setval(pg_get_serial_sequence('jobs', 'id'), COALESCE(MAX(id), 0) + 1, "
            "false) FROM jobs"
        )
        raw: Any = bind.connection.dbapi_connection
        path = raw.execute("SHOW search_path").fetchone()[0]
        raw.execute(f"CREATE SCHEMA {QUEUE_SCHEMA}")
        # unqualified names (procrastinate's own) go to its schema, ours stay where they are
        raw.execute("SELECT set_config('search_path', %s, true)", (f"{QUEUE_SCHEMA}, {path}",))
        raw.execute(SchemaManager.get_schema())  # no parameters: its % signs stay as written
        # queued runs moved from the old table are delivered by procrastinate too
        raw.execute(
            "SELECT procrastinate_defer_jobs_v1(ARRAY(SELECT ROW('natrisk', 'natrisk.job', 0, "
            "NULL, NULL, jsonb_build_object('job_id', id), NULL)::procrastinate_job_to_defer_v1 "
            "FROM jobs WHERE status = 'queued' ORDER BY id))"
        )
        raw.execute("SELECT set_config('search_path', %s, true)", (path,))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
    op.create_table(
        "sensitivity_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("editions.id"), nullable=False),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("clearance", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO sensitivity_runs (id, edition_id, requested_by, clearance, status, "
        "progress, params, result, error, created_at) SELECT id, edition_id, requested_by, "
        "clearance, status, progress, params, result, error, created_at FROM jobs "
        "WHERE kind = 'sensitivity' AND edition_id IS NOT NULL"
    )
    op.drop_index("ix_jobs_status", "jobs")
    op.drop_index("ix_jobs_requested_by", "jobs")
    op.drop_table("jobs")
