"""Replacing the scenarios of a draft edition with an uploaded workbook's (POST
/api/editions/{id}/replace and the /import page's "replace" choice).

The edition keeps its history: a changed scenario gets a new version in the audit trail,
one missing from the file is withdrawn (kept, restorable), a new one is created. Every
problem of the file is raised before anything is stored; the caller rolls back on any error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.edition import Scenario
from natrisk.errors import InputError, Problem, WorkbookError, problem_count
from natrisk.services import audit, scenarios
from natrisk.services.access import Actor, edition_for
from natrisk.services.framework_store import named_framework
from natrisk.services.imports import read_upload
from natrisk.services.scoring import resolve
from natrisk.services.workspace import (
    _within_clearance,
    bump_revision,
    framework_of,
    require_editable,
    score_of,
    score_record,
)
from natrisk.store.models import Edition, ScenarioRecord


def replace_draft(
    session: Session, actor: Actor, edition_id: int, data: bytes, name: str
) -> tuple[Edition, dict[str, int]]:
    """Replace the draft's scenarios by the file's; the counts of changed, new and withdrawn."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    require_editable(edition)
    book, locate = read_upload(session, data, name)
    fw = framework_of(session, edition)
    if book.edition.framework != fw.id:
        problem = Problem(
            name,
            "edition",
            "framework",
            f"the file's framework is "
            f"{book.edition.framework!r}; edition {edition.slug} uses {fw.id!r}",
        )
        raise WorkbookError(f"{name}: {problem_count(1)}", [problem])
    try:
        resolve(book, named_framework(session, book.edition.framework), name, themes=True)
    except WorkbookError as exc:
        exc.problems = locate(exc.problems)
        raise
    _within_clearance(book, actor)
    rows = session.scalars(select(ScenarioRecord).where(ScenarioRecord.edition_id == edition.id))
    # withdrawn ones too; those above the actor's clearance stay untouched (and unnamed)
    stored = {r.slug: r for r in rows if r.classification <= actor.clearance}
    counts = {"changed": 0, "created": 0, "withdrawn": 0, "restored": 0}
    reason = f"replaced from {name}"
    for scen in book.scenarios:
        rec = stored.get(scen.id)
        if rec is None:
            scenarios.create(
                session,
                actor,
                edition.id,
                _data(scen)
                | {
                    "id": scen.id,
                    "scores": {
                        c: s.model_dump(by_alias=True, exclude_none=True)
                        for c, s in scen.impacts.items()
                    },
                },
                reason,
            )
            counts["created"] += 1
            continue
        if rec.withdrawn:
            scenarios.set_withdrawn(
                session, actor, edition.id, rec.slug, False, rec.version, reason
            )
            counts["restored"] += 1
        before = rec.version
        scenarios.update(session, actor, edition.id, rec.slug, _data(scen), rec.version, reason)
        scored = _replace_scores(session, actor, edition, rec, scen, reason)
        counts["changed"] += int(rec.version != before or scored)
    names = {s.id for s in book.scenarios}
    for slug, rec in stored.items():
        if slug not in names and not rec.withdrawn:
            scenarios.set_withdrawn(session, actor, edition.id, slug, True, rec.version, reason)
            counts["withdrawn"] += 1
    session.flush()
    return edition, counts


def _data(scen: Scenario) -> dict[str, Any]:
    return {
        "title": scen.title,
        "theme": scen.theme,
        "malicious": scen.malicious,
        "description": scen.description,
        "assumptions": scen.assumptions,
        "classification": scen.classification,
        "likelihood": scen.likelihood.model_dump(by_alias=True, exclude_none=True),
    }


def _replace_scores(
    session: Session,
    actor: Actor,
    edition: Edition,
    rec: ScenarioRecord,
    scen: Scenario,
    reason: str,
) -> bool:
    """The file's scores in place of the stored ones, audited when they differ."""
    old = {r.criterion: _shown(score_of(r, actor.clearance)) for r in rec.scores}
    new = {c: _shown(s) for c, s in scen.impacts.items()}
    if old == new:
        return False
    if any(r.rationale_classification > actor.clearance for r in rec.scores):
        raise InputError(
            f"scenario {rec.slug} holds scores above your clearance; "
            "they cannot be replaced from a file"
        )
    rec.revision = bump_revision(session, edition.id)
    rec.scores.clear()
    session.flush()
    for position, (cid, score) in enumerate(scen.impacts.items()):
        rec.scores.append(score_record(cid, score, position))
    session.flush()
    keys = sorted(set(old) | set(new))
    audit.record(
        session,
        actor.username,
        "scenario",
        scenarios.scenario_key(edition.id, rec.slug),
        {f"scores.{k}": old.get(k) for k in keys if old.get(k) != new.get(k)},
        {f"scores.{k}": new.get(k) for k in keys if old.get(k) != new.get(k)},
        reason,
        edition.id,
        rec.classification,
    )
    return True


def _shown(score: Any) -> str:
    return str(
        score.model_dump(by_alias=True, exclude_none=True, exclude={"rationale"})
        | {"rationale": score.rationale}
    )
