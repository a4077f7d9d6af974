"""The pages of how threats combine: an edition's cascades (arrows, variants, compounds), one
scenario's butterfly, and the regions x scenarios heat map of the roll-up."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from natrisk.api.deps import Id
from natrisk.errors import InputError
from natrisk.method.aggregation import METHODS
from natrisk.services.access import NotFound, edition_for
from natrisk.services.analysis import assessment_for
from natrisk.services.stacking_views import DEFAULT_SAMPLES, cascades_for, rollup_for
from natrisk.web.render import language, page
from natrisk.web.session import PageActor, PageSession

router = APIRouter(include_in_schema=False)


def _me(s: Any, actor: Any) -> dict[str, Any]:
    from natrisk.web.pages import _me as me

    return me(s, actor)


def _method(request: Request) -> str:
    method = request.query_params.get("method") or "weighted-sum"
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose {', '.join(METHODS)}")
    return method


@router.get("/editions/{edition_id}/cascades")
def cascades(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The edition's cascades: the diagram with arrows, variants and compounds, and tables."""
    from natrisk.report.stacking import cascade_spec, moved

    method, lang = _method(request), language(request)
    edition, _ = edition_for(s, actor, edition_id)
    result = cascades_for(s, actor, edition_id, method, None, DEFAULT_SAMPLES, 0, lang)
    fw = assessment_for(s, actor, edition_id, method).table.framework
    data = result.to_json()
    spec = cascade_spec(fw, method, data, lang, link=f"/editions/{edition_id}/cascades/")
    spec["width"] = "container"
    spec["title"] = spec["title"]["text"]  # the figure's caption explains it, and wraps
    linked = sorted(
        (r for r in data["scenarios"] if moved(r)),
        key=lambda r: (-(r["cascaded_mean"] - r["direct_score"]), r["id"]),
    )
    return page(
        request,
        "cascades.html",
        me=_me(s, actor),
        edition=edition,
        data=data,
        linked=linked,
        spec=json.dumps(spec),
        method=method,
        methods=METHODS,
    )


@router.get("/editions/{edition_id}/cascades/{slug}")
def scenario_cascades(
    request: Request, edition_id: Id, slug: str, actor: PageActor, s: PageSession
) -> Response:
    """One scenario's butterfly: what sets it off (left) and what it sets off (right)."""
    from natrisk.report.stacking import butterfly_spec

    method, lang = _method(request), language(request)
    edition, _ = edition_for(s, actor, edition_id)
    result = cascades_for(s, actor, edition_id, method, None, DEFAULT_SAMPLES, 0, lang)
    row = result.scenario(slug)
    if row is None:
        raise NotFound(f"no scenario {slug!r} in edition {edition_id}")
    spec = butterfly_spec(row, lang, None, link=f"/editions/{edition_id}/cascades/")
    return page(
        request,
        "cascade_scenario.html",
        me=_me(s, actor),
        edition=edition,
        row=row,
        data=result.to_json(),
        spec=json.dumps(spec),
        method=method,
    )


@router.get("/editions/{edition_id}/regions")
def regions(request: Request, edition_id: Id, actor: PageActor, s: PageSession) -> Response:
    """The roll-up of the regional editions into this one: regions x scenarios heat map."""
    from natrisk.report.stacking import class_of, heat_spec

    method, lang = _method(request), language(request)
    edition, _ = edition_for(s, actor, edition_id)
    roll = rollup_for(s, actor, edition_id, method, lang)
    fw = assessment_for(s, actor, edition_id, method).table.framework
    spec = json.dumps(heat_spec(fw, roll, lang)) if roll["rows"] else None
    return page(
        request,
        "regions.html",
        me=_me(s, actor),
        edition=edition,
        roll=roll,
        spec=spec,
        method=method,
        methods=METHODS,
        class_of=lambda pos: class_of(fw, pos),
        heat_colour=_heat_colour,
    )


def _heat_colour(position: float) -> tuple[str, bool]:
    """The heat map's colour for a position on the class scale, and whether text is white."""
    from natrisk.report.document import HEAT

    k = min(max(int(position + 0.5), 0), len(HEAT) - 1)
    return HEAT[k], k >= 4
