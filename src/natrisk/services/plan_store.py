"""Plans in the shared system: import, the view a requester may see, changes with audit.

A plan is readable by whoever may read its edition and is cleared for the plan; measures
above the requester's clearance, and scenarios they may not see, are absent from their view.
Everything a requester sends is checked against that same view, so a reference to a hidden
scenario is refused exactly like one to a missing scenario; the references to hidden
scenarios already stored in a plan are kept, untouched, when an uncleared requester edits it.
Plan-wide changes (weighings, levels, report texts) need the edition's ``edit`` permission;
a measure may be changed by coordinators, and by contributors and analysts of the
organisation that owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.plan import EditionFacts, Measure, Plan
from natrisk.errors import InputError
from natrisk.io.plan import dump_plan
from natrisk.security import allows, level_index, level_name
from natrisk.services import audit
from natrisk.services.access import Actor, Conflict, Forbidden, NotFound, edition_for
from natrisk.services.editing import _flush, require_version

__all__ = ["Measure", "NotFound", "StoredPlan"]
from natrisk.services.plan_edits import revalidated
from natrisk.services.planning import edition_facts
from natrisk.services.workspace import framework_of, scenario_records
from natrisk.store.models import Edition, MeasureRecord, Organisation, PlanRecord


@dataclass(frozen=True)
class StoredPlan:
    """A plan record, its edition, and the requester's role there."""

    record: PlanRecord
    edition: Edition
    role: str


def visible_scenarios(session: Session, edition: Edition, clearance: int) -> set[str]:
    """The ids of the edition's scenarios that ``clearance`` may see."""
    return {r.slug for r in scenario_records(session, edition) if r.classification <= clearance}


def facts_of(session: Session, edition: Edition, clearance: int) -> EditionFacts:
    """What a requester's references are checked against: the scenarios they may see.

    Checking against every scenario would accept a hidden id and refuse a missing one, and
    so tell an uncleared requester which hidden ids exist.
    """
    slugs = sorted(visible_scenarios(session, edition, clearance))
    return edition_facts(framework_of(session, edition), slugs)


def import_plan(session: Session, actor: Actor, edition_id: int, plan: Plan) -> PlanRecord:
    """Store a plan file for an edition, all or nothing (coordinators and analysts)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    plan = revalidated(plan, facts_of(session, edition, actor.clearance), plan.plan.id)
    if plan.plan.edition != edition.slug:
        raise InputError(
            f"the plan works from edition {plan.plan.edition!r}, not {edition.slug!r} (edition {edition.id})"
        )
    taken = session.scalars(
        select(PlanRecord).where(
            PlanRecord.edition_id == edition.id, PlanRecord.slug == plan.plan.id
        )
    ).first()
    if taken is not None:
        raise Conflict(f"edition {edition.id} already has a plan {plan.plan.id!r}")
    level = level_index(plan.plan.classification)
    if level > actor.clearance:
        raise Forbidden("the plan is classified above your clearance")
    doc = dump_plan(plan.model_copy(update={"measures": []}))
    rec = PlanRecord(
        edition_id=edition.id,
        slug=plan.plan.id,
        title=plan.plan.title.en,
        classification=level,
        document=doc,
    )
    session.add(rec)
    _flush(session, f"plan {plan.plan.id!r}")
    for k, m in enumerate(plan.measures):
        mlevel = level_index(m.classification)
        if mlevel > actor.clearance:
            raise Forbidden(f"measure {m.id!r} is classified above your clearance")
        session.add(_measure_record(rec.id, k, m))
    audit.record(
        session,
        actor.username,
        "plan",
        f"plan:{rec.id}",
        None,
        {"slug": rec.slug, "measures": len(plan.measures)},
        "import",
        edition_id=edition.id,
        classification=level,
    )
    session.flush()
    return rec


def _measure_record(plan_id: int, position: int, m: Measure) -> MeasureRecord:
    return MeasureRecord(
        plan_id=plan_id,
        slug=m.id,
        position=position,
        owner=m.owner,
        line=m.line,
        classification=level_index(m.classification),
        document=m.model_dump(mode="json", by_alias=True),
    )


def plan_for(session: Session, actor: Actor, plan_id: int, permission: str = "read") -> StoredPlan:
    """A plan the actor may see, if their role on its edition grants ``permission``."""
    rec = session.get(PlanRecord, plan_id)
    if rec is None or rec.classification > actor.clearance:
        raise NotFound(f"no plan {plan_id}")
    try:
        edition, role = edition_for(session, actor, rec.edition_id, "read")
    except NotFound:
        raise NotFound(f"no plan {plan_id}") from None
    if not allows(role, permission):
        raise Forbidden(
            f"your role on this plan's edition ({role}) does not allow this ({permission})"
        )
    return StoredPlan(rec, edition, role)


def plans_of(session: Session, actor: Actor, edition_id: int) -> list[PlanRecord]:
    """The plans of an edition that the actor may see."""
    edition, _ = edition_for(session, actor, edition_id, "read")
    rows = session.scalars(
        select(PlanRecord).where(PlanRecord.edition_id == edition.id).order_by(PlanRecord.id)
    )
    return [r for r in rows if r.classification <= actor.clearance]


def measure_records(session: Session, rec: PlanRecord, clearance: int) -> list[MeasureRecord]:
    """The plan's measures within a clearance, in order."""
    rows = session.scalars(
        select(MeasureRecord)
        .where(MeasureRecord.plan_id == rec.id)
        .order_by(MeasureRecord.position, MeasureRecord.id)
    )
    return [r for r in rows if r.classification <= clearance]


