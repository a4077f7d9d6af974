"""Runs: work that takes long, done by ``natrisk worker`` processes, never the web process.

A run is a row of the job queue (``store/jobs.py``): a sensitivity run, a cascade run or a
report of one edition view. It is queued in the requester's transaction, survives
restarts of the server and the workers, keeps its progress in the database, and can be
cancelled or retried by the user who started it. What each kind computes is in
``services/run_kinds.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.errors import Conflict
from natrisk.services.access import Actor, Forbidden, NotFound, edition_for
from natrisk.services.assessment import resolve_settings
from natrisk.services.workspace import framework_of
from natrisk.store import jobs
from natrisk.store.models import Job

KINDS = ("sensitivity", "cascades", "report")
MAX_IMPORT_BYTES = 200 * 1024 * 1024  # an import run takes a large file, kept until it is done


def start(session: Session, actor: Actor, edition_id: int, params: dict[str, Any]) -> Job:
    """Queue a sensitivity run on the actor's view of the edition (see ``start_kind``)."""
    return start_kind(session, actor, "sensitivity", edition_id, params)


def start_kind(
    session: Session, actor: Actor, kind: str, edition_id: int, params: dict[str, Any]
) -> Job:
    """Queue a run of ``kind`` on the actor's view of the edition; it is delivered to a worker
    when this transaction commits, and not at all if it rolls back.

    Runs take minutes, so they need the "run" permission (not every reader has it).
    """
    if kind not in KINDS:
        raise NotFound(f"no kind of run {kind!r}; choose {', '.join(KINDS)}")
    edition, _ = edition_for(session, actor, edition_id, "run")
    resolve_settings(framework_of(session, edition), params["method"], params.get("profile"))
    job = Job(
        kind=kind,
        edition_id=edition.id,
        requested_by=actor.user_id,
        clearance=actor.clearance,
        params=params,
    )
    return jobs.enqueue(session, job)


def start_import(session: Session, actor: Actor, data: bytes, name: str, new_id: str = "") -> Job:
    """Queue the import of a (large) workbook file as a new draft edition; it is read, checked
    and stored by a worker, all or nothing, and its problems are the run's result."""
    from natrisk.errors import InputError
    from natrisk.services.access import require_import

    require_import(session, actor)
    if not data:
        raise InputError(f"{name}: the file is empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise InputError(f"{name}: larger than {MAX_IMPORT_BYTES // 2**20} MB")
    job = Job(
        kind="import",
        edition_id=None,
        requested_by=actor.user_id,
        clearance=actor.clearance,
        params={"name": name, "new_id": new_id, "bytes": len(data)},
        payload=data,
    )
    return jobs.enqueue(session, job)


def _visible(session: Session, actor: Actor, run_id: int) -> Job:
    job = session.get(Job, run_id)
    missing = NotFound(f"no run {run_id}")
    if job is None or job.clearance > actor.clearance:
        raise missing
    if job.edition_id is None:  # an import: its owner's alone until it made an edition
        if job.requested_by != actor.user_id:
            raise missing
        return job
    try:
        edition_for(session, actor, job.edition_id)
    except NotFound as exc:  # answer exactly as for a run that does not exist
        raise missing from exc
    return job


def _own(session: Session, actor: Actor, run_id: int, doing: str) -> Job:
    job = _visible(session, actor, run_id)
    if job.requested_by != actor.user_id and not actor.is_admin:
        raise Forbidden(f"only the user who started run {run_id} can {doing} it")
    return job


def state(job: Job) -> dict[str, Any]:
    """A run as plain data: what it is, how far it got, and its result or error."""
    return {
        "id": job.id,
        "kind": job.kind,
        "edition": job.edition_id,
        "status": job.status,
        "progress": job.progress,
        "params": job.params,
        "result": job.result,
        "error": job.error,
        "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "has_output": job.output is not None,
        "requested_by": job.requested_by,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def get(session: Session, actor: Actor, run_id: int) -> dict[str, Any]:
    """A run's state and, when done, its result (only to those who may see its view)."""
    return state(_visible(session, actor, run_id))


def mine(session: Session, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """The actor's own runs, newest first (results left out: fetch a run for those)."""
    found = session.scalars(
        select(Job).where(Job.requested_by == actor.user_id).order_by(Job.id.desc()).limit(limit)
    ).all()
    return [{**state(j), "result": None} for j in found if j.clearance <= actor.clearance]


def cancel(session: Session, actor: Actor, run_id: int) -> dict[str, Any]:
    """Stop one's own run: a queued run is cancelled at once, a running one at its next step."""
    job = _own(session, actor, run_id, "cancel")
    if job.status not in jobs.ACTIVE:
        raise Conflict(
            f"run {run_id} is {job.status}; only a queued or running run can be cancelled"
        )
    if job.status == "queued":
        job.status, job.finished_at = "cancelled", jobs.utcnow()
        job.error = f"cancelled by {actor.username}"
    else:
        job.cancel_requested = True
    session.flush()
    return state(job)


def retry(session: Session, actor: Actor, run_id: int) -> dict[str, Any]:
    """Queue one's own failed or cancelled run again, with the same parameters."""
    job = _own(session, actor, run_id, "retry")
    if job.status not in ("failed", "cancelled"):
        raise Conflict(
            f"run {run_id} is {job.status}; only a failed or cancelled run can be retried"
        )
    if job.edition_id is not None:
        edition_for(session, actor, job.edition_id, "run")  # the role may have gone since
    jobs.requeue(session, job)
    return state(job)


def output(session: Session, actor: Actor, run_id: int) -> tuple[bytes, str]:
    """The file a finished run produced (a report's PDF) and its file name."""
    job = _visible(session, actor, run_id)
    if job.status != "done" or job.output is None:
        raise NotFound(f"run {run_id} has no file (it is {job.status})")
    return job.output, str((job.result or {}).get("file", f"run-{job.id}.pdf"))
