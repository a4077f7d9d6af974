"""The deep-dive form: write a thematic deep-dive in the browser.

The form makes the same ``natrisk-deepdive/1`` document a file upload or
``POST /api/editions/{id}/deepdives`` would, and it goes through the same checks: a problem
is shown with its field next to what was typed, and nothing is stored.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from natrisk.api.deps import Id
from natrisk.domain.signals import HORIZONS
from natrisk.errors import InputError, NatriskError
from natrisk.io.deepdive import parse_deepdive
from natrisk.report.threat import labels
from natrisk.security import levels
from natrisk.services import deepdives as dds
from natrisk.services import signals
from natrisk.services.access import edition_for
from natrisk.services.scenarios import themes_of
from natrisk.web.plan_pages import _failed
from natrisk.web.render import language, page
from natrisk.web.session import PageActor, PageSession, check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
SHOWN = 300  # signals offered as boxes to tick; more can be named by id


def _ctx(request: Request, s: Any, actor: Any, edition_id: int) -> dict[str, Any]:
    from natrisk.web.pages import _me

    edition, _ = edition_for(s, actor, edition_id, "edit")
    lang = language(request)
    recs = [r for r in signals.visible(s, actor, edition) if r.status != "dismissed"]
    return {
        "me": _me(s, actor),
        "edition": edition,
        "themes": [(t, n.get(lang) or n.get("en") or t) for t, n in themes_of(s, edition)],
        "offered": recs[:SHOWN],
        "more": max(0, len(recs) - SHOWN),
        "horizons": HORIZONS,
        "words": labels(lang),
        "levels": [lv for i, lv in enumerate(levels()) if i <= actor.clearance],
        "form": {},
    }


@router.get("/editions/{edition_id}/deepdives/new")
def new_deepdive(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The form to write a deep-dive of one of the edition's themes."""
    return page(request, "deepdive_new.html", **_ctx(request, s, actor, edition_id))


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.splitlines() if x.strip()]


def sources_of(text: str) -> list[dict[str, Any]]:
    """Sources typed one a line: ``reference | organisation | date (YYYY-MM-DD)``."""
    out = []
    for n, line in enumerate(_lines(text), 1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 3 or not parts[0]:
            raise InputError(
                f"sources, line {n}: write 'reference | organisation | date', "
                f"the reference first (you wrote {line[:80]!r})"
            )
        src: dict[str, Any] = {"reference": parts[0]}
        if len(parts) > 1 and parts[1]:
            src["organisation"] = parts[1]
        if len(parts) > 2 and parts[2]:
            src["date"] = parts[2]
        out.append(src)
    return out


def document(form: Any, edition_slug: str) -> dict[str, Any]:
    """The deep-dive the form describes, as plain data for the file format's checks."""
    title = str(form.get("title") or "").strip()
    slug = str(form.get("id") or "").strip()
    if not slug:
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:100]
    year = str(form.get("year") or "").strip()
    chosen = [str(x) for x in form.getlist("signals")]
    doc: dict[str, Any] = {
        "id": slug,
        "title": title,
        "edition": edition_slug,
        "theme": str(form.get("theme") or ""),
        "horizon": str(form.get("horizon") or "medium"),
        "question": str(form.get("question") or ""),
        "findings": str(form.get("findings") or ""),
        "signals": list(dict.fromkeys([*chosen, *_lines(str(form.get("more_signals") or ""))])),
    }
    if year:
        doc["year"] = year
    level = str(form.get("classification") or "")
    if level:
        doc["classification"] = level
    return doc


@router.post("/editions/{edition_id}/deepdives", dependencies=[Csrf])
async def create_deepdive(
    request: Request, edition_id: Id, actor: PageActor, s: PageSession
) -> Response:
    """Store the deep-dive written in the form, all or nothing."""
    form = await request.form()
    ctx = _ctx(request, s, actor, edition_id)
    doc = document(form, ctx["edition"].slug)
    typed = {**doc, "sources": str(form.get("sources") or ""), "id": str(form.get("id") or "")}
    typed["more_signals"] = str(form.get("more_signals") or "")
    try:
        doc["sources"] = sources_of(typed["sources"])
        dd = parse_deepdive(doc, {}, "deep-dive")
        rec = dds.import_deepdive(s, actor, edition_id, dd, {}, "deep-dive")
    except NatriskError as exc:
        return _failed(request, s, exc, "deepdive_new.html", **(ctx | {"form": typed}))
    return RedirectResponse(f"/deepdives/{rec.id}?saved=1", status_code=303)
