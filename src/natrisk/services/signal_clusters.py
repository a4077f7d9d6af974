"""Candidate threats: signals clustered by their text, confirmed, split and merged by analysts.

Proposals are computed from the visible signals (method/similarity.py) once per state of
those signals and kept in the process only (services/cluster_proposals.py), never stored; an analyst confirms a proposal (or any set of signals) as a cluster, splits signals
off into a new one, merges clusters, or dissolves one. Confirmed clusters are kept: each
signal points to at most one. A cluster is shown with the members the reader may see only;
its label, written from its members, only to readers cleared for all of them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.errors import Conflict, InputError
from natrisk.services import audit, cluster_proposals
from natrisk.services.access import Actor, NotFound, edition_for
from natrisk.services.editing import _flush, require_version
from natrisk.services.signals import _record
from natrisk.store.models import ClusterRecord, Edition, SignalRecord

DISTANCE = 0.75  # average cosine distance at which clusters stop merging


def cluster_key(edition_id: int, slug: str) -> str:
    """The audit key of a confirmed cluster."""
    return f"edition:{edition_id}:cluster:{slug}"


def propose(
    session: Session, actor: Actor, edition_id: int, distance: float = DISTANCE
) -> list[dict[str, Any]]:
    """Candidate threats among the visible, undismissed signals: groups of two or more."""
    groups, _ = proposals(session, actor, edition_id, distance, None)
    assert groups is not None
    return groups


def proposals(
    session: Session,
    actor: Actor,
    edition_id: int,
    distance: float = DISTANCE,
    wait: float | None = None,
) -> tuple[list[dict[str, Any]] | None, float]:
    """The candidate threats, waiting at most ``wait`` seconds for them (None: until done);
    (None, share computed) while they are still being computed."""
    if not 0.0 < distance <= 1.0:
        raise InputError("distance is a cosine distance above 0 and at most 1")
    edition, _ = edition_for(session, actor, edition_id)
    recs = [r for r in summaries(session, actor, edition) if r.status != "dismissed"]
    found = cluster_proposals.labels_for(
        session, actor, edition, [r.id for r in recs], lambda: _texts(session, actor, edition),
        distance, wait
    )  # fmt: skip
    if found.labels is None:
        return None, found.share
    groups: dict[int, list[Any]] = {}
    for rec, label in zip(recs, found.labels, strict=True):
        groups.setdefault(label, []).append(rec)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        current = {m.cluster_id for m in members}
        out.append(
            {
                "label": members[0].title,
                "signals": [m.slug for m in members],
                "confirmed": len(current) == 1 and None not in current,
            }
        )
    return sorted(out, key=lambda g: (-len(g["signals"]), g["signals"][0])), 1.0


def summaries(session: Session, actor: Actor, edition: Edition) -> list[Any]:
    """Id, slug, title, cluster and status of every signal the actor may see, in submission
    order (columns only: quick at 20,000 signals)."""
    return list(
        session.execute(
            select(
                SignalRecord.id,
                SignalRecord.slug,
                SignalRecord.title,
                SignalRecord.cluster_id,
                SignalRecord.status,
            )
            .where(
                SignalRecord.edition_id == edition.id,
                SignalRecord.classification <= actor.clearance,
            )
            .order_by(SignalRecord.id)
        ).all()
    )


def _texts(session: Session, actor: Actor, edition: Edition) -> list[str]:
    """The text of each undismissed signal the actor may see, in the order of summaries()."""
    rows = session.execute(
        select(SignalRecord.title, SignalRecord.description)
        .where(
            SignalRecord.edition_id == edition.id,
            SignalRecord.classification <= actor.clearance,
            SignalRecord.status != "dismissed",
        )
        .order_by(SignalRecord.id)
    )
    return [f"{title}\n{description}".strip() for title, description in rows]


def confirmed(session: Session, actor: Actor, edition_id: int) -> list[dict[str, Any]]:
    """The confirmed clusters with their visible members (clusters without any are absent)."""
    edition, _ = edition_for(session, actor, edition_id)
    members: dict[int, list[Any]] = {}
    for rec in summaries(session, actor, edition):
        if rec.cluster_id is not None:
            members.setdefault(rec.cluster_id, []).append(rec)
    out = []
    for cl in session.scalars(
        select(ClusterRecord)
        .where(ClusterRecord.edition_id == edition.id)
        .order_by(ClusterRecord.id)
    ):
        seen = members.get(cl.id)
        if seen:
            out.append(_view(cl, seen, actor))
    return out


def _view(cl: ClusterRecord, seen: list[Any], actor: Actor) -> dict[str, Any]:
    label = cl.label if cl.classification <= actor.clearance else seen[0].title
    return {"id": cl.slug, "label": label, "signals": [r.slug for r in seen], "version": cl.version}


def _members(
    session: Session, actor: Actor, edition: Edition, slugs: list[str]
) -> list[SignalRecord]:
    if not slugs or not isinstance(slugs, list):
        raise InputError("name the signals of the cluster ('signals': [ids])")
    return [_record(session, actor, edition, str(s)) for s in dict.fromkeys(slugs)]


def _cluster(session: Session, actor: Actor, edition: Edition, slug: str) -> ClusterRecord:
    cl = session.scalars(
        select(ClusterRecord).where(
            ClusterRecord.edition_id == edition.id, ClusterRecord.slug == slug
        )
    ).first()
    if (
        cl is None
        or not _all_members(session, cl)
        or not any(m.classification <= actor.clearance for m in _all_members(session, cl))
    ):
        raise NotFound(f"no cluster {slug!r} in edition {edition.id}")
    return cl


def _all_members(session: Session, cl: ClusterRecord) -> list[SignalRecord]:
    return list(session.scalars(select(SignalRecord).where(SignalRecord.cluster_id == cl.id)))


def _new_slug(session: Session, edition: Edition, label: str, wanted: str | None) -> str:
    base = wanted or re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:60] or "cluster"
    taken = set(
        session.scalars(select(ClusterRecord.slug).where(ClusterRecord.edition_id == edition.id))
    )
    if wanted and wanted in taken:
        raise Conflict(f"a cluster {wanted!r} exists in this edition")
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _label(label: Any, members: list[SignalRecord]) -> str:
    text = str(label or "").strip() or members[0].title
    if len(text) > 500:
        raise InputError("a cluster's label is at most 500 characters")
    return text


def _move(session: Session, members: list[SignalRecord], cl: ClusterRecord) -> None:
    """Put the signals in ``cl``; clusters they leave and that end up empty go."""
    left = {m.cluster_id for m in members if m.cluster_id not in (None, cl.id)}
    for m in members:
        m.cluster_id = cl.id
    _flush(session, "the cluster's signals")
    for cid in left:
        old = session.get(ClusterRecord, cid)
        if old is not None and not _all_members(session, old):
            session.delete(old)
    cl.classification = max([cl.classification, *(m.classification for m in members)])


def _audit(
    session: Session,
    actor: Actor,
    edition: Edition,
    cl: ClusterRecord,
    old: Any,
    new: Any,
    why: str,
) -> None:
    audit.record(
        session,
        actor.username,
        "cluster",
        cluster_key(edition.id, cl.slug),
        old,
        new,
        why,
        edition_id=edition.id,
        classification=cl.classification,
    )


def confirm(
    session: Session,
    actor: Actor,
    edition_id: int,
    signals: list[str],
    label: str = "",
    slug: str | None = None,
) -> ClusterRecord:
    """Keep a set of signals as one candidate threat."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    members = _members(session, actor, edition, signals)
    text = _label(label, members)
    cl = ClusterRecord(
        edition_id=edition.id, slug=_new_slug(session, edition, text, slug), label=text
    )
    cl.classification = max(m.classification for m in members)
    session.add(cl)
    _flush(session, "the cluster")
    _move(session, members, cl)
    _flush(session, "the cluster")
    _audit(
        session,
        actor,
        edition,
        cl,
        None,
        {"label": text, "signals": [m.slug for m in members]},
        "confirmed",
    )
    return cl


