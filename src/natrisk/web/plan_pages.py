"""The plan pages: gaps, capabilities, weighing, coverage, measures, progress, calendar."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from natrisk.api.deps import Id
from natrisk.domain.plan import DIMENSIONS, MEASURE_STATUSES, PHASES, Measure
from natrisk.errors import InputError, NatriskError, WorkbookError
from natrisk.security import allows, level_name, levels
from natrisk.services import plan_store as ps
from natrisk.services.access import visible_editions
from natrisk.services.followup import combined_targets, cycle_events, measure_flags, positions
from natrisk.web.render import language, page
from natrisk.web.session import PageActor, PageSession, check_csrf, text_field

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


def _base(request: Request, s: Any, actor: Any, plan_id: int) -> dict[str, Any]:
    from natrisk.services.accounts import organisation_names
    from natrisk.web.pages import _me

    sp = ps.plan_for(s, actor, plan_id)
    plan = ps.plan_view(s, sp, actor.clearance)
    return {
        "me": _me(s, actor),
        "sp": sp,
        "plan": plan,
        "can_edit": allows(sp.role, "edit"),
        "can_measure": allows(sp.role, "measure"),
        "today": dt.date.today(),
        "level_name": level_name,
        "ui_lang": language(request),
        # owners and leads by name, not id: the plan's own names first, then the system's
        "orgs": organisation_names(s)
        | {k: t.get(language(request)) for k, t in plan.plan.organisations.items()},
    }


def _failed(request: Request, s: Any, exc: Exception, template: str, **ctx: Any) -> Response:
    """Show the form again with what was typed and every problem; nothing was stored."""
    status = int(getattr(exc, "status", 400))
    message = exc.message if isinstance(exc, NatriskError) else str(exc)
    problems = exc.problems if isinstance(exc, WorkbookError) else []
    # render while what was read is still loaded, then drop whatever the failed change began
    response = page(request, template, status=status, error=message, problems=problems, **ctx)
    s.rollback()
    return response


@router.get("/plans/{plan_id}")
def plan_page(request: Request, plan_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The plan: ranked gaps, duplications, weighing per issue, measures, target risk."""
    from natrisk.report.diagram import target_spec

    ctx = _base(request, s, actor, plan_id)
    result = ps.analysis_of(s, actor, ctx["sp"])
    plan = result.plan
    targeted = set(combined_targets([m for m in plan.measures if m.status != "cancelled"]))
    rows = [r for r in positions(plan, result.assessment).rows() if r["id"] in targeted]
    lang = language(request)
    spec = target_spec(
        rows, result.assessment, lang, link=f"/editions/{ctx['sp'].edition.id}/scenarios/"
    )
    spec["width"] = "container"
    caps = {c.id: c for c in plan.capabilities}
    measures = [{"m": m, **measure_flags(m, ctx["today"])} for m in plan.measures]
    return page(
        request,
        "plan.html",
        **ctx,
        result=result,
        caps=caps,
        measures=measures,
        spec=json.dumps(spec) if rows else None,
        lines=plan.lines_current_first(),
        replaced=plan.replaced_strategies(),
        baseline=ps.baseline_id(s, actor, ctx["sp"], plan),
        can_cycle=allows(ctx["sp"].role, "transition"),
        other_editions=[
            e
            for e, role in visible_editions(s, actor)
            if e.id != ctx["sp"].edition.id and allows(role, "edit")
        ],
    )


@router.get("/plans/{plan_id}/capabilities/{capability}")
def capability_page(
    request: Request, plan_id: Id, capability: str, actor: PageActor, s: PageSession
) -> Response:
    """One capability: required vs current per dimension, and the scenarios that need it."""
    ctx = _base(request, s, actor, plan_id)
    return page(request, "capability.html", **ctx, **_capability(s, actor, ctx, capability))


def _capability(s: Any, actor: Any, ctx: dict[str, Any], capability: str) -> dict[str, Any]:
    result = ps.analysis_of(s, actor, ctx["sp"])
    if capability not in [c.id for c in result.plan.capabilities]:
        raise ps.NotFound(f"no capability {capability!r} in this plan")
    c = result.capability(capability)
    dims = [
        {"id": d, "required": int(result.required[c, k]), "current": int(result.current[c, k])}
        for k, d in enumerate(DIMENSIONS)
    ]
    titles = {sc.id: sc.title for sc in result.assessment.table.scenarios}
    return {
        "cap": result.plan.capabilities[c],
        "dims": dims,
        "needs": result.needs(capability),
        "titles": titles,
        "tasks": {t.id: t for t in result.plan.tasks},
        "scale": result.plan.plan.levels,
    }


