"""Sensitivity runs in the background: queued, progress readable, result stored."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session

from natrisk.errors import NatriskError
from natrisk.services.access import Actor, NotFound, edition_for
from natrisk.services.assessment import resolve_settings
from natrisk.services.sensitivity import run_sensitivity
from natrisk.services.workspace import framework_of, table_view
from natrisk.store.database import Database
from natrisk.store.models import Edition, SensitivityRun

_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="natrisk-run")


def start(
    db: Database, session: Session, actor: Actor, edition_id: int, params: dict[str, Any]
) -> SensitivityRun:
    """Queue a run on the actor's view of the edition; it starts after this transaction commits.

    Runs take the server minutes, so they need the "run" permission (not every reader has it).
    """
    edition, _ = edition_for(session, actor, edition_id, "run")
    resolve_settings(framework_of(session, edition), params["method"], params.get("profile"))
    run = SensitivityRun(
        edition_id=edition.id,
        requested_by=actor.user_id,
        clearance=actor.clearance,
        status="queued",
        params=params,
    )
    session.add(run)
    session.flush()
    return run


def launch(db: Database, run_id: int) -> None:
    """Hand a committed run to the worker thread."""
    _POOL.submit(_work, db, run_id)


def _work(db: Database, run_id: int) -> None:
    try:
        with db.session() as s:
            run = s.get(SensitivityRun, run_id)
            assert run is not None
            run.status = "running"
            edition = s.get(Edition, run.edition_id)
            assert edition is not None
            book, table = table_view(s, edition, run.clearance)
            settings = resolve_settings(
                framework_of(s, edition), run.params["method"], run.params.get("profile")
            )
            params = dict(run.params)

        def progress(done: int, total: int) -> None:
            with db.session() as ps:
                r = ps.get(SensitivityRun, run_id)
                if r is not None:
                    r.progress = done / total

        result = run_sensitivity(
            table,
            settings,
            samples=params["samples"],
            seed=params["seed"],
            weight_mode=params["weight_mode"],
            progress=progress,
        )
        with db.session() as s:
            run = s.get(SensitivityRun, run_id)
            assert run is not None
            run.result, run.status, run.progress = result.to_json(), "done", 1.0
    except (NatriskError, MemoryError) as exc:
        _fail(db, run_id, getattr(exc, "message", "out of memory"))
    except Exception as exc:  # a worker must always leave its run in a final state
        _fail(db, run_id, f"internal error: {type(exc).__name__}")


def _fail(db: Database, run_id: int, message: str) -> None:
    with db.session() as s:
        run = s.get(SensitivityRun, run_id)
        if run is not None:
            run.status, run.error = "failed", message


def get(session: Session, actor: Actor, run_id: int) -> dict[str, Any]:
    """A run's state and, when done, its result (only to those who may see its view)."""
    run = session.get(SensitivityRun, run_id)
    if run is None or run.clearance > actor.clearance:
        raise NotFound(f"no sensitivity run {run_id}")
    try:
        edition_for(session, actor, run.edition_id)
    except NotFound as exc:  # answer exactly as for a run that does not exist
        raise NotFound(f"no sensitivity run {run_id}") from exc
    return {
        "id": run.id,
        "edition": run.edition_id,
        "status": run.status,
        "progress": run.progress,
        "params": run.params,
        "result": run.result,
        "error": run.error,
    }
