"""Editions in the shared database: import, export, the clearance-filtered view, the workflow.

Import is one transaction: the workbook is fully validated against its framework before
anything is stored, and any failure rolls everything back.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from natrisk.domain.edition import EditionInfo, Likelihood, Scenario, Score, Workbook, class_text
from natrisk.domain.framework import Framework
from natrisk.domain.stacking import visible_sections
from natrisk.errors import InputError, Problem, WorkbookError
from natrisk.security import EDITABLE, TRANSITIONS, level_index, level_name
from natrisk.services import audit
from natrisk.services.access import Actor, Conflict, NotFound, edition_for
from natrisk.services.comment_threads import close_open
from natrisk.services.framework_store import named_framework, parsed, store_framework
from natrisk.services.scoring import ScoreTable, resolve
from natrisk.store.models import Edition, FrameworkRecord, Membership, ScenarioRecord, ScoreRecord

WITHHELD = "[withheld: above your clearance]"
_LOCK = threading.Lock()
_VIEWS: dict[tuple[str | None, int, int], _View] = {}


def framework_of(session: Session, edition: Edition) -> Framework:
    """The framework stored with an edition (parsed once per content hash)."""
    record = session.get(FrameworkRecord, edition.framework_id)
    if record is None:  # pragma: no cover - guarded by the foreign key
        raise NotFound(f"framework {edition.framework_id} is missing")
    return parsed(record)


def cache_scope(session: Session) -> str | None:
    """Which database a cached view belongs to; None when this transaction has written
    (its view may yet be rolled back, so it must not be cached)."""
    if session.info.get("wrote"):
        return None
    bind = session.get_bind()
    return str(
        bind.info.setdefault("natrisk_id", uuid.uuid4().hex) if hasattr(bind, "info") else id(bind)
    )


def bump_revision(session: Session, edition_id: int) -> int:
    """Count a change to an edition atomically; the new version (it keys every cached view)."""
    session.info["wrote"] = True
    stmt = (
        update(Edition)
        .where(Edition.id == edition_id)
        .values(version=Edition.version + 1)
        .returning(Edition.version)
    )
    return int(session.execute(stmt).scalar_one())


def import_workbook(
    session: Session,
    path: Path | None,
    book: Workbook,
    actor: Actor,
    reason: str = "import",
    copying: bool = False,
    name: str | None = None,
    themes: bool = False,
) -> Edition:
    """Store a validated workbook as a new draft edition of the actor's organisation.

    ``copying`` is the next cycle's copy of a stored edition: it keeps material above the
    copier's clearance (which they still cannot see) instead of refusing it. ``themes``
    refuses a scenario theme neither the framework nor the edition's header names (files
    and uploads; the services' own callers pass what they stored).
    """
    # a file path only from the command line (``path`` given); an upload names an id
    base = path.parent if path is not None else None
    fw = named_framework(session, book.edition.framework, base_dir=base)
    # every problem is raised before anything is stored
    resolve(book, fw, str(path) if path is not None else (name or "upload"), themes=themes)
    if not copying:
        _within_clearance(book, actor)
    store_framework(session, fw)
    exists = session.scalars(
        select(Edition).where(
            Edition.organisation_id == actor.organisation_id, Edition.slug == book.edition.id
        )
    ).first()
    if exists is not None:
        raise Conflict(
            f"edition {book.edition.id!r} already exists in your organisation (id {exists.id})"
        )
    info = book.edition
    edition = Edition(
        slug=info.id,
        organisation_id=actor.organisation_id,
        title=info.title,
        description=info.description,
        framework_id=fw.id,
        status="draft",
        classification=level_index(info.classification),
        extra={
            **(info.model_extra or {}),
            **({"workbook": book.model_extra} if book.model_extra else {}),
        },
    )
    for pos, scen in enumerate(book.scenarios):
        edition.scenarios.append(_scenario_record(scen, pos))
    return _register(session, actor, edition, len(book.scenarios), reason)


def _register(session: Session, actor: Actor, edition: Edition, count: int, reason: str) -> Edition:
    """Store a new edition: its creator becomes its coordinator, and the audit trail says so."""
    session.add(edition)
    session.flush()
    session.add(Membership(user_id=actor.user_id, edition_id=edition.id, role="coordinator"))
    audit.record(
        session,
        actor.username,
        "edition",
        f"edition:{edition.id}",
        None,
        {"slug": edition.slug, "scenarios": count},
        reason,
        edition.id,
        edition.classification,
    )
    return edition


def _within_clearance(book: Workbook, actor: Actor) -> None:
    """Nobody stores material classified above their own clearance."""
    named = [book.edition.classification]
    for scen in book.scenarios:
        named.append(scen.classification)
        named += [score.classification for score in scen.impacts.values()]
    if max(level_index(n) for n in named) > actor.clearance:
        raise InputError(
            "the workbook holds material classified above your clearance; ask someone cleared for it"
        )


def _scenario_record(scen: Scenario, pos: int) -> ScenarioRecord:
    rec = ScenarioRecord(
        slug=scen.id,
        position=pos,
        title=scen.title,
        theme=scen.theme,
        malicious=scen.malicious,
        description=scen.description,
        assumptions=scen.assumptions,
        classification=level_index(scen.classification),
        likelihood=scen.likelihood.model_dump(mode="json", by_alias=True, exclude_none=True),
        extra=scen.model_extra or {},
    )
    for i, (cid, score) in enumerate(scen.impacts.items()):
        rec.scores.append(score_record(cid, score, i))
    return rec


def score_record(cid: str, score: Score, position: int = 0) -> ScoreRecord:
    """A score as a row."""
    rec = ScoreRecord(criterion=cid, position=position)
    apply_score(rec, score)
    return rec


def apply_score(rec: ScoreRecord, score: Score) -> None:
    """Copy a validated score into a row (a three-point estimate as its one-text form,
    'C (B-E)', so the expected value is kept in the same column)."""
    rec.klass = class_text(score) if score.klass is not None else None
    rec.qmin = score.quantity.min if score.quantity else None
    rec.qmax = score.quantity.max if score.quantity else None
    rec.axes = {k: r.model_dump() for k, r in score.axes.items()} if score.axes else None
    rec.rationale = score.rationale
    rec.sources = list(score.sources)
    rec.rationale_classification = level_index(score.classification)


def score_of(rec: ScoreRecord, clearance: int) -> Score:
    """A row as a score; grounds above the clearance are withheld."""
    data: dict[str, Any] = {}
    if rec.klass is not None:
        data["class"] = rec.klass
    elif rec.axes is not None:
        data["axes"] = rec.axes
    else:
        data["quantity"] = {"min": rec.qmin, "max": rec.qmax}
    if rec.rationale_classification <= clearance:
        data["rationale"] = rec.rationale
        data["sources"] = rec.sources
        if rec.rationale_classification:
            data["classification"] = level_name(rec.rationale_classification)
    elif rec.rationale or rec.sources:
        data["rationale"] = WITHHELD
    return Score.model_validate(data)


def scenario_of(rec: ScenarioRecord, clearance: int) -> Scenario | None:
    """A stored scenario as the workbook model, or None when above the clearance."""
    if rec.classification > clearance:
        return None
    return Scenario.model_validate(
        {
            "id": rec.slug,
            "title": rec.title,
            "theme": rec.theme,
            "malicious": rec.malicious,
            "description": rec.description,
            "assumptions": rec.assumptions,
            "likelihood": Likelihood.model_validate(rec.likelihood),
            "impacts": {s.criterion: score_of(s, clearance) for s in rec.scores},
            **({"classification": level_name(rec.classification)} if rec.classification else {}),
            **rec.extra,
        }
    )


def scenario_records(session: Session, edition: Edition) -> list[ScenarioRecord]:
    """The edition's scenarios in the picture (not the withdrawn ones), with their scores."""
    stmt = (
        select(ScenarioRecord)
        .where(ScenarioRecord.edition_id == edition.id, ScenarioRecord.withdrawn.is_(False))
        .options(selectinload(ScenarioRecord.scores))
        .order_by(ScenarioRecord.position)
    )
    return list(session.scalars(stmt))