@router.post("/plans/{plan_id}/capabilities/{capability}", dependencies=[Csrf])
async def save_levels(
    request: Request, plan_id: Id, capability: str, actor: PageActor, s: PageSession
) -> Response:
    """Save a capability's current levels."""
    form = await request.form()
    ctx = _base(
        request, s, actor, plan_id
    )  # read before writing: after a rollback nothing can be read
    extra = _capability(s, actor, ctx, capability)
    try:
        values = {}
        for d in DIMENSIONS:
            raw = str(form.get(d) or "").strip()
            if raw:
                if not raw.lstrip("-").isdigit():
                    raise InputError(f"{d}: {raw!r} is not a whole number")
                values[d] = int(raw)
        version = int(str(form.get("version") or "0")) or None
        rationale = text_field(form.get("rationale"), "rationale") or None
        ps.set_levels(s, actor, plan_id, capability, values, rationale, version)
    except NatriskError as exc:
        return _failed(request, s, exc, "capability.html", **ctx, **extra)
    return RedirectResponse(f"/plans/{plan_id}/capabilities/{capability}?saved=1", status_code=303)


@router.get("/plans/{plan_id}/issues/{issue}")
def issue_page(
    request: Request, plan_id: Id, issue: str, actor: PageActor, s: PageSession
) -> Response:
    """A security issue with its scenarios, and the weighing form."""
    ctx = _base(request, s, actor, plan_id)
    return page(request, "issue.html", **ctx, **_issue(ctx, issue, s, actor), form=None)


def _issue(ctx: dict[str, Any], issue: str, s: Any = None, actor: Any = None) -> dict[str, Any]:
    from natrisk.services.workspace import scenario_records

    plan = ctx["plan"]
    titles = (
        {
            r.slug: r.title
            for r in scenario_records(s, ctx["sp"].edition)
            if r.classification <= actor.clearance
        }
        if s is not None
        else {}
    )
    found = next((i for i in plan.security_issues if i.id == issue), None)
    if found is None:
        raise ps.NotFound(f"no security issue {issue!r} in this plan")
    lines = [ln for s in plan.strategies for ln in s.lines if issue in ln.issues]
    return {
        "issue": found,
        "weighing": plan.weighing(issue),
        "lines": lines,
        "phases": PHASES,
        "titles": titles,
    }


@router.post("/plans/{plan_id}/issues/{issue}", dependencies=[Csrf])
async def save_weighing(
    request: Request, plan_id: Id, issue: str, actor: PageActor, s: PageSession
) -> Response:
    """Record the weighing: the two questions with rationale, and the advice."""
    form = await request.form()
    ctx = _base(request, s, actor, plan_id)
    extra = _issue(ctx, issue, s, actor)

    def answer(name: str) -> Any:
        value = str(form.get(name) or "")
        return {"yes": True, "no": False}.get(value, value or None)

    data = {
        "issue": issue,
        "integrated": {
            "answer": answer("integrated"),
            "rationale": text_field(form.get("integrated_why"), "rationale"),
        },
        "sufficient": {
            "answer": answer("sufficient"),
            "rationale": text_field(form.get("sufficient_why"), "rationale"),
        },
        "advice": {
            "invest": text_field(form.get("invest"), "invest"),
            "not_invest": text_field(form.get("not_invest"), "not_invest"),
            "phases": [str(p) for p in form.getlist("phases")],
            "by": [p.strip() for p in str(form.get("by") or "").split(",") if p.strip()],
            "instruments": [str(p) for p in form.getlist("instruments")],
            "proportionality": text_field(form.get("proportionality"), "proportionality"),
            "acceptability": text_field(form.get("acceptability"), "acceptability"),
            "other_interests": text_field(form.get("other_interests"), "other_interests"),
        },
        "author": actor.username,
        "date": dt.date.today().isoformat(),
    }
    try:
        version = int(str(form.get("version") or "0")) or None
        ps.weigh(s, actor, plan_id, data, version)
    except NatriskError as exc:
        return _failed(request, s, exc, "issue.html", **ctx, **extra, form=form)
    return RedirectResponse(f"/plans/{plan_id}/issues/{issue}?saved=1", status_code=303)


