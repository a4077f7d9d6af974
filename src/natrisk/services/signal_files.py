"""Signal files and the database: import (all or nothing), export (within a clearance), and
the threat picture straight from files (a signal file beside its workbook).

An import checks every signal against the edition first (themes, scenarios the importer may
see, classifications within their clearance, ids not yet taken) and lists every problem at
its line or row; nothing is stored unless all of it holds. Each imported signal, scan and
cluster is an audit entry (a file of more than 1,000 signals: an entry per 1,000 signals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.domain.signals import Signal, SignalFile
from natrisk.errors import InputError, Problem, WorkbookError
from natrisk.method.horizon import State
from natrisk.security import level_index
from natrisk.services import audit
from natrisk.services.access import Actor, edition_for
from natrisk.services.scans import (
    CLOSED,
    Header,
    Picture,
    compose,
    scan_key,
    seen_of,
)
from natrisk.services.scans import domain as scan_domain
from natrisk.services.scenarios import themes_of
from natrisk.services.signal_clusters import cluster_key
from natrisk.services.signals import (
    _apply,
    _refs,
    _stored,
    _visible_scenarios,
    cluster_slugs,
    domain,
    signal_key,
    visible,
)
from natrisk.store.models import ClusterRecord, Edition, ScanRecord, SignalRecord

Locate = Callable[[tuple[Any, ...], str], Problem]
BULK = 1000  # signals in one import above which they are audited in entries of this many
Progress = Callable[[int, int], None] | None


@dataclass(frozen=True)
class Imported:
    """How much an import stored."""

    signals: int
    scans: int
    clusters: int


def export_file(session: Session, actor: Actor, edition_id: int) -> SignalFile:
    """The edition's signals, scans and clusters that the actor may see, as one file."""
    edition, _ = edition_for(session, actor, edition_id)
    recs = visible(session, actor, edition)
    in_cluster = cluster_slugs(session, recs)
    groups: dict[str, list[str]] = {}
    for rec in recs:
        if rec.id in in_cluster:
            groups.setdefault(in_cluster[rec.id], []).append(rec.slug)
    clusters = []
    for cl in session.scalars(
        select(ClusterRecord)
        .where(ClusterRecord.edition_id == edition.id)
        .order_by(ClusterRecord.id)
    ):
        if cl.slug in groups:
            label = cl.label if cl.classification <= actor.clearance else groups[cl.slug][0]
            clusters.append({"id": cl.slug, "label": label, "signals": groups[cl.slug]})
    scans = [
        scan_domain(s, actor)
        for s in session.scalars(
            select(ScanRecord).where(ScanRecord.edition_id == edition.id).order_by(ScanRecord.end)
        )
    ]
    return SignalFile.model_validate(
        {
            "edition": edition.slug,
            "signals": [domain(r) for r in recs],
            "scans": scans,
            "clusters": clusters,
        }
    )


