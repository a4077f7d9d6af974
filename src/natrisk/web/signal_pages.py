"""Horizon scanning in the browser: the signal inbox, the signal page (judgement, lifecycle,
near-duplicates, clusters), candidate threats, the scans and the scan page with the radar."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from natrisk.api.deps import Id
from natrisk.domain.signals import DIRECTIONS, HORIZONS, STATUSES, STEPS, STRENGTHS
from natrisk.errors import NatriskError, WorkbookError
from natrisk.report.threat import labels, picture_context
from natrisk.security import allows, level_name, levels
from natrisk.services import feeds, scans, signal_clusters, signals
from natrisk.services.access import edition_for
from natrisk.services.scenarios import themes_of
from natrisk.web.render import language, page
from natrisk.web.session import PageActor, PageSession, check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
PER_PAGE = 50


def _me(s: Any, actor: Any) -> dict[str, Any]:
    from natrisk.web.pages import _me as me

    return me(s, actor)


def _base(request: Request, s: Any, actor: Any, edition_id: int) -> dict[str, Any]:
    edition, role = edition_for(s, actor, edition_id)
    lang = language(request)
    themes = [(tid, n.get(lang) or n.get("en") or tid) for tid, n in themes_of(s, edition)]
    return {
        "me": _me(s, actor),
        "edition": edition,
        "role": role,
        "can_submit": allows(role, "signal"),
        "can_edit": allows(role, "edit"),
        "can_adopt": allows(role, "transition"),
        "themes": themes,
        "theme_names": dict(themes),
        "words": labels(lang),
        "level_name": level_name,
    }


def _failed(
    request: Request, template: str, exc: NatriskError, s: Any, ctx: dict[str, Any]
) -> Response:
    problems = exc.problems if isinstance(exc, WorkbookError) else []
    status = int(getattr(exc, "status", 400))
    s.rollback()
    return page(request, template, status=status, error=exc.message, problems=problems, **ctx)


def _filters(request: Request) -> signals.Filters:
    q = request.query_params

    def pick(name: str, allowed: tuple[str, ...] | None = None) -> str | None:
        value = (q.get(name) or "").strip()[:200]
        return value if value and (allowed is None or value in allowed) else None

    return signals.Filters(
        theme=pick("theme"),
        status=pick("status", STATUSES),
        horizon=pick("horizon", HORIZONS),
        strength=pick("strength", STRENGTHS),
        direction=pick("direction", DIRECTIONS),
        q=pick("q"),
        cluster=pick("cluster"),
    )


def _inbox(request: Request, s: Any, actor: Any, edition_id: int) -> dict[str, Any]:
    ctx = _base(request, s, actor, edition_id)
    raw = request.query_params.get("page") or "1"
    number = int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1
    f = _filters(request)
    rows, total = signals.list_signals(s, actor, edition_id, f, number, PER_PAGE)
    query = {k: v for k, v in f.__dict__.items() if v}
    return {
        **ctx,
        "rows": rows,
        "clusters": signals.cluster_slugs(s, rows),
        "total": total,
        "page_no": number,
        "pages": max(1, -(-total // PER_PAGE)),
        "f": f,
        "query": query,
        "statuses": STATUSES,
        "horizons": HORIZONS,
        "strengths": STRENGTHS,
        "directions": DIRECTIONS,
        "levels": [lv for i, lv in enumerate(levels()) if i <= actor.clearance],
        "scans": scans.scans_of(s, actor, edition_id),
        "scenario_names": signals.scenario_titles(s, actor, ctx["edition"]),
        "form": {},
    }


@router.get("/editions/{edition_id}/signals")
def inbox(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The signal inbox: filters, full-text search, pages; a form to submit a signal."""
    return page(request, "signals.html", **_inbox(request, s, actor, edition_id))