def plan_view(session: Session, sp: StoredPlan, clearance: int) -> Plan:
    """The plan as the requester may see it: hidden measures and scenarios left out."""
    visible = visible_scenarios(session, sp.edition, clearance)
    doc = dict(sp.record.document)
    doc["security_issues"] = [
        {**i, "scenarios": [s for s in i.get("scenarios", []) if s in visible]}
        for i in doc.get("security_issues", [])
    ]
    doc["tasks"] = [
        {**t, "scenarios": {s: v for s, v in (t.get("scenarios") or {}).items() if s in visible}}
        for t in doc.get("tasks", [])
    ]
    doc["measures"] = [
        measure_seen(r.document, visible) for r in measure_records(session, sp.record, clearance)
    ]
    return Plan.model_validate(doc)


def measure_seen(document: dict[str, Any], visible: set[str]) -> dict[str, Any]:
    """A stored measure as a requester sees it: targets on hidden scenarios left out."""
    return {
        **document,
        "targets": [t for t in document.get("targets", []) if t.get("scenario") in visible],
    }


def save_plan(
    session: Session, actor: Actor, sp: StoredPlan, new: Plan, version: int | None, what: str
) -> None:
    """Store a changed plan structure (not its measures), ``new`` being the requester's view
    with their change, after a full check against what they may see."""
    require_version(version, f"plan {sp.record.id}")
    if version != sp.record.version:
        raise Conflict(
            f"plan {sp.record.id} changed since you read it (version {version}, now {sp.record.version}); reload and retry"
        )
    checked = revalidated(new, facts_of(session, sp.edition, actor.clearance), sp.record.slug)
    old = sp.record.document
    doc = dump_plan(checked.model_copy(update={"measures": []}))
    doc = _with_hidden(old, doc, visible_scenarios(session, sp.edition, actor.clearance))
    sp.record.document = doc
    _flush(session, f"plan {sp.record.id}")
    audit.record(
        session,
        actor.username,
        "plan",
        f"plan:{sp.record.id}",
        _diff(old, doc, True),
        _diff(old, doc, False),
        what,
        edition_id=sp.edition.id,
        classification=sp.record.classification,
    )
    session.flush()


