"""Full-text search over what a user may see: the entries, the database's own full-text
index over them (FTS5 on SQLite, a tsvector column on PostgreSQL), and the entries of the
scenarios, measures and capabilities stored already

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from natrisk.services import search
    from natrisk.store import fulltext

    op.create_table(
        "search_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_nl", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
    )
    op.create_index("ix_search_entries_source", "search_entries", ["source"])
    op.create_index("ix_search_entries_edition_id", "search_entries", ["edition_id"])
    conn = op.get_bind()
    for statement in fulltext.create_statements(conn.dialect.name):
        op.execute(statement)
    search.rebuild(conn, ["scenario", "measure", "capability"])


def downgrade() -> None:
    from natrisk.store import fulltext

    for statement in fulltext.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_search_entries_edition_id", "search_entries")
    op.drop_index("ix_search_entries_source", "search_entries")
    op.drop_table("search_entries")
