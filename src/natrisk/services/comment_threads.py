"""Review comments as threads: replies under a comment, a comment resolved and reopened, and
every open comment closed when its edition is published.

A comment is ``open``, ``resolved`` (by whom and when) or ``closed`` (its edition was
published while it was open). A reply belongs to one comment, never to another reply, and is
classified at least as high as its comment. Every change goes in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from natrisk.errors import Conflict, InputError
from natrisk.security import level_index, level_name
from natrisk.services import audit
from natrisk.services.access import Actor, Forbidden, NotFound, edition_for, scenario_for
from natrisk.store.models import Comment, Edition, ScenarioRecord, User, utcnow

CLOSED = ("published",)  # a published edition's review is over: its comments are read-only
SETTLERS = ("analyst", "coordinator", "administrator")  # besides a comment's own author
MAX_BODY = 20000


def when(at: dt.datetime | None) -> str | None:
    """A moment as ISO text in UTC (SQLite hands back naive datetimes; PostgreSQL aware)."""
    if at is None:
        return None
    return (at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)).isoformat()


def _closed_message(edition: Edition) -> str:
    return (
        f"the review is closed: edition {edition.id} is {edition.status}; "
        "its comments and replies are read-only"
    )


def _key(edition: Edition, scen: ScenarioRecord, comment_id: int) -> str:
    return f"edition:{edition.id}:scenario:{scen.slug}:comment:{comment_id}"


def _comment(session: Session, actor: Actor, scen: ScenarioRecord, comment_id: int) -> Comment:
    """A comment on this scenario within the actor's clearance; anything else is "not found"
    (a comment of another scenario or edition, a missing one, or one above the clearance)."""
    found = session.get(Comment, comment_id)
    if found is None or found.scenario_id != scen.id or found.classification > actor.clearance:
        raise NotFound(f"no comment {comment_id} on scenario {scen.slug!r}")
    return found


def reply(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    comment_id: int,
    body: str,
    classification: Any = None,
) -> Comment:
    """Answer a comment; a reply to a reply joins the thread of the comment it belongs to."""
    edition, _ = edition_for(session, actor, edition_id, "comment")
    scen = scenario_for(session, actor, edition, slug)
    if edition.status in CLOSED:
        raise Conflict(_closed_message(edition))
    target = _comment(session, actor, scen, comment_id)
    if target.parent_id is not None:
        target = _comment(session, actor, scen, target.parent_id)
    text = (body or "").strip()
    if not text:
        raise InputError("a reply needs text; it cannot be empty or only spaces")
    if len(text) > MAX_BODY:
        raise InputError("a reply has 1 to 20,000 characters")
    level = max(level_index(classification), target.classification)
    if level > actor.clearance:
        raise InputError("you cannot classify above your own clearance")
    answer = Comment(
        scenario_id=scen.id,
        criterion=target.criterion,
        author_id=actor.user_id,
        body=text,
        classification=level,
        parent_id=target.id,
    )
    session.add(answer)
    session.flush()
    audit.record(
        session,
        actor.username,
        "comment",
        _key(edition, scen, answer.id),
        None,
        {"reply_to": target.id, "body": text},
        "",
        edition.id,
        level,
    )
    return answer


def settle(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    comment_id: int,
    resolved: bool,
    version: int | None = None,
) -> Comment:
    """Resolve a comment (or reopen a resolved one): its author, an analyst or a coordinator."""
    edition, role = edition_for(session, actor, edition_id, "comment")
    scen = scenario_for(session, actor, edition, slug)
    if edition.status in CLOSED:
        raise Conflict(_closed_message(edition))
    target = _comment(session, actor, scen, comment_id)
    if target.parent_id is not None:
        raise InputError(
            f"comment {comment_id} is a reply; resolve comment {target.parent_id}, "
            "the comment it answers"
        )
    if target.author_id != actor.user_id and role not in SETTLERS:
        raise Forbidden(
            "only the comment's author, an analyst or a coordinator may "
            + ("resolve" if resolved else "reopen")
            + " it"
        )
    wanted = "resolved" if resolved else "open"
    if target.state == wanted:
        raise Conflict(
            f"comment {comment_id} is already resolved"
            + f" (by {_state(session, target)['by']}, {_state(session, target)['at'][:16]})"
            if resolved
            else f"comment {comment_id} is open; only a resolved comment can be reopened"
        )
    if version is None:
        raise InputError(
            f"send the version of comment {comment_id} you read (If-Match header or 'version')"
        )
    if version != target.version:
        raise Conflict(
            f"comment {comment_id} was changed by someone else (version {target.version}, "
            f"you sent {version}); reload it and try again"
        )
    old = _state(session, target)
    target.state = wanted
    target.resolved_by_id = actor.user_id if resolved else None
    target.resolved_at = utcnow() if resolved else None
    try:
        session.flush()  # UPDATE ... WHERE version = <read>: a lost race is a conflict
    except StaleDataError as exc:
        raise Conflict(
            f"comment {comment_id} was changed by someone else at the same moment; "
            "reload it and try again"
        ) from exc
    audit.record(
        session,
        actor.username,
        "comment",
        _key(edition, scen, target.id),
        old,
        _state(session, target),
        "",
        edition.id,
        target.classification,
    )
    return target


def _state(session: Session, c: Comment) -> dict[str, Any]:
    by = session.get(User, c.resolved_by_id) if c.resolved_by_id is not None else None
    return {
        "state": c.state,
        "by": by.username if by is not None else None,
        "at": when(c.resolved_at),
    }


def close_open(session: Session, actor: Actor, edition: Edition) -> int:
    """Close every open comment of an edition being published; how many were closed."""
    rows = session.execute(
        select(Comment, ScenarioRecord)
        .join(ScenarioRecord, ScenarioRecord.id == Comment.scenario_id)
        .where(
            ScenarioRecord.edition_id == edition.id,
            Comment.parent_id.is_(None),
            Comment.state == "open",
        )
        .order_by(Comment.id)
    ).all()
    now = utcnow()
    for c, scen in rows:
        c.state, c.resolved_by_id, c.resolved_at = "closed", actor.user_id, now
        session.flush()
        audit.record(
            session,
            actor.username,
            "comment",
            _key(edition, scen, c.id),
            {"state": "open", "by": None, "at": None},
            _state(session, c),
            f"edition {edition.id} published",
            edition.id,
            c.classification,
        )
    return len(rows)


def threads(
    session: Session, actor: Actor, scen: ScenarioRecord, role: str
) -> list[dict[str, Any]]:
    """The comments on a scenario the actor may see, each with its replies in order."""
    rows = session.execute(
        select(Comment, User.username)
        .join(User, User.id == Comment.author_id)
        .where(Comment.scenario_id == scen.id, Comment.classification <= actor.clearance)
        .order_by(Comment.id)
    ).all()
    names = dict(session.execute(select(User.id, User.username)).all())
    out: list[dict[str, Any]] = []
    by_id: dict[int, dict[str, Any]] = {}
    for c, author in rows:
        item: dict[str, Any] = {
            "id": c.id,
            "author": author,
            "criterion": c.criterion,
            "body": c.body,
            "classification": level_name(c.classification),
            "at": c.created_at.isoformat(),
        }
        if c.parent_id is None:
            item |= {
                "state": c.state,
                "resolved_by": names.get(c.resolved_by_id) if c.resolved_by_id else None,
                "resolved_at": when(c.resolved_at),
                "version": c.version,
                "you_may_resolve": c.author_id == actor.user_id or role in SETTLERS,
                "replies": [],
            }
            by_id[c.id] = item
            out.append(item)
        elif c.parent_id in by_id:
            by_id[c.parent_id]["replies"].append(item)
    return out