@router.post("/editions/{edition_id}/signals", dependencies=[Csrf])
async def submit(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Submit a signal from the inbox's form."""
    form = await request.form()
    ctx = _inbox(request, s, actor, edition_id)
    body: dict[str, Any] = {
        "title": str(form.get("title") or ""),
        "description": str(form.get("description") or ""),
        "observed": str(form.get("observed") or "") or None,
        "themes": [str(t) for t in form.getlist("themes")],
        "scenarios": [str(x) for x in form.getlist("scenarios") if str(x)],
        "horizon": str(form.get("horizon") or "") or None,
        "classification": str(form.get("classification") or "") or None,
    }
    reference = str(form.get("source") or "").strip()
    if reference:
        body["sources"] = [
            {"reference": reference, "organisation": str(form.get("source_org") or "")}
        ]
    try:
        rec = signals.submit(s, actor, edition_id, body)
    except NatriskError as exc:
        return _failed(request, "signals.html", exc, s, ctx | {"form": body})
    return RedirectResponse(f"/editions/{edition_id}/signals/{rec.slug}?saved=1", status_code=303)


def _signal_ctx(request: Request, s: Any, actor: Any, edition_id: int, slug: str) -> dict[str, Any]:
    ctx = _base(request, s, actor, edition_id)
    rec = signals.get_signal(s, actor, edition_id, slug)
    cluster = signals.cluster_slugs(s, [rec]).get(rec.id)
    names = signals.scenario_titles(s, actor, ctx["edition"])
    return {
        **ctx,
        "sig": rec,
        "view": signals.view(rec, cluster),
        "duplicates": signals.near_duplicates(s, actor, edition_id, slug),
        "history": signals.history(s, actor, edition_id, slug),
        "steps": STEPS.get(rec.status, ()),
        "scenario_names": names,
        "strengths": STRENGTHS,
        "directions": DIRECTIONS,
    }


@router.get("/editions/{edition_id}/signals/{slug}")
def signal_page(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """A signal: what, where from, the judgement, its lifecycle, near-duplicates, history."""
    return page(request, "signal.html", **_signal_ctx(request, s, actor, edition_id, slug))


def _version(form: Any) -> int | None:
    raw = str(form.get("version") or "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@router.post("/editions/{edition_id}/signals/{slug}/assessment", dependencies=[Csrf])
async def assess(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """An analyst's judgement of strength and direction."""
    form = await request.form()
    ctx = _signal_ctx(request, s, actor, edition_id, slug)
    try:
        signals.assess(
            s,
            actor,
            edition_id,
            slug,
            str(form.get("strength") or ""),
            str(form.get("direction") or ""),
            _version(form),
            "assessed in the browser",
        )
    except NatriskError as exc:
        return _failed(request, "signal.html", exc, s, ctx)
    return RedirectResponse(f"/editions/{edition_id}/signals/{slug}?saved=1", status_code=303)


@router.post("/editions/{edition_id}/signals/{slug}/status", dependencies=[Csrf])
async def step(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """A lifecycle step (watch, escalate, absorb into a scenario, dismiss with a reason)."""
    form = await request.form()
    ctx = _signal_ctx(request, s, actor, edition_id, slug)
    try:
        signals.step(
            s,
            actor,
            edition_id,
            slug,
            str(form.get("to") or ""),
            _version(form),
            str(form.get("reason") or ""),
            str(form.get("scenario") or "") or None,
        )
    except NatriskError as exc:
        return _failed(request, "signal.html", exc, s, ctx)
    return RedirectResponse(f"/editions/{edition_id}/signals/{slug}?saved=1", status_code=303)


@router.post("/editions/{edition_id}/signals/{slug}/cluster", dependencies=[Csrf])
async def cluster_with_duplicates(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """Confirm this signal and the near-duplicates ticked as one cluster."""
    form = await request.form()
    ctx = _signal_ctx(request, s, actor, edition_id, slug)
    members = [slug, *(str(x) for x in form.getlist("signals"))]
    try:
        cl = signal_clusters.confirm(s, actor, edition_id, members, str(form.get("label") or ""))
    except NatriskError as exc:
        return _failed(request, "signal.html", exc, s, ctx)
    return RedirectResponse(f"/editions/{edition_id}/clusters#cluster-{cl.slug}", status_code=303)


# ---------------------------------------------------------------------------- clusters

PROPOSALS_WAIT = 3.0  # seconds a page waits for proposals being computed before it says so
PROPOSALS_PER_PAGE = 50  # proposals shown at once (at 20,000 signals there are hundreds)


def _clusters_ctx(request: Request, s: Any, actor: Any, edition_id: int) -> dict[str, Any]:
    ctx = _base(request, s, actor, edition_id)
    titles = {r.slug: r.title for r in signal_clusters.summaries(s, actor, ctx["edition"])}
    proposed, share = signal_clusters.proposals(s, actor, edition_id, wait=PROPOSALS_WAIT)
    open_ = [g for g in proposed or [] if not g["confirmed"]]
    raw = request.query_params.get("page") or "1"
    pages = max(1, -(-len(open_) // PROPOSALS_PER_PAGE))
    at = min(max(int(raw), 1), pages) if raw.isdigit() and len(raw) < 7 else 1
    first = (at - 1) * PROPOSALS_PER_PAGE
    return {
        **ctx,
        "proposed": None if proposed is None else open_[first : first + PROPOSALS_PER_PAGE],
        "proposal_page": at,
        "proposal_pages": pages,
        "proposals_total": len(open_),
        "computed": round(share * 100),
        "confirmed": signal_clusters.confirmed(s, actor, edition_id),
        "titles": titles,
    }


@router.get("/editions/{edition_id}/clusters")
def clusters_page(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Candidate threats: proposals to confirm, and the confirmed clusters to split or merge."""
    return page(request, "clusters.html", **_clusters_ctx(request, s, actor, edition_id))


@router.post("/editions/{edition_id}/clusters", dependencies=[Csrf])
async def clusters_action(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Confirm, split, merge or dissolve (the form's 'action')."""
    form = await request.form()
    ctx = _clusters_ctx(request, s, actor, edition_id)
    action = str(form.get("action") or "")
    members = [str(x) for x in form.getlist("signals")]
    label = str(form.get("label") or "")
    try:
        if action == "confirm":
            signal_clusters.confirm(s, actor, edition_id, members, label)
        elif action == "split":
            signal_clusters.split(
                s, actor, edition_id, str(form.get("cluster") or ""), members, _version(form), label
            )
        elif action == "merge":
            names = [str(form.get("cluster") or ""), str(form.get("other") or "")]
            signal_clusters.merge(s, actor, edition_id, names, _version(form), label)
        elif action == "dissolve":
            signal_clusters.dissolve(
                s, actor, edition_id, str(form.get("cluster") or ""), _version(form)
            )
        else:
            raise NatriskError(f"unknown action {action!r}")
    except NatriskError as exc:
        return _failed(request, "clusters.html", exc, s, ctx)
    return RedirectResponse(f"/editions/{edition_id}/clusters?saved={action}", status_code=303)


# ---------------------------------------------------------------------------- scans


@router.get("/editions/{edition_id}/scans")
def scans_page(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The scan rounds of the edition, and a form to open one."""
    ctx = _base(request, s, actor, edition_id)
    return page(request, "scans.html", scans=scans.scans_of(s, actor, edition_id), **ctx)


@router.post("/editions/{edition_id}/scans", dependencies=[Csrf])
async def open_scan(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """Open a scan round."""
    form = await request.form()
    ctx = _base(request, s, actor, edition_id)
    body = {k: str(form.get(k) or "") or None for k in ("id", "title", "start", "end")}
    try:
        rec = scans.create(s, actor, edition_id, body)
    except NatriskError as exc:
        return _failed(
            request, "scans.html", exc, s, ctx | {"scans": scans.scans_of(s, actor, edition_id)}
        )
    return RedirectResponse(f"/editions/{edition_id}/scans/{rec.slug}", status_code=303)


def _scan_ctx(request: Request, s: Any, actor: Any, edition_id: int, slug: str) -> dict[str, Any]:
    ctx = _base(request, s, actor, edition_id)
    lang = language(request)
    picture = picture_context(scans.picture(s, actor, edition_id, slug), lang)
    spec = dict(picture["radar"])
    for key in ("lang", "words", "edition", "version", "today"):
        picture.pop(key)
    return {**ctx, **picture, "spec": json.dumps(spec), "labels_words": ctx["words"]}


@router.get("/editions/{edition_id}/scans/{slug}")
def scan_page(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """The scan: radar, what changed since the previous scan, flagged scenarios, themes."""
    return page(request, "scan.html", **_scan_ctx(request, s, actor, edition_id, slug))


@router.post("/editions/{edition_id}/scans/{slug}/interpretation", dependencies=[Csrf])
async def interpret(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """Save the interpretation of one theme."""
    form = await request.form()
    ctx = _scan_ctx(request, s, actor, edition_id, slug)
    theme = str(form.get("theme") or "")
    try:
        scans.change(
            s,
            actor,
            edition_id,
            slug,
            {"interpretations": {theme: str(form.get("text") or "")}},
            _version(form),
        )
    except NatriskError as exc:
        return _failed(request, "scan.html", exc, s, ctx)
    return RedirectResponse(
        f"/editions/{edition_id}/scans/{slug}?saved={theme}#theme-{theme}", status_code=303
    )


@router.post("/editions/{edition_id}/scans/{slug}/adopt", dependencies=[Csrf])
async def adopt(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """The coordinator adopts the scan."""
    form = await request.form()
    ctx = _scan_ctx(request, s, actor, edition_id, slug)
    try:
        scans.adopt(s, actor, edition_id, slug, _version(form))
    except NatriskError as exc:
        return _failed(request, "scan.html", exc, s, ctx)
    return RedirectResponse(f"/editions/{edition_id}/scans/{slug}?saved=adopted", status_code=303)


@router.get("/editions/{edition_id}/scans/{slug}/report")
def scan_report(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """The threat picture as a download (PDF or HTML, English or Dutch)."""
    from natrisk.report.document import render_pdf
    from natrisk.report.threat import render_threat_html
    from natrisk.services.signal_files import marks

    fmt = "html" if request.query_params.get("format") == "html" else "pdf"
    lang = request.query_params.get("lang") or language(request)
    lang = lang if lang in ("en", "nl") else "en"
    p = scans.picture(s, actor, edition_id, slug)
    marking, watermark = marks(p, actor.username)
    html = render_threat_html(picture_context(p, lang), marking, watermark)
    data = render_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    name = f"threat-picture-{slug}-{lang}.{fmt}"
    return Response(
        data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.post("/editions/{edition_id}/feed-token", dependencies=[Csrf])
async def feed_token(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Make a feed token and show it once on the inbox."""
    form = await request.form()
    ctx = _inbox(request, s, actor, edition_id)
    _, token = feeds.issue_token(s, actor, str(form.get("label") or "")[:200])
    return page(request, "signals.html", new_token=token, **ctx)