def workbook_view(
    session: Session, edition: Edition, clearance: int
) -> tuple[Workbook, dict[str, Any]]:
    """The edition as a workbook holding only what ``clearance`` may see, and which of its
    scores show their class without their grounds.

    Scenarios above the clearance are absent without a trace: the notes name only grounds
    withheld from scenarios the reader does see, never whether anything else exists.
    """
    scenarios = []
    withheld_rationales = []
    for rec in scenario_records(session, edition):
        scen = scenario_of(rec, clearance)
        if scen is None:
            continue
        scenarios.append(scen)
        withheld_rationales += [
            f"{rec.slug}/{s.criterion}"
            for s in rec.scores
            if s.rationale_classification > clearance and (s.rationale or s.sources)
        ]
    if not scenarios:
        raise NotFound(f"edition {edition.id} has no scenario you may see")
    extra = dict(edition.extra)
    # links, variants, compounds and mappings naming a scenario above the clearance go too
    top = visible_sections(extra.pop("workbook", {}), {s.id for s in scenarios})
    info = EditionInfo.model_validate(
        {
            "id": edition.slug,
            "title": edition.title,
            "framework": edition.framework_id,
            "description": edition.description,
            **(
                {"classification": level_name(edition.classification)}
                if edition.classification
                else {}
            ),
            **extra,
        }
    )
    book = Workbook.model_validate(
        {"format": "natrisk/1", "edition": info, "scenarios": scenarios, **top}
    )
    return book, {"rationales_withheld": withheld_rationales}


