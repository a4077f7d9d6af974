"""Horizon-scan rounds and their product, the threat picture (Dreigingsbeeld).

A scan gathers the signals of its period: those observed in it, and those observed before
that are still open (not dismissed or absorbed) when it is read. Analysts write an
interpretation per theme; the coordinator adopts the scan (permission ``transition``),
which keeps a snapshot of what it saw, so later changes to signals do not rewrite it. The
picture compares a scan with the previous one (the latest ending before it ends) and flags
the scenarios its open signals bear on (method/horizon.py). Everything a reader sees is
computed from the signals within their clearance only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.signals import Scan, SignalState
from natrisk.errors import Conflict, InputError, Problem, WorkbookError
from natrisk.method.horizon import Changes, Flag, State, changes, reassessment_flags
from natrisk.security import level_index, level_name
from natrisk.services import audit
from natrisk.services.access import Actor, NotFound, edition_for
from natrisk.services.editing import _flush, require_version
from natrisk.services.scenarios import themes_of
from natrisk.services.signals import validated
from natrisk.store.models import Edition, ScanRecord, ScenarioRecord, SignalRecord

CLOSED = ("dismissed", "absorbed")


def scan_key(edition_id: int, slug: str) -> str:
    """The audit key of a scan."""
    return f"edition:{edition_id}:scan:{slug}"


def view(scan: ScanRecord) -> dict[str, Any]:
    """A scan as the API and the pages show it (without its snapshot)."""
    return {
        "id": scan.slug,
        "title": scan.title,
        "start": scan.start.isoformat(),
        "end": scan.end.isoformat(),
        "status": scan.status,
        "interpretations": dict(scan.interpretations or {}),
        "adopted_on": scan.adopted_on.isoformat() if scan.adopted_on else None,
        "adopted_by": scan.adopted_by,
        "version": scan.version,
    }


def domain(scan: ScanRecord, actor: Actor | None = None) -> Scan:
    """A stored scan as the domain model (for files); the snapshot within a clearance."""
    data = view(scan)
    data.pop("version")
    data = {k: v for k, v in data.items() if v not in (None, "")}
    if scan.snapshot is not None:
        data["snapshot"] = [
            s
            for s in scan.snapshot
            if actor is None or level_index(s.get("classification")) <= actor.clearance
        ]
    return Scan.model_validate(data)


def _validated(data: dict[str, Any]) -> Scan:
    return validated(Scan, data, "the scan")


def create(session: Session, actor: Actor, edition_id: int, data: dict[str, Any]) -> ScanRecord:
    """A new, open scan round of the edition (analysts, coordinators)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    if not isinstance(data, dict):
        raise InputError("a scan is an object with id, title, start and end")
    scan = _validated({k: v for k, v in data.items() if k in ("id", "title", "start", "end")})
    problems = _theme_problems(session, edition, scan)
    if _find(session, edition, scan.id) is not None:
        problems.append(Problem("", "", "id", f"a scan {scan.id!r} exists in this edition"))
    if problems:
        raise WorkbookError(f"the scan: {len(problems)} problem(s)", problems)
    rec = ScanRecord(
        edition_id=edition.id,
        slug=scan.id,
        title=scan.title,
        start=scan.start,
        end=scan.end,
        interpretations={},
    )
    session.add(rec)
    _flush(session, f"scan {scan.id}")
    _audit(session, actor, edition, rec, None, view(rec), "opened")
    return rec


def _theme_problems(session: Session, edition: Edition, scan: Scan) -> list[Problem]:
    known = {tid for tid, _ in themes_of(session, edition)}
    return [
        Problem("", "", f"interpretations.{t}", f"no theme {t!r} in the edition")
        for t in scan.interpretations
        if t not in known
    ]


def _audit(
    session: Session, actor: Actor, edition: Edition, rec: ScanRecord, old: Any, new: Any, why: str
) -> None:
    audit.record(
        session,
        actor.username,
        "scan",
        scan_key(edition.id, rec.slug),
        old,
        new,
        why,
        edition_id=edition.id,
    )


def _find(session: Session, edition: Edition, slug: str) -> ScanRecord | None:
    return session.scalars(
        select(ScanRecord).where(ScanRecord.edition_id == edition.id, ScanRecord.slug == slug)
    ).first()


def get_scan(session: Session, actor: Actor, edition_id: int, slug: str) -> ScanRecord:
    """A scan of a visible edition."""
    edition, _ = edition_for(session, actor, edition_id)
    rec = _find(session, edition, slug)
    if rec is None:
        raise NotFound(f"no scan {slug!r} in edition {edition_id}")
    return rec


