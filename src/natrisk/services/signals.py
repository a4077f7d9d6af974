"""Signals of an edition: submit, change, judge, move through the lifecycle, find, compare.

Anyone with a role other than reader may submit a signal (permission ``signal``); analysts,
coordinators and administrators (``edit``) judge strength and direction and move it from
new to assessed, watch, escalated, absorbed into a scenario or dismissed with a reason. Every
change sends the version it read (a stale one is a 409) and is an audit entry under the
signal's key. A signal above the reader's clearance is absent: lists, counts, clusters,
feeds and reports never see it, and asking for it gives the 404 of a missing one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from natrisk.domain.signals import STEPS, Signal, step_problem
from natrisk.errors import Conflict, InputError, Problem, WorkbookError
from natrisk.io.plan import _message
from natrisk.method import similarity
from natrisk.security import allows, level_index, level_name
from natrisk.services import audit
from natrisk.services.access import Actor, Forbidden, NotFound, edition_for
from natrisk.services.editing import _flush, require_version
from natrisk.services.scenarios import themes_of
from natrisk.store.models import (
    AuditEntry,
    ClusterRecord,
    Edition,
    ScenarioRecord,
    SignalRecord,
    SignalTheme,
)

CONTENT: tuple[str, ...] = ("title", "description", "sources", "observed", "themes")
CONTENT += ("scenarios", "horizon", "classification", "organisation")
JUDGEMENT = ("strength", "direction", "status", "absorbed_into", "reason")
PER_PAGE = 50
M = TypeVar("M", bound=BaseModel)
DUPLICATE = 0.8  # cosine similarity of a near-duplicate (method/similarity.py)


def signal_key(edition_id: int, slug: str) -> str:
    """The audit key of a signal."""
    return f"edition:{edition_id}:signal:{slug}"


def view(rec: SignalRecord, cluster: str | None = None) -> dict[str, Any]:
    """A stored signal as the API, the files and the pages show it."""
    return {
        "id": rec.slug,
        "title": rec.title,
        "description": rec.description,
        "sources": list(rec.sources or []),
        "observed": rec.observed.isoformat(),
        "themes": [t.theme for t in rec.themes],
        "scenarios": list(rec.scenarios or []),
        "horizon": rec.horizon,
        "classification": level_name(rec.classification),
        "organisation": rec.organisation,
        "submitted_by": rec.submitted_by,
        "strength": rec.strength,
        "direction": rec.direction,
        "status": rec.status,
        "absorbed_into": rec.absorbed_into,
        "reason": rec.reason,
        "cluster": cluster,
        "version": rec.version,
    }


def domain(rec: SignalRecord) -> Signal:
    """A stored signal as the domain model (for files)."""
    return Signal.model_validate(_body(rec))


def text_of(rec: SignalRecord) -> str:
    """The signal's clear text for search and similarity: title and description."""
    return f"{rec.title}\n{rec.description}".strip()


# ---------------------------------------------------------------------------- checking


def validated(model: type[M], data: dict[str, Any], what: str) -> M:
    """``data`` as ``model``, or one WorkbookError naming every field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem("", "", ".".join(str(p) for p in e["loc"]), _message(e)) for e in exc.errors()
        ]
        raise WorkbookError(f"{what}: {len(problems)} problem(s)", problems) from exc


def _validated(data: dict[str, Any], what: str) -> Signal:
    return validated(Signal, data, what)


def reference_problems(
    session: Session, actor: Actor, edition: Edition, sig: Signal, where: str = ""
) -> list[Problem]:
    """Themes and scenarios the edition lacks (or the actor may not see), and a
    classification above the actor's clearance."""
    known_themes = {tid for tid, _ in themes_of(session, edition)}
    visible = _visible_scenarios(session, actor, edition)
    return _refs(sig, known_themes, visible, actor, where)


