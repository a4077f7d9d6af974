"""The foresight pages: trend sets (the trends page, with the analysis and the report) and
thematic deep-dives (the deep-dive page), and where a scenario came from."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from natrisk.api.deps import Id
from natrisk.domain.trends import DIRECTIONS
from natrisk.errors import InputError, NatriskError
from natrisk.report.threat import labels
from natrisk.security import allows, level_name
from natrisk.services import deepdives as dds
from natrisk.services import trends as svc
from natrisk.web.plan_pages import _failed  # the form again, with every problem
from natrisk.web.render import language, page
from natrisk.web.session import PageActor, PageSession, check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


def _me(s: Any, actor: Any) -> dict[str, Any]:
    from natrisk.web.pages import _me as me

    return me(s, actor)


def _foresight_ctx(s: Any, actor: Any) -> dict[str, Any]:
    from natrisk.services.access import visible_editions

    deepdives = []
    editable = []
    for edition, role in visible_editions(s, actor):
        deepdives += [(r, edition) for r in dds.deepdives_of(s, actor, edition.id)]
        if allows(role, "edit"):
            editable.append(edition)
    return {
        "me": _me(s, actor),
        "sets": svc.visible_sets(s, actor),
        "deepdives": deepdives,
        "editable": editable,
        "level_name": level_name,
    }


@router.get("/foresight")
def foresight_page(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Every trend set and deep-dive you may see, and the import of trend and deep-dive files."""
    return page(request, "foresight.html", **_foresight_ctx(s, actor))


@router.post("/foresight/import", dependencies=[Csrf])
async def foresight_import(request: Request, actor: PageActor, s: PageSession) -> Response:
    """Import a trend file (.yaml, .json, .xlsx, .csv) or a deep-dive (.yaml, .json) into an
    edition; every problem is shown and nothing is stored if anything is wrong."""
    from pathlib import Path

    from natrisk.io import deepdive as dd_io
    from natrisk.io.trends import parse_upload

    async with request.form() as form:  # closes the upload's temporary file
        upload = form.get("file")
        sent = None if upload is None or isinstance(upload, str) else upload
        name = Path(sent.filename).name if sent is not None and sent.filename else ""
        data = await sent.read() if sent is not None else b""
        kind = str(form.get("kind") or "")
        raw = str(form.get("edition") or "")
    ctx = _foresight_ctx(s, actor)  # read before a rollback closes the transaction
    try:
        if not name:
            raise InputError("choose a file")
        if not raw.isdigit() or len(raw) > 9:
            raise InputError("choose the edition to import into")
        if kind == "trends":
            rec = svc.import_set(s, actor, int(raw), parse_upload(data, name), name)
            return RedirectResponse(f"/trend-sets/{rec.id}", status_code=303)
        if kind == "deepdive":
            dd, where = dd_io.parse_upload(data, name)
            made = dds.import_deepdive(s, actor, int(raw), dd, where, name)
            return RedirectResponse(f"/deepdives/{made.id}", status_code=303)
        raise InputError("choose what the file holds: trends or a deep-dive")
    except NatriskError as exc:
        return _failed(request, s, exc, "foresight.html", kind=kind, **ctx)


def _trends_ctx(request: Request, s: Any, actor: Any, set_id: int) -> dict[str, Any]:
    from natrisk.report.foresight import bearing_spec

    lang = language(request)
    raw = request.query_params.get("baseline") or ""
    baseline = int(raw) if raw.isdigit() and len(raw) < 10 else None
    stored = svc.set_for(s, actor, set_id)
    a, picture = svc.analysis_of(s, actor, set_id, baseline)
    ctx = svc.report_context(a, picture, lang)
    ctx.pop("lang")  # the page sets the language itself
    spec = bearing_spec(ctx["chart"], lang)
    spec["width"] = "container"
    versions = {r.slug: r.version for r in svc.trend_records(s, stored.record, actor.clearance)}
    others = [(r, e) for r, e in svc.visible_sets(s, actor) if r.id != set_id]
    return {
        **ctx,
        "me": _me(s, actor),
        "stored": stored,
        "spec": json.dumps(spec) if ctx["chart"] else None,
        "versions": versions,
        "others": others,
        "baseline_id": a.baseline
        and next((r.id for r, _ in others if r.slug == a.baseline.info.id), None),
        "can_edit": allows(stored.role, "edit"),
        "directions": DIRECTIONS,
        "level_name": level_name,
    }


