"""Organisations, users, passwords (argon2), the sign-in rate limit and credential changes.

Usernames are unique within an organisation, not across them, so that one organisation's
administrator cannot learn another's names. A name is written ``name`` when only one user
has it, or ``organisation/name`` to be exact; sessions and tokens live in ``signins``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.errors import InputError
from natrisk.security import ROLES, level_index
from natrisk.services.access import Actor, Conflict, NotFound
from natrisk.services.signins import Unauthorized, end_all, issue_token
from natrisk.store import counters
from natrisk.store.database import Database
from natrisk.store.models import LoginAttempt, Membership, Organisation, User

__all__ = ["Unauthorized", "issue_token"]  # the sign-in routes take both from here

HASHER = PasswordHasher()
MAX_FAILURES = 5  # per account, and per address, within the window
WINDOW = dt.timedelta(minutes=15)
MAX_NAMESAKES = 8  # users sharing a name across organisations tried at one sign-in
_DUMMY = HASHER.hash("natrisk-timing-equaliser")


class TooManyAttempts(InputError):
    """Too many failed sign-ins for this account or address."""

    status = 429


def ensure_organisation(session: Session, slug: str, name: str | None = None) -> Organisation:
    """The organisation with this slug, created if new."""
    org = session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        org = Organisation(slug=slug, name=name or slug)
        session.add(org)
        session.flush()
    return org


def organisation_names(session: Session) -> dict[str, str]:
    """Every organisation's name by its slug (plans name owners and leads by slug)."""
    return {o.slug: o.name for o in session.query(Organisation).all()}


def validate_password(password: str) -> None:
    """At least 12 characters, at most 1,000 (argon2 would hash more, but no one needs it)."""
    if len(password) < 12:
        raise InputError("a password needs at least 12 characters")
    if len(password) > 1000:
        raise InputError("a password may have at most 1,000 characters")


def _check_username(username: str) -> str:
    name = username.strip()
    if (
        not name
        or len(name) > 100
        or not name.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise InputError("a username has 1 to 100 letters, digits, '.', '-' or '_'")
    return name


def add_user(
    session: Session,
    username: str,
    password: str,
    organisation: str,
    clearance: str | int = 0,
    is_admin: bool = False,
    display_name: str | None = None,
) -> User:
    """Create a user with an argon2 password hash (names are unique within the organisation)."""
    username = _check_username(username)
    validate_password(password)
    org = ensure_organisation(session, organisation)
    taken = select(User).where(User.username == username, User.organisation_id == org.id)
    if session.scalars(taken).first() is not None:
        raise Conflict(f"user {username!r} already exists in {org.slug}")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=HASHER.hash(password),
        clearance=level_index(clearance),
        organisation_id=org.id,
        is_admin=is_admin,
        credential_version=1,
    )
    session.add(user)
    session.flush()
    return user


def users_named(session: Session, name: str, organisation_id: int | None = None) -> list[User]:
    """The users a name may mean: ``org/name`` exactly, else every namesake (or one org's)."""
    slug, _, plain = name.rpartition("/")
    stmt = select(User).where(User.username == plain.strip()).order_by(User.id)
    if slug:
        stmt = stmt.join(Organisation).where(Organisation.slug == slug.strip())
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    return list(session.scalars(stmt.limit(MAX_NAMESAKES)))


def find_user(session: Session, name: str, organisation_id: int | None = None) -> User | None:
    """The one user a name means (None when there is none, or more than one)."""
    found = users_named(session, name, organisation_id)
    return found[0] if len(found) == 1 else None


def authenticate(session: Session, username: str, password: str) -> User:
    """The user for these credentials (the caller has counted the attempt, see ``sign_in``)."""
    matches = [u for u in users_named(session, username) if _verify(u.password_hash, password)]
    if not matches:
        _verify(_DUMMY, password)  # the same work whether or not the name exists
    user = matches[0] if len(matches) == 1 else None
    if user is None or not user.active:
        raise Unauthorized("unknown user or wrong password")
    return user


def _limits(username: str, address: str) -> list[tuple[str, int]]:
    """The counters a sign-in attempt raises, with their limits."""
    return [
        (f"user:{username[:100]}", MAX_FAILURES),
        (f"address:{address[:100]}", MAX_FAILURES * 4),
    ]


def reserve_attempt(session: Session, username: str, address: str) -> None:
    """Count an attempt as failed before the password is checked, or refuse it (429).

    The counts live in the database (``store/counters.py``), so the limit holds across any
    number of web processes; a successful sign-in takes its count back.
    """
    for key, limit in _limits(username, address):
        if not counters.raise_under(session, key, limit, WINDOW):
            raise TooManyAttempts("too many failed sign-ins; wait 15 minutes and try again")