@router.get("/plans/{plan_id}/coverage")
def coverage_page(request: Request, plan_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The coverage matrix: prioritised scenarios x tasks x capabilities."""
    ctx = _base(request, s, actor, plan_id)
    result = ps.analysis_of(s, actor, ctx["sp"])
    titles = {sc.id: sc.title for sc in result.assessment.table.scenarios}
    tasks = {t.id: t for t in result.plan.tasks}
    caps = {c.id: c for c in result.plan.capabilities}
    return page(
        request,
        "coverage.html",
        **ctx,
        rows=result.coverage(),
        titles=titles,
        tasks=tasks,
        caps=caps,
    )


@router.get("/plans/{plan_id}/strategy")
def strategy_page(request: Request, plan_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The strategies: action lines by objective with their measures, links, crosswalk."""
    from natrisk.services.followup import strategy_overview

    ctx = _base(request, s, actor, plan_id)
    data = strategy_overview(ctx["plan"], ctx["today"], language(request))
    return page(request, "strategy.html", **ctx, strategies=data)


@router.get("/plans/{plan_id}/calendar")
def calendar_page(request: Request, plan_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The cycle's calendar: what is due and what is late."""
    ctx = _base(request, s, actor, plan_id)
    events = cycle_events(ctx["plan"], ctx["today"])
    if request.query_params.get("all") != "1":
        events = [e for e in events if e["status"] != "unrecorded"]
    return page(request, "calendar.html", **ctx, events=events)


@router.get("/plans/{plan_id}/measures/new")
def new_measure_page(request: Request, plan_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The form for a new measure."""
    ctx = _base(request, s, actor, plan_id)
    return page(request, "measure_new.html", **ctx, **_choices(s, actor, ctx), form=None)


def _choices(s: Any, actor: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    return {
        "phases": PHASES,
        "statuses": MEASURE_STATUSES,
        "lines": ctx["plan"].lines_current_first(),
        "replaced": ctx["plan"].replaced_strategies(),
        "own_org": ps.organisation_slug(s, actor),
        "levels": levels()[: actor.clearance + 1],
    }


@router.post("/plans/{plan_id}/measures", dependencies=[Csrf])
async def create_measure(
    request: Request, plan_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Create a measure (with optional first milestone and target)."""
    form = await request.form()
    ctx = _base(request, s, actor, plan_id)
    extra = _choices(s, actor, ctx)
    data: dict[str, Any] = {
        "id": text_field(form.get("id"), "id", 100),
        "title": text_field(form.get("title"), "title", 500),
        "line": text_field(form.get("line"), "line", 100),
        "owner": text_field(form.get("owner"), "owner", 100),
        "phase": str(form.get("phase") or ""),
        "budget": text_field(form.get("budget"), "budget", 500),
        "status": str(form.get("status") or "planned"),
        "classification": str(form.get("classification") or "") or None,
    }
    ms_title = text_field(form.get("milestone_title"), "milestone", 500)
    if ms_title:
        data["milestones"] = [{"title": ms_title, "due": str(form.get("milestone_due") or "")}]
    scen = text_field(form.get("target_scenario"), "target scenario", 100)
    if scen:
        target: dict[str, Any] = {"scenario": scen, "criteria": {}}
        if form.get("target_likelihood"):
            target["likelihood"] = str(form.get("target_likelihood"))
        crit = text_field(form.get("target_criterion"), "criterion", 20)
        if crit:
            target["criteria"][crit] = str(form.get("target_class") or "")
        data["targets"] = [target]
    try:
        m = ps.create_measure(s, actor, plan_id, data)
    except NatriskError as exc:
        return _failed(request, s, exc, "measure_new.html", **ctx, **extra, form=form)
    return RedirectResponse(f"/plans/{plan_id}/measures/{m.id}?created=1", status_code=303)


@router.get("/plans/{plan_id}/measures/{measure}")
def measure_page(
    request: Request, plan_id: Id, measure: str, actor: PageActor, s: PageSession
) -> Response:
    """A measure: milestones, indicators, target risk, progress, and the progress form."""
    ctx = _base(request, s, actor, plan_id)
    return page(request, "measure.html", **ctx, **_measure(s, actor, ctx, measure))


def _measure(s: Any, actor: Any, ctx: dict[str, Any], slug: str) -> dict[str, Any]:
    from natrisk.report.diagram import indicator_spec

    sp = ctx["sp"]
    rec = ps.measure_for(s, actor, sp, slug)
    m = next((x for x in ctx["plan"].measures if x.id == slug), None)  # hidden targets left out
    if m is None:
        m = Measure.model_validate(rec.document)
    readings = any(i.values for i in m.indicators)
    return {
        "spec": json.dumps(indicator_spec(m.indicators, ctx["ui_lang"])) if readings else None,
        "m": m,
        "rec": rec,
        "flags": measure_flags(m, ctx["today"]),
        "editable": ps.may_edit_measure(s, actor, sp, rec.owner),
        "statuses": MEASURE_STATUSES,
        "line": ctx["plan"].lines().get(m.line),
    }


@router.post("/plans/{plan_id}/measures/{measure}/progress", dependencies=[Csrf])
async def save_progress(
    request: Request, plan_id: Id, measure: str, actor: PageActor, s: PageSession
) -> Response:
    """Report progress: status, note, indicator readings, milestones done."""
    form = await request.form()
    ctx = _base(request, s, actor, plan_id)
    extra = _measure(s, actor, ctx, measure)
    try:
        readings = {}
        for key, value in form.multi_items():
            if key.startswith("value:") and str(value).strip():
                try:
                    readings[key.removeprefix("value:")] = float(str(value))
                except ValueError as exc:
                    raise InputError(
                        f"{key.removeprefix('value:')}: {value!r} is not a number"
                    ) from exc
        entry = {
            "date": str(form.get("date") or dt.date.today().isoformat()),
            "status": str(form.get("status") or ""),
            "note": text_field(form.get("note"), "note"),
        }
        version = int(str(form.get("version") or "0")) or None
        done = [str(v) for v in form.getlist("milestone_done")]
        ps.progress(s, actor, plan_id, measure, entry, readings, done, version)
    except (NatriskError, ValueError) as exc:
        return _failed(request, s, exc, "measure.html", **ctx, **extra)
    return RedirectResponse(f"/plans/{plan_id}/measures/{measure}?saved=1", status_code=303)


@router.post("/plans/{plan_id}/measures/{measure}/add/{part}", dependencies=[Csrf])
async def add_to_measure(
    request: Request, plan_id: Id, measure: str, part: str, actor: PageActor, s: PageSession
) -> Response:
    """Add a milestone, an indicator or a target to a measure."""
    form = await request.form()
    ctx = _base(request, s, actor, plan_id)
    extra = _measure(s, actor, ctx, measure)

    def field(name: str, limit: int = 500) -> str:
        return text_field(form.get(name), name, limit)

    try:
        if part == "milestone":
            item: dict[str, Any] = {"title": field("title"), "due": field("due", 20)}
        elif part == "indicator":
            item = {
                "id": field("id", 100),
                "title": field("title"),
                "unit": field("unit", 50),
                "target": field("target", 50) or None,
                "direction": field("direction", 10) or "up",
            }
        else:
            item = {"scenario": field("scenario", 100), "criteria": {}}
            if field("likelihood", 5):
                item["likelihood"] = field("likelihood", 5)
            if field("criterion", 20):
                item["criteria"][field("criterion", 20)] = field("class", 5)
            item["rationale"] = field("rationale", 5000)
        version = int(str(form.get("version") or "0")) or None
        ps.add_to_measure(s, actor, plan_id, measure, part, item, version)
    except (NatriskError, ValueError) as exc:
        return _failed(request, s, exc, "measure.html", **ctx, **extra)
    return RedirectResponse(f"/plans/{plan_id}/measures/{measure}?saved=1", status_code=303)


@router.post("/plans/{plan_id}/reports", dependencies=[Csrf])
async def save_report(request: Request, plan_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Record the analysts' four-part texts and verdict for an action line."""
    form = await request.form()
    line = text_field(form.get("line"), "line", 100, required=True)
    data = {
        "id": f"r-{dt.date.today().isoformat()}-{line}",
        "scope": {"line": line},
        "date": dt.date.today().isoformat(),
        **{k: text_field(form.get(k), k) for k in ("summary", "threat", "resilience", "approach")},
        "verdict": str(form.get("verdict") or ""),
    }
    sent = str(form.get("version") or "")
    # the report form of plan.html carries no version yet: until it does, the version is the
    # one read now, so a report text saved from the page still replaces one of the same id
    version = int(sent) if sent.isdigit() else ps.plan_for(s, actor, plan_id).record.version
    ps.write_report_text(s, actor, plan_id, data, version)
    return RedirectResponse(f"/plans/{plan_id}?report=1#reports", status_code=303)


@router.post("/plans/{plan_id}/next-cycle", dependencies=[Csrf])
async def next_cycle(request: Request, plan_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Start the next cycle's plan on another edition."""
    form = await request.form()
    raw = str(form.get("edition") or "")
    if not raw.isdigit():
        raise InputError("choose the edition the next cycle's plan works from")
    slug = text_field(form.get("slug"), "plan id", 100, required=True)
    rec = ps.start_next_cycle(s, actor, plan_id, int(raw), slug)
    return RedirectResponse(f"/plans/{rec.id}", status_code=303)


@router.post("/editions/{edition_id}/plans", dependencies=[Csrf])
async def import_plan(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Import a plan file for an edition (all or nothing)."""
    from natrisk.io.plan import load_plan_upload

    async with request.form() as form:  # closes the upload's temporary file
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("choose a plan file (.yaml, .json or .xlsx) to upload")
        raw_bytes = await upload.read()
        name = upload.filename or "plan"
    rec = ps.import_plan(s, actor, edition_id, load_plan_upload(raw_bytes, name))
    return RedirectResponse(f"/plans/{rec.id}", status_code=303)
