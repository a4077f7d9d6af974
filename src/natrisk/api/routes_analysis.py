"""Assessment results, the risk diagram, sensitivity runs, reports and the audit check."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from natrisk.api.deps import ActorDep, Id, SessionDep, database
from natrisk.errors import InputError
from natrisk.security import level_name
from natrisk.services import audit, runs
from natrisk.services.access import Forbidden, edition_for
from natrisk.services.analysis import assessment_for, assessment_json
from natrisk.services.assessment import Assessment
from natrisk.services.sensitivity import RUN_SAMPLES, check_request_samples
from natrisk.services.workspace import highest_classification
from natrisk.store.database import Database, end_transaction
from natrisk.store.models import User

router = APIRouter(prefix="/api", tags=["analysis"])
MEDIA = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


class RunRequest(BaseModel):
    samples: int = Field(default=10000, ge=1, le=RUN_SAMPLES)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    method: str = Field(default="weighted-sum", pattern="^(weighted-sum|medal|evamix)$")
    profile: str | None = Field(default=None, max_length=100)
    weight_mode: str = Field(default="around", pattern="^(fixed|around|across)$")


def _assessment(s: Any, actor: Any, edition_id: Id, method: str, profile: str | None) -> Assessment:
    return assessment_for(s, actor, edition_id, method, profile)


@router.get(
    "/editions/{edition_id}/assessment",
    responses={
        200: {
            "content": {"application/json": {}},
            "description": "The assessment (see natrisk assess --json)",
        }
    },
)
def assessment(
    edition_id: Id,
    actor: ActorDep,
    s: SessionDep,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> Response:
    """The engine's result on the scenarios you may see, for one method and profile."""
    body = assessment_json(s, actor, edition_id, method, profile)
    return Response(body, media_type="application/json")


@router.get("/editions/{edition_id}/diagram.{fmt}")
def diagram(
    edition_id: Id,
    fmt: str,
    actor: ActorDep,
    s: SessionDep,
    method: str = "weighted-sum",
    profile: str | None = None,
    lang: str = "en",
) -> Response:
    """The risk diagram as SVG, PNG or its Vega-Lite JSON specification."""
    import json

    from natrisk.report.diagram import diagram_spec, render

    if fmt not in ("svg", "png", "json"):
        raise InputError("the diagram comes as .svg, .png or .json")
    a = _assessment(s, actor, edition_id, method, profile)
    end_transaction(s)  # drawing needs no database: hold no snapshot or connection meanwhile
    spec = diagram_spec(a, None, lang)
    body = json.dumps(spec).encode() if fmt == "json" else render(spec, fmt)
    return Response(body, media_type=MEDIA[fmt])


@router.post("/editions/{edition_id}/sensitivity", status_code=202)
def start_run(
    edition_id: Id,
    body: RunRequest,
    actor: ActorDep,
    s: SessionDep,
    db: Annotated[Database, Depends(database)],
) -> dict[str, Any]:
    """Start a sensitivity run in the background; poll GET /api/runs/{id} for progress."""
    run = runs.start(db, s, actor, edition_id, body.model_dump())
    s.commit()
    runs.launch(db, run.id)
    return {"id": run.id, "status": run.status}


@router.get("/runs/{run_id}")
def get_run(run_id: Id, actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """A sensitivity run: status, progress (0..1), and its stored result when done."""
    return runs.get(s, actor, run_id)


@router.get("/editions/{edition_id}/report.{fmt}")
def report(
    edition_id: Id,
    fmt: str,
    actor: ActorDep,
    s: SessionDep,
    lang: str = "en",
    method: str = "weighted-sum",
    samples: int = Query(default=2000, ge=100),
) -> Response:
    """The risk picture report (HTML or PDF); marked and watermarked when it holds non-public
    material. At most 20,000 samples; larger runs go to POST /api/editions/{id}/sensitivity."""
    from natrisk.report.document import render_html, render_pdf
    from natrisk.services.sensitivity import run_sensitivity
    from natrisk.services.stacking import chapter_of
    from natrisk.services.stacking_views import report_parts

    if fmt not in ("html", "pdf"):
        raise InputError("the report comes as .html or .pdf")
    if lang not in ("en", "nl"):
        raise InputError("lang is en or nl")
    check_request_samples(samples, edition_id)
    a = _assessment(s, actor, edition_id, method, None)
    stacked, roll = report_parts(s, actor, edition_id, method, lang)
    edition, _ = edition_for(s, actor, edition_id)
    level = highest_classification(s, edition, actor.clearance)
    user = s.get(User, actor.user_id)
    assert user is not None
    marking = level_name(level) if level > 0 else None
    watermark = (
        f"{user.display_name} ({user.username}) · {dt.date.today().isoformat()}"
        if level > 0
        else None
    )
    end_transaction(s)  # sampling and rendering take seconds and need no database
    sens = run_sensitivity(a.table, a.settings, samples=samples, seed=0)
    chapter = chapter_of(a, stacked, roll, lang)
    html = render_html(a, sens, lang, marking=marking, watermark=watermark, stacking=chapter)
    body = html.encode("utf-8") if fmt == "html" else render_pdf(html)
    return Response(body, media_type=MEDIA[fmt])


@router.get("/audit/verify")
def verify_audit(actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Check the audit trail's hash chain (administrators)."""
    if not actor.is_admin:
        raise Forbidden("only administrators verify the audit trail")
    _, problems = audit.verify(s)
    # counts and entry numbers would disclose how much classified work exists: the CLI shows them
    return {"intact": not problems}
