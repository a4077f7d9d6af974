"""Horizon scanning in the API: signals, clusters, scans, the threat picture, feeds, files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Header, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from natrisk.api.deps import ActorDep, Id, SessionDep
from natrisk.api.versions import IfMatch, sent_version
from natrisk.errors import OptionError
from natrisk.services import feeds, scans, signal_clusters, signals

router = APIRouter(prefix="/api/editions", tags=["signals"])
feed_router = APIRouter(prefix="/api", tags=["feeds"])

Lang = Annotated[str, Query(pattern="^(en|nl)$")]


class Versioned(BaseModel):
    version: int | None = Field(default=None, ge=0)
    reason: str = Field(default="", max_length=5000)


class Assessment(Versioned):
    strength: str = Field(max_length=20)
    direction: str = Field(max_length=20)


class Step(Versioned):
    to: str = Field(max_length=20)
    scenario: str | None = Field(default=None, max_length=100)


class ClusterBody(BaseModel):
    signals: list[str] = Field(max_length=10_000)
    label: str = Field(default="", max_length=500)
    id: str | None = Field(default=None, max_length=100)


class SplitBody(ClusterBody):
    version: int | None = Field(default=None, ge=0)


class MergeBody(BaseModel):
    clusters: list[str] = Field(max_length=100)
    label: str = Field(default="", max_length=500)
    version: int | None = Field(default=None, ge=0)


class FeedTokenBody(BaseModel):
    label: str = Field(default="", max_length=200)


def _signal(s: Any, rec: Any) -> dict[str, Any]:
    slug = signals.cluster_slugs(s, [rec]).get(rec.id)
    return signals.view(rec, slug)


@router.get("/{edition_id}/signals")
def list_signals(
    edition_id: Id,
    s: SessionDep,
    actor: ActorDep,
    theme: str | None = None,
    status: str | None = None,
    horizon: str | None = None,
    strength: str | None = None,
    direction: str | None = None,
    cluster: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The visible signals that match, newest observation first, one page and the total."""
    f = signals.Filters(theme, status, horizon, strength, direction, q, cluster)
    rows, total = signals.list_signals(s, actor, edition_id, f, page, per_page)
    slugs = signals.cluster_slugs(s, rows)
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "signals": [signals.view(r, slugs.get(r.id)) for r in rows],
    }


