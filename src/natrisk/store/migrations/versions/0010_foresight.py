"""Trends, trend analyses and thematic deep-dives: foresight editions (trend sets) with their
trends as rows, deep-dives, and the origin of scenarios made or changed by a deep-dive

Revision ID: 0010
Revises: 0009
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _when() -> sa.Column[dt.datetime]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "trend_sets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("editions.id"), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _when(),
        sa.UniqueConstraint("edition_id", "slug"),
    )
    op.create_index("ix_trend_sets_edition_id", "trend_sets", ["edition_id"])
    op.create_table(
        "trends",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("set_id", sa.Integer(), sa.ForeignKey("trend_sets.id"), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(100), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("set_id", "slug"),
    )
    op.create_index("ix_trends_set_id", "trends", ["set_id"])
    op.create_table(
        "deepdives",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("editions.id"), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("theme", sa.String(200), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _when(),
        sa.UniqueConstraint("edition_id", "slug"),
    )
    op.create_index("ix_deepdives_edition_id", "deepdives", ["edition_id"])
    op.create_table(
        "scenario_origins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scenario_id", sa.Integer(), sa.ForeignKey("scenarios.id"), nullable=False),
        sa.Column("deepdive_id", sa.Integer(), sa.ForeignKey("deepdives.id"), nullable=False),
        sa.Column("change", sa.String(20), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("trends", sa.JSON(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _when(),
        sa.UniqueConstraint("scenario_id", "deepdive_id"),
    )
    op.create_index("ix_scenario_origins_scenario_id", "scenario_origins", ["scenario_id"])
    op.create_index("ix_scenario_origins_deepdive_id", "scenario_origins", ["deepdive_id"])


def downgrade() -> None:
    for table, columns in (
        ("scenario_origins", ("scenario_id", "deepdive_id")),
        ("deepdives", ("edition_id",)),
        ("trends", ("set_id",)),
        ("trend_sets", ("edition_id",)),
    ):
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table)
        op.drop_table(table)
