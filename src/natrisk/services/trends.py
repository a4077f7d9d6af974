"""Trends and strategic foresight: trend files, stored trend sets, the analysis and the report.

A trend set belongs to an edition and is read by whoever may read that edition; a trend (or a
set) above the reader's clearance is absent from every list, export, analysis, chart and
report, and a bearing on a scenario they may not see is left out. Imports and changes need
the edition's ``edit`` permission, carry the version read (a stale one is a 409) and are
entries of the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.framework import Text
from natrisk.domain.plan import Plan
from natrisk.domain.trends import ForesightFacts, Trend, TrendSet, trend_problems
from natrisk.errors import Conflict, InputError, Problem, WorkbookError
from natrisk.io.trends import dump_trends, load_trends
from natrisk.security import allows, level_index, level_name
from natrisk.services import audit
from natrisk.services.access import Actor, Forbidden, NotFound, edition_for, visible_editions
from natrisk.services.editing import _flush, require_version
from natrisk.services.trend_analysis import Picture, TrendAnalysis, analyse, picture_of
from natrisk.store.models import Edition, PlanRecord, TrendRecord, TrendSetRecord

# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class OpenTrends:
    """A checked trend file and the picture (edition, plan) it was checked against."""

    trends: TrendSet
    picture: Picture


def _file_problem(path: Path, field: str, message: str) -> WorkbookError:
    return WorkbookError(f"{path}: {message}", [Problem(str(path), "", field, message)])


def open_trends(path: Path, edition: Path | None = None, plan: Path | None = None) -> OpenTrends:
    """Read a trend file; with the edition workbook (and plan) its references are checked."""
    from natrisk.domain.plan import EditionFacts
    from natrisk.io.plan import load_plan
    from natrisk.io.workbook import load_workbook
    from natrisk.services.frameworks import load_framework

    themes: dict[str, Text] = {}
    scenarios: dict[str, tuple[str, str]] = {}
    the_plan: Plan | None = None
    facts = None
    if edition is not None:
        book = load_workbook(edition)
        fw = load_framework(book.edition.framework, base_dir=Path(edition).parent)
        themes = {t.id: t.name for t in fw.themes}
        scenarios = {s.id: (s.title, s.theme) for s in book.scenarios}
        if plan is not None:
            facts_plan = EditionFacts(
                scenarios=set(scenarios),
                criteria={c.id for c in fw.criteria},
                impact_classes=fw.impact_classes.ids,
                likelihood_classes=fw.likelihood.ids,
            )
            the_plan = load_plan(plan, facts_plan)
        facts = ForesightFacts(
            themes=set(themes) | {t for _, t in scenarios.values()},
            scenarios=set(scenarios),
            lines=_lines_of(the_plan, None) if the_plan is not None else None,
        )
    elif plan is not None:
        the_plan = load_plan(plan)
    ts = load_trends(path)
    if edition is not None and ts.info.edition != book.edition.id:
        msg = f"the set reads edition {ts.info.edition!r}, but {edition} holds {book.edition.id!r}"
        raise _file_problem(path, "set.edition", msg)
    if facts is not None:
        facts = facts.model_copy(update={"lines": _lines_of(the_plan, ts.info.strategy)})
        ts = load_trends(path, facts)
    return OpenTrends(ts, picture_of(themes, scenarios, the_plan, ts.info.strategy))


def _lines_of(plan: Plan | None, strategy: str | None) -> set[str] | None:
    if plan is None:
        return None
    return {line.id for s in plan.strategies if strategy in (None, s.id) for line in s.lines}


def analyse_files(current: OpenTrends, baseline: Path | None) -> TrendAnalysis:
    """The analysis of a file against a baseline file (or on its own)."""
    base = load_trends(baseline) if baseline is not None else None
    return analyse(current.trends, base, current.picture)


def write_report(
    analysis: TrendAnalysis,
    picture: Picture,
    out_dir: Path,
    lang: str,
    pdf: bool,
    marking: str | None = None,
) -> list[Path]:
    """Write foresight.html (and foresight.pdf) to ``out_dir``, all or nothing."""
    from natrisk.report.foresight import render_foresight

    html = render_foresight(report_context(analysis, picture, lang), lang, marking)
    return _write(html, Path(out_dir), pdf)


def _write(html: str, out_dir: Path, pdf: bool) -> list[Path]:
    """foresight.html (and foresight.pdf) into ``out_dir``, all or nothing."""
    from natrisk.io.files import staged_output
    from natrisk.report.document import render_pdf

    names = ["foresight.html"] + (["foresight.pdf"] if pdf else [])
    with staged_output(out_dir) as stage:
        (stage / "foresight.html").write_text(html, encoding="utf-8")
        if pdf:
            (stage / "foresight.pdf").write_bytes(render_pdf(html))
    return [out_dir / n for n in names]


DIRECTION_ARROW = {"rising": "↑", "stable": "→", "falling": "↓"}


def report_context(a: TrendAnalysis, picture: Picture, lang: str) -> dict[str, Any]:
    """Everything the report and the trends page show, so templates only lay it out."""
    ts = a.current
    data = a.to_json(picture, lang)
    changes = {t["id"]: t for t in data["trends"]}
    groups = []
    for g in ts.groups:
        trends = []
        for t in [t for t in ts.trends if t.group == g.id]:
            trends.append(
                {
                    "t": t,
                    "title": t.title.get(lang),
                    "arrow": DIRECTION_ARROW[t.direction],
                    "change": changes.get(t.id),
                    "bearings": [
                        {
                            "b": b,
                            "name": picture.theme_name(b.theme, lang)
                            if b.theme is not None
                            else picture.scenario_title(str(b.scenario)),
                        }
                        for b in t.bears_on
                    ],
                }
            )
        groups.append({"g": g, "title": g.title.get(lang), "trends": trends})
    return {
        "ts": ts,
        "title": ts.info.title.get(lang),
        "baseline": a.baseline,
        "groups": groups,
        "analysis": data,
        "dropped": [t for t in data["trends"] if t["status"] == "dropped"],
        "moved": [t for t in data["trends"] if t["status"] in ("new", "changed")],
        "risen": [p for p in data["pressure"] if p["delta"] > 0],
        "fallen": [p for p in data["pressure"] if p["delta"] < 0],
        "strategy": picture.strategy,
        "chart": chart_rows(ts, picture, lang),
        "lang": lang,
        "generated": dt.date.today().isoformat(),
    }


def chart_rows(ts: TrendSet, picture: Picture, lang: str) -> list[dict[str, Any]]:
    """One row per trend and theme it bears on (directly, or through a scenario of it)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for t in ts.trends:
        for b in t.bears_on:
            theme = (
                b.theme
                if b.theme is not None
                else picture.scenarios.get(str(b.scenario), ("", ""))[1]
            )
            if not theme:
                continue
            row = rows.setdefault(
                (t.id, theme),
                {
                    "trend": t.title.get(lang),
                    "theme": picture.theme_name(theme, lang),
                    "weight": 0,
                    "bearings": 0,
                },
            )
            row["weight"] += b.weight
            row["bearings"] += 1
    return list(rows.values())


