"""Thematic deep-dives in the shared system, and the origin of the scenarios they make.

A deep-dive belongs to an edition: whoever may read the edition (and is cleared for the
deep-dive) reads it; signals, trends and scenarios above the reader's clearance are absent
from their view, and a reference to one is refused like a reference to nothing. Writing
needs the edition's ``edit`` permission and the version read (a stale one is a 409); every
change is an entry of the audit trail. A scenario created from a proposal of a deep-dive
keeps its origin (the deep-dive, its signals and trends) in ``scenario_origins``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.deepdive import DeepDive, Proposal, TrendRef, deepdive_problems
from natrisk.errors import Conflict, InputError, WorkbookError
from natrisk.io.deepdive import dump_deepdive, parse_deepdive, problem
from natrisk.io.workbook import Locator
from natrisk.security import allows, level_index, level_name
from natrisk.services import audit
from natrisk.services.access import Actor, Forbidden, NotFound, edition_for
from natrisk.services.editing import _flush, require_version
from natrisk.store.models import (
    DeepDiveRecord,
    Edition,
    ScenarioOrigin,
    ScenarioRecord,
    SignalRecord,
)


@dataclass(frozen=True)
class StoredDeepDive:
    """A stored deep-dive, its edition and the requester's role there."""

    record: DeepDiveRecord
    edition: Edition
    role: str


def _key(rec: DeepDiveRecord) -> str:
    return f"edition:{rec.edition_id}:deepdive:{rec.slug}"


def signals_of(session: Session, edition: Edition, clearance: int) -> dict[str, SignalRecord]:
    """The edition's signals the clearance may see, by id."""
    rows = session.scalars(select(SignalRecord).where(SignalRecord.edition_id == edition.id))
    return {r.slug: r for r in rows if r.classification <= clearance}


def trends_of(session: Session, actor: Actor) -> dict[tuple[str, str], dict[str, Any]]:
    """Every trend the actor may see, by (set id, trend id), with its title and set."""
    from natrisk.services.trends import trend_records, visible_sets

    out = {}
    for rec, _ in visible_sets(session, actor):
        for t in trend_records(session, rec, actor.clearance):
            title = t.document.get("title") or {}
            out[(rec.slug, t.slug)] = {
                "set_id": rec.id,
                "set": rec.slug,
                "trend": t.slug,
                "title": title,
                "classification": max(rec.classification, t.classification),
            }
    return out


def _scenarios(session: Session, edition: Edition, clearance: int) -> dict[str, ScenarioRecord]:
    from natrisk.services.workspace import scenario_records

    return {r.slug: r for r in scenario_records(session, edition) if r.classification <= clearance}


def _check(
    session: Session, actor: Actor, edition: Edition, dd: DeepDive, where: Locator, name: str
) -> None:
    from natrisk.services.scenarios import themes_of

    themes = {tid for tid, _ in themes_of(session, edition)}
    found = deepdive_problems(
        dd,
        themes,
        set(_scenarios(session, edition, actor.clearance)),
        set(signals_of(session, edition, actor.clearance)),
        set(trends_of(session, actor)),
    )
    if found:
        raw = dump_deepdive(dd)
        problems = [problem(loc, msg, raw, where, name) for loc, msg in found]
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems)


def _reference_level(session: Session, actor: Actor, edition: Edition, dd: DeepDive) -> int:
    """The highest classification among the signals and trends a deep-dive names: its audit
    entries are classified at least as high, so a hidden signal's id stays hidden there too."""
    sigs = signals_of(session, edition, actor.clearance)
    named = {*dd.signals, *(x for p in dd.scenarios for x in p.signals)}
    levels = [sigs[x].classification for x in named if x in sigs]
    refs = {r.key() for r in [*dd.trends, *(r for p in dd.scenarios for r in p.trends)]}
    trends = trends_of(session, actor)
    levels += [trends[k]["classification"] for k in refs if k in trends]
    return max(levels, default=0)