def scans_of(session: Session, actor: Actor, edition_id: int) -> list[ScanRecord]:
    """The scans of a visible edition, in order of their end."""
    edition, _ = edition_for(session, actor, edition_id)
    return list(
        session.scalars(
            select(ScanRecord)
            .where(ScanRecord.edition_id == edition.id)
            .order_by(ScanRecord.end, ScanRecord.id)
        )
    )


def _open(rec: ScanRecord, version: int | None) -> None:
    require_version(version, f"scan {rec.slug}")
    if rec.status != "open":
        raise Conflict(f"scan {rec.slug} is adopted and read-only")
    if version != rec.version:
        raise Conflict(
            f"scan {rec.slug} changed since you read it (version {version}, now {rec.version})"
        )


def change(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    data: dict[str, Any],
    version: int | None,
) -> ScanRecord:
    """Change an open scan's title, period or interpretations (a theme -> text mapping;
    an empty text removes a theme's interpretation)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    rec = _find(session, edition, slug)
    if rec is None:
        raise NotFound(f"no scan {slug!r} in edition {edition_id}")
    _open(rec, version)
    unknown = sorted(set(data) - {"title", "start", "end", "interpretations", "version"})
    if unknown:
        raise InputError(
            f"cannot change {', '.join(unknown)}; fields: title, start, end, interpretations"
        )
    old = view(rec)
    texts = dict(rec.interpretations or {})
    given = data.get("interpretations") or {}
    if not isinstance(given, dict):
        raise InputError("interpretations map a theme to its text")
    for theme, text in given.items():
        if text is None or not str(text).strip():
            texts.pop(theme, None)
        else:
            texts[theme] = str(text)
    body = {
        "id": rec.slug,
        "title": data.get("title", rec.title),
        "start": data.get("start", rec.start),
        "end": data.get("end", rec.end),
        "interpretations": texts,
    }
    scan = _validated(body)
    problems = _theme_problems(session, edition, scan)
    if problems:
        raise WorkbookError(f"scan {slug}: {len(problems)} problem(s)", problems)
    rec.title, rec.start, rec.end = scan.title, scan.start, scan.end
    rec.interpretations = dict(scan.interpretations)
    _flush(session, f"scan {slug}")
    _audit(session, actor, edition, rec, old, view(rec), "changed")
    return rec


def gathered(session: Session, edition: Edition, rec: ScanRecord) -> list[SignalRecord]:
    """Every signal of the scan's period (all levels: the caller filters by clearance)."""
    return [
        s
        for s in session.scalars(
            select(SignalRecord)
            .where(SignalRecord.edition_id == edition.id, SignalRecord.observed <= rec.end)
            .order_by(SignalRecord.id)
        )
        if s.observed >= rec.start or s.status not in CLOSED
    ]


def _state(sig: SignalRecord) -> dict[str, Any]:
    return SignalState(
        signal=sig.slug,
        title=sig.title,
        themes=[t.theme for t in sig.themes],
        scenarios=list(sig.scenarios or []),
        horizon=sig.horizon,  # type: ignore[arg-type]
        status=sig.status,  # type: ignore[arg-type]
        strength=sig.strength,  # type: ignore[arg-type]
        direction=sig.direction,  # type: ignore[arg-type]
        classification=level_name(sig.classification) if sig.classification else None,
    ).model_dump(mode="json", exclude_none=True)


def adopt(
    session: Session, actor: Actor, edition_id: int, slug: str, version: int | None
) -> ScanRecord:
    """The coordinator adopts the scan: its snapshot of signals is kept from now on."""
    edition, _ = edition_for(session, actor, edition_id, "transition")
    rec = _find(session, edition, slug)
    if rec is None:
        raise NotFound(f"no scan {slug!r} in edition {edition_id}")
    _open(rec, version)
    old = view(rec)
    rec.snapshot = [_state(s) for s in gathered(session, edition, rec)]
    rec.status, rec.adopted_on, rec.adopted_by = "adopted", dt.date.today(), actor.username
    _flush(session, f"scan {slug}")
    _audit(session, actor, edition, rec, old, view(rec) | {"signals": len(rec.snapshot)}, "adopted")
    return rec


# ---------------------------------------------------------------------------- the picture


@dataclass
class Seen:
    """One signal as a scan saw it, within the reader's clearance."""

    id: str
    title: str
    themes: list[str]
    scenarios: list[str]
    horizon: str
    status: str
    strength: str | None
    direction: str | None
    classification: int

    def state(self) -> State:
        """The state the method compares."""
        return State(self.status, self.strength, self.direction, tuple(self.scenarios))