@dataclass(frozen=True)
class _View:
    version: int
    book: Workbook
    table: ScoreTable


def table_view(session: Session, edition: Edition, clearance: int) -> tuple[Workbook, ScoreTable]:
    """The visible workbook resolved to arrays (the basis of every assessment a user sees).

    Cached per (edition, clearance) with the edition version it reflects. A newer version
    is reached by re-resolving only the scenarios whose revision is newer than the cached
    view (a change sets its row's revision to the edition's new version); anything else,
    such as a scenario added or removed, rebuilds the view. Returned objects are shared and
    must not be modified.
    """
    scope = cache_scope(session)
    key = (scope, edition.id, clearance)
    with _LOCK:
        cached = _VIEWS.get(key) if scope is not None else None
    if cached is not None and cached.version == edition.version:
        return cached.book, cached.table
    view = _patched(session, edition, clearance, cached) if cached is not None else None
    if view is None:
        book, _ = workbook_view(session, edition, clearance)
        view = _View(
            edition.version,
            book,
            resolve(book, framework_of(session, edition), f"edition {edition.id}"),
        )
    if scope is None:
        return view.book, view.table
    with _LOCK:
        current = _VIEWS.get(key)
        if current is None or current.version <= view.version:
            _VIEWS[key] = view
        while len(_VIEWS) > 32:
            _VIEWS.pop(next(iter(_VIEWS)))
    return view.book, view.table


def _patched(session: Session, edition: Edition, clearance: int, cached: _View) -> _View | None:
    """The cached view brought to the edition's version by re-resolving changed scenarios."""
    if cached.version > edition.version:
        return None
    slugs = [
        slug
        for slug, level in session.execute(
            select(ScenarioRecord.slug, ScenarioRecord.classification)
            .where(ScenarioRecord.edition_id == edition.id, ScenarioRecord.withdrawn.is_(False))
            .order_by(ScenarioRecord.position)
        )
        if level <= clearance
    ]
    if slugs != [s.id for s in cached.book.scenarios]:
        return None
    changed = set(
        session.scalars(
            select(ScoreRecord.scenario_id)
            .join(ScenarioRecord, ScenarioRecord.id == ScoreRecord.scenario_id)
            .where(ScenarioRecord.edition_id == edition.id, ScoreRecord.revision > cached.version)
        )
    )
    changed |= set(
        session.scalars(
            select(ScenarioRecord.id).where(
                ScenarioRecord.edition_id == edition.id, ScenarioRecord.revision > cached.version
            )
        )
    )
    records = session.scalars(
        select(ScenarioRecord)
        .where(ScenarioRecord.id.in_(changed))
        .options(selectinload(ScenarioRecord.scores))
    )
    fresh = [scen for rec in records if (scen := scenario_of(rec, clearance)) is not None]
    if not fresh:
        return _View(edition.version, cached.book, cached.table)
    index = {s.id: i for i, s in enumerate(cached.book.scenarios)}
    part = resolve(cached.book.model_copy(update={"scenarios": fresh}), cached.table.framework)
    rows = [index[s.id] for s in fresh]
    scenarios = list(cached.book.scenarios)
    for i, scen in zip(rows, fresh, strict=True):
        scenarios[i] = scen
    table = cached.table.with_rows(rows, part, scenarios)
    return _View(edition.version, cached.book.model_copy(update={"scenarios": scenarios}), table)