# --------------------------------------------------------------------------- the database


@dataclass(frozen=True)
class StoredSet:
    """A stored trend set, its edition, and the requester's role there."""

    record: TrendSetRecord
    edition: Edition
    role: str


def set_key(rec: TrendSetRecord) -> str:
    """The audit key of a trend set (its trends have keys below it)."""
    return f"edition:{rec.edition_id}:trends:{rec.slug}"


def _visible_scenarios(
    session: Session, edition: Edition, clearance: int
) -> dict[str, tuple[str, str]]:
    from natrisk.services.workspace import scenario_records

    return {
        r.slug: (r.title, r.theme)
        for r in scenario_records(session, edition)
        if r.classification <= clearance and not r.withdrawn
    }


def picture_in_db(session: Session, actor: Actor, edition: Edition, ts: TrendSet) -> Picture:
    """The edition's themes and the scenarios the actor may see; the plan the set names."""
    from natrisk.services.plan_store import plan_for, plan_view
    from natrisk.services.scenarios import themes_of

    themes = {tid: Text(en=n["en"], nl=n["nl"]) for tid, n in themes_of(session, edition)}
    scenarios = _visible_scenarios(session, edition, actor.clearance)
    plan = None
    if ts.info.plan is not None:
        rec = session.scalars(
            select(PlanRecord).where(
                PlanRecord.edition_id == edition.id, PlanRecord.slug == ts.info.plan
            )
        ).first()
        if rec is not None and rec.classification <= actor.clearance:
            plan = plan_view(session, plan_for(session, actor, rec.id), actor.clearance)
    return picture_of(themes, scenarios, plan, ts.info.strategy)


