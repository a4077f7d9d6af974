"""Sign-in, the current user, users and organisations."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from natrisk.api.deps import CSRF_COOKIE, SESSION_COOKIE, ActorDep, SessionDep, database
from natrisk.security import level_name, levels
from natrisk.services import accounts
from natrisk.services.access import Forbidden
from natrisk.store.database import Database
from natrisk.store.models import Organisation, User

router = APIRouter(prefix="/api", tags=["accounts"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=12, max_length=1000)
    display_name: str | None = Field(default=None, max_length=300)
    clearance: str = "Openbaar"
    is_admin: bool = False


def _user_json(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "organisation": user.organisation.slug,
        "clearance": level_name(user.clearance),
        "is_admin": user.is_admin,
    }


@router.post("/login")
def login(
    body: Credentials,
    request: Request,
    response: Response,
    db: Annotated[Database, Depends(database)],
) -> dict[str, Any]:
    """Sign in: returns a bearer token and sets the session cookie (with a CSRF cookie)."""
    address = request.client.host if request.client else "unknown"
    try:
        with db.session() as s:
            user = accounts.authenticate(s, body.username, body.password, address)
            token = accounts.issue_token(user)
            info = _user_json(user)
    except accounts.Unauthorized:
        with db.session() as s:
            accounts.note_attempt(s, body.username, address, False)
        raise
    with db.session() as s:
        accounts.note_attempt(s, body.username, address, True)
    csrf = secrets.token_urlsafe(24)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=accounts.TOKEN_AGE
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, httponly=False, samesite="strict", max_age=accounts.TOKEN_AGE
    )
    return {"token": token, "csrf_token": csrf, "user": info}


@router.post("/logout")
def logout(response: Response, actor: ActorDep) -> dict[str, str]:
    """Sign out (clears the cookies; bearer tokens simply expire)."""
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return {"status": "signed out"}


@router.get("/me")
def me(actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """The signed-in user."""
    user = s.get(User, actor.user_id)
    assert user is not None
    return _user_json(user) | {"levels": list(levels())}


@router.get("/users")
def list_users(actor: ActorDep, s: SessionDep) -> list[dict[str, Any]]:
    """Users of the administrator's organisation."""
    if not actor.is_admin:
        raise Forbidden("only administrators list users")
    users = s.scalars(
        select(User).where(User.organisation_id == actor.organisation_id).order_by(User.username)
    )
    return [_user_json(u) for u in users]


@router.post("/users", status_code=201)
def create_user(body: NewUser, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Create a user in the administrator's organisation, at most at their own clearance."""
    if not actor.is_admin:
        raise Forbidden("only administrators create users")
    from natrisk.security import level_index

    if level_index(body.clearance) > actor.clearance:
        raise Forbidden("you cannot grant a clearance above your own")
    org = s.get(Organisation, actor.organisation_id)
    assert org is not None
    user = accounts.add_user(
        s, body.username, body.password, org.slug, body.clearance, body.is_admin, body.display_name
    )
    return _user_json(user)


@router.get("/organisations")
def organisations(actor: ActorDep, s: SessionDep) -> list[dict[str, str]]:
    """The signed-in user's organisation (other organisations are not disclosed)."""
    org = s.get(Organisation, actor.organisation_id)
    assert org is not None
    return [{"slug": org.slug, "name": org.name}]
