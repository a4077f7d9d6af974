"""Who holds which role on an edition: listed and changed by its coordinators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.security import level_name, may_grant
from natrisk.services.access import Actor, Forbidden, NotFound, edition_for, role_in
from natrisk.services.accounts import find_user, role_audit
from natrisk.store.models import Membership, Organisation, User


def members_of(session: Session, actor: Actor, edition_id: int) -> list[dict[str, Any]]:
    """The edition's members with their role, organisation and whether their clearance
    reaches the edition's classification (coordinators and administrators only)."""
    edition, _ = edition_for(session, actor, edition_id, "manage")
    rows = session.execute(
        select(User, Membership.role, Organisation.slug)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(Membership.edition_id == edition.id)
        .order_by(Organisation.slug, User.username)
    )
    own = edition.organisation_id
    return [
        {
            "username": user.username if user.organisation_id == own else f"{org}/{user.username}",
            "display_name": user.display_name,
            "organisation": org,
            "role": role,
            "active": user.active,
            "clearance": level_name(user.clearance),
            "cleared": user.clearance >= edition.classification,
        }
        for user, role, org in rows
    ]


def remove_member(session: Session, actor: Actor, edition_id: int, username: str) -> None:
    """Take a user's role on the edition away (never from someone above one's own role)."""
    edition, own = edition_for(session, actor, edition_id, "manage")
    user = find_user(session, username, edition.organisation_id) or (
        find_user(session, username) if "/" in username else None
    )
    member = session.get(Membership, (user.id, edition.id)) if user is not None else None
    if user is None or member is None:
        raise NotFound(f"{username!r} holds no role on this edition")
    current = role_in(session, Actor.of(user), edition)
    if current is not None and not may_grant(own, current):
        raise Forbidden(f"as {own} you cannot change the role of {username!r} ({current})")
    if user.id == actor.user_id:
        raise Forbidden("you cannot take away your own role; ask another coordinator")
    role_audit(session, actor, edition.id, user, member.role, None)
    session.delete(member)


def clearance_warning(session: Session, actor: Actor, edition_id: int, username: str) -> str:
    """What to tell a coordinator who gives ``username`` a role on an edition that holds more
    than that user's clearance reaches (as far as the coordinator sees); empty when nothing."""
    from natrisk.services.workspace import highest_classification

    edition, _ = edition_for(session, actor, edition_id, "manage")
    user = find_user(session, username, edition.organisation_id) or (
        find_user(session, username) if "/" in username else None
    )
    if user is None:
        return ""
    highest = highest_classification(session, edition, actor.clearance)
    if user.clearance >= highest:
        return ""
    what = "none of it" if user.clearance < edition.classification else "only what it reaches"
    return (
        f"{username}'s clearance ({level_name(user.clearance)}) is below this edition's "
        f"highest classification ({level_name(highest)}): they will see {what}"
    )