def seen(session: Session, actor: Actor, edition: Edition, rec: ScanRecord) -> list[Seen]:
    """What the scan holds for this reader: the snapshot if adopted, else the live signals.

    A signal shows only when both its level in the snapshot and its level now are within
    the reader's clearance (a signal classified higher later stays hidden in old scans).
    """
    now = dict(
        session.execute(
            select(SignalRecord.slug, SignalRecord.classification).where(
                SignalRecord.edition_id == edition.id
            )
        ).all()
    )
    items = rec.snapshot
    if items is None:
        items = [_state(s) for s in gathered(session, edition, rec)]
    return seen_of(items, now, actor.clearance)


def seen_of(items: list[dict[str, Any]], now: dict[str, int], clearance: int) -> list[Seen]:
    """Signal states (snapshot entries) within a clearance, given every signal's level now."""
    out = []
    for item in items:
        level = max(level_index(item.get("classification")), now.get(item["signal"], 0))
        if level > clearance:
            continue
        out.append(
            Seen(
                id=item["signal"],
                title=item["title"],
                themes=list(item["themes"]),
                scenarios=list(item.get("scenarios") or []),
                horizon=item["horizon"],
                status=item["status"],
                strength=item.get("strength"),
                direction=item.get("direction"),
                classification=level,
            )
        )
    return out


def previous(session: Session, edition: Edition, rec: ScanRecord) -> ScanRecord | None:
    """The scan before this one: the latest that ends before it ends."""
    return session.scalars(
        select(ScanRecord)
        .where(
            ScanRecord.edition_id == edition.id,
            ScanRecord.end < rec.end,
            ScanRecord.id != rec.id,
        )
        .order_by(ScanRecord.end.desc(), ScanRecord.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Header:
    """The edition a picture belongs to, as the report names it."""

    slug: str
    title: str
    description: str


@dataclass
class Picture:
    """Everything the threat picture shows, computed within one reader's clearance.

    ``scan`` and ``previous`` are stored scans or domain scans (the same attributes)."""

    edition: Header
    scan: Any
    previous: Any
    signals: list[Seen]
    themes: list[tuple[str, dict[str, str]]]
    changes: Changes
    flags: dict[str, Flag]
    scenarios: dict[str, str]  # visible scenario slug -> title
    before: dict[str, Seen]


def picture(session: Session, actor: Actor, edition_id: int, slug: str) -> Picture:
    """The threat picture of a scan for this reader."""
    edition, _ = edition_for(session, actor, edition_id)
    rec = get_scan(session, actor, edition_id, slug)
    now = seen(session, actor, edition, rec)
    prev = previous(session, edition, rec)
    before = seen(session, actor, edition, prev) if prev is not None else []
    scenarios = {
        s.slug: s.title
        for s in session.scalars(
            select(ScenarioRecord)
            .where(
                ScenarioRecord.edition_id == edition.id,
                ScenarioRecord.classification <= actor.clearance,
                ScenarioRecord.withdrawn.is_(False),
            )
            .order_by(ScenarioRecord.position)
        )
    }
    header = Header(edition.slug, edition.title, edition.description)
    latest = {
        s.slug: State(s.status, s.strength, s.direction)
        for s in session.scalars(
            select(SignalRecord).where(
                SignalRecord.edition_id == edition.id,
                SignalRecord.classification <= actor.clearance,
                SignalRecord.status == "absorbed",
            )
        )
    }
    themes = themes_of(session, edition)
    return compose(header, rec, prev, now, before, themes, scenarios, latest)


def compose(
    header: Header,
    scan: Any,
    prev: Any,
    now: list[Seen],
    before: list[Seen],
    themes: list[tuple[str, dict[str, str]]],
    scenarios: dict[str, str],
    latest: dict[str, State] | None = None,
) -> Picture:
    """The picture from what a scan and its predecessor saw (database or files alike);
    ``latest`` holds the state now of signals closed since (method.horizon.changes)."""
    found = changes({s.id: s.state() for s in before}, {s.id: s.state() for s in now}, latest)
    flags = reassessment_flags(((s.id, s.state()) for s in now), scenarios)
    return Picture(
        edition=header,
        scan=scan,
        previous=prev,
        signals=now,
        themes=themes,
        changes=found,
        flags=flags,
        scenarios=scenarios,
        before={s.id: s for s in before},
    )