def _facts(picture: Picture, ts: TrendSet) -> ForesightFacts:
    lines = None
    if picture.strategy is not None:
        lines = {line.id for line in picture.strategy.lines}
    return ForesightFacts(
        themes=set(picture.themes) | {t for _, t in picture.scenarios.values()},
        scenarios=set(picture.scenarios),
        lines=lines,
    )


def _checked(ts: TrendSet, facts: ForesightFacts, name: str) -> None:
    from natrisk.io.trends import parse_trends

    found = trend_problems(ts, facts)
    if found:
        parse_trends(dump_trends(ts), {}, name, facts)  # raises, every problem named


def import_set(
    session: Session, actor: Actor, edition_id: int, ts: TrendSet, name: str = ""
) -> TrendSetRecord:
    """Store a trend set for an edition, all or nothing (analysts and coordinators)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    if ts.info.edition != edition.slug:
        raise InputError(
            f"the set reads edition {ts.info.edition!r}, not {edition.slug!r} (edition {edition.id})"
        )
    _checked(ts, _facts(picture_in_db(session, actor, edition, ts), ts), name or ts.info.id)
    level = level_index(ts.info.classification)
    if level > actor.clearance:
        raise Forbidden("the trend set is classified above your clearance")
    for t in ts.trends:
        if level_index(t.classification) > actor.clearance:
            raise Forbidden(f"trend {t.id!r} is classified above your clearance")
    taken = session.scalars(
        select(TrendSetRecord.id).where(
            TrendSetRecord.edition_id == edition.id, TrendSetRecord.slug == ts.info.id
        )
    ).first()
    if taken is not None:
        raise Conflict(f"edition {edition.id} already has a trend set {ts.info.id!r}")
    doc = dump_trends(ts.model_copy(update={"trends": []}))
    rec = TrendSetRecord(
        edition_id=edition.id,
        slug=ts.info.id,
        title=ts.info.title.en,
        year=ts.info.year,
        classification=level,
        document=doc,
    )
    session.add(rec)
    _flush(session, f"trend set {ts.info.id!r}")
    for k, t in enumerate(ts.trends):
        session.add(_trend_record(rec.id, k, t))
    _flush(session, f"trend set {ts.info.id!r}")
    audit.record(
        session,
        actor.username,
        "trends",
        set_key(rec),
        None,
        {"slug": rec.slug, "trends": len(ts.trends), "transitions": len(ts.transitions)},
        "import",
        edition.id,
        level,
    )
    return rec


def _trend_record(set_id: int, position: int, t: Trend) -> TrendRecord:
    return TrendRecord(
        set_id=set_id,
        slug=t.id,
        position=position,
        group=t.group,
        classification=level_index(t.classification),
        document=t.model_dump(mode="json", exclude_defaults=True),
    )


def set_for(session: Session, actor: Actor, set_id: int, permission: str = "read") -> StoredSet:
    """A trend set the actor may see, if their role on its edition grants ``permission``."""
    rec = session.get(TrendSetRecord, set_id)
    if rec is None or rec.classification > actor.clearance:
        raise NotFound(f"no trend set {set_id}")
    try:
        edition, role = edition_for(session, actor, rec.edition_id, "read")
    except NotFound:
        raise NotFound(f"no trend set {set_id}") from None
    if not allows(role, permission):
        raise Forbidden(
            f"your role on this set's edition ({role}) does not allow this ({permission})"
        )
    return StoredSet(rec, edition, role)


def sets_of(session: Session, actor: Actor, edition_id: int) -> list[TrendSetRecord]:
    """The trend sets of an edition that the actor may see."""
    edition, _ = edition_for(session, actor, edition_id, "read")
    rows = session.scalars(
        select(TrendSetRecord)
        .where(TrendSetRecord.edition_id == edition.id)
        .order_by(TrendSetRecord.id)
    )
    return [r for r in rows if r.classification <= actor.clearance]


def visible_sets(session: Session, actor: Actor) -> list[tuple[TrendSetRecord, Edition]]:
    """Every trend set the actor may see, with its edition."""
    out = []
    for edition, _ in visible_editions(session, actor):
        out += [(r, edition) for r in sets_of(session, actor, edition.id)]
    return out


def trend_records(session: Session, rec: TrendSetRecord, clearance: int) -> list[TrendRecord]:
    """The set's trends the clearance may see, in their order."""
    rows = session.scalars(
        select(TrendRecord).where(TrendRecord.set_id == rec.id).order_by(TrendRecord.position)
    )
    return [r for r in rows if r.classification <= clearance]