def split(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    signals: list[str],
    version: int | None,
    label: str = "",
    new_slug: str | None = None,
) -> ClusterRecord:
    """Move some signals of a cluster into a new cluster of their own."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    cl = _cluster(session, actor, edition, slug)
    _version(cl, version)
    members = _members(session, actor, edition, signals)
    outside = [m.slug for m in members if m.cluster_id != cl.id]
    if outside:
        raise InputError(f"not in cluster {slug}: {', '.join(outside)}")
    if len(members) == len(_all_members(session, cl)):
        raise InputError("a split leaves some signals behind; to rename the cluster, confirm anew")
    return confirm(session, actor, edition_id, [m.slug for m in members], label, new_slug)


def merge(
    session: Session,
    actor: Actor,
    edition_id: int,
    slugs: list[str],
    version: int | None,
    label: str = "",
) -> ClusterRecord:
    """Merge clusters into the first one named (its version is the one sent)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    if not isinstance(slugs, list) or len(set(slugs)) < 2:
        raise InputError("name two or more clusters to merge ('clusters': [ids])")
    target, *others = [_cluster(session, actor, edition, s) for s in dict.fromkeys(slugs)]
    _version(target, version)
    old = {"label": target.label, "merged": [o.slug for o in others]}
    moving = [m for o in others for m in _all_members(session, o)]
    if label:
        target.label = _label(label, moving)
    _move(session, moving, target)
    _flush(session, f"cluster {target.slug}")
    _audit(session, actor, edition, target, old, {"label": target.label}, "merged")
    return target


def dissolve(
    session: Session, actor: Actor, edition_id: int, slug: str, version: int | None
) -> None:
    """Drop a confirmed cluster; its signals stay, unclustered."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    cl = _cluster(session, actor, edition, slug)
    _version(cl, version)
    for m in _all_members(session, cl):
        m.cluster_id = None
    _flush(session, f"cluster {slug}")
    _audit(session, actor, edition, cl, {"label": cl.label}, None, "dissolved")
    session.delete(cl)
    _flush(session, f"cluster {slug}")


def _version(cl: ClusterRecord, version: int | None) -> None:
    require_version(version, f"cluster {cl.slug}")
    if version != cl.version:
        raise Conflict(
            f"cluster {cl.slug} changed since you read it (version {version}, now {cl.version})"
        )
