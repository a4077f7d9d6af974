"""Server-side sessions, this database's identity and key, per-organisation usernames,
credential versions and the signed audit head

Revision ID: 0004
Revises: 0003
"""

import datetime as dt
import secrets
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _users() -> sa.Table:
    # the users table as 0001 made it but without its global, unnamed unique constraint:
    # SQLite's table copy starts from this instead of reflecting that constraint back
    return sa.Table(
        "users",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("clearance", sa.Integer(), nullable=False),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "instance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(
        sa.table(
            "instance",
            sa.column("id", sa.Integer()),
            sa.column("uid", sa.String()),
            sa.column("secret", sa.String()),
            sa.column("created_at", sa.DateTime(timezone=True)),
        ),
        [
            {
                "id": 1,
                "uid": uuid.uuid4().hex,
                "secret": secrets.token_urlsafe(48),
                "created_at": dt.datetime.now(dt.UTC),
            }
        ],
    )
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("credential_version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("agent", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_why", sa.String(50), nullable=False),
    )
    op.create_index("ix_sign_ins_user_id", "sign_ins", ["user_id"])
    version = sa.Column("credential_version", sa.Integer(), nullable=False, server_default="1")
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("users", copy_from=_users(), recreate="always") as batch:
            batch.add_column(version)
            batch.create_unique_constraint(
                "uq_users_organisation_username", ["organisation_id", "username"]
            )
    else:
        for uc in sa.inspect(bind).get_unique_constraints("users"):
            if uc["column_names"] == ["username"] and uc["name"]:
                op.drop_constraint(uc["name"], "users", type_="unique")
        op.add_column("users", version)
        op.create_unique_constraint(
            "uq_users_organisation_username", "users", ["organisation_id", "username"]
        )
    op.create_index("ix_users_username", "users", ["username"])
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("signature", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("signature")
    op.drop_index("ix_users_username", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_organisation_username", type_="unique")
        batch.drop_column("credential_version")
        batch.create_unique_constraint("uq_users_username", ["username"])
    op.drop_index("ix_sign_ins_user_id", "sign_ins")
    op.drop_table("sign_ins")
    op.drop_table("instance")