def import_deepdive(
    session: Session,
    actor: Actor,
    edition_id: int,
    dd: DeepDive,
    where: Locator | None = None,
    name: str = "",
) -> DeepDiveRecord:
    """Store a deep-dive for an edition, all or nothing (analysts and coordinators)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    if dd.edition != edition.slug:
        raise InputError(
            f"the deep-dive studies edition {dd.edition!r}, not {edition.slug!r} (edition {edition.id})"
        )
    _check(session, actor, edition, dd, where or {}, name or dd.id)
    level = level_index(dd.classification)
    if level > actor.clearance:
        raise Forbidden("the deep-dive is classified above your clearance")
    taken = session.scalars(
        select(DeepDiveRecord.id).where(
            DeepDiveRecord.edition_id == edition.id, DeepDiveRecord.slug == dd.id
        )
    ).first()
    if taken is not None:
        raise Conflict(f"edition {edition.id} already has a deep-dive {dd.id!r}")
    rec = DeepDiveRecord(
        edition_id=edition.id,
        slug=dd.id,
        title=dd.title,
        theme=dd.theme,
        classification=level,
        document=dump_deepdive(dd),
    )
    session.add(rec)
    _flush(session, f"deep-dive {dd.id!r}")
    audit.record(
        session,
        actor.username,
        "deepdive",
        _key(rec),
        None,
        rec.document,
        "created",
        edition.id,
        max(level, _reference_level(session, actor, edition, dd)),
    )
    return rec


def deepdive_for(
    session: Session, actor: Actor, dd_id: int, permission: str = "read"
) -> StoredDeepDive:
    """A deep-dive the actor may see, if their role on its edition grants ``permission``."""
    rec = session.get(DeepDiveRecord, dd_id)
    if rec is None or rec.classification > actor.clearance:
        raise NotFound(f"no deep-dive {dd_id}")
    try:
        edition, role = edition_for(session, actor, rec.edition_id, "read")
    except NotFound:
        raise NotFound(f"no deep-dive {dd_id}") from None
    if not allows(role, permission):
        raise Forbidden(
            f"your role on this deep-dive's edition ({role}) does not allow this ({permission})"
        )
    return StoredDeepDive(rec, edition, role)


def deepdives_of(session: Session, actor: Actor, edition_id: int) -> list[DeepDiveRecord]:
    """The deep-dives of an edition the actor may see."""
    edition, _ = edition_for(session, actor, edition_id, "read")
    rows = session.scalars(
        select(DeepDiveRecord)
        .where(DeepDiveRecord.edition_id == edition.id)
        .order_by(DeepDiveRecord.id)
    )
    return [r for r in rows if r.classification <= actor.clearance]


def deepdive_view(session: Session, actor: Actor, stored: StoredDeepDive) -> DeepDive:
    """The deep-dive as the reader may see it: hidden signals, trends and scenarios absent."""
    dd = DeepDive.model_validate(stored.record.document)
    sigs = set(signals_of(session, stored.edition, actor.clearance))
    trs = set(trends_of(session, actor))
    scen = set(_scenarios(session, stored.edition, actor.clearance))

    def keep(s: list[str], t: list[TrendRef]) -> dict[str, Any]:
        return {"signals": [x for x in s if x in sigs], "trends": [r for r in t if r.key() in trs]}

    proposals = [
        p.model_copy(update=keep(p.signals, p.trends))
        for p in dd.scenarios
        if p.change == "new" or p.id in scen
    ]
    return dd.model_copy(update={**keep(dd.signals, dd.trends), "scenarios": proposals})


CHANGEABLE = (
    "title",
    "theme",
    "year",
    "question",
    "findings",
    "classification",
    "signals",
    "trends",
    "scenarios",
)


def update_deepdive(
    session: Session,
    actor: Actor,
    dd_id: int,
    data: dict[str, Any],
    version: int | None,
    reason: str = "",
) -> DeepDiveRecord:
    """Change a deep-dive's fields; a stale version is a conflict, every change an audit entry."""
    stored = deepdive_for(session, actor, dd_id, "edit")
    rec = stored.record
    require_version(version, f"deep-dive {rec.slug}")
    if version != rec.version:
        raise Conflict(
            f"deep-dive {rec.slug} was changed since you read it (version {rec.version}, you sent "
            f"{version}); nothing was stored. Reload it and change it again"
        )
    unknown = [k for k in data if k not in CHANGEABLE]
    if unknown:
        raise InputError(f"cannot change {', '.join(unknown)}; changeable: {', '.join(CHANGEABLE)}")
    shown = dump_deepdive(deepdive_view(session, actor, stored))
    raw = {**shown, **data}
    name = f"deep-dive {rec.slug}"
    dd = parse_deepdive(raw, {}, name)
    _check(session, actor, stored.edition, dd, {}, name)
    level = level_index(dd.classification)
    if level > actor.clearance:
        raise Forbidden("above your own clearance")
    old = dict(rec.document)
    new = dump_deepdive(dd)
    if new == old:
        return rec
    before = rec.classification
    rec.document, rec.title, rec.theme, rec.classification = new, dd.title, dd.theme, level
    _flush(session, name)
    keys = [k for k in {*old, *new} if old.get(k) != new.get(k)]
    audit.record(
        session,
        actor.username,
        "deepdive",
        _key(rec),
        {k: old.get(k) for k in keys},
        {k: new.get(k) for k in keys},
        reason,
        stored.edition.id,
        max(level, before, _reference_level(session, actor, stored.edition, dd)),
    )
    return rec