def set_view(session: Session, stored: StoredSet, clearance: int) -> TrendSet:
    """The set as the reader may see it: hidden trends, and bearings on hidden scenarios, absent."""
    visible = set(_visible_scenarios(session, stored.edition, clearance))
    trends = []
    for r in trend_records(session, stored.record, clearance):
        t = Trend.model_validate(r.document)
        kept = [b for b in t.bears_on if b.scenario is None or b.scenario in visible]
        trends.append(t.model_copy(update={"bears_on": kept}))
    doc = dict(stored.record.document)
    shown = {t.id for t in trends}
    doc["transitions"] = [
        {**tr, "trends": [x for x in tr.get("trends", []) if x in shown]}
        for tr in doc.get("transitions", [])
    ]
    return TrendSet.model_validate({**doc, "trends": [t.model_dump(mode="json") for t in trends]})


def export_set(session: Session, actor: Actor, set_id: int) -> TrendSet:
    """The reader's view of a set, as a trend file holds it."""
    stored = set_for(session, actor, set_id)
    return set_view(session, stored, actor.clearance)


def trend_for(session: Session, stored: StoredSet, slug: str, clearance: int) -> TrendRecord:
    """One trend of a set, if the clearance may see it."""
    rec = session.scalars(
        select(TrendRecord).where(TrendRecord.set_id == stored.record.id, TrendRecord.slug == slug)
    ).first()
    if rec is None or rec.classification > clearance:
        raise NotFound(f"no trend {slug!r} in trend set {stored.record.id}")
    return rec


EDITABLE = ("title", "description", "direction", "classification", "cited", "bears_on", "sources")


def update_trend(
    session: Session,
    actor: Actor,
    set_id: int,
    slug: str,
    data: dict[str, Any],
    version: int | None,
    reason: str = "",
) -> TrendRecord:
    """Change a trend's fields; a stale version is a conflict, every change an audit entry."""
    stored = set_for(session, actor, set_id, "edit")
    rec = trend_for(session, stored, slug, actor.clearance)
    require_version(version, f"trend {slug}")
    if version != rec.version:
        raise Conflict(
            f"trend {slug} was changed since you read it (version {rec.version}, you sent "
            f"{version}); nothing was stored. Reload it and change it again"
        )
    unknown = [k for k in data if k not in EDITABLE]
    if unknown:
        msg = f"cannot change {', '.join(unknown)}; a trend's changeable fields are {', '.join(EDITABLE)}"
        raise WorkbookError(
            msg, [Problem("", f"trend {slug}", k, "not a changeable field") for k in unknown]
        )
    from natrisk.io.trends import parse_trends

    ts = set_view(session, stored, actor.clearance)
    raw = dump_trends(ts)
    shown = next(t for t in raw["trends"] if t.get("id") == slug)
    merged = {**shown, **data}
    raw["trends"] = [merged if t.get("id") == slug else t for t in raw["trends"]]
    facts = _facts(picture_in_db(session, actor, stored.edition, ts), ts)
    parse_trends(raw, {}, f"trend {slug}", facts)  # every problem, named by its field
    trend = Trend.model_validate(merged)
    level = level_index(trend.classification)
    if level > actor.clearance:
        raise Forbidden("above your own clearance")
    old = dict(rec.document)
    # bearings on scenarios the writer cannot see are kept as they were
    hidden = [
        b
        for b in Trend.model_validate(old).bears_on
        if b.scenario is not None and b.scenario not in facts.scenarios
    ]
    trend = trend.model_copy(update={"bears_on": [*trend.bears_on, *hidden]})
    new = trend.model_dump(mode="json", exclude_defaults=True)
    if new == old:
        return rec
    before_level = rec.classification
    rec.document = new
    rec.classification = level
    _flush(session, f"trend {slug}")
    keys = [k for k in {*old, *new} if old.get(k) != new.get(k)]
    audit.record(
        session,
        actor.username,
        "trend",
        f"{set_key(stored.record)}:trend:{slug}",
        {k: old.get(k) for k in keys},
        {k: new.get(k) for k in keys},
        reason,
        stored.edition.id,
        max(level, before_level, stored.record.classification),
    )
    return rec