def _refs(
    sig: Signal, themes: set[str], scenarios: set[str], actor: Actor, where: str
) -> list[Problem]:
    out = []
    for i, theme in enumerate(sig.themes):
        if theme not in themes:
            known = ", ".join(sorted(themes))
            out.append(Problem("", where, f"themes.{i}", f"no theme {theme!r}; themes: {known}"))
    for i, scen in enumerate(sig.scenarios):
        if scen not in scenarios:
            out.append(Problem("", where, f"scenarios.{i}", f"no scenario {scen!r} in the edition"))
    if sig.absorbed_into is not None and sig.absorbed_into not in scenarios:
        msg = f"no scenario {sig.absorbed_into!r} in the edition"
        out.append(Problem("", where, "absorbed_into", msg))
    try:
        if level_index(sig.classification) > actor.clearance:
            out.append(Problem("", where, "classification", "above your own clearance"))
    except InputError as exc:
        out.append(Problem("", where, "classification", exc.message))
    return out


def _raw_refs(
    session: Session, actor: Actor, edition: Edition, body: dict[str, Any]
) -> list[Problem]:
    """Unknown themes and scenarios of input that failed its other checks."""
    out = []
    known = {tid for tid, _ in themes_of(session, edition)}
    scenarios = _visible_scenarios(session, actor, edition)
    for name, valid in (("themes", known), ("scenarios", scenarios)):
        items = body.get(name)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, str) and item not in valid:
                what = "theme" if name == "themes" else "scenario"
                out.append(Problem("", "", f"{name}.{i}", f"no {what} {item!r} in the edition"))
    return out


def _visible_scenarios(session: Session, actor: Actor, edition: Edition) -> set[str]:
    return set(
        session.scalars(
            select(ScenarioRecord.slug).where(
                ScenarioRecord.edition_id == edition.id,
                ScenarioRecord.classification <= actor.clearance,
                ScenarioRecord.withdrawn.is_(False),
            )
        )
    )


def scenario_titles(session: Session, actor: Actor, edition: Edition) -> dict[str, str]:
    """The scenarios a signal may name (visible, not withdrawn): slug -> title, in order."""
    return dict(
        session.execute(
            select(ScenarioRecord.slug, ScenarioRecord.title)
            .where(
                ScenarioRecord.edition_id == edition.id,
                ScenarioRecord.classification <= actor.clearance,
                ScenarioRecord.withdrawn.is_(False),
            )
            .order_by(ScenarioRecord.position)
        ).all()
    )


