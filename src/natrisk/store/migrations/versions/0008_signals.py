"""Signals, confirmed clusters, horizon scans and feed tokens (horizon scanning)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _stamp() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "signal_clusters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("editions.id"), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _stamp(),
        sa.UniqueConstraint("edition_id", "slug"),
    )
    op.create_index("ix_signal_clusters_edition_id", "signal_clusters", ["edition_id"])
    op.create_table(
        "signals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("editions.id"), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("observed", sa.Date(), nullable=False),
        sa.Column("scenarios", sa.JSON(), nullable=False),
        sa.Column("horizon", sa.String(20), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(300), nullable=False),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("strength", sa.String(20), nullable=True),
        sa.Column("direction", sa.String(20), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("absorbed_into", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), sa.ForeignKey("signal_clusters.id"), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _stamp(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("edition_id", "slug"),
    )
    for column in ("edition_id", "observed", "status", "cluster_id"):
        op.create_index(f"ix_signals_{column}", "signals", [column])
    op.create_table(
        "signal_themes",
        sa.Column("signal_id", sa.Integer(), sa.ForeignKey("signals.id"), primary_key=True),
        sa.Column("theme", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_signal_themes_theme", "signal_themes", ["theme"])
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("editions.id"), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("interpretations", sa.JSON(), nullable=False),
        sa.Column("adopted_on", sa.Date(), nullable=True),
        sa.Column("adopted_by", sa.String(100), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _stamp(),
        sa.UniqueConstraint("edition_id", "slug"),
    )
    op.create_index("ix_scans_edition_id", "scans", ["edition_id"])
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("credential_version", sa.Integer(), nullable=False),
        _stamp(),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_feed_tokens_user_id", "feed_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_tokens_user_id", "feed_tokens")
    op.drop_table("feed_tokens")
    op.drop_index("ix_scans_edition_id", "scans")
    op.drop_table("scans")
    op.drop_index("ix_signal_themes_theme", "signal_themes")
    op.drop_table("signal_themes")
    for column in ("edition_id", "observed", "status", "cluster_id"):
        op.drop_index(f"ix_signals_{column}", "signals")
    op.drop_table("signals")
    op.drop_index("ix_signal_clusters_edition_id", "signal_clusters")
    op.drop_table("signal_clusters")