def create_scenario(
    session: Session,
    actor: Actor,
    dd_id: int,
    proposal_id: str,
    data: dict[str, Any] | None = None,
) -> ScenarioRecord:
    """The scenario a deep-dive proposes, created in its edition with its origin kept; ``data``
    may give or override fields (a likelihood, the id, scores) as a new scenario takes them."""
    from natrisk.services.scenarios import create

    stored = deepdive_for(session, actor, dd_id, "edit")
    dd = deepdive_view(session, actor, stored)
    p = dd.proposal(proposal_id)
    if p is None:
        raise NotFound(f"no proposed scenario {proposal_id!r} in deep-dive {dd.id!r}")
    if p.change != "new":
        raise Conflict(f"{proposal_id!r} changes an existing scenario; record it with 'changed'")
    fields = {
        "id": p.id,
        "title": p.title,
        "theme": p.theme or dd.theme,
        "description": p.description,
    }
    if p.likelihood is not None:
        fields["likelihood"] = p.likelihood
    fields |= data or {}
    if fields.get("likelihood") in (None, ""):
        raise InputError("give the new scenario a likelihood (a class such as 'B')")
    if "classification" not in fields:
        fields["classification"] = level_name(stored.record.classification)
    rec = create(session, actor, stored.edition.id, fields, f"from deep-dive {dd.id}")
    _origin(session, actor, stored, dd, p, rec)
    _absorb(session, actor, stored.edition, p.signals or dd.signals, rec.slug)
    return rec


ABSORBABLE = ("assessed", "watch", "escalated")  # a new signal is judged before it is absorbed


def _absorb(
    session: Session, actor: Actor, edition: Edition, slugs: list[str], scenario: str
) -> list[str]:
    """Move the judged signals a new scenario rests on to 'absorbed' into it (each step
    versioned and audited as any other); new, absorbed and dismissed ones stay as they are."""
    from natrisk.services.signals import step

    visible = signals_of(session, edition, actor.clearance)
    moved = []
    for slug in dict.fromkeys(slugs):
        rec = visible.get(slug)
        if rec is None or rec.status not in ABSORBABLE:
            continue
        step(session, actor, edition.id, slug, "absorbed", rec.version, scenario=scenario)
        moved.append(slug)
    return moved


