"""Runs in the background: start, follow, cancel, retry, and fetch what they produced.

Every run is executed by a ``natrisk worker`` process, never by the web process; progress
and results are read from the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel, Field

from natrisk.api.deps import ActorDep, Id, SessionDep
from natrisk.services import runs
from natrisk.services.sensitivity import RUN_SAMPLES

router = APIRouter(tags=["runs"])  # mounted under /api by routes_analysis
METHOD = "^(weighted-sum|medal|evamix)$"


class RunRequest(BaseModel):
    samples: int = Field(default=10000, ge=1, le=RUN_SAMPLES)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    method: str = Field(default="weighted-sum", pattern=METHOD)
    profile: str | None = Field(default=None, max_length=100)
    weight_mode: str = Field(default="around", pattern="^(fixed|around|across)$")


class CascadeRunRequest(BaseModel):
    samples: int = Field(default=10000, ge=1, le=RUN_SAMPLES)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    method: str = Field(default="weighted-sum", pattern=METHOD)
    profile: str | None = Field(default=None, max_length=100)
    lang: str = Field(default="en", pattern="^(en|nl)$")


class ReportRunRequest(BaseModel):
    samples: int = Field(default=10000, ge=100, le=RUN_SAMPLES)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    method: str = Field(default="weighted-sum", pattern=METHOD)
    profile: str | None = Field(default=None, max_length=100)
    lang: str = Field(default="en", pattern="^(en|nl)$")


def _queued(s: Any, actor: Any, kind: str, edition_id: int, body: BaseModel) -> dict[str, Any]:
    job = runs.start_kind(s, actor, kind, edition_id, body.model_dump())
    return {"id": job.id, "kind": job.kind, "status": job.status}


@router.post("/editions/{edition_id}/sensitivity", status_code=202)
def start_sensitivity(
    edition_id: Id, body: RunRequest, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """Start a sensitivity run in the background; poll GET /api/runs/{id} for progress."""
    return _queued(s, actor, "sensitivity", edition_id, body)


@router.post("/editions/{edition_id}/cascade-runs", status_code=202)
def start_cascades(
    edition_id: Id, body: CascadeRunRequest, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """Start a cascade run (cascades, variants, compounds) with up to 1,000,000 samples."""
    return _queued(s, actor, "cascades", edition_id, body)


@router.post("/editions/{edition_id}/report-runs", status_code=202)
def start_report(
    edition_id: Id, body: ReportRunRequest, actor: ActorDep, s: SessionDep
) -> dict[str, Any]:
    """Render the risk picture report (PDF) in the background; fetch it at
    GET /api/runs/{id}/output when the run is done."""
    return _queued(s, actor, "report", edition_id, body)


@router.post("/import-runs", status_code=202)
async def start_import(
    actor: ActorDep,
    s: SessionDep,
    file: Annotated[UploadFile, File()],
    new_id: Annotated[str, Form(max_length=100)] = "",
) -> dict[str, Any]:
    """Import a large workbook file (.yaml, .json or .xlsx) in the background: a worker reads,
    checks and stores it as a new draft edition, all or nothing. When done the run's result
    names the edition; when refused, it lists every problem of the file (``problems``)."""
    name = Path(file.filename or "upload.yaml").name
    job = runs.start_import(s, actor, await file.read(), name, new_id)
    return {"id": job.id, "kind": job.kind, "status": job.status}


@router.get("/runs")
def my_runs(actor: ActorDep, s: SessionDep) -> list[dict[str, Any]]:
    """The caller's own runs, newest first (without their results)."""
    return runs.mine(s, actor)


@router.get("/runs/{run_id}")
def get_run(run_id: Id, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """A run: kind, status (queued, running, done, failed, cancelled), progress (0..1), and
    its stored result when done or its reason when failed."""
    return runs.get(s, actor, run_id)


@router.post("/runs/{run_id}/cancel")
def cancel_run(run_id: Id, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Cancel one's own queued or running run (a running one stops at its next step)."""
    return runs.cancel(s, actor, run_id)


@router.post("/runs/{run_id}/retry", status_code=202)
def retry_run(run_id: Id, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Queue one's own failed or cancelled run again, with the same parameters."""
    return runs.retry(s, actor, run_id)


@router.get("/runs/{run_id}/output")
def run_output(run_id: Id, actor: ActorDep, s: SessionDep) -> Response:
    """The file a finished run produced (a report run's PDF)."""
    data, name = runs.output(s, actor, run_id)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
