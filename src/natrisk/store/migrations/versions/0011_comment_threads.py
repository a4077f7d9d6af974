"""Comment threads: replies belong to a comment, a comment is open, resolved or closed (by
whom and when), with a version for optimistic concurrency

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("state", sa.String(10), nullable=False, server_default="open"))
        batch.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.create_foreign_key("fk_comments_parent", "comments", ["parent_id"], ["id"])
        batch.create_foreign_key("fk_comments_resolver", "users", ["resolved_by_id"], ["id"])
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"])
    # the review of a published edition is over: its open comments are closed
    op.execute(
        "UPDATE comments SET state = 'closed' WHERE parent_id IS NULL AND scenario_id IN "
        "(SELECT s.id FROM scenarios s JOIN editions e ON e.id = s.edition_id "
        "WHERE e.status = 'published')"
    )


def downgrade() -> None:
    op.drop_index("ix_comments_parent_id", "comments")
    with op.batch_alter_table("comments") as batch:
        batch.drop_constraint("fk_comments_resolver", type_="foreignkey")
        batch.drop_constraint("fk_comments_parent", type_="foreignkey")
        for name in ("version", "resolved_at", "resolved_by_id", "state", "parent_id"):
            batch.drop_column(name)
