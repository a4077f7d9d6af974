"""Plans: capabilities, gaps, weighing, measures, progress, calendar and the progress report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, Response, UploadFile
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from natrisk.api.deps import ActorDep, Id, OptionalId, SessionDep
from natrisk.api.downloads import attachment
from natrisk.api.versions import IfMatch, sent_version
from natrisk.errors import InputError
from natrisk.io.plan import dump_plan, plan_text
from natrisk.security import level_name
from natrisk.services import plan_store as ps
from natrisk.services.followup import cycle_events, measure_flags, positions

router = APIRouter(prefix="/api", tags=["plans"])


class Versioned(BaseModel):
    # optional in the schema only so that If-Match may carry it; a change naming no version
    # at all is refused (400), as a score's is, since the last writer would win
    version: int | None = Field(
        default=None,
        ge=0,
        description="The version you read (or If-Match); required, 409 if it changed.",
    )


# the plan's (or measure's) version for changes whose body is the changed part itself
VersionQuery = Annotated[
    int | None, Query(ge=0, description="The version you read (or If-Match); required.")
]


class LevelsRequest(Versioned):
    levels: dict[str, int]
    rationale: str | None = Field(default=None, max_length=20000)


class NextCycleRequest(BaseModel):
    edition: int = Field(
        ge=1, le=2**31 - 1, description="Id of the edition the new plan works from."
    )
    slug: str = Field(min_length=1, max_length=100, description="Id of the new plan.")


class ProgressRequest(Versioned):
    date: dt.date | None = None
    status: str = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=20000)
    values: dict[str, float] = Field(default_factory=dict)
    milestones_done: list[str] = Field(default_factory=list, max_length=200)


def _plan_json(rec: Any, role: str) -> dict[str, Any]:
    return {
        "id": rec.id,
        "slug": rec.slug,
        "title": rec.title,
        "edition": rec.edition_id,
        "classification": level_name(rec.classification),
        "version": rec.version,
        "your_role": role,
    }


@router.get("/editions/{edition_id}/plans")
def list_plans(edition_id: Id, s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The plans of an edition that you may see."""
    out = []
    for rec in ps.plans_of(s, actor, edition_id):
        out.append(_plan_json(rec, ps.plan_for(s, actor, rec.id).role))
    return out


