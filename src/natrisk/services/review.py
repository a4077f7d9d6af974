"""Expert judgements, invitations and review comments.

Combination rule for expert judgements (docs/method.md, section 7): every judgement is a
class or a class range [lo, hi]. The combined range runs from the median of the experts'
lower ends (rounded down) to the median of their upper ends (rounded up); the spread is
the lowest lower end to the highest upper end. Every judgement is kept.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.errors import Conflict, InputError, Problem, WorkbookError
from natrisk.security import level_index
from natrisk.services import audit
from natrisk.services.access import Actor, Forbidden, NotFound, edition_for, scenario_for
from natrisk.services.comment_threads import CLOSED, threads
from natrisk.services.workspace import framework_of, require_editable
from natrisk.store.models import Comment, Invitation, Judgement, User

BLIND_SETTING = "NATRISK_BLIND_JUDGEMENTS"


def blind_judgements() -> bool:
    """Whether an invited expert sees the analyst's score and rationale of a criterion only
    after giving their own judgement of it, against anchoring (``NATRISK_BLIND_JUDGEMENTS``,
    on unless set to ``off``)."""
    return os.environ.get(BLIND_SETTING, "on").strip().lower() not in (
        "off",
        "0",
        "no",
        "false",
    )


def combine(ranges: list[tuple[int, int]]) -> dict[str, int]:
    """Combined class range and spread of several judgements (class indices)."""
    lows = np.array([lo for lo, _ in ranges])
    highs = np.array([hi for _, hi in ranges])
    low = int(np.sort(lows)[(len(lows) - 1) // 2])  # lower median
    high = int(np.sort(highs)[len(highs) // 2])  # upper median
    return {
        "low": low,
        "high": max(high, low),
        "spread_low": int(lows.min()),
        "spread_high": int(highs.max()),
    }


def invite(session: Session, actor: Actor, edition_id: int, username: str, slugs: list[str]) -> int:
    """Invite an expert (a user with the expert role on the edition) to score scenarios."""
    from natrisk.services.access import role_in

    edition, _ = edition_for(session, actor, edition_id, "invite")
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or role_in(session, Actor.of(user), edition) != "expert":
        raise NotFound(
            f"no expert {username!r} on edition {edition_id}; give them the expert role first"
        )
    added = 0
    for slug in slugs:
        scen = scenario_for(session, actor, edition, slug)
        if scen.classification > user.clearance:
            raise InputError(f"{username} is not cleared for scenario {slug!r}")
        if session.get(Invitation, (user.id, scen.id)) is None:
            session.add(Invitation(expert_id=user.id, scenario_id=scen.id))
            added += 1
    return added


def judge(
    session: Session, actor: Actor, edition_id: int, slug: str, cid: str, klass: str, rationale: str
) -> Judgement:
    """Record (or replace) an invited expert's judgement of one criterion."""
    edition, _ = edition_for(session, actor, edition_id, "judge")
    require_editable(edition)
    scen = scenario_for(session, actor, edition, slug)
    if session.get(Invitation, (actor.user_id, scen.id)) is None:
        raise Forbidden(f"you are not invited to judge scenario {slug!r}")
    fw = framework_of(session, edition)
    if fw.criterion(cid) is None:
        raise NotFound(f"no criterion {cid!r} in framework {fw.id}")
    _class_range(fw.impact_classes.ids, klass)
    rec = session.scalars(
        select(Judgement).where(
            Judgement.scenario_id == scen.id,
            Judgement.criterion == cid,
            Judgement.expert_id == actor.user_id,
        )
    ).first()
    old = {"class": rec.klass, "rationale": rec.rationale} if rec else None
    if rec is None:
        rec = Judgement(
            scenario_id=scen.id,
            criterion=cid,
            expert_id=actor.user_id,
            klass=klass,
            rationale=rationale,
        )
        session.add(rec)
    else:
        rec.klass, rec.rationale = klass, rationale
    audit.record(
        session,
        actor.username,
        "judgement",
        f"edition:{edition.id}:scenario:{slug}:judgement:{cid}:{actor.username}",
        old,
        {"class": klass, "rationale": rationale},
        "",
        edition.id,
        scen.classification,
    )
    return rec


