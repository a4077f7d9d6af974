"""Changing an edition: scores and likelihoods with optimistic concurrency and an audit entry.

A writer sends the version it read; if the row has moved on since, the write is refused
with a conflict instead of silently overwriting the other analyst's work.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from natrisk.domain.edition import EditionInfo, Likelihood, Scenario, Score, Workbook
from natrisk.errors import InputError, Problem, WorkbookError
from natrisk.security import level_index
from natrisk.services import audit
from natrisk.services.access import Actor, Conflict, NotFound, edition_for, scenario_for
from natrisk.services.scoring import resolve
from natrisk.services.workspace import (
    apply_score,
    bump_revision,
    framework_of,
    require_editable,
    score_of,
)
from natrisk.store.models import ScenarioRecord, ScoreRecord


def _check_against_framework(
    session: Session, edition: Any, scen: ScenarioRecord, cid: str, score: Score
) -> None:
    """Resolve the one changed cell against the framework; raise its problems."""
    fw = framework_of(session, edition)
    if fw.criterion(cid) is None:
        raise NotFound(f"no criterion {cid!r} in framework {fw.id}")
    probe = Scenario.model_validate(
        {
            "id": scen.slug,
            "title": scen.title,
            "theme": scen.theme,
            "likelihood": scen.likelihood,
            "impacts": {cid: score},
        }
    )
    resolve(_probe_book(edition, probe), fw, f"edition {edition.id}")


def _probe_book(edition: Any, scenario: Scenario) -> Workbook:
    """A one-scenario workbook on the edition's framework, to check one change."""
    info = EditionInfo(id=edition.slug, title=edition.title, framework=edition.framework_id)
    return Workbook(edition=info, scenarios=[scenario])


def parse_score(value: Any) -> Score:
    """A score from API input, with the workbook's rules and messages."""
    try:
        return Score.model_validate(value)
    except ValidationError as exc:
        problems = [
            Problem(
                "", "", ".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, ")
            )
            for e in exc.errors()
        ]
        raise WorkbookError("invalid score", problems) from exc


def set_score(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    cid: str,
    value: Any,
    version: int | None,
    reason: str,
) -> ScoreRecord:
    """Create or change one score; ``version`` must match the stored one (0 for a new score)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    require_editable(edition)
    scen = scenario_for(session, actor, edition, slug)
    _require_in_picture(scen)
    score = parse_score(value)
    if level_index(score.classification) > actor.clearance:
        raise InputError("you cannot classify above your own clearance")
    _check_against_framework(session, edition, scen, cid, score)
    rec = session.scalars(
        select(ScoreRecord).where(ScoreRecord.scenario_id == scen.id, ScoreRecord.criterion == cid)
    ).first()
    current = rec.version if rec is not None else 0
    require_version(version, f"score {slug}/{cid}", "; 0 for a new score")
    if version != current:
        raise Conflict(
            f"score {slug}/{cid} was changed by someone else (version {current}, you sent {version}); "
            "reload it and apply your change again"
        )
    if rec is not None and rec.rationale_classification > actor.clearance:
        raise NotFound(f"no score {cid!r} for scenario {slug!r}")
    old = _dump(score_of(rec, 10**6)) if rec is not None else None
    old_level = rec.rationale_classification if rec is not None else 0
    revision = bump_revision(session, edition.id)
    if rec is None:
        rec = ScoreRecord(scenario_id=scen.id, criterion=cid, position=len(scen.scores))
        session.add(rec)
    apply_score(rec, score)  # the mapper bumps the version, guarded by WHERE version = read
    rec.revision = revision
    _flush(session, f"score {slug}/{cid}")
    # the entry holds the old and the new grounds: it is as secret as the more secret of them
    level = max(scen.classification, rec.rationale_classification, old_level)
    audit.record(
        session,
        actor.username,
        "score",
        score_key(edition.id, slug, cid),
        old,
        _dump(score),
        reason,
        edition.id,
        level,
    )
    return rec


def set_likelihood(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    value: Any,
    version: int | None,
    reason: str,
) -> ScenarioRecord:
    """Change a scenario's likelihood; ``version`` is the scenario's."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    require_editable(edition)
    scen = scenario_for(session, actor, edition, slug)
    _require_in_picture(scen)
    try:
        lik = Likelihood.model_validate(value)
    except ValidationError as exc:
        raise InputError(
            f"invalid likelihood: {exc.errors()[0]['msg'].removeprefix('Value error, ')}"
        ) from exc
    fw = framework_of(session, edition)
    probe = Scenario.model_validate(
        {"id": scen.slug, "title": scen.title, "theme": scen.theme, "likelihood": lik}
    )
    resolve(_probe_book(edition, probe), fw, f"edition {edition.id}")
    require_version(version, f"scenario {slug}")
    if version != scen.version:
        raise Conflict(
            f"scenario {slug} was changed by someone else (version {scen.version}, you sent {version})"
        )
    old = scen.likelihood
    scen.revision = bump_revision(session, edition.id)
    scen.likelihood = lik.model_dump(mode="json", by_alias=True, exclude_none=True)
    _flush(session, f"scenario {slug}")
    audit.record(
        session,
        actor.username,
        "likelihood",
        f"edition:{edition.id}:scenario:{slug}:likelihood",
        old,
        scen.likelihood,
        reason,
        edition.id,
        scen.classification,
    )
    return scen


def _require_in_picture(scen: ScenarioRecord) -> None:
    """A withdrawn scenario stays as it was withdrawn until it is restored."""
    if scen.withdrawn:
        raise Conflict(f"scenario {scen.slug} is withdrawn; restore it to change it")


def require_version(version: int | None, what: str, hint: str = "") -> None:
    """Refuse a change that does not say which version it read: the last writer would win."""
    if version is None:
        raise InputError(
            f"send the version of {what} you read (If-Match header or 'version'){hint}"
        )


def _flush(session: Session, what: str) -> None:
    """Write now, turning a lost race into a conflict rather than an overwrite."""
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict(
            f"{what} was changed by someone else at the same moment; reload it and try again"
        ) from exc


def score_key(edition_id: int, slug: str, cid: str) -> str:
    """The audit key of one score."""
    return f"edition:{edition_id}:scenario:{slug}:score:{cid}"


def _dump(score: Score) -> dict[str, Any]:
    return score.model_dump(mode="json", by_alias=True, exclude_none=True)


def score_history(
    session: Session, actor: Actor, edition_id: int, slug: str, cid: str
) -> list[dict[str, Any]]:
    """Every change to one score the actor may see, oldest first."""
    edition, _ = edition_for(session, actor, edition_id, "read")
    scenario_for(session, actor, edition, slug)
    entries = audit.history(session, score_key(edition.id, slug, cid), actor.clearance)
    from natrisk.services.scenarios import value_text

    return [
        {
            "at": e.at,
            "by": e.actor,
            "old": e.old,
            "new": e.new,
            "reason": e.reason,
            "old_text": value_text(e.old, rationale=False),
            "new_text": value_text(e.new, rationale=False),
        }
        for e in entries
    ]
