"""Sign-in, the current user, users and organisations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from natrisk.api.deps import CSRF_COOKIE, SESSION_COOKIE, ActorDep, Id, SessionDep, database
from natrisk.security import level_name, levels
from natrisk.services import accounts, signins
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
        "active": user.active,
    }


def client_address(request: Request) -> str:
    """The address the sign-in limit counts (forwarded headers are trusted only from the
    proxies named in NATRISK_TRUSTED_PROXIES, see ``natrisk serve``)."""
    return request.client.host if request.client else "unknown"


def _agent(request: Request) -> str:
    return (request.headers.get("user-agent") or "")[:300]


@router.post("/login")
def login(
    body: Credentials,
    request: Request,
    response: Response,
    db: Annotated[Database, Depends(database)],
) -> dict[str, Any]:
    """Sign in: returns a bearer token and sets the session cookie (with a CSRF cookie)."""
    done = accounts.sign_in(
        db, body.username, body.password, client_address(request), "token", _agent(request)
    )
    with db.session() as s:
        user = s.get(User, done.user_id)
        assert user is not None
        info = _user_json(user)
    age = signins.token_age()
    response.set_cookie(SESSION_COOKIE, done.token, httponly=True, samesite="lax", max_age=age)
    response.set_cookie(CSRF_COOKIE, done.csrf, httponly=False, samesite="strict", max_age=age)
    return {"token": done.token, "csrf_token": done.csrf, "user": info}


@router.post("/logout")
def logout(request: Request, response: Response, actor: ActorDep, s: SessionDep) -> dict[str, str]:
    """Sign out: ends this session on the server (its cookie or bearer token stops working)."""
    signins.end(s, request.state.sign_in.sign_in_id, "signed out")
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return {"status": "signed out"}


@router.get("/sessions")
def my_sessions(request: Request, actor: ActorDep, s: SessionDep) -> list[dict[str, Any]]:
    """The signed-in user's open sessions, newest first (the current one is marked)."""
    current = request.state.sign_in.sign_in_id
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "address": row.address,
            "agent": row.agent,
            "created_at": row.created_at.isoformat(),
            "expires_at": row.expires_at.isoformat(),
            "current": row.id == current,
        }
        for row in signins.open_sessions(s, actor.user_id)
    ]


@router.delete("/sessions/{sign_in_id}")
def end_session(sign_in_id: Id, actor: ActorDep, s: SessionDep) -> dict[str, str]:
    """End one of the signed-in user's own sessions (another user's is 'not found')."""
    signins.end_own(s, actor, sign_in_id)
    return {"status": "ended"}


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=12, max_length=1000)


@router.post("/me/password")
def change_password(
    body: PasswordChange, request: Request, response: Response, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """Change one's own password: every session ends; a fresh token is returned for this one."""
    user = s.get(User, actor.user_id)
    assert user is not None
    ended = accounts.change_password(s, user, body.current_password, body.new_password)
    token = signins.issue_token(user, s, kind="token", address=client_address(request))
    csrf = signins.resolve(s, token).csrf
    age = signins.token_age()
    if request.cookies.get(SESSION_COOKIE):
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=age)
        response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="strict", max_age=age)
    return {"status": "changed", "sessions_ended": ended, "token": token, "csrf_token": csrf}


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
    from natrisk.services.administration import create_user as create

    user = create(
        s, actor, body.username, body.password, body.clearance, body.is_admin, body.display_name
    )
    return _user_json(user)


@router.get("/organisations")
def organisations(actor: ActorDep, s: SessionDep) -> list[dict[str, str]]:
    """The signed-in user's organisation (other organisations are not disclosed)."""
    org = s.get(Organisation, actor.organisation_id)
    assert org is not None
    return [{"slug": org.slug, "name": org.name}]
