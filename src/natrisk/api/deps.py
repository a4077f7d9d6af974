"""Request dependencies: the database session and the authenticated actor."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from sqlalchemy.orm import Session

from natrisk.services.access import Actor, Forbidden
from natrisk.services.accounts import Unauthorized, actor_from_token
from natrisk.store.database import Database

SESSION_COOKIE = "natrisk_session"
CSRF_COOKIE = "natrisk_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def database(request: Request) -> Database:
    """The app's database."""
    db: Database = request.app.state.db
    return db


def session(db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with db.session() as s:
        yield s


def actor(
    request: Request,
    s: Annotated[Session, Depends(session)],
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """The signed-in user, from a bearer token or the session cookie (with its CSRF check)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        return actor_from_token(s, token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("sign in first (POST /api/login)")
    found = actor_from_token(s, cookie)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or ""
        expected = request.cookies.get(CSRF_COOKIE) or ""
        if not expected or not secrets.compare_digest(sent, expected):
            raise Forbidden("missing or wrong CSRF token; reload the page and try again")
    return found


SessionDep = Annotated[Session, Depends(session)]
ActorDep = Annotated[Actor, Depends(actor)]

# ids in paths: whole numbers the database can hold (a larger one is a 422, not a crash)
Id = Annotated[int, Path(ge=-(2**31), le=2**31 - 1)]
OptionalId = Annotated[int, Query(ge=0, le=2**31 - 1)]
