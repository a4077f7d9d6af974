"""Request dependencies: the database session and the authenticated actor."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from sqlalchemy.orm import Session

from natrisk.services import signins
from natrisk.services.access import Actor, Forbidden
from natrisk.services.signins import Unauthorized
from natrisk.store.database import Database

SESSION_COOKIE = "natrisk_session"
CSRF_COOKIE = "natrisk_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def database(request: Request) -> Database:
    """The app's database."""
    db: Database = request.app.state.db
    return db


READ_METHODS = {"GET", "HEAD"}  # answered from a read session, which takes no write lock


def session(request: Request, db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Used with ``scope="function"`` (below), so the commit happens before the response is
    sent: a client is never told 200 for a write that a crash could still lose, and a
    commit that fails (a lost race, a busy database) is the answer instead.
    """
    with db.session(write=request.method not in READ_METHODS) as s:
        yield s


def actor(
    request: Request,
    s: Annotated[Session, Depends(session, scope="function")],
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """The signed-in user, from a bearer token or the session cookie (with its CSRF check)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        found = signins.resolve(s, token.strip())
        request.state.sign_in = found
        return found.actor
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("sign in first (POST /api/login)")
    found = signins.resolve(s, cookie)
    request.state.sign_in = found
    if request.method not in SAFE_METHODS:
        # the token is derived from the session itself, so a cookie planted by another
        # site (double-submit without binding) does not pass
        sent = request.headers.get(CSRF_HEADER) or ""
        if not secrets.compare_digest(sent.encode(), found.csrf.encode()):
            raise Forbidden("missing or wrong CSRF token; reload the page and try again")
    return found.actor


SessionDep = Annotated[Session, Depends(session, scope="function")]
ActorDep = Annotated[Actor, Depends(actor)]

# ids in paths: whole numbers the database can hold (a larger one is a 422, not a crash)
Id = Annotated[int, Path(ge=-(2**31), le=2**31 - 1)]
OptionalId = Annotated[int, Query(ge=0, le=2**31 - 1)]
