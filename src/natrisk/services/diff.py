"""The difference between two editions: scenarios added, removed, moved, scores changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from natrisk.services.access import Actor, edition_for
from natrisk.services.assessment import assess, resolve_settings
from natrisk.services.workspace import framework_of, table_view


def diff_editions(
    session: Session, actor: Actor, a_id: int, b_id: int, method: str = "weighted-sum"
) -> dict[str, Any]:
    """What changed from edition A to edition B, in what the actor may see of both."""
    a, _ = edition_for(session, actor, a_id)
    b, _ = edition_for(session, actor, b_id)
    book_a, table_a = table_view(session, a, actor.clearance)
    book_b, table_b = table_view(session, b, actor.clearance)
    res_a = assess(table_a, book_a, resolve_settings(framework_of(session, a), method)).to_json()
    res_b = assess(table_b, book_b, resolve_settings(framework_of(session, b), method)).to_json()
    rows_a = {r["id"]: r for r in res_a["scenarios"]}
    rows_b = {r["id"]: r for r in res_b["scenarios"]}
    pos_a = {s.id: table_a.likelihood_pos[i][0] for i, s in enumerate(table_a.scenarios)}
    pos_b = {s.id: table_b.likelihood_pos[i][0] for i, s in enumerate(table_b.scenarios)}
    moved, changed = [], []
    for sid in sorted(rows_a.keys() & rows_b.keys()):
        ra, rb = rows_a[sid], rows_b[sid]
        scores = {
            c: {"from": ra["criteria_range"][c], "to": rb["criteria_range"].get(c)}
            for c in ra["criteria_range"]
            if ra["criteria_range"][c] != rb["criteria_range"].get(c)
        }
        if scores:
            changed.append({"id": sid, "criteria": scores})
        if (ra["rank"], ra["likelihood_range"], round(ra["impact_score"], 9)) != (
            rb["rank"],
            rb["likelihood_range"],
            round(rb["impact_score"], 9),
        ):
            moved.append(
                {
                    "id": sid,
                    "rank": {"from": ra["rank"], "to": rb["rank"]},
                    "impact_score": {"from": ra["impact_score"], "to": rb["impact_score"]},
                    "likelihood": {"from": ra["likelihood_range"], "to": rb["likelihood_range"]},
                    # likelihood axis position, impact on the class scale (docs/method.md 3.4)
                    "position": {
                        "from": [float(pos_a[sid]), ra["impact_class_position"]],
                        "to": [float(pos_b[sid]), rb["impact_class_position"]],
                    },
                }
            )
    titles = {sc.id: sc.title for sc in table_a.scenarios} | {
        sc.id: sc.title for sc in table_b.scenarios
    }
    return {
        "from": {"id": a.id, "slug": a.slug, "status": a.status, "title": a.title},
        "to": {"id": b.id, "slug": b.slug, "status": b.status, "title": b.title},
        "titles": titles,  # each scenario's title (the newer edition's), by id
        "method": method,
        "added": sorted(rows_b.keys() - rows_a.keys()),
        "removed": sorted(rows_a.keys() - rows_b.keys()),
        "moved": moved,
        "scores_changed": changed,
    }
