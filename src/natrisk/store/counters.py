"""Counters that several processes raise at once (the sign-in limit): one statement each.

An upsert raises a counter only while it is under its limit or its window has passed, and
says whether it did. The database serialises concurrent upserts on the counter's row, so no
number of web processes can slip under a limit together.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Table, case, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from natrisk.store.models import SignInLimit

TABLE: Table = SignInLimit.__table__  # type: ignore[assignment]


def raise_under(session: Session, key: str, limit: int, window: dt.timedelta) -> bool:
    """Add one to ``key`` if it is under ``limit`` within ``window``; False when it is not."""
    now = dt.datetime.now(dt.UTC)
    stale = TABLE.c.window_start < now - window
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = (
        insert(TABLE)
        .values(key=key, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[TABLE.c.key],
            set_={
                "failures": case((stale, 1), else_=TABLE.c.failures + 1),
                "window_start": case((stale, now), else_=TABLE.c.window_start),
            },
            where=stale | (TABLE.c.failures < limit),
        )
        .returning(TABLE.c.failures)
    )
    return session.execute(stmt).first() is not None


def lower(session: Session, key: str) -> None:
    """Take one off ``key``; a counter at zero is removed."""
    session.execute(update(TABLE).where(TABLE.c.key == key).values(failures=TABLE.c.failures - 1))
    session.execute(delete(TABLE).where(TABLE.c.key == key, TABLE.c.failures <= 0))
