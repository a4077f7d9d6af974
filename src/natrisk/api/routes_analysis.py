"""Sensitivity runs, reports and the audit check (the assessment and diagram: routes_picture)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Response

from natrisk.api import routes_runs
from natrisk.api.deps import ActorDep, Id, SessionDep
from natrisk.api.downloads import attachment
from natrisk.errors import InputError
from natrisk.security import level_name
from natrisk.services import audit
from natrisk.services.access import Forbidden, edition_for
from natrisk.services.analysis import assessment_for
from natrisk.services.assessment import Assessment
from natrisk.services.sensitivity import check_request_samples
from natrisk.services.workspace import highest_classification
from natrisk.store.database import end_transaction
from natrisk.store.models import User

router = APIRouter(prefix="/api", tags=["analysis"])
router.include_router(routes_runs.router)  # runs: sensitivity, cascades and reports, by workers
MEDIA = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def _assessment(s: Any, actor: Any, edition_id: Id, method: str, profile: str | None) -> Assessment:
    return assessment_for(s, actor, edition_id, method, profile)


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
    if fmt == "html":
        return Response(html.encode("utf-8"), media_type=MEDIA[fmt])
    name = attachment(f"{edition.slug}-risk-picture", "pdf", lang)
    return Response(render_pdf(html), media_type=MEDIA[fmt], headers=name)


@router.get("/audit/verify")
def verify_audit(actor: ActorDep, s: SessionDep) -> dict[str, Any]:
    """Check the audit trail's hash chain (administrators)."""
    if not actor.is_admin:
        raise Forbidden("only administrators verify the audit trail")
    _, problems = audit.verify(s)
    # counts and entry numbers would disclose how much classified work exists: the CLI shows them
    return {"intact": not problems}
