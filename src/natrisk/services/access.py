"""Who is asking, and what of an edition they may see and do.

Anything above a user's clearance, or in an edition they have no role in, does not exist
for them: it is answered exactly like an id that was never there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.errors import Conflict as Conflict  # lives in errors.py: the store raises it too
from natrisk.errors import InputError
from natrisk.security import allows
from natrisk.store.models import Edition, Membership, ScenarioRecord, User


class NotFound(InputError):
    """The thing does not exist, or the requester may not know that it does."""

    status = 404


class Forbidden(InputError):
    """The requester may see the thing but not do this to it."""

    status = 403


@dataclass(frozen=True)
class Actor:
    """The requester: a user of one organisation with one clearance."""

    user_id: int
    username: str
    organisation_id: int
    clearance: int
    is_admin: bool

    @classmethod
    def of(cls, user: User) -> Actor:
        """The actor for a stored user."""
        return cls(user.id, user.username, user.organisation_id, user.clearance, user.is_admin)


def role_in(session: Session, actor: Actor, edition: Edition) -> str | None:
    """The actor's role on an edition (administrators of its organisation are administrators)."""
    if actor.is_admin and actor.organisation_id == edition.organisation_id:
        return "administrator"
    member = session.get(Membership, (actor.user_id, edition.id))
    return member.role if member else None


def edition_for(
    session: Session, actor: Actor, edition_id: int, permission: str = "read"
) -> tuple[Edition, str]:
    """The edition and the actor's role, if the actor may see it and holds ``permission``."""
    # one query for both (every request of a reader asks this): the edition and the membership
    found = session.execute(
        select(Edition, Membership.role)
        .outerjoin(
            Membership,
            (Membership.edition_id == Edition.id) & (Membership.user_id == actor.user_id),
        )
        .where(Edition.id == edition_id)
    ).first()
    edition, member = found if found is not None else (None, None)
    role = None
    if edition is not None:
        same_org = actor.is_admin and actor.organisation_id == edition.organisation_id
        role = "administrator" if same_org else member
    if edition is None or role is None or edition.classification > actor.clearance:
        raise NotFound(f"no edition {edition_id}")
    if not allows(role, permission):
        raise Forbidden(
            f"your role on edition {edition_id} ({role}) does not allow this ({permission})"
        )
    return edition, role


def visible_editions(session: Session, actor: Actor) -> list[tuple[Edition, str]]:
    """Every edition the actor may see, with their role."""
    out = []
    for edition in session.scalars(select(Edition).order_by(Edition.id)):
        role = role_in(session, actor, edition)
        if role is not None and edition.classification <= actor.clearance:
            out.append((edition, role))
    return out


def scenario_for(session: Session, actor: Actor, edition: Edition, slug: str) -> ScenarioRecord:
    """A scenario of a visible edition, if its classification is within the actor's clearance."""
    scen = session.scalars(
        select(ScenarioRecord).where(
            ScenarioRecord.edition_id == edition.id, ScenarioRecord.slug == slug
        )
    ).first()
    if scen is None or scen.classification > actor.clearance:
        raise NotFound(f"no scenario {slug!r} in edition {edition.id}")
    return scen


def may_import(session: Session, actor: Actor) -> bool:
    """Whether the actor may import a workbook as a new edition: site administrators, and
    whoever holds a role that allows it ("import") on any edition of their organisation."""
    if actor.is_admin:
        return True
    roles = session.scalars(
        select(Membership.role)
        .join(Edition, Edition.id == Membership.edition_id)
        .where(
            Membership.user_id == actor.user_id, Edition.organisation_id == actor.organisation_id
        )
    ).all()
    return any(allows(role, "import") for role in roles)


def require_import(session: Session, actor: Actor) -> None:
    """Refuse an import to whoever may not import (403)."""
    if not may_import(session, actor):
        raise Forbidden(
            "importing a workbook is for analysts, coordinators and administrators of an edition"
        )
