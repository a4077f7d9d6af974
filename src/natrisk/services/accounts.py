"""Organisations, users, passwords (argon2), tokens and the sign-in rate limit."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from natrisk.errors import InputError
from natrisk.security import ROLES, level_index
from natrisk.services.access import Actor, Conflict, NotFound
from natrisk.store.models import LoginAttempt, Membership, Organisation, User

HASHER = PasswordHasher()
TOKEN_AGE = int(os.environ.get("NATRISK_TOKEN_HOURS", "12")) * 3600
MAX_FAILURES = 5  # per account, and per address, within the window
WINDOW = dt.timedelta(minutes=15)
_DUMMY = HASHER.hash("natrisk-timing-equaliser")


class Unauthorized(InputError):
    """No valid credentials."""

    status = 401


class TooManyAttempts(InputError):
    """Too many failed sign-ins for this account or address."""

    status = 429


def secret_key() -> str:
    """The signing key: NATRISK_SECRET_KEY, or one kept beside the default database."""
    key = os.environ.get("NATRISK_SECRET_KEY")
    if key:
        return key
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "natrisk"
    base.mkdir(parents=True, exist_ok=True)
    path = base / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_organisation(session: Session, slug: str, name: str | None = None) -> Organisation:
    """The organisation with this slug, created if new."""
    org = session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        org = Organisation(slug=slug, name=name or slug)
        session.add(org)
        session.flush()
    return org


def validate_password(password: str) -> None:
    """At least 12 characters, at most 1,000 (argon2 would hash more, but no one needs it)."""
    if len(password) < 12:
        raise InputError("a password needs at least 12 characters")
    if len(password) > 1000:
        raise InputError("a password may have at most 1,000 characters")


def add_user(
    session: Session,
    username: str,
    password: str,
    organisation: str,
    clearance: str | int = 0,
    is_admin: bool = False,
    display_name: str | None = None,
) -> User:
    """Create a user with an argon2 password hash."""
    username = username.strip()
    if (
        not username
        or len(username) > 100
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise InputError("a username has 1 to 100 letters, digits, '.', '-' or '_'")
    validate_password(password)
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user {username!r} already exists")
    org = ensure_organisation(session, organisation)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=HASHER.hash(password),
        clearance=level_index(clearance),
        organisation_id=org.id,
        is_admin=is_admin,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str, address: str) -> User:
    """The user for these credentials; failures are counted and rate-limited."""
    since = dt.datetime.now(dt.UTC) - WINDOW
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    )
    by_user = session.scalar(failures.where(LoginAttempt.username == username)) or 0
    by_addr = session.scalar(failures.where(LoginAttempt.address == address)) or 0
    if by_user >= MAX_FAILURES or by_addr >= MAX_FAILURES * 4:
        raise TooManyAttempts("too many failed sign-ins; wait 15 minutes and try again")
    user = session.scalars(select(User).where(User.username == username)).first()
    ok = False
    try:
        ok = HASHER.verify(user.password_hash if user else _DUMMY, password) and user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None and user.active
    if not ok or user is None:
        raise Unauthorized("unknown user or wrong password")
    return user


def note_attempt(session: Session, username: str, address: str, success: bool) -> None:
    """Remember a sign-in attempt (in its own transaction, so failures are kept)."""
    session.add(LoginAttempt(username=username[:100], address=address[:100], success=success))


def issue_token(user: User) -> str:
    """A signed, expiring token naming the user (bearer token and session cookie alike)."""
    return URLSafeTimedSerializer(secret_key(), salt="natrisk-session").dumps({"uid": user.id})


def actor_from_token(session: Session, token: str) -> Actor:
    """The actor a token names; forged, expired or stale tokens are refused."""
    serializer = URLSafeTimedSerializer(secret_key(), salt="natrisk-session")
    try:
        data = serializer.loads(token, max_age=TOKEN_AGE)
    except SignatureExpired as exc:
        raise Unauthorized("your session has expired; sign in again") from exc
    except BadSignature as exc:
        raise Unauthorized("invalid token; sign in again") from exc
    user = session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active:
        raise Unauthorized("invalid token; sign in again")
    return Actor.of(user)


def set_role(
    session: Session, actor: Actor, edition_id: int, username: str, role: str
) -> Membership:
    """Give a user of the same organisation a role on an edition (coordinators and admins)."""
    from natrisk.services.access import edition_for

    edition, _ = edition_for(session, actor, edition_id, "manage")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    user = session.scalars(select(User).where(User.username == username)).first()
    # a ministry's contributor may work on another organisation's plan (its own measures only)
    foreign_ok = role == "contributor"
    if user is None or (user.organisation_id != edition.organisation_id and not foreign_ok):
        raise NotFound(f"no user {username!r} in this organisation")
    member = session.get(Membership, (user.id, edition.id))
    if member is None:
        member = Membership(user_id=user.id, edition_id=edition.id, role=role)
        session.add(member)
    else:
        member.role = role
    return member


def ensure_role(session: Session, actor: Actor, edition_id: int, username: str, role: str) -> None:
    """Give a user ``role`` on an edition unless they already hold a role there."""
    from natrisk.services.access import edition_for, role_in

    edition, _ = edition_for(session, actor, edition_id, "manage")
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or user.organisation_id != edition.organisation_id:
        raise NotFound(f"no user {username!r} in this organisation")
    if role_in(session, Actor.of(user), edition) is None:
        set_role(session, actor, edition_id, username, role)