def import_file(
    session: Session,
    actor: Actor,
    edition_id: int,
    doc: SignalFile,
    locate: Locate,
    progress: Progress = None,
) -> Imported:
    """Store a file's signals, scans and clusters in the edition, all or nothing."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    problems = _problems(session, actor, edition, doc, locate)
    if problems:
        raise WorkbookError(f"{len(problems)} problem(s); nothing was imported", problems)
    by_slug: dict[str, SignalRecord] = {}
    for i, sig in enumerate(doc.signals):
        rec = SignalRecord(edition_id=edition.id, slug=sig.id, submitted_by=actor.username)
        _apply(rec, sig)
        session.add(rec)
        by_slug[sig.id] = rec
        if progress and (i % 500 == 0 or i == len(doc.signals) - 1):
            progress(i + 1, len(doc.signals))
    session.flush()
    _audit_imported(session, actor, edition, list(by_slug.values()))
    for scan in doc.scans:
        _store_scan(session, actor, edition, scan)
    for cl in doc.clusters:
        members = [by_slug[s] for s in cl.signals]
        row = ClusterRecord(
            edition_id=edition.id,
            slug=cl.id,
            label=cl.label,
            classification=max(m.classification for m in members),
        )
        session.add(row)
        session.flush()
        for m in members:
            m.cluster_id = row.id
        audit.record(
            session,
            actor.username,
            "cluster",
            cluster_key(edition.id, cl.id),
            None,
            {"label": cl.label, "signals": list(cl.signals)},
            "imported",
            edition_id=edition.id,
            classification=row.classification,
        )
    session.flush()
    return Imported(len(doc.signals), len(doc.scans), len(doc.clusters))


def _audit_imported(
    session: Session, actor: Actor, edition: Edition, recs: list[SignalRecord]
) -> None:
    """An audit entry per imported signal; a file of more than BULK signals is audited in
    entries of BULK signals each (key ``edition:ID:signals``, the stored signals inside),
    since one hash-chained append per signal would make a large import take minutes."""
    if len(recs) <= BULK:
        for rec in recs:
            audit.record(
                session,
                actor.username,
                "signal",
                signal_key(edition.id, rec.slug),
                None,
                _stored(rec),
                "imported",
                edition_id=edition.id,
                classification=rec.classification,
            )
        return
    for start in range(0, len(recs), BULK):
        part = recs[start : start + BULK]
        audit.record(
            session,
            actor.username,
            "signals",
            f"edition:{edition.id}:signals",
            None,
            [_stored(r) for r in part],
            f"imported signals {start + 1}-{start + len(part)} of {len(recs)}",
            edition_id=edition.id,
            classification=max(r.classification for r in part),
        )


def _store_scan(session: Session, actor: Actor, edition: Edition, scan: Any) -> None:
    row = ScanRecord(
        edition_id=edition.id,
        slug=scan.id,
        title=scan.title,
        start=scan.start,
        end=scan.end,
        status=scan.status,
        interpretations=dict(scan.interpretations),
        adopted_on=scan.adopted_on,
        adopted_by=scan.adopted_by,
        snapshot=(
            [s.model_dump(mode="json", exclude_none=True) for s in scan.snapshot]
            if scan.snapshot is not None
            else None
        ),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor.username,
        "scan",
        scan_key(edition.id, scan.id),
        None,
        {"title": scan.title, "status": scan.status},
        "imported",
        edition_id=edition.id,
    )


def _problems(
    session: Session, actor: Actor, edition: Edition, doc: SignalFile, locate: Locate
) -> list[Problem]:
    out = signal_problems(session, actor, edition, enumerate(doc.signals), locate)
    themes = {tid for tid, _ in themes_of(session, edition)}
    scans = set(session.scalars(select(ScanRecord.slug).where(ScanRecord.edition_id == edition.id)))
    for i, scan in enumerate(doc.scans):
        if scan.id in scans:
            out.append(locate(("scans", i, "id"), f"a scan {scan.id!r} exists in this edition"))
        for theme in scan.interpretations:
            if theme not in themes:
                out.append(locate(("scans", i, "interpretations"), f"no theme {theme!r}"))
    clusters = set(
        session.scalars(select(ClusterRecord.slug).where(ClusterRecord.edition_id == edition.id))
    )
    for i, cl in enumerate(doc.clusters):
        if cl.id in clusters:
            out.append(locate(("clusters", i, "id"), f"a cluster {cl.id!r} exists in this edition"))
    return out


def signal_problems(
    session: Session,
    actor: Actor,
    edition: Edition,
    signals: Iterable[tuple[int, Signal]],
    locate: Locate,
) -> list[Problem]:
    """What the edition says of a file's signals (by their place in the file): unknown
    themes, scenarios the actor cannot see, levels above their clearance, ids taken."""
    themes = {tid for tid, _ in themes_of(session, edition)}
    scenarios = _visible_scenarios(session, actor, edition)
    taken = set(
        session.scalars(select(SignalRecord.slug).where(SignalRecord.edition_id == edition.id))
    )
    out = []
    for i, sig in signals:
        for p in _refs(sig, themes, scenarios, actor, ""):
            out.append(locate(("signals", i, *_path(p.field)), p.message))
        if sig.id in taken:
            out.append(locate(("signals", i, "id"), f"a signal {sig.id!r} exists in this edition"))
    return out


def import_upload(
    session: Session,
    actor: Actor,
    edition_id: int,
    data: bytes,
    name: str,
    progress: Progress = None,
) -> Imported:
    """Read a signal file's bytes and import it; a file with problems is answered with all
    of them at once (its own and the edition's), and nothing is stored."""
    from natrisk.io.signals import parse_located, problem_order

    try:
        doc, locate = parse_located(data, name)
    except WorkbookError as exc:
        if isinstance(exc.partial, list) and exc.locate is not None:
            edition, _ = edition_for(session, actor, edition_id, "edit")
            exc.problems = problem_order(
                exc.problems + signal_problems(session, actor, edition, exc.partial, exc.locate)
            )
            exc.message = f"{name}: {len(exc.problems)} problem(s); nothing was imported"
        raise
    return import_file(session, actor, edition_id, doc, locate, progress)


def _path(field: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in field.split(".") if p)


# ---------------------------------------------------------------------------- from files


def file_picture(doc: SignalFile, workbook: Path, scan_id: str) -> Picture:
    """The threat picture of one scan of a signal file, read against its workbook."""
    from natrisk.services.edition import open_edition

    ed = open_edition(workbook)
    themes = [(t.id, {"en": t.name.en, "nl": t.name.nl}) for t in ed.framework.themes]
    known = {tid for tid, _ in themes}
    scenarios = {s.id: s.title for s in ed.book.scenarios}
    problems = [
        Problem("", f"signal {s.id}", f"themes.{j}", f"no theme {t!r} in {workbook.name}")
        for s in doc.signals
        for j, t in enumerate(s.themes)
        if t not in known
    ] + [
        Problem("", f"signal {s.id}", f"scenarios.{j}", f"no scenario {c!r} in {workbook.name}")
        for s in doc.signals
        for j, c in enumerate(s.scenarios)
        if c not in scenarios
    ]
    if problems:
        raise WorkbookError(f"{len(problems)} problem(s)", problems)
    ordered = sorted(doc.scans, key=lambda s: (s.end, s.id))
    scan = next((s for s in ordered if s.id == scan_id), None)
    if scan is None:
        names = ", ".join(s.id for s in ordered) or "none"
        raise InputError(f"no scan {scan_id!r} in the signal file; scans: {names}")
    earlier = [s for s in ordered if s.end < scan.end]
    prev = earlier[-1] if earlier else None
    levels = {s.id: level_index(s.classification) for s in doc.signals}
    top = max(levels.values(), default=0)

    def items(which: Any) -> list[dict[str, Any]]:
        if which.snapshot is not None:
            return [st.model_dump(mode="json") for st in which.snapshot]
        return [
            {
                "signal": s.id,
                "title": s.title,
                "themes": s.themes,
                "scenarios": s.scenarios,
                "horizon": s.horizon,
                "status": s.status,
                "strength": s.strength,
                "direction": s.direction,
                "classification": s.classification,
            }
            for s in doc.signals
            if s.observed <= which.end and (s.observed >= which.start or s.status not in CLOSED)
        ]

    now = seen_of(items(scan), levels, top)
    before = seen_of(items(prev), levels, top) if prev is not None else []
    info = ed.book.edition
    header = Header(info.id, info.title, info.description)
    latest = {s.id: State(s.status, s.strength, s.direction) for s in doc.signals}
    return compose(header, scan, prev, now, before, themes, scenarios, latest)


def marks(p: Picture, who: str) -> tuple[str | None, str | None]:
    """The marking (highest level inside) and watermark (requester, date) of a picture."""
    from natrisk.security import level_name

    level = max((s.classification for s in p.signals), default=0)
    if level == 0:
        return None, None
    return level_name(level), f"{who} · {dt.date.today().isoformat()}"


def write_picture(p: Picture, out_dir: Path, lang: str, pdf: bool, who: str = "") -> list[Path]:
    """Write the threat picture (HTML, optional PDF, the radar's Vega-Lite spec), all or none."""
    import json

    from natrisk.io.files import staged_output
    from natrisk.report.document import render_pdf
    from natrisk.report.threat import picture_context, render_threat_html

    ctx = picture_context(p, lang)
    marking, watermark = marks(p, who)
    html = render_threat_html(ctx, marking, watermark)
    names = [f"threat-picture-{lang}.html", f"radar-{lang}.vl.json"]
    with staged_output(out_dir) as stage:
        (stage / names[0]).write_text(html, encoding="utf-8")
        (stage / names[1]).write_text(json.dumps(ctx["radar"], indent=1), encoding="utf-8")
        if pdf:
            names.append(f"threat-picture-{lang}.pdf")
            (stage / names[2]).write_bytes(render_pdf(html))
    return [Path(out_dir) / n for n in names]
