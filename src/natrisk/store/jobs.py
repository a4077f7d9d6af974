"""Background jobs in the database: the ``jobs`` table and the queue around it.

One job model on both databases. A row holds what to do (kind, parameters, an uploaded
file), who asked and on which view, and how it went (status, progress, result, output,
error). A worker claims a queued row by a conditional UPDATE and holds it by a lease it
renews while it works; a row whose lease ran out (the worker was killed) is marked failed
with that reason by whichever worker sweeps next, and can be queued again.

How a claimed row reaches a worker differs: on SQLite the table itself is the queue
(workers poll and claim the oldest row); on PostgreSQL procrastinate delivers it (one
procrastinate job per attempt, deferred in the same transaction as the row, so a committed
job is always delivered and a rolled-back one never is).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from natrisk.store.database import Database
from natrisk.store.models import Job, utcnow

QUEUE = "natrisk"
QUEUE_SCHEMA = "procrastinate"  # PostgreSQL: procrastinate's tables live in a schema of their own
TASK = "natrisk.job"
ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled")


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    # SQLite returns naive datetimes for what was stored as UTC
    return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t


def enqueue(session: Session, job: Job) -> Job:
    """Store a queued job; it is delivered once the session's transaction commits."""
    job.status, job.progress = "queued", 0.0
    session.add(job)
    session.flush()
    _deliver(session, job.id)
    return job


def requeue(session: Session, job: Job) -> None:
    """Queue a failed or cancelled job again (a new attempt, from the start)."""
    job.status, job.progress, job.error, job.result, job.output = "queued", 0.0, None, None, None
    job.worker, job.lease_until, job.cancel_requested = None, None, False
    job.started_at = job.finished_at = None
    session.flush()
    _deliver(session, job.id)


def _deliver(session: Session, job_id: int) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: workers poll the table
    from procrastinate import jobs as pjobs

    sql = session.connection()
    conn: Any = sql.connection.dbapi_connection  # this very transaction
    conn.execute(  # procrastinate's functions find its tables for the rest of it
        "SELECT set_config('search_path', current_setting('search_path') || %s, true)",
        (f", {QUEUE_SCHEMA}",),
    )
    task = pjobs.Job(
        queue=QUEUE, lock=None, queueing_lock=None, task_name=TASK, task_kwargs={"job_id": job_id}
    )
    procrastinate_app(sql.engine.url).job_manager.batch_defer_jobs([task], connection=conn)


def procrastinate_app(url: Any, asynchronous: bool = False) -> Any:
    """A procrastinate App on the database at ``url`` (PostgreSQL)."""
    import procrastinate

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    options = {"options": f"-c search_path={QUEUE_SCHEMA},public"}
    connector: Any
    if asynchronous:
        connector = procrastinate.PsycopgConnector(
            conninfo=conninfo, kwargs=options, min_size=1, max_size=4
        )
    else:
        connector = procrastinate.SyncPsycopgConnector(
            conninfo=conninfo, kwargs=options, min_size=0, max_size=2
        )
    return procrastinate.App(connector=connector)


def next_queued(db: Database) -> int | None:
    """The oldest queued job (the SQLite queue)."""
    with db.session(write=False) as s:
        return s.scalar(select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(1))


def claim(db: Database, job_id: int, worker: str, lease: float) -> bool:
    """Take a queued job for ``worker`` with a lease of ``lease`` seconds; False if taken."""
    now = utcnow()
    with db.session() as s:
        done = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(
                status="running",
                worker=worker,
                lease_until=now + dt.timedelta(seconds=lease),
                started_at=now,
                attempts=Job.attempts + 1,
            )
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]


def renew(db: Database, job_id: int, worker: str, lease: float, progress: float | None) -> str:
    """Extend the lease (and store progress); "cancel" if the owner asked to stop, "lost" if
    the job is no longer this worker's (its lease ran out and it was failed), else "ok"."""
    values: dict[str, Any] = {"lease_until": utcnow() + dt.timedelta(seconds=lease)}
    if progress is not None:
        values["progress"] = progress
    with db.session() as s:
        done = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker == worker, Job.status == "running")
            .values(**values)
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            return "lost"
        return "cancel" if s.scalar(select(Job.cancel_requested).where(Job.id == job_id)) else "ok"


def finish(
    db: Database,
    job_id: int,
    worker: str,
    status: str,
    result: dict[str, Any] | None = None,
    output: bytes | None = None,
    error: str | None = None,
) -> bool:
    """Put a running job of ``worker`` in its final state; False if it was no longer its own."""
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "lease_until": None}
    if status == "done":  # an uploaded file is not kept once it has been imported
        values.update(progress=1.0, result=result, output=output, payload=None)
    elif result is not None:  # a refused input: its problems
        values["result"] = result
    if error is not None:
        values["error"] = error
    with db.session() as s:
        done = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker == worker, Job.status == "running")
            .values(**values)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]


def release(db: Database, job_id: int, worker: str) -> None:
    """Give a running job of ``worker`` back to the queue (the worker is stopping)."""
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is not None and job.status == "running" and job.worker == worker:
            requeue(s, job)


def expire(db: Database) -> list[int]:
    """Fail every running job whose lease ran out (its worker died or hangs); their ids."""
    now = utcnow()
    with db.session() as s:
        stale = s.scalars(
            select(Job).where(Job.status == "running", Job.lease_until < now).with_for_update()
        ).all()
        for job in stale:
            since = _aware(job.lease_until)
            job.status, job.finished_at, job.lease_until = "failed", now, None
            job.error = (
                f"the worker {job.worker} stopped during the run: its lease ran out at "
                f"{since:%Y-%m-%d %H:%M:%S} UTC without a heartbeat. Retry the run"
            )
        ids = [job.id for job in stale]
        if ids and s.get_bind().dialect.name == "postgresql":
            _finish_delivered(s, ids)
        return ids


def _finish_delivered(session: Session, ids: list[int]) -> None:
    """Close procrastinate's own record of the failed jobs (their worker died 'doing' them)."""
    conn: Any = session.connection().connection.dbapi_connection
    conn.execute(
        "SELECT set_config('search_path', current_setting('search_path') || %s, true)",
        (f", {QUEUE_SCHEMA}",),
    )
    conn.execute(
        "SELECT procrastinate_finish_job_v1(id, 'failed', false) FROM procrastinate_jobs "
        "WHERE status = 'doing' AND (args->>'job_id')::bigint = ANY(%s)",
        (ids,),
    )