def highest_classification(session: Session, edition: Edition, clearance: int) -> int:
    """The highest level of anything in the view of ``clearance`` (for page markings)."""
    levels = [edition.classification]
    for rec in scenario_records(session, edition):
        if rec.classification <= clearance:
            levels.append(rec.classification)
            levels += [
                s.rationale_classification
                for s in rec.scores
                if s.rationale_classification <= clearance
            ]
    return max(levels)


def transition(
    session: Session, actor: Actor, edition_id: int, to: str, reason: str = ""
) -> Edition:
    """Move an edition along the workflow draft -> review -> adopted -> published."""
    edition, _ = edition_for(session, actor, edition_id, "transition")
    if to not in TRANSITIONS.get(edition.status, ()):
        allowed = ", ".join(TRANSITIONS.get(edition.status, ())) or "nothing (final)"
        raise Conflict(
            f"edition {edition_id} is {edition.status}; it can move to {allowed}, not {to}"
        )
    old = edition.status
    edition.status = to
    if to == "published":  # the review is over: its open comments are closed
        close_open(session, actor, edition)
    bump_revision(session, edition.id)
    audit.record(
        session,
        actor.username,
        "edition",
        f"edition:{edition.id}:status",
        old,
        to,
        reason,
        edition.id,
        edition.classification,
    )
    return edition


def require_editable(edition: Edition) -> None:
    """Adopted and published editions are read-only."""
    if edition.status not in EDITABLE:
        raise Conflict(
            f"edition {edition.id} is {edition.status} and read-only; start a new edition to change it"
        )


def copy_edition(session: Session, actor: Actor, edition_id: int, slug: str, title: str) -> Edition:
    """Start the next cycle: a new draft edition as a full copy of this one, with its members
    (withdrawn scenarios stay behind)."""
    source, _ = edition_for(session, actor, edition_id, "manage")
    records = scenario_records(session, source)
    if not records:
        new = create_empty(session, actor, slug, title, source.framework_id, source.description)
        new.extra = dict(source.extra)
    else:
        book, _ = workbook_view(session, source, clearance=10**6)
        book.edition.id = slug
        book.edition.title = title
        new = import_workbook(
            session, None, book, actor, f"copy of edition {edition_id}", copying=True
        )
        old_scenarios = {r.slug: r for r in records}
        for rec_new in new.scenarios:
            rec_old = old_scenarios[rec_new.slug]
            rec_new.classification = rec_old.classification
            for s_new, s_old in zip(rec_new.scores, rec_old.scores, strict=True):
                s_new.rationale_classification = s_old.rationale_classification
    new.parent_id = source.id
    new.classification = source.classification
    _copy_members(session, source, new, actor)
    return new


def _copy_members(session: Session, source: Edition, new: Edition, actor: Actor) -> None:
    """The next cycle starts with the same people in the same roles (the copier coordinates)."""
    members = list(session.scalars(select(Membership).where(Membership.edition_id == source.id)))
    for member in members:
        if member.user_id != actor.user_id:
            session.add(Membership(user_id=member.user_id, edition_id=new.id, role=member.role))