def baseline_of(
    session: Session, actor: Actor, stored: StoredSet, ts: TrendSet, baseline: int | None
) -> StoredSet | None:
    """The baseline set: the one asked for by id, else the one the set names, if visible."""
    if baseline is not None:
        return set_for(session, actor, baseline)
    if ts.info.baseline is None:
        return None
    for rec, _ in visible_sets(session, actor):
        if rec.slug == ts.info.baseline:
            return set_for(session, actor, rec.id)
    return None


def analysis_of(
    session: Session, actor: Actor, set_id: int, baseline: int | None = None
) -> tuple[TrendAnalysis, Picture]:
    """The analysis of a stored set against its baseline, on what the actor may see."""
    stored = set_for(session, actor, set_id)
    ts = set_view(session, stored, actor.clearance)
    base = baseline_of(session, actor, stored, ts, baseline)
    base_ts = set_view(session, base, actor.clearance) if base is not None else None
    if base_ts is not None:
        # a trend hidden in the current set is not 'dropped' either: it is not there at all
        every = session.scalars(select(TrendRecord.slug).where(TrendRecord.set_id == set_id))
        hidden = set(every) - {t.id for t in ts.trends}
        kept = [t for t in base_ts.trends if t.id not in hidden]
        base_ts = base_ts.model_copy(update={"trends": kept})
    picture = picture_in_db(session, actor, stored.edition, ts)
    return analyse(ts, base_ts, picture), picture


def report_bytes(
    session: Session, actor: Actor, set_id: int, baseline: int | None, lang: str, fmt: str
) -> bytes:
    """The foresight report on what the actor may see, as HTML or PDF, marked and watermarked."""
    from natrisk.report.document import render_pdf
    from natrisk.report.foresight import render_foresight

    if fmt not in ("html", "pdf"):
        raise InputError(f"unknown format {fmt!r}; choose html or pdf")
    a, picture = analysis_of(session, actor, set_id, baseline)
    stored = set_for(session, actor, set_id)
    top = max(
        [stored.record.classification]
        + [r.classification for r in trend_records(session, stored.record, actor.clearance)]
    )
    mark = f"{actor.username}, {dt.date.today().isoformat()}"
    html = render_foresight(report_context(a, picture, lang), lang, level_name(top), mark)
    return render_pdf(html) if fmt == "pdf" else html.encode("utf-8")


def write_stored_report(
    session: Session,
    actor: Actor,
    set_id: int,
    baseline: int | None,
    out_dir: Path,
    lang: str,
    pdf: bool,
) -> list[Path]:
    """Write a stored set's report (foresight.html, foresight.pdf) to ``out_dir``, all or nothing."""
    html = report_bytes(session, actor, set_id, baseline, lang, "html").decode("utf-8")
    return _write(html, Path(out_dir), pdf)


def set_json(rec: TrendSetRecord, role: str) -> dict[str, Any]:
    """A set's summary for lists and the API."""
    return {
        "id": rec.id,
        "slug": rec.slug,
        "title": rec.title,
        "year": rec.year,
        "edition": rec.edition_id,
        "classification": level_name(rec.classification),
        "version": rec.version,
        "your_role": role,
    }


__all__ = ["NotFound", "OpenTrends", "StoredSet", "open_trends"]
