"""Administering one's own organisation: users, clearances, reset links, organisations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from natrisk.api.deps import ActorDep, SessionDep
from natrisk.security import level_name
from natrisk.services import administration
from natrisk.store.models import User

router = APIRouter(prefix="/api", tags=["administration"])


class UserChange(BaseModel):
    clearance: str | None = Field(default=None, max_length=100)
    active: bool | None = None
    is_admin: bool | None = None
    display_name: str | None = Field(default=None, max_length=300)
    reason: str = Field(default="", max_length=5000)


class NewOrganisation(BaseModel):
    slug: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=300)
    admin_username: str = Field(default="", max_length=100)
    admin_password: str = Field(default="", max_length=1000)
    admin_clearance: str = Field(default="Openbaar", max_length=100)


def user_json(user: User) -> dict[str, Any]:
    """A user as administrators see them."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "organisation": user.organisation.slug,
        "clearance": level_name(user.clearance),
        "is_admin": user.is_admin,
        "active": user.active,
    }


@router.patch("/users/{username}")
def change_user(username: str, body: UserChange, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Change a user of your organisation: clearance, active, administrator, name (audited)."""
    user = administration.change_user(
        s,
        actor,
        username,
        body.clearance,
        body.active,
        body.is_admin,
        body.display_name,
        body.reason,
    )
    return user_json(user)


@router.post("/users/{username}/reset", status_code=201)
def reset_link(username: str, request: Request, actor: ActorDep, s: SessionDep) -> dict[str, str]:
    """A one-time link, valid for 24 hours, with which the user sets a new password.

    The link is shown this once; only its hash is stored.
    """
    link = administration.create_reset(s, actor, username)
    base = str(request.base_url).rstrip("/")
    return {"link": f"{base}/reset/{link.token}", "expires_at": link.expires_at.isoformat()}


@router.post("/organisations", status_code=201)
def create_organisation(body: NewOrganisation, actor: ActorDep, s: SessionDep) -> dict[str, str]:
    """A new organisation, with its first administrator (administrators)."""
    org = administration.create_organisation(
        s,
        actor,
        body.slug,
        body.name,
        body.admin_username,
        body.admin_password,
        body.admin_clearance,
    )
    return {"slug": org.slug, "name": org.name}