@router.get("/trend-sets/{set_id}")
def trends_page(request: Request, set_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The trends by group, the chart of what they bear on, and the analysis against a baseline."""
    return page(request, "trends.html", **_trends_ctx(request, s, actor, set_id))


@router.get("/trend-sets/{set_id}/report")
def trends_report(request: Request, set_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The foresight report as a download (PDF or HTML, English or Dutch)."""
    fmt = request.query_params.get("format") or "pdf"
    lang = request.query_params.get("lang") or language(request)
    raw = request.query_params.get("baseline") or ""
    baseline = int(raw) if raw.isdigit() and len(raw) < 10 else None
    data = svc.report_bytes(s, actor, set_id, baseline, lang if lang in ("en", "nl") else "en", fmt)
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    name = f"foresight-{set_id}-{lang}.{fmt}"
    return Response(
        data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.post("/trend-sets/{set_id}/trends/{slug}", dependencies=[Csrf])
async def save_trend(
    request: Request, set_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """Change a trend's direction (and description) with the version read."""
    form = await request.form()
    ctx = _trends_ctx(request, s, actor, set_id)  # read before writing
    try:
        raw = str(form.get("version") or "")
        version = int(raw) if raw.isdigit() else None
        changes: dict[str, Any] = {"direction": str(form.get("direction") or "")}
        if "description" in form:
            changes["description"] = str(form.get("description") or "")
        svc.update_trend(s, actor, set_id, slug, changes, version, "changed in the browser")
    except NatriskError as exc:
        return _failed(request, s, exc, "trends.html", **ctx)
    return RedirectResponse(f"/trend-sets/{set_id}?saved={slug}#trend-{slug}", status_code=303)


def _deepdive_ctx(request: Request, s: Any, actor: Any, dd_id: int) -> dict[str, Any]:
    stored = dds.deepdive_for(s, actor, dd_id)
    dd = dds.deepdive_view(s, actor, stored)
    signals = dds.signals_of(s, stored.edition, actor.clearance)
    trends = dds.trends_of(s, actor)
    from natrisk.services.workspace import scenario_records

    scenarios = {
        r.slug: r
        for r in scenario_records(s, stored.edition)
        if r.classification <= actor.clearance
    }
    return {
        "me": _me(s, actor),
        "stored": stored,
        "dd": dd,
        "signals": signals,
        "trends": trends,
        "scenarios": scenarios,
        "can_edit": allows(stored.role, "edit"),
        "level_name": level_name,
        "ui_lang": language(request),
        "words": labels(language(request)),
    }


@router.get("/deepdives/{dd_id}")
def deepdive_page(request: Request, dd_id: Id, actor: PageActor, s: PageSession) -> Response:
    """A deep-dive: its theme, question and findings, the signals and trends it rests on, and
    the scenarios it proposes (created ones link to their page)."""
    return page(request, "deepdive.html", **_deepdive_ctx(request, s, actor, dd_id))


@router.post("/deepdives/{dd_id}/scenarios/{proposal}", dependencies=[Csrf])
async def deepdive_scenario(
    request: Request, dd_id: Id, proposal: str, actor: PageActor, s: PageSession
) -> Response:
    """Create the proposed scenario (its origin kept), or record a proposed change."""
    form = await request.form()
    ctx = _deepdive_ctx(request, s, actor, dd_id)
    edition = ctx["stored"].edition
    try:
        p = ctx["dd"].proposal(proposal)
        if p is not None and p.change == "changed":
            dds.record_change(s, actor, dd_id, proposal)
        else:
            likelihood = str(form.get("likelihood") or "").strip()
            dds.create_scenario(
                s, actor, dd_id, proposal, {"likelihood": likelihood} if likelihood else None
            )
    except NatriskError as exc:
        return _failed(request, s, exc, "deepdive.html", **ctx)
    return RedirectResponse(f"/editions/{edition.id}/scenarios/{proposal}", status_code=303)


@router.get("/editions/{edition_id}/scenarios/{slug}/origin")
def origin_page(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """Where a scenario came from: a fragment of the scenario page (HTMX), or a page of its own."""
    from natrisk.services.access import edition_for, scenario_for

    edition, _ = edition_for(s, actor, edition_id)
    scen = scenario_for(s, actor, edition, slug)
    origins = dds.origins_of(s, actor, scen)
    if request.headers.get("hx-request"):
        return page(request, "_origin.html", origins=origins, ui_lang=language(request))
    return page(
        request,
        "origin.html",
        me=_me(s, actor),
        edition=edition,
        scen=scen,
        origins=origins,
        ui_lang=language(request),
    )
