"""``natrisk worker``: the process that executes runs from the job queue.

A worker claims a queued run, holds it by a lease it renews every ``heartbeat`` seconds
(storing the progress with it), and puts it in a final state. It stops a run at its next
step when the owner cancels it, gives a run back to the queue when the worker itself is
asked to stop (SIGTERM), and fails the runs of workers that died (their lease ran out). On
SQLite it polls the table; on PostgreSQL procrastinate delivers the runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any

from natrisk.errors import NatriskError
from natrisk.services.cluster import DaskMapper
from natrisk.services.run_kinds import KINDS, Context, Rejected, Stopped
from natrisk.store import jobs
from natrisk.store.database import Database
from natrisk.store.models import Job

LEASE = 30.0


class Worker:
    """Executes runs of one database, one at a time."""

    def __init__(
        self,
        db: Database,
        name: str | None = None,
        lease: float = LEASE,
        mapper: DaskMapper | None = None,
        poll: float = 0.5,
    ) -> None:
        self.db = db
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.lease = lease
        self.heartbeat = max(0.2, min(1.0, lease / 3))
        self.mapper = mapper
        self.poll = poll
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Stop after giving the current run back to the queue."""
        self.stopping.set()

    def execute(self, job_id: int) -> str | None:
        """Claim and run one job; its final status, or None if another worker had it."""
        if self.stopping.is_set() or not jobs.claim(self.db, job_id, self.name, self.lease):
            return None
        with self.db.session(write=False) as s:
            job = s.get(Job, job_id)
            assert job is not None
        latest: list[float | None] = [None]
        verdict: list[str] = ["ok"]
        finished = threading.Event()

        def beat() -> None:
            while not finished.wait(self.heartbeat):
                try:
                    said = jobs.renew(self.db, job_id, self.name, self.lease, latest[0])
                except NatriskError:
                    continue  # a busy database: the lease has time to spare
                if said != "ok":
                    verdict[0] = said

        def progress(fraction: float) -> None:
            latest[0] = round(min(max(fraction, 0.0), 1.0), 4)
            if self.stopping.is_set():
                raise Stopped("the worker is stopping")
            if verdict[0] != "ok":
                raise Stopped(verdict[0])

        beater = threading.Thread(target=beat, name=f"natrisk-lease-{job_id}", daemon=True)
        beater.start()
        try:
            return self._run(job, Context(self.db, job, progress, self.mapper))
        finally:
            finished.set()
            beater.join()

    def _run(self, job: Job, ctx: Context) -> str:
        kind = KINDS.get(job.kind)
        try:
            if kind is None:
                raise NatriskError(f"this worker does not know runs of kind {job.kind!r}")
            outcome = kind(ctx)
        except Stopped as exc:
            if exc.message == "lost":
                return "lost"  # its lease ran out and it was failed; nothing more to do
            if exc.message == "cancel":
                jobs.finish(self.db, job.id, self.name, "cancelled", error="cancelled by its owner")
                return "cancelled"
            jobs.release(self.db, job.id, self.name)  # the worker stops: queued again
            return "queued"
        except Rejected as exc:
            jobs.finish(self.db, job.id, self.name, "failed", result=exc.detail, error=exc.message)
            return "failed"
        except MemoryError:
            return self._fail(job, "the worker ran out of memory; try fewer samples")
        except NatriskError as exc:
            return self._fail(job, exc.message)
        except Exception as exc:  # a worker must always leave its run in a final state
            traceback.print_exc(file=sys.stderr)
            return self._fail(job, f"internal error: {type(exc).__name__}")
        jobs.finish(self.db, job.id, self.name, "done", outcome.result, outcome.output)
        return "done"

    def _fail(self, job: Job, message: str) -> str:
        jobs.finish(self.db, job.id, self.name, "failed", error=message)
        return "failed"

    def sweep(self) -> list[int]:
        """Fail the runs of workers whose lease ran out; their ids."""
        try:
            return jobs.expire(self.db)
        except NatriskError:
            return []

    def drain(self) -> int:
        """Run every queued job, then return how many ran (any database)."""
        count = 0
        self.sweep()
        while (job_id := jobs.next_queued(self.db)) is not None:
            if self.execute(job_id) is not None:
                count += 1
        return count

    def run(self) -> None:
        """Work until stopped (SIGTERM or SIGINT): poll on SQLite, procrastinate on PostgreSQL."""
        if self.db.engine.dialect.name == "postgresql":
            self._run_procrastinate()
        else:
            self.poll_table()

    def poll_table(self) -> None:
        """Work until stopped, polling the table for queued runs (works on any database)."""
        last = 0.0
        while not self.stopping.is_set():
            if time.monotonic() - last > self.heartbeat:
                self.sweep()
                last = time.monotonic()
            try:
                job_id = jobs.next_queued(self.db)
                if job_id is not None:
                    self.execute(job_id)
                    continue
            except NatriskError as exc:  # a busy or unreachable database: try again soon
                print(f"worker {self.name}: {exc.message}", file=sys.stderr)
            self.stopping.wait(self.poll)

    def _run_procrastinate(self) -> None:
        app = jobs.procrastinate_app(self.db.engine.url, asynchronous=True)

        @app.task(name=jobs.TASK, queue=jobs.QUEUE)
        def run_job(job_id: int) -> None:
            self.execute(job_id)

        def sweeper() -> None:
            while not self.stopping.wait(self.heartbeat):
                self.sweep()

        threading.Thread(target=sweeper, name="natrisk-sweeper", daemon=True).start()
        self.sweep()

        async def main() -> None:
            async with app.open_async():
                task = asyncio.ensure_future(
                    app.run_worker_async(
                        queues=[jobs.QUEUE],
                        name=self.name,
                        concurrency=1,
                        install_signal_handlers=False,
                        update_heartbeat_interval=self.heartbeat,
                        stalled_worker_timeout=self.lease,
                        delete_jobs="successful",
                    )
                )
                loop = asyncio.get_running_loop()
                stopper = loop.run_in_executor(None, self.stopping.wait)
                await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

        asyncio.run(main())


def install_signals(worker: Worker) -> None:
    """SIGTERM and SIGINT stop the worker politely (the current run goes back to the queue)."""

    def handler(_sig: int, _frame: Any) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