def record_change(session: Session, actor: Actor, dd_id: int, proposal_id: str) -> ScenarioOrigin:
    """Record on an existing scenario that this deep-dive changed it (its origin grows)."""
    from natrisk.services.access import scenario_for

    stored = deepdive_for(session, actor, dd_id, "edit")
    dd = deepdive_view(session, actor, stored)
    p = dd.proposal(proposal_id)
    if p is None or p.change != "changed":
        raise NotFound(f"no change to a scenario {proposal_id!r} in deep-dive {dd.id!r}")
    rec = scenario_for(session, actor, stored.edition, p.id)
    return _origin(session, actor, stored, dd, p, rec)


def _origin(
    session: Session,
    actor: Actor,
    stored: StoredDeepDive,
    dd: DeepDive,
    p: Proposal,
    scen: ScenarioRecord,
) -> ScenarioOrigin:
    """Keep on the scenario that the proposal ``p`` of deep-dive ``dd`` made or changed it,
    with the signals and trends it cites (the deep-dive's own when it names none)."""
    change, signals, trends = p.change, p.signals or dd.signals, p.trends or dd.trends
    taken = session.scalars(
        select(ScenarioOrigin).where(
            ScenarioOrigin.scenario_id == scen.id, ScenarioOrigin.deepdive_id == stored.record.id
        )
    ).first()
    if taken is not None:
        raise Conflict(f"scenario {scen.slug} already records deep-dive {stored.record.slug}")
    origin = ScenarioOrigin(
        scenario_id=scen.id,
        deepdive_id=stored.record.id,
        change=change,
        signals=list(signals),
        trends=[t.model_dump(by_alias=True) for t in trends],
        rationale=p.rationale,
        created_by=actor.username,
    )
    session.add(origin)
    _flush(session, f"scenario {scen.slug}")
    cited = _reference_level(
        session,
        actor,
        stored.edition,
        DeepDive.model_validate(stored.record.document).model_copy(
            update={"signals": list(signals), "trends": list(trends), "scenarios": []}
        ),
    )
    audit.record(
        session,
        actor.username,
        "scenario-origin",
        f"edition:{scen.edition_id}:scenario:{scen.slug}:origin:{stored.record.slug}",
        None,
        {
            "deepdive": stored.record.slug,
            "change": change,
            "signals": origin.signals,
            "trends": origin.trends,
        },
        f"{change} by deep-dive {stored.record.slug}",
        scen.edition_id,
        max(scen.classification, stored.record.classification, cited),
    )
    return origin


def origins_of(session: Session, actor: Actor, scen: ScenarioRecord) -> list[dict[str, Any]]:
    """Where a scenario came from, as the actor may see it: the deep-dives (those they are
    cleared for), with the signals and trends each cited."""
    rows = session.scalars(
        select(ScenarioOrigin)
        .where(ScenarioOrigin.scenario_id == scen.id)
        .order_by(ScenarioOrigin.id)
    ).all()
    if not rows:
        return []
    edition = session.get(Edition, scen.edition_id)
    assert edition is not None
    sigs = signals_of(session, edition, actor.clearance)
    trs = trends_of(session, actor)
    out = []
    for o in rows:
        dd = session.get(DeepDiveRecord, o.deepdive_id)
        if dd is None or dd.classification > actor.clearance:
            continue
        trends = [
            trs[(t["set"], t["trend"])] for t in o.trends if (t.get("set"), t.get("trend")) in trs
        ]
        out.append(
            {
                "deepdive": {"id": dd.id, "slug": dd.slug, "title": dd.title},
                "change": o.change,
                "signals": [
                    {"id": s, "title": sigs[s].title, "pk": sigs[s].id}
                    for s in o.signals
                    if s in sigs
                ],
                "trends": trends,
                "rationale": o.rationale,
                "by": o.created_by,
                "at": o.created_at.isoformat(timespec="seconds") if o.created_at else "",
            }
        )
    return out


def stored_json(rec: DeepDiveRecord, role: str) -> dict[str, Any]:
    """A deep-dive's summary for lists and the API."""
    return {
        "id": rec.id,
        "slug": rec.slug,
        "title": rec.title,
        "theme": rec.theme,
        "edition": rec.edition_id,
        "classification": level_name(rec.classification),
        "version": rec.version,
        "your_role": role,
    }