def _with_hidden(old: dict[str, Any], new: dict[str, Any], visible: set[str]) -> dict[str, Any]:
    """``new`` (a requester's view, changed) with the stored references to the scenarios they
    cannot see put back where they were.

    The requester never saw those references, so their edit can neither drop nor change
    them: they stay with the task or security issue that holds them, unchanged. Only
    removing that task or issue as a whole would take them along.
    """
    old_tasks = {t["id"]: t for t in old.get("tasks", [])}
    for t in new.get("tasks", []):
        prev = old_tasks.get(t["id"], {}).get("scenarios") or {}
        hidden = {s: v for s, v in prev.items() if s not in visible}
        t["scenarios"] = {**t.get("scenarios", {}), **hidden}
    old_issues = {i["id"]: i for i in old.get("security_issues", [])}
    for i in new.get("security_issues", []):
        prev = old_issues.get(i["id"], {}).get("scenarios") or []
        i["scenarios"] = [*i.get("scenarios", []), *(s for s in prev if s not in visible)]
    return new


def _diff(old: dict[str, Any], new: dict[str, Any], before: bool) -> dict[str, Any]:
    """The top-level parts that changed, as they were (before) or are (after)."""
    src = old if before else new
    return {k: src.get(k) for k in set(old) | set(new) if old.get(k) != new.get(k)}


def organisation_slug(session: Session, actor: Actor) -> str:
    """The slug of the actor's organisation."""
    org = session.get(Organisation, actor.organisation_id)
    return org.slug if org is not None else ""


def may_edit_measure(session: Session, actor: Actor, sp: StoredPlan, owner: str) -> bool:
    """Coordinators edit every measure; contributors and analysts their organisation's only."""
    if allows(sp.role, "measure-any"):
        return True
    return allows(sp.role, "measure") and organisation_slug(session, actor) == owner


def measure_for(session: Session, actor: Actor, sp: StoredPlan, slug: str) -> MeasureRecord:
    """A measure of the plan within the actor's clearance."""
    rec = session.scalars(
        select(MeasureRecord).where(
            MeasureRecord.plan_id == sp.record.id, MeasureRecord.slug == slug
        )
    ).first()
    if rec is None or rec.classification > actor.clearance:
        raise NotFound(f"no measure {slug!r} in plan {sp.record.id}")
    return rec


def save_measure(
    session: Session,
    actor: Actor,
    sp: StoredPlan,
    measure: Measure,
    version: int | None,
    what: str,
) -> MeasureRecord:
    """Create or change one measure after checking it against the whole plan."""
    existing = session.scalars(
        select(MeasureRecord).where(
            MeasureRecord.plan_id == sp.record.id, MeasureRecord.slug == measure.id
        )
    ).first()
    if existing is not None and existing.classification > actor.clearance:
        raise Conflict(f"measure id {measure.id!r} is taken; choose another")
    owners = {measure.owner} | ({existing.owner} if existing is not None else set())
    if not all(may_edit_measure(session, actor, sp, o) for o in owners):
        raise Forbidden(
            f"you may change only measures your organisation owns ({organisation_slug(session, actor)!r})"
        )
    if level_index(measure.classification) > actor.clearance:
        raise Forbidden(
            f"you cannot classify a measure above your clearance ({level_name(actor.clearance)})"
        )
    if existing is not None:
        require_version(version, f"measure {measure.id!r}")
        if version != existing.version:
            raise Conflict(
                f"measure {measure.id!r} changed since you read it (version {version}, now {existing.version}); reload and retry"
            )
    # checked within the requester's view, as the plan's own changes are (save_plan)
    mine = plan_view(session, sp, actor.clearance)
    others = [m for m in mine.measures if m.id != measure.id]
    revalidated(
        mine.model_copy(update={"measures": [*others, measure]}),
        facts_of(session, sp.edition, actor.clearance),
    )
    doc = measure.model_dump(mode="json", by_alias=True)
    old = existing.document if existing is not None else None
    if old is not None:  # targets on scenarios the requester cannot see stay as they were
        visible = visible_scenarios(session, sp.edition, actor.clearance)
        doc["targets"] += [t for t in old.get("targets", []) if t.get("scenario") not in visible]
    if existing is None:
        count = len(
            session.scalars(
                select(MeasureRecord.id).where(MeasureRecord.plan_id == sp.record.id)
            ).all()
        )
        existing = _measure_record(sp.record.id, count, measure)
        session.add(existing)
    else:
        existing.document = doc
        existing.owner, existing.line = measure.owner, measure.line
        existing.classification = level_index(measure.classification)
    _flush(session, f"measure {measure.id!r}")
    audit.record(
        session,
        actor.username,
        "measure",
        f"plan:{sp.record.id}/measure:{measure.id}",
        old,
        doc,
        what,
        edition_id=sp.edition.id,
        classification=existing.classification,
    )
    return existing