def _class_range(ids: list[str], text: str) -> tuple[int, int]:
    low, dash, high = (part.strip() for part in text.strip().partition("-"))
    if dash and not high:
        raise InputError(f"range {text!r} has no upper class; write for example B-C")
    high = high or low
    if low not in ids or high not in ids:
        raise InputError(
            f"class {text!r} is not in this framework; use one of {', '.join(ids)} or a range such as B-C"
        )
    lo, hi = ids.index(low), ids.index(high)
    if lo > hi:
        raise InputError(f"range {text} is reversed; write {high}-{low}")
    return lo, hi


def session_summary(session: Session, actor: Actor, edition_id: int, slug: str) -> dict[str, Any]:
    """Per criterion: every judgement, the spread and the combined range."""
    edition, role = edition_for(session, actor, edition_id, "read")
    scen = scenario_for(session, actor, edition, slug)
    ids = framework_of(session, edition).impact_classes.ids
    rows: list[Any] = list(
        session.execute(
            select(Judgement, User.username)
            .join(User, User.id == Judgement.expert_id)
            .where(Judgement.scenario_id == scen.id)
            .order_by(Judgement.criterion, User.username)
        ).all()
    )
    if role == "expert":  # experts see their own judgements only, to keep them independent
        rows = [(j, u) for j, u in rows if j.expert_id == actor.user_id]
    out: dict[str, Any] = {}
    for j, username in rows:
        out.setdefault(j.criterion, {"judgements": []})["judgements"].append(
            {"expert": username, "class": j.klass, "rationale": j.rationale}
        )
    for item in out.values():
        c = combine([_class_range(ids, x["class"]) for x in item["judgements"]])
        item["combined"] = _text(ids, c["low"], c["high"])
        item["spread"] = _text(ids, c["spread_low"], c["spread_high"])
        item["experts"] = len(item["judgements"])
    return out


def _text(ids: list[str], lo: int, hi: int) -> str:
    return ids[lo] if lo == hi else f"{ids[lo]}-{ids[hi]}"


def add_comment(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    body: str,
    criterion: str | None,
    classification: Any,
) -> Comment:
    """A review comment on a scenario (or one of its criteria); reviewers cannot edit scores."""
    edition, _ = edition_for(session, actor, edition_id, "comment")
    scen = scenario_for(session, actor, edition, slug)
    if edition.status in CLOSED:
        raise Conflict(
            f"the review is closed: the edition is {edition.status}; comments are read-only"
        )
    body = body.strip()
    if not body or len(body) > 20000:
        raise InputError("a comment has 1 to 20,000 characters")
    if criterion:
        known = [c.id for c in framework_of(session, edition).criteria]
        if criterion not in known:
            raise WorkbookError(
                "the comment has 1 problem",
                [
                    Problem(
                        "",
                        "",
                        "criterion",
                        f"there is no criterion {criterion!r}; this framework has "
                        + ", ".join(known),
                    )
                ],
            )
    level = max(level_index(classification), scen.classification)
    if level > actor.clearance:
        raise InputError("you cannot classify above your own clearance")
    comment = Comment(
        scenario_id=scen.id,
        criterion=criterion,
        author_id=actor.user_id,
        body=body,
        classification=level,
    )
    session.add(comment)
    session.flush()
    audit.record(  # who wrote what, as for replies (services/comment_threads.py)
        session,
        actor.username,
        "comment",
        f"edition:{edition.id}:scenario:{scen.slug}:comment:{comment.id}",
        None,
        {"criterion": criterion, "body": body},
        "",
        edition.id,
        level,
    )
    return comment


def comments(session: Session, actor: Actor, edition_id: int, slug: str) -> list[dict[str, Any]]:
    """The comments on a scenario the actor may see, each with its replies."""
    edition, role = edition_for(session, actor, edition_id, "read")
    return threads(session, actor, scenario_for(session, actor, edition, slug), role)


def is_invited(session: Session, actor: Actor, scenario: Any) -> bool:
    """Whether the actor is invited to judge this scenario."""
    return session.get(Invitation, (actor.user_id, scenario.id)) is not None