@router.post("/{edition_id}/signals", status_code=201)
def submit(
    edition_id: Id, s: SessionDep, actor: ActorDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Submit a signal (any role but reader). Fields: title, description, sources
    (reference, organisation, date), observed, themes, scenarios, horizon (short, medium,
    long), classification; analysts may add strength, direction and status."""
    return _signal(s, signals.submit(s, actor, edition_id, body))


@router.get("/{edition_id}/signals/{slug}")
def get_signal(edition_id: Id, slug: str, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One signal, with its near-duplicates among the visible signals."""
    rec = signals.get_signal(s, actor, edition_id, slug)
    out = _signal(s, rec)
    out["near_duplicates"] = [
        {"id": r.slug, "title": r.title, "similarity": sim}
        for r, sim in signals.near_duplicates(s, actor, edition_id, slug)
    ]
    return out


@router.patch("/{edition_id}/signals/{slug}")
def change_signal(
    edition_id: Id,
    slug: str,
    s: SessionDep,
    actor: ActorDep,
    body: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change a signal's content (analysts; the submitter while it is new); send its version."""
    data = {k: v for k, v in body.items() if k not in ("version", "reason")}
    version = sent_version(if_match, body.get("version"))
    rec = signals.change(s, actor, edition_id, slug, data, version, str(body.get("reason") or ""))
    return _signal(s, rec)


@router.post("/{edition_id}/signals/{slug}/assessment")
def assess(
    edition_id: Id,
    slug: str,
    body: Assessment,
    s: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Judge strength (weak, moderate, strong) and direction (rising, stable, falling)."""
    version = sent_version(if_match, body.version)
    rec = signals.assess(
        s, actor, edition_id, slug, body.strength, body.direction, version, body.reason
    )
    return _signal(s, rec)


@router.post("/{edition_id}/signals/{slug}/status")
def step(
    edition_id: Id, slug: str, body: Step, s: SessionDep, actor: ActorDep, if_match: IfMatch = None
) -> dict[str, Any]:
    """Move a signal along its lifecycle: to watch, escalated, assessed, absorbed (with the
    scenario) or dismissed (with a reason)."""
    version = sent_version(if_match, body.version)
    rec = signals.step(s, actor, edition_id, slug, body.to, version, body.reason, body.scenario)
    return _signal(s, rec)


@router.get("/{edition_id}/signals/{slug}/history")
def history(edition_id: Id, slug: str, s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The signal's audit entries, oldest first."""
    return [
        {"at": e.at, "actor": e.actor, "old": e.old, "new": e.new, "reason": e.reason}
        for e in signals.history(s, actor, edition_id, slug)
    ]


# ---------------------------------------------------------------------------- clusters


@router.get("/{edition_id}/clusters/proposed")
def proposed(
    edition_id: Id,
    s: SessionDep,
    actor: ActorDep,
    distance: Annotated[float, Query(gt=0, le=1)] = signal_clusters.DISTANCE,
) -> list[dict[str, Any]]:
    """Candidate threats computed from the visible signals (not stored)."""
    return signal_clusters.propose(s, actor, edition_id, distance)


@router.get("/{edition_id}/clusters")
def clusters(edition_id: Id, s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The confirmed clusters with their visible signals."""
    return signal_clusters.confirmed(s, actor, edition_id)


def _cluster_out(s: Any, actor: Any, edition_id: int, slug: str) -> dict[str, Any]:
    found = [c for c in signal_clusters.confirmed(s, actor, edition_id) if c["id"] == slug]
    return found[0] if found else {"id": slug, "signals": []}


@router.post("/{edition_id}/clusters", status_code=201)
def confirm(edition_id: Id, body: ClusterBody, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Confirm signals as one cluster (they leave any other cluster)."""
    cl = signal_clusters.confirm(s, actor, edition_id, body.signals, body.label, body.id)
    return _cluster_out(s, actor, edition_id, cl.slug)


@router.post("/{edition_id}/clusters/{slug}/split", status_code=201)
def split(
    edition_id: Id, slug: str, body: SplitBody, s: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Split signals off a cluster into a new one; send the cluster's version."""
    cl = signal_clusters.split(
        s, actor, edition_id, slug, body.signals, body.version, body.label, body.id
    )
    return _cluster_out(s, actor, edition_id, cl.slug)


@router.post("/{edition_id}/clusters/merge")
def merge(edition_id: Id, body: MergeBody, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Merge clusters into the first named; send that cluster's version."""
    cl = signal_clusters.merge(s, actor, edition_id, body.clusters, body.version, body.label)
    return _cluster_out(s, actor, edition_id, cl.slug)


@router.delete("/{edition_id}/clusters/{slug}", status_code=204)
def dissolve(
    edition_id: Id,
    slug: str,
    s: SessionDep,
    actor: ActorDep,
    version: int | None = None,
    if_match: IfMatch = None,
) -> Response:
    """Dissolve a cluster; its signals stay, unclustered."""
    signal_clusters.dissolve(s, actor, edition_id, slug, sent_version(if_match, version))
    return Response(status_code=204)


# ---------------------------------------------------------------------------- scans


@router.get("/{edition_id}/scans")
def list_scans(edition_id: Id, s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The scan rounds of the edition, in order of their end."""
    return [scans.view(r) for r in scans.scans_of(s, actor, edition_id)]


@router.post("/{edition_id}/scans", status_code=201)
def create_scan(
    edition_id: Id, s: SessionDep, actor: ActorDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Open a scan round: id, title, start, end (analysts, coordinators)."""
    return scans.view(scans.create(s, actor, edition_id, body))


@router.patch("/{edition_id}/scans/{slug}")
def change_scan(
    edition_id: Id,
    slug: str,
    s: SessionDep,
    actor: ActorDep,
    body: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change an open scan: title, start, end, interpretations (theme -> text)."""
    version = sent_version(if_match, body.get("version"))
    data = {k: v for k, v in body.items() if k != "version"}
    return scans.view(scans.change(s, actor, edition_id, slug, data, version))


@router.post("/{edition_id}/scans/{slug}/adopt")
def adopt_scan(
    edition_id: Id,
    slug: str,
    body: Versioned,
    s: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Adopt the scan (coordinators): its snapshot of signals is kept."""
    return scans.view(scans.adopt(s, actor, edition_id, slug, sent_version(if_match, body.version)))


@router.get("/{edition_id}/scans/{slug}/picture")
def picture(
    edition_id: Id, slug: str, s: SessionDep, actor: ActorDep, lang: Lang = "en"
) -> dict[str, Any]:
    """The threat picture as data: radar (Vega-Lite), themes, changes and flags."""
    from natrisk.report.threat import picture_context

    ctx = picture_context(scans.picture(s, actor, edition_id, slug), lang)
    sections = [
        {
            "theme": sec["id"],
            "name": sec["name"],
            "interpretation": sec["interpretation"],
            "signals": [x.id for x in sec["signals"]],
        }
        for sec in ctx["sections"]
    ]
    prev = ctx["previous"]
    return {
        "scan": scans.view(ctx["scan"]),
        "previous": prev.slug if prev is not None else None,
        "signals": ctx["n_signals"],
        "counts": ctx["counts"],
        "changes": ctx["changes"],
        "flags": ctx["flags"],
        "themes": sections,
        "radar": ctx["radar"],
    }


@router.get("/{edition_id}/scans/{slug}/report")
def report(
    edition_id: Id,
    slug: str,
    s: SessionDep,
    actor: ActorDep,
    lang: Lang = "en",
    fmt: Annotated[str, Query(alias="format", pattern="^(html|pdf)$")] = "html",
) -> Response:
    """The threat picture as HTML or PDF; marked and watermarked when it holds non-public
    signals."""
    from natrisk.report.document import render_pdf
    from natrisk.report.threat import picture_context, render_threat_html
    from natrisk.services.signal_files import marks

    p = scans.picture(s, actor, edition_id, slug)
    marking, watermark = marks(p, actor.username)
    html = render_threat_html(picture_context(p, lang), marking, watermark)
    if fmt == "pdf":
        name = f"threat-picture-{slug}-{lang}.pdf"
        return Response(
            render_pdf(html),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Response(html, media_type="text/html; charset=utf-8")


# ---------------------------------------------------------------------------- files


@router.post("/{edition_id}/signals/upload", status_code=201)
def upload(
    edition_id: Id, s: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Import a signal file (YAML, JSON, XLSX or CSV), all or nothing; every bad row listed."""
    from natrisk.services.signal_files import import_upload

    name = file.filename or "upload.yaml"
    done = import_upload(s, actor, edition_id, file.file.read(), name)
    return {"signals": done.signals, "scans": done.scans, "clusters": done.clusters}


@router.get("/{edition_id}/signals-file")
def download(
    edition_id: Id,
    s: SessionDep,
    actor: ActorDep,
    fmt: Annotated[str, Query(alias="format", pattern="^(yaml|json|xlsx|csv)$")] = "yaml",
) -> Response:
    """The edition's signals, scans and clusters the reader may see, as a file."""
    from natrisk.io.signals import signals_bytes
    from natrisk.services.signal_files import export_file

    doc = export_file(s, actor, edition_id)
    media = {
        "yaml": "application/yaml",
        "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv; charset=utf-8",
    }[fmt]
    name = f"signals-{doc.edition}.{fmt}"
    return Response(
        signals_bytes(doc, f".{fmt}"),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------------------- feeds


def _feed_reader(s: Any, token: str | None, authorization: str | None) -> Any:
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer":
            raise OptionError("use 'Authorization: Bearer <token>' or ?token=")
        return feeds.reader(s, value)
    return feeds.reader(s, token or "")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@feed_router.get(
    "/feeds/{edition_id}/themes/{theme}.atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def atom_feed(
    edition_id: Id,
    theme: str,
    request: Request,
    s: SessionDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
    authorization: Annotated[str | None, Header()] = None,
    lang: Lang = "en",
) -> Response:
    """The Atom feed of one theme's signals, for feed readers: authenticate with a feed
    token (?token= or a bearer header) or an API bearer token; no browser session."""
    actor = _feed_reader(s, token, authorization)
    body = feeds.atom(s, actor, edition_id, theme, _base(request), lang)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@feed_router.get(
    "/feeds/{edition_id}/escalated.cap",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def cap_export(
    edition_id: Id,
    request: Request,
    s: SessionDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
    authorization: Annotated[str | None, Header()] = None,
    lang: Lang = "en",
) -> Response:
    """The escalated signals as an Atom feed whose entries hold one CAP 1.2 alert each
    (Alert when escalated, Update once the signal changed since)."""
    actor = _feed_reader(s, token, authorization)
    body = feeds.cap(s, actor, edition_id, _base(request), lang)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@feed_router.post("/feed-tokens", status_code=201)
def new_feed_token(body: FeedTokenBody, s: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A feed token for the signed-in user (shown once)."""
    row, token = feeds.issue_token(s, actor, body.label)
    return {"id": row.id, "label": row.label, "token": token}


@feed_router.get("/feed-tokens")
def list_feed_tokens(s: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The signed-in user's valid feed tokens (without the tokens)."""
    return [
        {"id": t.id, "label": t.label, "created_at": t.created_at.isoformat()}
        for t in feeds.tokens_of(s, actor)
    ]


@feed_router.delete("/feed-tokens/{token_id}", status_code=204)
def revoke_feed_token(token_id: Id, s: SessionDep, actor: ActorDep) -> Response:
    """Revoke one of the signed-in user's feed tokens."""
    feeds.revoke(s, actor, token_id)
    return Response(status_code=204)