# ------------------------------------------------------------------ use cases on stored plans


def analysis_of(session: Session, actor: Actor, sp: StoredPlan) -> Any:
    """The requester's view of the plan, analysed against their view of the edition."""
    from natrisk.services.analysis import assessment_for
    from natrisk.services.planning import analyse

    plan = plan_view(session, sp, actor.clearance)
    a = assessment_for(
        session, actor, sp.edition.id, plan.plan.method or "weighted-sum", plan.plan.profile
    )
    return analyse(plan, a)


def weigh(
    session: Session, actor: Actor, plan_id: int, data: dict[str, Any], version: int | None
) -> Plan:
    """Record the weighing of one security issue."""
    from natrisk.services.plan_edits import record_weighing

    sp = plan_for(session, actor, plan_id, "edit")
    new = record_weighing(plan_view(session, sp, actor.clearance), data, None)
    save_plan(session, actor, sp, new, version, f"weighing {data.get('issue')}")
    return new


def set_levels(
    session: Session,
    actor: Actor,
    plan_id: int,
    capability: str,
    levels: dict[str, int],
    rationale: str | None,
    version: int | None,
) -> Plan:
    """Change a capability's current levels."""
    from natrisk.services.plan_edits import set_current

    sp = plan_for(session, actor, plan_id, "edit")
    new = set_current(plan_view(session, sp, actor.clearance), capability, levels, rationale, None)
    save_plan(session, actor, sp, new, version, f"levels of {capability}")
    return new


def write_report_text(
    session: Session, actor: Actor, plan_id: int, data: dict[str, Any], version: int | None
) -> Plan:
    """Record the analysts' texts of a progress report."""
    from natrisk.services.plan_edits import add_report

    sp = plan_for(session, actor, plan_id, "edit")
    new = add_report(
        plan_view(session, sp, actor.clearance), {"author": actor.username, **data}, None
    )
    save_plan(session, actor, sp, new, version, f"report {data.get('id')}")
    return new


def create_measure(session: Session, actor: Actor, plan_id: int, data: dict[str, Any]) -> Measure:
    """Add a measure (its owner must be the actor's organisation unless they coordinate)."""
    from natrisk.services.plan_edits import model

    sp = plan_for(session, actor, plan_id, "measure")
    m: Measure = model(Measure, data, "measure")
    exists = session.scalars(
        select(MeasureRecord.id).where(
            MeasureRecord.plan_id == sp.record.id, MeasureRecord.slug == m.id
        )
    ).first()
    if exists is not None:
        raise Conflict(f"measure id {m.id!r} is taken; choose another")
    save_measure(session, actor, sp, m, None, "create")
    return m


def progress(
    session: Session,
    actor: Actor,
    plan_id: int,
    slug: str,
    entry: dict[str, Any],
    readings: dict[str, float],
    milestones_done: list[str],
    version: int | None,
) -> Measure:
    """Report progress on a measure."""
    from natrisk.services.plan_edits import report_progress

    sp = plan_for(session, actor, plan_id, "measure")
    rec = measure_for(session, actor, sp, slug)
    visible = visible_scenarios(session, sp.edition, actor.clearance)
    current = Measure.model_validate(measure_seen(rec.document, visible))
    new = report_progress(current, {"author": actor.username, **entry}, readings, milestones_done)
    save_measure(session, actor, sp, new, version, "progress")
    return new