@router.post("/editions/{edition_id}/plans", status_code=201)
def import_plan(
    edition_id: Id, s: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Import a plan file (.yaml, .json or .xlsx, natrisk-plan/1) for this edition, all or nothing."""
    from natrisk.io.plan import load_plan_upload

    name = file.filename or "plan"
    rec = ps.import_plan(s, actor, edition_id, load_plan_upload(file.file.read(), name))
    return _plan_json(rec, ps.plan_for(s, actor, rec.id).role)


@router.get("/plans/{plan_id}")
def get_plan(plan_id: Id, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The plan as you may see it (format natrisk-plan/1), with its version."""
    sp = ps.plan_for(s, actor, plan_id)
    return {
        **_plan_json(sp.record, sp.role),
        "plan": dump_plan(ps.plan_view(s, sp, actor.clearance)),
    }


@router.get("/plans/{plan_id}/export.yaml", response_class=PlainTextResponse)
def export_plan(plan_id: Id, s: SessionDep, actor: ActorDep) -> PlainTextResponse:
    """The plan file, to edit and import again."""
    plan = ps.export_plan(s, actor, plan_id)
    return PlainTextResponse(
        plan_text(plan),
        media_type="application/yaml",
        headers={"content-disposition": f'attachment; filename="{plan.plan.id}.yaml"'},
    )


@router.get("/plans/{plan_id}/export.xlsx")
def export_plan_xlsx(plan_id: Id, s: SessionDep, actor: ActorDep) -> Response:
    """The plan as an Excel workbook (one sheet per part), to edit and import again."""
    from natrisk.io.plan_xlsx import XLSX_MEDIA_TYPE, plan_xlsx_bytes

    plan = ps.export_plan(s, actor, plan_id)
    return Response(
        plan_xlsx_bytes(plan),
        media_type=XLSX_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{plan.plan.id}.xlsx"'},
    )


@router.get("/plans/{plan_id}/analysis")
def analysis(plan_id: Id, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Requirements, ranked gaps, duplications and weighings."""
    return dict(ps.analysis_of(s, actor, ps.plan_for(s, actor, plan_id)).to_json())


@router.get("/plans/{plan_id}/capabilities/{capability}")
def capability(plan_id: Id, capability: str, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One capability: required and current levels, and the scenarios that need it."""
    result = ps.analysis_of(s, actor, ps.plan_for(s, actor, plan_id))
    if capability not in [c.id for c in result.plan.capabilities]:
        raise ps.NotFound(f"no capability {capability!r} in plan {plan_id}")
    return {**result.to_json()["requirements"][capability], "needed_by": result.needs(capability)}


@router.get("/plans/{plan_id}/coverage")
def coverage(plan_id: Id, s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Scenarios x tasks x capabilities."""
    return list(ps.analysis_of(s, actor, ps.plan_for(s, actor, plan_id)).coverage())


@router.put("/plans/{plan_id}/capabilities/{capability}/levels")
def set_levels(
    plan_id: Id,
    capability: str,
    body: LevelsRequest,
    s: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change a capability's current levels (analysts and coordinators); send the plan's version."""
    version = sent_version(if_match, body.version)
    ps.set_levels(s, actor, plan_id, capability, body.levels, body.rationale, version)
    return {"ok": True, "version": ps.plan_for(s, actor, plan_id).record.version}


@router.put("/plans/{plan_id}/weighings/{issue}")
def weigh(
    plan_id: Id,
    issue: str,
    s: SessionDep,
    actor: ActorDep,
    body: Annotated[dict[str, Any], Body()],
    version: VersionQuery = None,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Record the weighing of a security issue: the two questions, the advice (plan's version)."""
    data = {**body, "issue": issue, "author": actor.username, "date": dt.date.today().isoformat()}
    new = ps.weigh(s, actor, plan_id, data, sent_version(if_match, version))
    w = new.weighing(issue)
    return {
        "issue": issue,
        "verdict": w.verdict if w else None,
        "version": ps.plan_for(s, actor, plan_id).record.version,
    }


@router.post("/plans/{plan_id}/reports", status_code=201)
def report_text(
    plan_id: Id,
    s: SessionDep,
    actor: ActorDep,
    body: Annotated[dict[str, Any], Body()],
    version: VersionQuery = None,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Record the analysts' four-part texts and verdict for a line or issue (plan's version)."""
    ps.write_report_text(s, actor, plan_id, body, sent_version(if_match, version))
    return {"ok": True, "version": ps.plan_for(s, actor, plan_id).record.version}


@router.get("/plans/{plan_id}/measures")
def measures(
    plan_id: Id, s: SessionDep, actor: ActorDep, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """The measures you may see, with flags (overdue milestones, stalled) and versions."""
    sp = ps.plan_for(s, actor, plan_id)
    day = today or dt.date.today()
    seen = {m.id: m for m in ps.plan_view(s, sp, actor.clearance).measures}  # hidden targets gone
    out = []
    for rec in ps.measure_records(s, sp.record, actor.clearance):
        m = seen[rec.slug]
        flags = measure_flags(m, day)
        out.append(
            {
                **m.model_dump(mode="json", by_alias=True),
                "version": rec.version,
                "classification": level_name(rec.classification),
                "overdue": flags["overdue"],
                "stalled": flags["stalled"],
                "editable": ps.may_edit_measure(s, actor, sp, rec.owner),
            }
        )
    return out


@router.post("/plans/{plan_id}/measures", status_code=201)
def create_measure(
    plan_id: Id, s: SessionDep, actor: ActorDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Create a measure (contributors: for their own organisation only)."""
    m = ps.create_measure(s, actor, plan_id, body)
    return {"id": m.id}


@router.put("/plans/{plan_id}/measures/{measure}")
def change_measure(
    plan_id: Id,
    measure: str,
    s: SessionDep,
    actor: ActorDep,
    body: Annotated[dict[str, Any], Body()],
    version: VersionQuery = None,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Replace a measure's fields (milestones, indicators, targets...); its id stays. Send the
    measure's version."""
    m = ps.change_measure(s, actor, plan_id, measure, body, sent_version(if_match, version))
    rec = ps.measure_for(s, actor, ps.plan_for(s, actor, plan_id), measure)
    return {"id": m.id, "version": rec.version}


@router.post("/plans/{plan_id}/measures/{measure}/progress", status_code=201)
def report_progress(
    plan_id: Id,
    measure: str,
    body: ProgressRequest,
    s: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Report progress on a measure: status, note, indicator readings, milestones done (the
    measure's version)."""
    entry = {
        "date": (body.date or dt.date.today()).isoformat(),
        "status": body.status,
        "note": body.note,
    }
    version = sent_version(if_match, body.version)
    m = ps.progress(s, actor, plan_id, measure, entry, body.values, body.milestones_done, version)
    return {"id": m.id, "status": m.status}


@router.get("/plans/{plan_id}/targets")
def targets(plan_id: Id, s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Each targeted scenario's position now, with done measures, and at target."""
    from natrisk.services.followup import combined_targets

    result = ps.analysis_of(s, actor, ps.plan_for(s, actor, plan_id))
    wanted = set(combined_targets(result.plan.measures))
    return [r for r in positions(result.plan, result.assessment).rows() if r["id"] in wanted]


@router.get("/plans/{plan_id}/strategies")
def strategies(
    plan_id: Id,
    s: SessionDep,
    actor: ActorDep,
    today: dt.date | None = None,
    lang: Annotated[str, Query(pattern="^(en|nl)$")] = "en",
) -> list[dict[str, Any]]:
    """Strategies with their action lines and measure counts, links between lines, crosswalk."""
    from natrisk.services.followup import strategy_overview

    sp = ps.plan_for(s, actor, plan_id)
    return strategy_overview(ps.plan_view(s, sp, actor.clearance), today or dt.date.today(), lang)


@router.post("/plans/{plan_id}/next-cycle", status_code=201)
def next_cycle(
    plan_id: Id, body: NextCycleRequest, s: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Start the next cycle: a new plan on another edition, open measures carried over."""
    rec = ps.start_next_cycle(s, actor, plan_id, body.edition, body.slug)
    return _plan_json(rec, ps.plan_for(s, actor, rec.id).role)


@router.get("/plans/{plan_id}/calendar")
def calendar(
    plan_id: Id, s: SessionDep, actor: ActorDep, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """The cycle's calendar with what is done, due, late or upcoming."""
    sp = ps.plan_for(s, actor, plan_id)
    rows = cycle_events(ps.plan_view(s, sp, actor.clearance), today or dt.date.today())
    return [
        {**r, "due": r["due"].isoformat(), "done": r["done"] and r["done"].isoformat()}
        for r in rows
    ]


@router.get("/plans/{plan_id}/review.{fmt}")
def review(
    plan_id: Id,
    fmt: str,
    s: SessionDep,
    actor: ActorDep,
    lang: Annotated[str, Query(pattern="^(en|nl)$")] = "en",
    baseline: OptionalId | None = None,
    line: Annotated[str | None, Query(max_length=100)] = None,
    issue: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The progress report in midterm-review form (HTML or PDF), EN or NL; one line or issue."""
    from natrisk.report.document import render_pdf

    if fmt not in ("html", "pdf"):
        raise InputError("the progress report comes as .html or .pdf")
    sp = ps.plan_for(s, actor, plan_id)
    base = (
        baseline
        if baseline is not None
        else ps.baseline_id(s, actor, sp, ps.plan_view(s, sp, actor.clearance))
    )
    if line is not None and issue is not None:
        raise InputError("give line or issue, not both")
    if line == "" or issue == "":
        raise InputError("line and issue need an id")
    scope = (
        {"line": line} if line is not None else ({"issue": issue} if issue is not None else None)
    )
    html = ps.review_html(s, actor, plan_id, lang, base, scope)
    if fmt == "html":
        return Response(html.encode("utf-8"), media_type="text/html; charset=utf-8")
    return Response(
        render_pdf(html),
        media_type="application/pdf",
        headers=attachment(f"progress-{sp.record.slug}", "pdf", lang),
    )