def release_attempt(session: Session, username: str, address: str) -> None:
    """Take back the count of an attempt that succeeded."""
    for key, _ in _limits(username, address):
        counters.lower(session, key)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(HASHER.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def note_attempt(session: Session, username: str, address: str, success: bool) -> None:
    """Remember a sign-in attempt (in its own transaction, so failures are kept)."""
    session.add(LoginAttempt(username=username[:100], address=address[:100], success=success))


def change_password(session: Session, user: User, current: str, new: str) -> int:
    """Change a user's own password; every session of theirs ends. Returns how many."""
    if not _verify(user.password_hash, current):
        raise InputError("the current password is wrong")
    validate_password(new)
    user.password_hash = HASHER.hash(new)
    user.credential_version = (user.credential_version or 1) + 1
    return end_all(session, user.id, "password changed")


def set_password(session: Session, user: User, new: str) -> int:
    """Set a password (administrator or command line); every session of the user ends."""
    validate_password(new)
    user.password_hash = HASHER.hash(new)
    user.credential_version = (user.credential_version or 1) + 1
    return end_all(session, user.id, "password reset")


def set_active(session: Session, user: User, active: bool) -> None:
    """Activate or deactivate a user; deactivation ends every session at once."""
    user.active = active
    if not active:
        user.credential_version = (user.credential_version or 1) + 1
        end_all(session, user.id, "deactivated")


def set_role(
    session: Session, actor: Actor, edition_id: int, username: str, role: str
) -> Membership:
    """Give a user of the same organisation a role on an edition (coordinators and admins).

    No one gives a role above their own, or changes the role of someone above them: only an
    administrator (of the organisation, or of this edition) appoints administrators.
    """
    from natrisk.security import may_grant
    from natrisk.services.access import Forbidden, edition_for, role_in

    edition, own = edition_for(session, actor, edition_id, "manage")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if not may_grant(own, role):
        raise Forbidden(f"as {own} you cannot give the role {role}, which is above your own")
    # a ministry's contributor may work on another organisation's plan (its own measures only)
    foreign_ok = role == "contributor"
    user = find_user(session, username, edition.organisation_id)
    if user is None and foreign_ok:
        user = find_user(session, username)
    if user is None or (user.organisation_id != edition.organisation_id and not foreign_ok):
        raise NotFound(f"no user {username!r} in this organisation")
    current = role_in(session, Actor.of(user), edition)  # an organisation's admin is one here
    if current is not None and not may_grant(own, current):
        raise Forbidden(f"as {own} you cannot change the role of {username!r} ({current})")
    member = session.get(Membership, (user.id, edition.id))
    before = member.role if member is not None else None
    if member is None:
        member = Membership(user_id=user.id, edition_id=edition.id, role=role)
        session.add(member)
    else:
        member.role = role
    if before != role:
        role_audit(session, actor, edition.id, user, before, role)
    return member


def role_audit(
    session: Session,
    actor: Actor,
    edition_id: int,
    user: User,
    before: str | None,
    after: str | None,
) -> None:
    """A role given, changed or taken away, in the audit trail of the edition."""
    from natrisk.services import audit

    reason = (
        "role given" if before is None else "role taken away" if after is None else "role changed"
    )
    audit.record(
        session,
        actor.username,
        "role",
        f"edition:{edition_id}:role:{user.organisation.slug}/{user.username}",
        None if before is None else {"role": before},
        None if after is None else {"role": after},
        reason,
        edition_id=edition_id,
    )


def ensure_role(session: Session, actor: Actor, edition_id: int, username: str, role: str) -> None:
    """Give a user ``role`` on an edition unless they already hold a role there."""
    from natrisk.services.access import edition_for, role_in

    edition, _ = edition_for(session, actor, edition_id, "manage")
    user = find_user(session, username, edition.organisation_id)
    if user is None:
        raise NotFound(f"no user {username!r} in this organisation")
    if role_in(session, Actor.of(user), edition) is None:
        set_role(session, actor, edition_id, username, role)


@dataclass(frozen=True)
class SignedIn:
    """A new session: its token, its CSRF token and the user."""

    token: str
    csrf: str
    user_id: int


def sign_in(
    db: Database, username: str, password: str, address: str, kind: str, agent: str = ""
) -> SignedIn:
    """Check credentials and open a session; a failure is counted in its own transaction."""
    from natrisk.services.signins import resolve

    with db.session() as s:  # short: counted (or refused) before the slow argon2 check
        reserve_attempt(s, username, address)
    try:
        # the argon2 check runs in a read session: SQLite's write lock is held only for
        # the short writes around it
        with db.session(write=False) as s:
            user_id = authenticate(s, username, password).id
    except Unauthorized:
        with db.session() as s:
            note_attempt(s, username, address, False)
        raise
    with db.session() as s:
        user = s.get(User, user_id)
        if user is None or not user.active:  # deactivated in the meantime
            raise Unauthorized("unknown user or wrong password")
        token = issue_token(user, s, kind=kind, address=address, agent=agent)
        note_attempt(s, username, address, True)
        release_attempt(s, username, address)
        found = resolve(s, token)
    return SignedIn(token, found.csrf, found.actor.user_id)
