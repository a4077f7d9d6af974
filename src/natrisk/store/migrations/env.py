"""Alembic environment: runs on the connection natrisk hands it (see store/database.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from natrisk.store.fulltext import is_index_object
from natrisk.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # run from the alembic command line
    connection = create_engine(config.get_main_option("sqlalchemy.url") or "").connect()
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    include_object=is_index_object,
)
with context.begin_transaction():
    context.run_migrations()
