"""The job queue with real processes: ``natrisk worker`` killed with -9 mid-run (the run is
failed with its reason and can be retried), runs queued across a server restart, cancel.

On an SQLite file (workers poll the table) and on PostgreSQL (procrastinate delivers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.served import SECRET_KEY, Served, seed

from natrisk.errors import Conflict
from natrisk.services import runs
from natrisk.services.access import Actor, Forbidden
from natrisk.store.database import Database
from natrisk.store.models import Job, User

LONG = 400_000  # samples: a run that takes seconds, long enough to be caught mid-way
PARAMS = {"seed": 3, "method": "weighted-sum", "profile": None, "weight_mode": "around"}


@pytest.fixture
def seeded(db_url: str) -> Iterator[tuple[Database, int]]:
    """The example edition with analysts, on a fresh database of each kind."""
    edition = seed(db_url).edition
    db = Database(db_url)
    yield db, edition
    db.close()


def actor(db: Database, name: str) -> Actor:
    with db.session(write=False) as s:
        user = s.query(User).filter_by(username=name).one()
        return Actor.of(user)


def submit(db: Database, edition: int, samples: int, who: str = "analyst0") -> int:
    owner = actor(db, who)
    with db.session() as s:
        return runs.start(s, owner, edition, {**PARAMS, "samples": samples}).id


def job(db: Database, job_id: int) -> Job:
    with db.session(write=False) as s:
        found = s.get(Job, job_id)
        assert found is not None
        return found


def wait_for(what: Callable[[], Any], timeout: float = 120.0, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting: {message}")


class WorkerProcess:
    """``natrisk worker`` in a subprocess, with a short lease."""

    def __init__(self, url: str, home: Path, lease: float = 2.0) -> None:
        env = {**os.environ, "NATRISK_SECRET_KEY": SECRET_KEY, "XDG_DATA_HOME": str(home)}
        env.pop("NATRISK_DASK_SCHEDULER", None)
        self.log = home / f"worker-{time.monotonic_ns()}.log"
        home.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "natrisk",
                    "worker",
                    "--database",
                    url,
                    "--lease",
                    str(lease),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def workers(db_url: str, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(lease: float = 2.0) -> WorkerProcess:
        w = WorkerProcess(db_url, tmp_path / "home", lease)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def test_a_worker_killed_mid_run_fails_the_run_with_its_reason_and_it_can_be_retried(
    seeded: tuple[Database, int], workers: Callable[..., WorkerProcess]
) -> None:
    db, edition = seeded
    a0, a1 = actor(db, "analyst0"), actor(db, "analyst1")
    run_id = submit(db, edition, LONG)
    first = workers()
    wait_for(
        lambda: job(db, run_id).status == "running" and job(db, run_id).progress > 0,
        message=f"the run never made progress:\n{first.output()}",
    )
    first.kill9()
    stuck = job(db, run_id)
    assert stuck.status == "running" and stuck.progress < 1.0  # nobody has noticed yet
    second = workers()  # sweeps: the dead worker's lease runs out
    failed = wait_for(
        lambda: (j := job(db, run_id)).status == "failed" and j,
        message=f"the run was not failed:\n{second.output()}",
    )
    assert "lease ran out" in failed.error and str(first.proc.pid) in failed.error
    assert failed.attempts == 1
    # the reason reaches the user, and only the owner may retry
    with db.session() as s:
        state = runs.get(s, a0, run_id)
        assert state["status"] == "failed" and "Retry" in state["error"]
        with pytest.raises(Forbidden):
            runs.retry(s, a1, run_id)
    with db.session() as s:
        assert runs.retry(s, a0, run_id)["status"] == "queued"
    done = wait_for(
        lambda: (j := job(db, run_id)).status == "done" and j,
        timeout=300,
        message=f"the retried run did not finish:\n{second.output()}",
    )
    assert done.attempts == 2 and done.error is None and done.progress == 1.0
    assert done.result is not None and done.result["samples"] == LONG
    with db.session() as s, pytest.raises(Conflict):
        runs.retry(s, a0, run_id)  # a finished run is not run again
    if db.engine.dialect.name == "postgresql":
        # procrastinate delivered both attempts; the dead worker's one is closed as failed,
        # the finished one deleted
        with db.engine.connect() as conn:
            delivered = conn.exec_driver_sql(
                "SELECT status::text FROM procrastinate.procrastinate_jobs "
                f"WHERE (args->>'job_id')::int = {run_id} ORDER BY id"
            ).scalars()
            assert list(delivered) == ["failed"]


def test_a_run_can_be_cancelled_by_its_owner_queued_or_running(
    seeded: tuple[Database, int], workers: Callable[..., WorkerProcess]
) -> None:
    db, edition = seeded
    a0, a1 = actor(db, "analyst0"), actor(db, "analyst1")
    queued = submit(db, edition, 1000)
    with db.session() as s, pytest.raises(Forbidden):
        runs.cancel(s, a1, queued)
    with db.session() as s:
        assert runs.cancel(s, a0, queued)["status"] == "cancelled"
    running = submit(db, edition, 5 * LONG)
    after = submit(db, edition, 200)
    w = workers()
    wait_for(lambda: job(db, running).status == "running", message=w.output())
    with db.session() as s:
        assert runs.cancel(s, a0, running)["cancel_requested"] is True
    stopped = wait_for(
        lambda: (j := job(db, running)).status == "cancelled" and j, message=w.output()
    )
    assert stopped.progress < 1.0 and stopped.result is None
    assert "cancelled" in (stopped.error or "")
    # the worker goes on with the next run; the cancelled queued one never ran
    wait_for(lambda: job(db, after).status == "done", message=w.output())
    assert job(db, queued).attempts == 0
    with db.session() as s, pytest.raises(Conflict):
        runs.cancel(s, a0, after)


def test_runs_queued_before_a_server_restart_still_run(db_url: str, tmp_path: Path) -> None:
    """``natrisk serve`` starts one worker; kill -9 the server mid-run and start it again."""
    info = seed(db_url)
    server = Served(db_url, tmp_path / "srv")
    try:
        client = server.client("analyst0")
        body = {**PARAMS, "samples": LONG}
        ids = []
        for _ in range(2):
            r = client.post(f"/api/editions/{info.edition}/sensitivity", json=body)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        wait_for(
            lambda: client.get(f"/api/runs/{ids[0]}").json()["status"] == "running",
            message=server.log(),
        )
        client.close()
        server.kill()  # its worker is told to stop and gives the run back to the queue
        db = Database(db_url)
        try:
            wait_for(
                lambda: job(db, ids[0]).status == "queued",
                timeout=30,
                message=f"the run was not given back:\n{server.log()}",
            )
            assert job(db, ids[1]).status == "queued"
        finally:
            db.close()
        server.start()
        client = server.client("analyst0")
        for run_id in ids:
            state = wait_for(
                lambda run_id=run_id: (
                    (r := client.get(f"/api/runs/{run_id}").json())["status"] in ("done", "failed")
                    and r
                ),
                timeout=300,
                message=server.log(),
            )
            assert state["status"] == "done", state
            assert state["result"]["samples"] == LONG
        mine = client.get("/api/runs").json()
        assert {r["id"] for r in mine} >= set(ids)
        client.close()
    finally:
        server.stop()


def test_a_large_import_runs_in_a_worker_all_or_nothing(seeded: tuple[Database, int]) -> None:
    from tests.served import EXAMPLE

    from natrisk.services.worker import Worker
    from natrisk.store.models import Edition

    db, _ = seeded
    admin = actor(db, "admin")
    good = EXAMPLE.read_bytes()
    bad = good.replace(b'class: "A"', b'class: "Q"', 1)
    with db.session() as s:
        ok = runs.start_import(s, admin, good, "nl.yaml", "nl-imported").id
        refused = runs.start_import(s, admin, bad, "bad.yaml", "nl-refused").id
    with db.session(write=False) as s:
        before = s.query(Edition).count()
    assert Worker(db, name="import-test").drain() == 2
    with db.session() as s:
        done = runs.get(s, admin, ok)
        failed = runs.get(s, admin, refused)
        with pytest.raises(runs.NotFound):  # another user does not see the upload at all
            runs.get(s, actor(db, "analyst0"), ok)
    assert done["status"] == "done" and done["result"]["slug"] == "nl-imported"
    assert failed["status"] == "failed" and "bad.yaml" in failed["error"]
    problems = failed["result"]["problems"]
    assert problems and all("line" in p["where"] for p in problems), problems
    with db.session(write=False) as s:
        assert s.query(Edition).count() == before + 1  # the refused file stored nothing
        assert s.get(Edition, done["result"]["edition"]) is not None
        assert job(db, ok).payload is None  # the file is not kept once imported
