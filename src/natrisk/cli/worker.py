"""``natrisk worker``: executes the runs queued in the database (beside ``natrisk serve``)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from typing import Annotated

import typer

from natrisk.cli.app import app
from natrisk.cli.common import DaskOpt, DatabaseOpt, edges, err

LeaseOpt = Annotated[
    float,
    typer.Option(
        "--lease",
        min=0.5,
        max=3600,
        envvar="NATRISK_JOB_LEASE",
        help="Seconds a run stays claimed without a heartbeat; a run of a worker that "
        "stopped answering is marked failed after this.",
    ),
]


@app.command()
def worker(
    database: DatabaseOpt = None,
    dask: DaskOpt = None,
    lease: LeaseOpt = 30.0,
    once: Annotated[
        bool, typer.Option("--once", help="Run what is queued now, then exit.")
    ] = False,
) -> None:
    """Execute queued runs (sensitivity, cascades, reports) until stopped (SIGTERM, Ctrl-C).

    A run in progress when the worker is stopped goes back to the queue; a run of a worker
    that was killed is marked failed when its lease runs out, and can be retried.

    Example: natrisk worker --database postgresql://natrisk@db/natrisk --dask tcp://dask:8786
    """
    from natrisk.services import cluster
    from natrisk.services.worker import Worker, install_signals
    from natrisk.store.database import Database

    with edges():
        db = Database(database)
        address = cluster.scheduler(dask)
        with cluster.mapper(address) as mapper:
            w = Worker(db, lease=lease, mapper=mapper)
            where = f", samples on Dask at {address}" if address else ""
            err.print(f"worker {w.name} on {db.engine.url.render_as_string()}{where}")
            if once:
                err.print(f"{w.drain()} run(s) executed")
                return
            install_signals(w)
            w.run()
        db.close()


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the server that started it dies, even by kill -9."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    """``count`` worker processes on the database at ``url`` (for ``natrisk serve``)."""
    env = {**os.environ}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "natrisk", "worker", "--database", url],
            env=env,
            preexec_fn=_die_with_parent,
        )
        for _ in range(count)
    ]


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the workers politely (their runs go back to the queue), then wait for them."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
