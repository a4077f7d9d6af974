"""What awaits a user after sign-in: invitations to judge, editions in review, the measures
their organisation reports on (late ones first), their own runs, and editions by status.

Everything comes through the same access rules as the pages it links to: editions the user
has a role on and is cleared for, scenarios and measures within the clearance.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from natrisk.domain.plan import Measure
from natrisk.security import EDITABLE, allows
from natrisk.services.access import Actor, visible_editions
from natrisk.store.models import Edition, Invitation, Judgement, ScenarioRecord

STATUSES = ("draft", "review", "adopted", "published")
CLOSED = ("done", "cancelled")  # measures nobody reports on any more


def invitations(
    session: Session, actor: Actor, seen: dict[int, tuple[Edition, str]]
) -> list[dict[str, Any]]:
    """Scenarios the actor is invited to judge, on editions still open: the unjudged first."""
    rows = session.execute(
        select(ScenarioRecord, func.count(Judgement.id))
        .join(Invitation, Invitation.scenario_id == ScenarioRecord.id)
        .outerjoin(
            Judgement,
            (Judgement.scenario_id == ScenarioRecord.id) & (Judgement.expert_id == actor.user_id),
        )
        .where(Invitation.expert_id == actor.user_id, ScenarioRecord.withdrawn.is_(False))
        .group_by(ScenarioRecord.id)
        .order_by(ScenarioRecord.edition_id, ScenarioRecord.position)
    ).all()
    out = []
    for scen, judged in rows:
        found = seen.get(scen.edition_id)
        if found is None or scen.classification > actor.clearance:
            continue
        edition, role = found
        if role != "expert" or edition.status not in EDITABLE:
            continue
        out.append({"scenario": scen, "edition": edition, "judged": int(judged)})
    return sorted(out, key=lambda r: r["judged"] > 0)


def in_review(seen: dict[int, tuple[Edition, str]]) -> list[tuple[Edition, str]]:
    """Editions in review on which the actor's role may comment."""
    return [
        (e, role) for e, role in seen.values() if e.status == "review" and allows(role, "comment")
    ]


def measures_to_report(
    session: Session, actor: Actor, seen: dict[int, tuple[Edition, str]], today: dt.date
) -> list[dict[str, Any]]:
    """Open measures the actor's organisation owns, in plans they may see: late ones first."""
    from natrisk.services.followup import measure_flags
    from natrisk.services.plan_store import measure_records, organisation_slug, plans_of

    org = organisation_slug(session, actor)
    out = []
    for edition, _ in seen.values():
        for plan in plans_of(session, actor, edition.id):
            for rec in measure_records(session, plan, actor.clearance):
                if rec.owner != org:
                    continue
                m = Measure.model_validate({**rec.document, "targets": []})
                if m.status in CLOSED:
                    continue
                flags = measure_flags(m, today)
                due = [ms.due for ms in m.milestones if ms.done is None]
                out.append(
                    {
                        "measure": m,
                        "plan": plan,
                        "late": bool(flags["overdue"]) or flags["stalled"],
                        "overdue": flags["overdue"],
                        "stalled": flags["stalled"],
                        "next_due": min(due) if due else None,
                    }
                )
    far = dt.date.max
    return sorted(out, key=lambda r: (not r["late"], r["next_due"] or far, r["measure"].id))


def own_runs(
    session: Session, actor: Actor, seen: dict[int, tuple[Edition, str]]
) -> list[dict[str, Any]]:
    """The actor's own runs (newest first) on editions they may still see."""
    from natrisk.services import runs

    return [r for r in runs.mine(session, actor, limit=20) if r.get("edition") in seen]


def by_status(seen: dict[int, tuple[Edition, str]]) -> list[tuple[str, list[tuple[Edition, str]]]]:
    """The visible editions grouped by workflow status, in the workflow's order."""
    groups: list[tuple[str, list[tuple[Edition, str]]]] = []
    for status in STATUSES:
        found = [(e, role) for e, role in seen.values() if e.status == status]
        if found:
            groups.append((status, found))
    return groups


def start_page(session: Session, actor: Actor, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the start page shows, for this actor."""
    seen = {e.id: (e, role) for e, role in visible_editions(session, actor)}
    return {
        "invitations": invitations(session, actor, seen),
        "in_review": in_review(seen),
        "measures": measures_to_report(session, actor, seen, today or dt.date.today()),
        "runs": own_runs(session, actor, seen),
        "by_status": by_status(seen),
        "editions": len(seen),
    }
