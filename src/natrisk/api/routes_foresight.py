"""Strategic foresight and deep-dives: trend sets, trends, the analysis, the report, deep-dives
and the scenarios they make (with their origin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, Response, UploadFile
from pydantic import BaseModel, Field

from natrisk.api.deps import ActorDep, Id, SessionDep
from natrisk.api.versions import IfMatch, sent_version
from natrisk.io.deepdive import dump_deepdive, parse_deepdive
from natrisk.io.trends import dump_trends, parse_upload, trends_bytes
from natrisk.services import deepdives as dds
from natrisk.services import trends as svc

router = APIRouter(prefix="/api", tags=["foresight"])
MEDIA = {
    "yaml": "application/yaml",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Change(BaseModel):
    version: int | None = Field(
        default=None, ge=0, description="The version you read (or If-Match); required."
    )
    changes: dict[str, Any] = Field(description="The fields to change and their new values.")
    reason: str = Field(default="", max_length=2000)


class NewScenario(BaseModel):
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="Fields that override or complete the proposal: likelihood, id, scores, classification.",
    )


@router.get("/editions/{edition_id}/trend-sets")
def list_sets(edition_id: Id, s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The trend sets (foresight editions) of an edition that you may see."""
    return [
        svc.set_json(r, svc.set_for(s, actor, r.id).role) for r in svc.sets_of(s, actor, edition_id)
    ]


@router.post("/editions/{edition_id}/trend-sets", status_code=201)
def import_set(
    edition_id: Id, s: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Import a trend file (.yaml, .json, .xlsx or .csv, natrisk-trends/1), all or nothing."""
    name = file.filename or "trends.yaml"
    rec = svc.import_set(s, actor, edition_id, parse_upload(file.file.read(), name), name)
    return svc.set_json(rec, svc.set_for(s, actor, rec.id).role)


@router.get("/trend-sets/{set_id}")
def get_set(set_id: Id, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The set as you may see it (natrisk-trends/1), with the version of each trend."""
    stored = svc.set_for(s, actor, set_id)
    versions = {r.slug: r.version for r in svc.trend_records(s, stored.record, actor.clearance)}
    return {
        **svc.set_json(stored.record, stored.role),
        "trend_versions": versions,
        "trends": dump_trends(svc.set_view(s, stored, actor.clearance)),
    }


@router.get("/trend-sets/{set_id}/export.{fmt}")
def export_set(set_id: Id, fmt: str, s: SessionDep, actor: ActorDep) -> Response:
    """The set as a file (yaml, json, xlsx or csv), holding what you may see."""
    if fmt not in MEDIA:
        raise svc.NotFound(f"no export format {fmt!r}; choose yaml, json, xlsx or csv")
    ts = svc.export_set(s, actor, set_id)
    return Response(
        trends_bytes(ts, f".{fmt}"),
        media_type=MEDIA[fmt],
        headers={"content-disposition": f'attachment; filename="{ts.info.id}.{fmt}"'},
    )


@router.patch("/trend-sets/{set_id}/trends/{slug}")
def change_trend(
    set_id: Id,
    slug: str,
    s: SessionDep,
    actor: ActorDep,
    body: Annotated[Change, Body()],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change a trend (direction, bearings, sources, ...); a stale version is a 409."""
    version = sent_version(if_match, body.version)
    rec = svc.update_trend(s, actor, set_id, slug, body.changes, version, body.reason)
    return {"trend": rec.slug, "version": rec.version, "document": rec.document}


@router.get("/trend-sets/{set_id}/analysis")
def analysis(
    set_id: Id,
    s: SessionDep,
    actor: ActorDep,
    baseline: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Id of the baseline set.")
    ] = None,
    lang: Annotated[str, Query(pattern="^(en|nl)$")] = "en",
) -> dict[str, Any]:
    """The trend analysis against the baseline (the one asked for, or the one the set names)."""
    a, picture = svc.analysis_of(s, actor, set_id, baseline)
    return a.to_json(picture, lang)


@router.get("/trend-sets/{set_id}/report")
def report(
    set_id: Id,
    s: SessionDep,
    actor: ActorDep,
    baseline: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    lang: Annotated[str, Query(pattern="^(en|nl)$")] = "en",
    format: Annotated[str, Query(pattern="^(html|pdf)$")] = "pdf",
) -> Response:
    """The foresight report (HTML or PDF, English or Dutch) on what you may see."""
    data = svc.report_bytes(s, actor, set_id, baseline, lang, format)
    media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
    name = f"foresight-{set_id}.{format}"
    return Response(
        data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.get("/editions/{edition_id}/deepdives")
def list_deepdives(edition_id: Id, s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The deep-dives of an edition that you may see."""
    return [
        dds.stored_json(r, dds.deepdive_for(s, actor, r.id).role)
        for r in dds.deepdives_of(s, actor, edition_id)
    ]


@router.post("/editions/{edition_id}/deepdives", status_code=201)
def create_deepdive(
    edition_id: Id, s: SessionDep, actor: ActorDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Store a deep-dive (natrisk-deepdive/1 as JSON); its references are checked."""
    dd = parse_deepdive(body, {}, "deep-dive")
    rec = dds.import_deepdive(s, actor, edition_id, dd)
    return dds.stored_json(rec, dds.deepdive_for(s, actor, rec.id).role)


@router.get("/deepdives/{dd_id}")
def get_deepdive(dd_id: Id, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A deep-dive as you may see it, with its version."""
    stored = dds.deepdive_for(s, actor, dd_id)
    return {
        **dds.stored_json(stored.record, stored.role),
        "deepdive": dump_deepdive(dds.deepdive_view(s, actor, stored)),
    }


@router.patch("/deepdives/{dd_id}")
def change_deepdive(
    dd_id: Id,
    s: SessionDep,
    actor: ActorDep,
    body: Annotated[Change, Body()],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change a deep-dive's fields; a stale version is a 409."""
    rec = dds.update_deepdive(
        s, actor, dd_id, body.changes, sent_version(if_match, body.version), body.reason
    )
    return dds.stored_json(rec, dds.deepdive_for(s, actor, rec.id).role)


@router.post("/deepdives/{dd_id}/scenarios/{proposal}", status_code=201)
def scenario_from_deepdive(
    dd_id: Id,
    proposal: str,
    s: SessionDep,
    actor: ActorDep,
    body: Annotated[NewScenario | None, Body()] = None,
) -> dict[str, Any]:
    """Create the proposed scenario in the edition (its origin kept), or record a proposed change."""
    stored = dds.deepdive_for(s, actor, dd_id, "edit")
    p = dds.deepdive_view(s, actor, stored).proposal(proposal)
    if p is not None and p.change == "changed":
        dds.record_change(s, actor, dd_id, proposal)
        return {"scenario": proposal, "edition": stored.edition.id, "change": "changed"}
    rec = dds.create_scenario(s, actor, dd_id, proposal, body.fields if body else None)
    return {
        "scenario": rec.slug,
        "edition": rec.edition_id,
        "change": "new",
        "version": rec.version,
    }


@router.get("/editions/{edition_id}/scenarios/{slug}/origin")
def scenario_origin(
    edition_id: Id, slug: str, s: SessionDep, actor: ActorDep
) -> list[dict[str, Any]]:
    """Where a scenario came from: the deep-dives, signals and trends behind it."""
    from natrisk.services.access import edition_for, scenario_for

    edition, _ = edition_for(s, actor, edition_id)
    return dds.origins_of(s, actor, scenario_for(s, actor, edition, slug))
