"""Administering one's own organisation: users, clearances, deactivation, reset links, and
new organisations. An administrator sees and changes only their own organisation's users,
never grants a clearance above their own, and every change is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.errors import Conflict, InputError
from natrisk.security import level_index, level_name
from natrisk.services import accounts, audit
from natrisk.services.access import Actor, Forbidden, NotFound
from natrisk.store.models import Organisation, PasswordReset, User

RESET_HOURS = 24  # how long a reset link works; it works once


def require_admin(actor: Actor, what: str = "manage users") -> None:
    """Only the organisation's administrators administer it."""
    if not actor.is_admin:
        raise Forbidden(f"only administrators {what}")


def users_of(session: Session, actor: Actor) -> list[User]:
    """The users of the administrator's own organisation."""
    require_admin(actor, "list users")
    stmt = select(User).where(User.organisation_id == actor.organisation_id).order_by(User.username)
    return list(session.scalars(stmt))


def own_user(session: Session, actor: Actor, username: str) -> User:
    """A user of the administrator's organisation (anyone else is 'not found')."""
    require_admin(actor)
    user = accounts.find_user(session, username.rpartition("/")[2], actor.organisation_id)
    if user is None:
        raise NotFound(f"no user {username!r} in your organisation")
    return user


def create_user(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    clearance: str | int = 0,
    is_admin: bool = False,
    display_name: str | None = None,
) -> User:
    """A user of the administrator's organisation, at most at their own clearance."""
    require_admin(actor, "create users")
    if level_index(clearance) > actor.clearance:
        raise Forbidden("you cannot grant a clearance above your own")
    org = session.get(Organisation, actor.organisation_id)
    assert org is not None
    user = accounts.add_user(
        session, username, password, org.slug, clearance, is_admin, display_name
    )
    _audit(session, actor, user, "created", None, _state(user))
    return user


def _state(user: User) -> dict[str, object]:
    return {
        "clearance": level_name(user.clearance),
        "active": user.active,
        "is_admin": user.is_admin,
        "display_name": user.display_name,
    }


def _audit(
    session: Session, actor: Actor, user: User, reason: str, old: object, new: object
) -> None:
    key = f"user:{user.organisation.slug if user.organisation else user.organisation_id}/{user.username}"
    audit.record(session, actor.username, "user", key, old, new, reason)


def change_user(
    session: Session,
    actor: Actor,
    username: str,
    clearance: str | int | None = None,
    active: bool | None = None,
    is_admin: bool | None = None,
    display_name: str | None = None,
    reason: str = "",
) -> User:
    """Change a user's clearance, state, administrator flag or name (audited)."""
    user = own_user(session, actor, username)
    old = _state(user)
    if clearance is not None:
        level = level_index(clearance)
        if level > actor.clearance:
            raise Forbidden("you cannot grant a clearance above your own")
        user.clearance = level
    if active is not None and active != user.active:
        if user.id == actor.user_id and not active:
            raise Conflict("you cannot deactivate yourself; ask another administrator")
        accounts.set_active(session, user, active)
    if is_admin is not None:
        if user.id == actor.user_id and not is_admin:
            raise Conflict("you cannot take away your own administrator role")
        user.is_admin = is_admin
    if display_name is not None:
        name = display_name.strip()
        if not name or len(name) > 300:
            raise InputError("a display name has 1 to 300 characters")
        user.display_name = name
    new = _state(user)
    if new != old:
        changed = [k for k in new if new[k] != old[k]]
        _audit(
            session, actor, user, reason, {k: old[k] for k in changed}, {k: new[k] for k in changed}
        )
    return user


@dataclass(frozen=True)
class ResetLink:
    """A reset link's secret (shown once) and when it stops working."""

    token: str
    expires_at: dt.datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_reset(session: Session, actor: Actor, username: str) -> ResetLink:
    """A one-time link that lets the user set a new password; earlier links stop working."""
    user = own_user(session, actor, username)
    now = dt.datetime.now(dt.UTC)
    for old in session.scalars(
        select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
        )
    ):
        old.used_at = now  # one open link per user
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=RESET_HOURS)
    session.add(
        PasswordReset(
            user_id=user.id, token_hash=_hash(token), created_by=actor.username, expires_at=expires
        )
    )
    _audit(
        session, actor, user, "password reset link issued", None, {"expires": expires.isoformat()}
    )
    return ResetLink(token, expires)


class ResetRefused(InputError):
    """The link is unknown, used or expired (one message for all three)."""

    status = 400


def reset_for(session: Session, token: str) -> PasswordReset:
    """The open reset a link names; used, expired and unknown links are refused alike."""
    row = session.scalars(
        select(PasswordReset).where(PasswordReset.token_hash == _hash(token))
    ).first()
    now = dt.datetime.now(dt.UTC)
    if row is None or row.used_at is not None or _aware(row.expires_at) <= now:
        raise ResetRefused(
            "this reset link has been used or has expired; ask your administrator for a new one"
        )
    return row


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def use_reset(session: Session, token: str, password: str) -> User:
    """Set the new password through a link, once; every session of the user ends."""
    row = reset_for(session, token)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise ResetRefused(
            "this reset link has been used or has expired; ask your administrator for a new one"
        )
    accounts.set_password(session, user, password)
    row.used_at = dt.datetime.now(dt.UTC)
    audit.record(
        session, user.username, "user", f"user:{user.organisation.slug}/{user.username}",
        None, {"password": "reset through a link"}, "password reset",
    )  # fmt: skip
    return user


def create_organisation(
    session: Session,
    actor: Actor,
    slug: str,
    name: str,
    admin_username: str = "",
    admin_password: str = "",
    admin_clearance: str | int = 0,
) -> Organisation:
    """A new organisation (a ministry whose people contribute to a plan, a region), with its
    first administrator, who then manages its users: no one else sees them."""
    require_admin(actor, "create organisations")
    slug, name = slug.strip(), name.strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", slug):
        raise InputError("an organisation's id has 1 to 100 of a-z, 0-9, '.', '_', '-'")
    if not name or len(name) > 300:
        raise InputError("an organisation's name has 1 to 300 characters")
    if session.scalars(select(Organisation).where(Organisation.slug == slug)).first() is not None:
        raise Conflict(f"organisation {slug!r} already exists")
    if level_index(admin_clearance) > actor.clearance:
        raise Forbidden("you cannot grant a clearance above your own")
    org = Organisation(slug=slug, name=name)
    session.add(org)
    session.flush()
    audit.record(
        session, actor.username, "organisation", f"organisation:{slug}", None, {"name": name}
    )
    if admin_username:
        user = accounts.add_user(
            session, admin_username, admin_password, slug, admin_clearance, is_admin=True
        )
        _audit(session, actor, user, "first administrator", None, _state(user))
    return org