def _slug(session: Session, edition: Edition, title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "signal"
    taken = set(
        session.scalars(
            select(SignalRecord.slug).where(
                SignalRecord.edition_id == edition.id, SignalRecord.slug.like(f"{base}%")
            )
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _apply(rec: SignalRecord, sig: Signal) -> None:
    rec.title, rec.description = sig.title, sig.description
    rec.search_text = f"{sig.title}\n{sig.description}".lower()
    rec.sources = [s.model_dump(mode="json", exclude_defaults=True) for s in sig.sources]
    rec.observed, rec.scenarios, rec.horizon = sig.observed, list(sig.scenarios), sig.horizon
    rec.classification = level_index(sig.classification)
    rec.organisation = sig.organisation
    rec.strength, rec.direction, rec.status = sig.strength, sig.direction, sig.status
    rec.absorbed_into, rec.reason = sig.absorbed_into, sig.reason
    rec.updated_at = dt.datetime.now(dt.UTC)
    if [t.theme for t in rec.themes] != list(sig.themes):
        rec.themes = [SignalTheme(theme=t, position=i) for i, t in enumerate(sig.themes)]


def _audit(
    session: Session,
    actor: Actor,
    edition: Edition,
    rec: SignalRecord,
    old: Any,
    new: Any,
    reason: str = "",
) -> None:
    audit.record(
        session,
        actor.username,
        "signal",
        signal_key(edition.id, rec.slug),
        old,
        new,
        reason,
        edition_id=edition.id,
        classification=rec.classification,
    )


def _stored(rec: SignalRecord) -> dict[str, Any]:
    out = view(rec)
    out.pop("version")
    out.pop("cluster")
    return out


# ---------------------------------------------------------------------------- writing


def submit(session: Session, actor: Actor, edition_id: int, data: dict[str, Any]) -> SignalRecord:
    """A new signal in the edition (status new unless an analyst gives a judgement)."""
    edition, role = edition_for(session, actor, edition_id, "signal")
    if not isinstance(data, dict):
        raise InputError("a signal is an object with title, observed, themes and horizon")
    judged = {k for k in JUDGEMENT if data.get(k) not in (None, "", "new")}
    if judged and not allows(role, "edit"):
        raise Forbidden(
            f"your role ({role}) submits signals; an analyst judges them ({', '.join(sorted(judged))})"
        )
    body = {k: v for k, v in data.items() if k not in ("version", "submitted_by", "cluster")}
    if not body.get("id"):
        body["id"] = _slug(session, edition, str(body.get("title") or ""))
    try:
        sig = _validated(body, "the signal")
    except WorkbookError as exc:  # name the unknown themes and scenarios too, at once
        exc.problems += _raw_refs(session, actor, edition, body)
        raise
    problems = reference_problems(session, actor, edition, sig)
    if _exists(session, edition, sig.id):
        problems.append(Problem("", "", "id", f"a signal {sig.id!r} exists in this edition"))
    if problems:
        raise WorkbookError(f"the signal: {len(problems)} problem(s)", problems)
    rec = SignalRecord(edition_id=edition.id, slug=sig.id, submitted_by=actor.username)
    _apply(rec, sig)
    rec.organisation = rec.organisation or _organisation(session, actor)
    session.add(rec)
    _flush(session, f"signal {sig.id}")
    _audit(session, actor, edition, rec, None, _stored(rec), "submitted")
    return rec


def _organisation(session: Session, actor: Actor) -> str:
    from natrisk.store.models import Organisation

    org = session.get(Organisation, actor.organisation_id)
    return org.slug if org else ""


def _exists(session: Session, edition: Edition, slug: str) -> bool:
    found = session.scalar(
        select(func.count())
        .select_from(SignalRecord)
        .where(SignalRecord.edition_id == edition.id, SignalRecord.slug == slug)
    )
    return bool(found)


def get_signal(session: Session, actor: Actor, edition_id: int, slug: str) -> SignalRecord:
    """A visible signal of a visible edition."""
    edition, _ = edition_for(session, actor, edition_id)
    return _record(session, actor, edition, slug)


def _record(session: Session, actor: Actor, edition: Edition, slug: str) -> SignalRecord:
    rec = session.scalars(
        select(SignalRecord).where(SignalRecord.edition_id == edition.id, SignalRecord.slug == slug)
    ).first()
    if rec is None or rec.classification > actor.clearance:
        raise NotFound(f"no signal {slug!r} in edition {edition.id}")
    return rec


def _check_version(rec: SignalRecord, version: int | None) -> None:
    require_version(version, f"signal {rec.slug}")
    if version != rec.version:
        raise Conflict(
            f"signal {rec.slug} changed since you read it (version {version}, now {rec.version}); "
            "reload it and try again"
        )


def change(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    data: dict[str, Any],
    version: int | None,
    reason: str = "",
) -> SignalRecord:
    """Change a signal's content (analysts; its submitter while it is new)."""
    edition, role = edition_for(session, actor, edition_id, "signal")
    rec = _record(session, actor, edition, slug)
    own_new = rec.submitted_by == actor.username and rec.status == "new"
    if not (allows(role, "edit") or own_new):
        raise Forbidden("only analysts change a signal, or its submitter while it is new")
    unknown = sorted(set(data) - set(CONTENT) - {"version", "reason"})
    if unknown:
        raise InputError(f"cannot change {', '.join(unknown)} here; fields: {', '.join(CONTENT)}")
    _check_version(rec, version)
    old = _stored(rec)
    merged = _body(rec) | {k: v for k, v in data.items() if k in CONTENT}
    sig = _validated(merged, f"signal {slug}")
    problems = reference_problems(session, actor, edition, sig)
    if problems:
        raise WorkbookError(f"signal {slug}: {len(problems)} problem(s)", problems)
    _apply(rec, sig)
    _flush(session, f"signal {slug}")
    new = _stored(rec)
    if new != old:
        _audit(session, actor, edition, rec, old, new, reason)
    return rec


def _body(rec: SignalRecord) -> dict[str, Any]:
    data = _stored(rec)
    data.pop("submitted_by")
    data["classification"] = None if rec.classification == 0 else data["classification"]
    return data


def assess(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    strength: str,
    direction: str,
    version: int | None,
    reason: str = "",
) -> SignalRecord:
    """An analyst's judgement of strength and direction; a new signal becomes assessed."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    rec = _record(session, actor, edition, slug)
    if rec.status in ("absorbed", "dismissed"):
        raise Conflict(f"signal {slug} is {rec.status}; its judgement is final")
    _check_version(rec, version)
    old = _stored(rec)
    status = "assessed" if rec.status == "new" else rec.status
    sig = _validated(
        _body(rec) | {"strength": strength, "direction": direction, "status": status},
        f"signal {slug}",
    )
    _apply(rec, sig)
    _flush(session, f"signal {slug}")
    _audit(session, actor, edition, rec, old, _stored(rec), reason or "assessed")
    return rec


def step(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    to: str,
    version: int | None,
    reason: str = "",
    scenario: str | None = None,
) -> SignalRecord:
    """Move a signal along its lifecycle (see domain.signals.STEPS)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    rec = _record(session, actor, edition, slug)
    if to not in STEPS:
        raise WorkbookError(
            f"signal {slug}: unknown status",
            [Problem("", "", "to", f"unknown status {to!r}; statuses: {', '.join(STEPS)}")],
        )
    why = step_problem(rec.status, to) or (
        f"signal {slug} is already {to}" if to == rec.status else None
    )
    if why:
        refused = Conflict(why)
        refused.problems = [Problem("", f"signal {slug}", "to", why)]  # type: ignore[attr-defined]
        raise refused
    _check_version(rec, version)
    problems = []
    if to == "dismissed" and not reason.strip():
        problems.append(Problem("", "", "reason", "say why the signal is dismissed"))
    if to == "absorbed" and not scenario:
        problems.append(Problem("", "", "scenario", "name the scenario that absorbs the signal"))
    if problems:
        raise WorkbookError(f"signal {slug}: {len(problems)} problem(s)", problems)
    old = _stored(rec)
    body = _body(rec) | {"status": to}
    if to == "dismissed":
        body["reason"] = reason.strip()
    if to == "absorbed":
        body["absorbed_into"] = scenario
        body["scenarios"] = list(dict.fromkeys([*body["scenarios"], scenario]))
    sig = _validated(body, f"signal {slug}")
    problems = reference_problems(session, actor, edition, sig)
    if problems:
        raise WorkbookError(f"signal {slug}: {len(problems)} problem(s)", problems)
    _apply(rec, sig)
    _flush(session, f"signal {slug}")
    _audit(session, actor, edition, rec, old, _stored(rec), reason or to)
    return rec


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Filters:
    """What the inbox asks for; None means any."""

    theme: str | None = None
    status: str | None = None
    horizon: str | None = None
    strength: str | None = None
    direction: str | None = None
    q: str | None = None
    cluster: str | None = None


def _filtered(edition: Edition, actor: Actor, f: Filters) -> Any:
    query = select(SignalRecord).where(
        SignalRecord.edition_id == edition.id, SignalRecord.classification <= actor.clearance
    )
    for name in ("status", "horizon", "strength", "direction"):
        value = getattr(f, name)
        if value:
            query = query.where(getattr(SignalRecord, name) == value)
    if f.theme:
        query = query.where(
            SignalRecord.id.in_(select(SignalTheme.signal_id).where(SignalTheme.theme == f.theme))
        )
    if f.cluster:
        query = query.where(
            SignalRecord.cluster_id.in_(
                select(ClusterRecord.id).where(
                    ClusterRecord.edition_id == edition.id, ClusterRecord.slug == f.cluster
                )
            )
        )
    for word in (f.q or "").lower().split()[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(
                SignalRecord.search_text.like(f"%{escaped}%", escape="\\"),
                SignalRecord.slug == word,
            )
        )
    return query


def list_signals(
    session: Session,
    actor: Actor,
    edition_id: int,
    filters: Filters | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[list[SignalRecord], int]:
    """One page of the visible signals that match, newest observation first, and the count."""
    edition, _ = edition_for(session, actor, edition_id)
    f = filters or Filters()
    if page < 1 or not 1 <= per_page <= 500:
        raise InputError("page starts at 1; per_page is 1 to 500")
    query = _filtered(edition, actor, f)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SignalRecord.observed.desc(), SignalRecord.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), int(total)


def visible(session: Session, actor: Actor, edition: Edition) -> list[SignalRecord]:
    """Every signal of the edition the actor may see, in submission order."""
    return list(
        session.scalars(
            select(SignalRecord)
            .where(
                SignalRecord.edition_id == edition.id,
                SignalRecord.classification <= actor.clearance,
            )
            .order_by(SignalRecord.id)
        )
    )


def cluster_slugs(session: Session, records: Sequence[SignalRecord]) -> dict[int, str]:
    """Signal row id -> slug of its confirmed cluster."""
    ids = {r.cluster_id for r in records if r.cluster_id is not None}
    if not ids:
        return {}
    slugs = dict(
        session.execute(
            select(ClusterRecord.id, ClusterRecord.slug).where(ClusterRecord.id.in_(ids))
        ).all()
    )
    return {r.id: slugs[r.cluster_id] for r in records if r.cluster_id in slugs}


def history(session: Session, actor: Actor, edition_id: int, slug: str) -> list[AuditEntry]:
    """The audit entries of a visible signal, oldest first."""
    rec = get_signal(session, actor, edition_id, slug)
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.key == signal_key(rec.edition_id, slug))
            .order_by(AuditEntry.id)
        )
    )


def near_duplicates(
    session: Session, actor: Actor, edition_id: int, slug: str, threshold: float = DUPLICATE
) -> list[tuple[SignalRecord, float]]:
    """The visible signals on a theme of this one whose text is nearly the same, most
    similar first (only those: a page stays quick among tens of thousands of signals)."""
    edition, _ = edition_for(session, actor, edition_id)
    rec = _record(session, actor, edition, slug)
    themes = [t.theme for t in rec.themes]
    others = list(
        session.scalars(
            select(SignalRecord)
            .where(
                SignalRecord.edition_id == edition.id,
                SignalRecord.classification <= actor.clearance,
                SignalRecord.id != rec.id,
                SignalRecord.id.in_(
                    select(SignalTheme.signal_id).where(SignalTheme.theme.in_(themes))
                ),
            )
            .order_by(SignalRecord.id)
        )
    )
    if not others:
        return []
    matrix = similarity.vectorise([text_of(rec)] + [text_of(r) for r in others])
    sims = (matrix[1:] @ matrix[0].T).toarray().ravel()
    found = [(others[i], round(float(s), 4)) for i, s in enumerate(sims) if s >= threshold - 1e-6]
    return sorted(found, key=lambda pair: (-pair[1], pair[0].slug))
