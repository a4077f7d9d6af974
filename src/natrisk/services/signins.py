"""Sign-in sessions kept on the server, the tokens that name them and the CSRF tokens bound
to them.

A token is signed with this database's own key and names a row of ``sign_ins``; it is valid
only while that row is open, unexpired, and the user's credential version is unchanged:

- a token of another instance fails the signature (another key) and the database check;
- signing out, a password change or deactivation end the rows, so a captured cookie or
  bearer token stops working at once;
- the CSRF token is an HMAC of the session, so a cookie planted by another site is useless.

The key is ``HMAC(NATRISK_SECRET_KEY, instance uid)`` when the secret is set (several
processes, several databases), else the random secret the migration stored in the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import weakref
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from natrisk.errors import InputError
from natrisk.services.access import Actor
from natrisk.store.models import Instance, SignIn, User

TOKEN_HOURS = int(os.environ.get("NATRISK_TOKEN_HOURS", "12"))
_IDENTITIES: weakref.WeakKeyDictionary[object, tuple[str, str]] = weakref.WeakKeyDictionary()
SALT = "natrisk-session"


class Unauthorized(InputError):
    """No valid credentials."""

    status = 401


@dataclass(frozen=True)
class Resolved:
    """What a valid token names: the actor and their open session."""

    actor: Actor
    sign_in_id: int
    csrf: str


def token_age() -> int:
    """How long a sign-in lasts, in seconds (NATRISK_TOKEN_HOURS, default 12)."""
    return TOKEN_HOURS * 3600


def instance(session: Session) -> Instance:
    """This database's identity row (made by migration 0004)."""
    row = session.get(Instance, 1)
    if row is None:  # pragma: no cover - only a database tampered with lacks it
        raise Unauthorized("this database has no identity; run the migrations again")
    return row


def identity(session: Session) -> tuple[str, str]:
    """This database's uid and stored secret. Neither ever changes, so they are read once per
    engine (every request needs them; a process that kept them cannot be stale)."""
    bind = session.get_bind()
    found = _IDENTITIES.get(bind)
    if found is None:
        row = instance(session)
        found = _IDENTITIES[bind] = (row.uid, row.secret)
    return found


def signing_key(session: Session, purpose: str = "token") -> bytes:
    """This database's key for ``purpose``: derived from NATRISK_SECRET_KEY or stored in it."""
    uid, secret = identity(session)
    root = os.environ.get("NATRISK_SECRET_KEY") or secret
    return hmac.new(root.encode(), f"{purpose}:{uid}".encode(), hashlib.sha256).digest()


def _serializer(session: Session) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key(session), salt=SALT)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def csrf_for(session: Session, nonce: str) -> str:
    """The CSRF token of the session whose token holds ``nonce``."""
    mac = hmac.new(signing_key(session, "csrf"), nonce.encode(), hashlib.sha256)
    return mac.hexdigest()[:43]


def issue_token(
    user: User,
    session: Session | None = None,
    kind: str = "token",
    address: str = "",
    agent: str = "",
) -> str:
    """Open a session for ``user`` and return its signed token (bearer token or cookie)."""
    s = session or object_session(user)
    if s is None:
        raise ValueError("issue_token needs the user's database session")
    now = dt.datetime.now(dt.UTC)
    nonce = secrets.token_urlsafe(32)
    row = SignIn(
        user_id=user.id,
        token_hash=_hash(nonce),
        credential_version=user.credential_version or 1,
        kind=kind,
        address=address[:100],
        agent=agent[:300],
        created_at=now,
        expires_at=now + dt.timedelta(seconds=token_age()),
    )
    s.add(row)
    s.flush()
    data = {"sid": row.id, "db": identity(s)[0], "cv": row.credential_version, "n": nonce}
    return str(_serializer(s).dumps(data))


def resolve(session: Session, token: str) -> Resolved:
    """The actor and session a token names; forged, foreign, ended or expired tokens are 401."""
    try:
        data = _serializer(session).loads(token, max_age=token_age())
    except SignatureExpired as exc:
        raise Unauthorized("your session has expired; sign in again") from exc
    except BadSignature as exc:
        raise Unauthorized("invalid token; sign in again") from exc
    if not isinstance(data, dict) or data.get("db") != identity(session)[0]:
        raise Unauthorized("invalid token; sign in again")
    nonce, sid = data.get("n"), data.get("sid")
    found = (  # the session and its user in one query (every request asks this)
        session.execute(
            select(SignIn, User).join(User, User.id == SignIn.user_id).where(SignIn.id == sid)
        ).first()
        if isinstance(sid, int)
        else None
    )
    row, user = found if found is not None else (None, None)
    if (
        row is None
        or not isinstance(nonce, str)
        or not hmac.compare_digest(row.token_hash, _hash(nonce))
    ):
        raise Unauthorized("invalid token; sign in again")
    if row.ended_at is not None:
        raise Unauthorized("this session has ended; sign in again")
    if _aware(row.expires_at) <= dt.datetime.now(dt.UTC):
        raise Unauthorized("your session has expired; sign in again")
    if user is None or not user.active or user.credential_version != row.credential_version:
        raise Unauthorized("this session has ended; sign in again")
    if data.get("cv") != row.credential_version:
        raise Unauthorized("invalid token; sign in again")
    return Resolved(Actor.of(user), row.id, csrf_for(session, nonce))


def actor_from_token(session: Session, token: str) -> Actor:
    """The actor a token names (see ``resolve``)."""
    return resolve(session, token).actor


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; they were stored in UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def end(session: Session, sign_in_id: int, why: str) -> None:
    """End one session (signing out)."""
    row = session.get(SignIn, sign_in_id)
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_why = dt.datetime.now(dt.UTC), why


def end_all(session: Session, user_id: int, why: str, keep: int | None = None) -> int:
    """End every open session of a user (password change, deactivation); return how many."""
    stmt = (
        update(SignIn)
        .where(SignIn.user_id == user_id, SignIn.ended_at.is_(None))
        .values(ended_at=dt.datetime.now(dt.UTC), ended_why=why)
    )
    if keep is not None:
        stmt = stmt.where(SignIn.id != keep)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def open_sessions(session: Session, user_id: int) -> list[SignIn]:
    """A user's open, unexpired sessions, newest first."""
    now = dt.datetime.now(dt.UTC)
    rows = session.scalars(
        select(SignIn)
        .where(SignIn.user_id == user_id, SignIn.ended_at.is_(None))
        .order_by(SignIn.id.desc())
    )
    return [r for r in rows if _aware(r.expires_at) > now]


def end_own(session: Session, actor: Actor, sign_in_id: int) -> None:
    """End one of the actor's own sessions; another user's session is 'not found'."""
    from natrisk.services.access import NotFound

    row = session.get(SignIn, sign_in_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(f"no session {sign_in_id}")
    end(session, sign_in_id, "ended by the user")


def login_csrf(session: Session, nonce: str) -> str:
    """The sign-in form's CSRF token, bound to the browser's pre-session nonce cookie."""
    mac = hmac.new(signing_key(session, "login"), nonce.encode(), hashlib.sha256)
    return mac.hexdigest()[:43]