def review_html(
    session: Session,
    actor: Actor,
    plan_id: int,
    lang: str,
    baseline_id: int | None,
    scope: dict[str, str] | None = None,
) -> str:
    """The progress report of a stored plan, marked when it holds non-public material."""
    import datetime as dt

    from natrisk.report.progress import render_review
    from natrisk.services.analysis import assessment_for
    from natrisk.services.workspace import highest_classification
    from natrisk.store.models import User

    sp = plan_for(session, actor, plan_id)
    plan = plan_view(session, sp, actor.clearance)
    method = plan.plan.method or "weighted-sum"
    a = assessment_for(session, actor, sp.edition.id, method, plan.plan.profile)
    base = None
    if baseline_id is not None:
        base = assessment_for(session, actor, baseline_id, method, plan.plan.profile)
    level = max(
        [sp.record.classification, highest_classification(session, sp.edition, actor.clearance)]
        + [r.classification for r in measure_records(session, sp.record, actor.clearance)]
    )
    marking = level_name(level) if level > 0 else None
    user = session.get(User, actor.user_id)
    watermark = (
        f"{user.display_name} ({user.username}) · {dt.date.today().isoformat()}"
        if level > 0 and user is not None
        else None
    )
    return render_review(plan, a, base, lang, dt.date.today(), marking, watermark, scope)


def export_plan(session: Session, actor: Actor, plan_id: int) -> Plan:
    """The requester's view of a plan, as a plan file holds it."""
    sp = plan_for(session, actor, plan_id)
    return plan_view(session, sp, actor.clearance)


def baseline_id(session: Session, actor: Actor, sp: StoredPlan, plan: Plan) -> int | None:
    """The stored edition the current strategy started from, if the actor can see it."""
    from natrisk.services.access import visible_editions
    from natrisk.services.followup import current_strategy

    strat = current_strategy(plan)
    if strat is None or strat.baseline is None:
        return None
    for edition, _ in visible_editions(session, actor):
        if edition.slug == strat.baseline and edition.organisation_id == sp.edition.organisation_id:
            return edition.id
    return None


def start_next_cycle(
    session: Session, actor: Actor, plan_id: int, edition_id: int, slug: str
) -> PlanRecord:
    """The plan of the next cycle on another edition (such as a copy for the next cycle).

    Structure and open measures are carried over; weighings and report texts start empty.
    Only what the actor may see is carried, so a coordinator cleared for everything should
    start it.
    """
    from natrisk.services.followup import next_cycle

    sp = plan_for(session, actor, plan_id, "transition")
    target, _ = edition_for(session, actor, edition_id, "edit")
    if target.id == sp.edition.id:
        raise InputError(
            "choose another edition for the next cycle (for example a copy of this one)"
        )
    plan = plan_view(session, sp, actor.clearance)
    new = next_cycle(plan, slug, target.slug)
    return import_plan(session, actor, target.id, new)


def change_measure(
    session: Session,
    actor: Actor,
    plan_id: int,
    slug: str,
    data: dict[str, Any],
    version: int | None,
    what: str = "edit",
) -> Measure:
    """Replace a measure's fields (its id stays); checked in full against the plan."""
    from natrisk.services.plan_edits import model

    sp = plan_for(session, actor, plan_id, "measure")
    measure_for(session, actor, sp, slug)
    new: Measure = model(Measure, {**data, "id": slug}, "measure")
    save_measure(session, actor, sp, new, version, what)
    return new


def add_to_measure(
    session: Session,
    actor: Actor,
    plan_id: int,
    slug: str,
    part: str,
    item: dict[str, Any],
    version: int | None,
) -> Measure:
    """Add one milestone, indicator or target to a measure."""
    parts = {"milestone": "milestones", "indicator": "indicators", "target": "targets"}
    if part not in parts:
        raise InputError(f"a measure has no {part!r}; add a milestone, indicator or target")
    sp = plan_for(session, actor, plan_id, "measure")
    rec = measure_for(session, actor, sp, slug)
    doc = measure_seen(rec.document, visible_scenarios(session, sp.edition, actor.clearance))
    doc[parts[part]] = [*doc.get(parts[part], []), item]
    return change_measure(session, actor, plan_id, slug, doc, version, f"add {part}")