def create_empty(
    session: Session,
    actor: Actor,
    slug: str,
    title: str,
    framework: str,
    description: str = "",
    classification: str | int | None = None,
) -> Edition:
    """A new draft edition without scenarios on a stored or bundled framework, in the actor's
    organisation; its creator becomes its coordinator."""
    info = _edition_info(slug, title, framework, description)
    level = level_index(classification)
    if level > actor.clearance:
        raise InputError("you cannot classify an edition above your own clearance")
    fw = named_framework(session, info.framework)
    store_framework(session, fw)
    taken = select(Edition).where(
        Edition.organisation_id == actor.organisation_id, Edition.slug == info.id
    )
    if session.scalars(taken).first() is not None:
        raise WorkbookError(
            "the edition has 1 problem",
            [Problem("", "", "slug", f"{info.id!r} already exists in your organisation")],
        )
    edition = Edition(
        slug=info.id,
        organisation_id=actor.organisation_id,
        title=info.title,
        description=info.description,
        framework_id=fw.id,
        status="draft",
        classification=level,
        extra={},
    )
    return _register(session, actor, edition, 0, "new edition")


def _edition_info(slug: str, title: str, framework: str, description: str) -> EditionInfo:
    """The header of a new edition, every problem at its field."""
    from pydantic import ValidationError

    fields = {"id": slug.strip(), "title": title.strip(), "framework": framework.strip()}
    try:
        return EditionInfo.model_validate(fields | {"description": description.strip()})
    except ValidationError as exc:
        names = {"id": "slug"}
        problems = [
            Problem(
                "",
                "",
                names.get(str(e["loc"][0]), str(e["loc"][0])) if e["loc"] else "",
                e["msg"].removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        n = len(problems)
        raise WorkbookError(f"the edition has {n} problem{'s' * (n != 1)}", problems) from exc


def update_edition(
    session: Session, actor: Actor, edition_id: int, data: dict[str, Any], reason: str = ""
) -> Edition:
    """Change an edition's title, description or themes (its own, beside the framework's)."""
    edition, _ = edition_for(session, actor, edition_id, "manage")
    require_editable(edition)
    problems: list[Problem] = []
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    if "title" in data:
        title = str(data["title"] or "").strip()
        if not title or len(title) > 500:
            problems.append(Problem("", "", "title", "is required, at most 500 characters"))
        elif title != edition.title:
            old["title"], new["title"] = edition.title, title
    if "description" in data:
        text = str(data["description"] or "").strip()
        if len(text) > 100_000:
            problems.append(Problem("", "", "description", "is too long (at most 100,000)"))
        elif text != edition.description:
            old["description"], new["description"] = edition.description, text
    if "themes" in data:
        themes = _themes(data["themes"], problems)
        if themes != (edition.extra.get("themes") or []):
            old["themes"], new["themes"] = edition.extra.get("themes") or [], themes
    if problems:
        n = len(problems)
        raise WorkbookError(f"the edition has {n} problem{'s' * (n != 1)}", problems)
    if not new:
        return edition
    edition.title = new.get("title", edition.title)
    edition.description = new.get("description", edition.description)
    if "themes" in new:
        edition.extra = {**edition.extra, "themes": new["themes"]}
    bump_revision(session, edition.id)
    audit.record(
        session,
        actor.username,
        "edition",
        f"edition:{edition.id}:header",
        old,
        new,
        reason,
        edition.id,
        edition.classification,
    )
    return edition


def _themes(value: Any, problems: list[Problem]) -> list[dict[str, str]]:
    """Themes as 'id: name' lines (or a list of {id, name}); ids as scenario ids are."""
    import re

    items = value.splitlines() if isinstance(value, str) else list(value or [])
    out: list[dict[str, str]] = []
    for n, item in enumerate(items, 1):
        if isinstance(item, dict):
            tid, name = str(item.get("id") or ""), str(item.get("name") or "")
        else:
            tid, _, name = str(item).partition(":")
        tid, name = tid.strip(), name.strip() or tid.strip()
        if not tid:
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", tid) or len(name) > 200:
            problems.append(
                Problem("", f"line {n}", "themes", f"{tid!r}: an id of a-z, 0-9, '.', '_', '-'")
            )
            continue
        out.append({"id": tid, "name": name})
    return out
