"""How threats combine, per edition: cascades, intensity variants, compounds and the regional
roll-up, as JSON and as charts. Whoever may read the edition may read these; everything is
computed on what the reader may see (docs/web.md, "Stacking threats")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from natrisk.api.deps import ActorDep, Id, SessionDep
from natrisk.errors import InputError
from natrisk.services.access import NotFound
from natrisk.services.stacking import Stacked
from natrisk.services.stacking_views import DEFAULT_SAMPLES, cascades_for, rollup_for
from natrisk.store.database import end_transaction

router = APIRouter(prefix="/api", tags=["stacking"])
MEDIA = {"svg": "image/svg+xml", "png": "image/png", "json": "application/json"}

Method = Annotated[
    str, Query(pattern="^(weighted-sum|medal|evamix)$", description="Aggregation method.")
]
Samples = Annotated[
    int,
    Query(
        description="Monte Carlo samples per scenario (at most 20,000 in one request).",
    ),
]
Seed = Annotated[int, Query(ge=0, le=2**32 - 1, description="Random seed.")]
Lang = Annotated[str, Query(pattern="^(en|nl)$", description="Language of readings: en or nl.")]


@dataclass
class CascadeQuery:
    """The settings of a cascade computation, as query parameters."""

    method: Method = "weighted-sum"
    profile: Annotated[str | None, Query(max_length=100)] = None
    samples: Samples = DEFAULT_SAMPLES
    seed: Seed = 0
    lang: Lang = "en"

    def result(self, s: Any, actor: Any, edition_id: int) -> Stacked:
        """The cascades of what the actor may see of the edition."""
        return cascades_for(
            s, actor, edition_id, self.method, self.profile, self.samples, self.seed, self.lang
        )


Cascade = Annotated[CascadeQuery, Depends()]
VARIANT_RULE = (
    "among the variants that are dominant risks under the framework's rule, the one with the "
    "highest impact score under the chosen method; when none is, the one with the highest score "
    "(docs/method.md §10.1)"
)


@router.get(
    "/editions/{edition_id}/cascades",
    responses={200: {"description": "Cascades per scenario (see natrisk cascades --json)"}},
)
def cascades(
    edition_id: Id,
    actor: ActorDep,
    s: SessionDep,
    q: Cascade,
) -> dict[str, Any]:
    """Per scenario: direct and cascaded impact (mean, p5, median, p95), the share of its
    likelihood that comes from other scenarios, its causes and effects with their shares and
    its direct and cascaded position; the links, variants and compounds; and
    ``links_not_shown``, the links that touch a scenario above your clearance (absent, with
    their contribution)."""
    return q.result(s, actor, edition_id).to_json()


@router.get("/editions/{edition_id}/cascades/{slug}")
def scenario_cascades(
    edition_id: Id,
    slug: str,
    actor: ActorDep,
    s: SessionDep,
    q: Cascade,
) -> dict[str, Any]:
    """One scenario's cascades: its butterfly (causes left, effects right, with shares)."""
    result = q.result(s, actor, edition_id)
    row = result.scenario(slug)
    if row is None:
        raise NotFound(f"no scenario {slug!r} in edition {edition_id}")
    return {**row, "samples": result.samples, "links_not_shown": result.hidden_links}


@router.get("/editions/{edition_id}/variants")
def variants(
    edition_id: Id,
    actor: ActorDep,
    s: SessionDep,
    method: Method = "weighted-sum",
    profile: Annotated[str | None, Query(max_length=100)] = None,
    lang: Lang = "en",
) -> dict[str, Any]:
    """Each risk's intensity variants (lowest first) and the variant that dominates."""
    result = cascades_for(s, actor, edition_id, method, profile, DEFAULT_SAMPLES, 0, lang)
    return {
        "edition": result.edition,
        "method": method,
        "rule": VARIANT_RULE,
        "risks": result.risks,
        "warnings": result.warnings,
    }


@router.get("/editions/{edition_id}/compounds")
def compounds(
    edition_id: Id,
    actor: ActorDep,
    s: SessionDep,
    q: Cascade,
) -> dict[str, Any]:
    """Compound scenarios: those given in the workbook (``given``) and the most frequent
    co-occurrences found by the propagation, each with its combined impact and position."""
    result = q.result(s, actor, edition_id)
    return {
        "edition": result.edition,
        "method": q.method,
        "samples": result.samples,
        "compounds": result.compounds,
    }


@router.get("/editions/{edition_id}/rollup")
def rollup(
    edition_id: Id,
    actor: ActorDep,
    s: SessionDep,
    method: Method = "weighted-sum",
    lang: Lang = "en",
) -> dict[str, Any]:
    """The roll-up into this (national) edition of the stored regional editions you may see
    whose ``region`` section maps a scenario onto one of its scenarios or risks: per national
    scenario the regions that assessed it, the impact built from their events (never a sum
    of their scores), the differences from the national scoring, and the heat map's rows.
    Regional editions whose framework changes a national criterion are ``left_out``."""
    return rollup_for(s, actor, edition_id, method, lang)


def _chart(spec: dict[str, Any], fmt: str, vega: bool = False) -> Response:
    from natrisk.report.diagram import render
    from natrisk.report.stacking import render_vega

    if fmt not in MEDIA or (vega and fmt == "png"):
        raise InputError("the chart comes as .svg or .json" + ("" if vega else " or .png"))
    if fmt == "json":
        return Response(json.dumps(spec).encode(), media_type=MEDIA[fmt])
    body = render_vega(spec) if vega else render(spec, fmt)
    return Response(body, media_type=MEDIA[fmt])


@router.get("/editions/{edition_id}/cascades-diagram.{fmt}")
def cascades_diagram(
    edition_id: Id,
    fmt: str,
    actor: ActorDep,
    s: SessionDep,
    q: Cascade,
) -> Response:
    """The risk diagram with arrows (direct to cascaded), variant lines and compounds, as SVG,
    PNG or its Vega-Lite JSON."""
    from natrisk.report.stacking import cascade_spec
    from natrisk.services.analysis import assessment_for

    result = q.result(s, actor, edition_id)
    fw = assessment_for(s, actor, edition_id, q.method, q.profile).table.framework
    end_transaction(s)  # drawing needs no database
    return _chart(cascade_spec(fw, q.method, result.to_json(), q.lang), fmt)


@router.get("/editions/{edition_id}/cascades/{slug}/butterfly.{fmt}")
def butterfly(
    edition_id: Id,
    slug: str,
    fmt: str,
    actor: ActorDep,
    s: SessionDep,
    q: Cascade,
) -> Response:
    """One scenario's butterfly (causes left, effects right) as SVG or its Vega JSON."""
    from natrisk.report.stacking import butterfly_spec

    row = q.result(s, actor, edition_id).scenario(slug)
    if row is None:
        raise NotFound(f"no scenario {slug!r} in edition {edition_id}")
    end_transaction(s)
    return _chart(butterfly_spec(row, q.lang, 640), fmt, vega=True)


@router.get("/editions/{edition_id}/rollup-heatmap.{fmt}")
def rollup_heatmap(
    edition_id: Id,
    fmt: str,
    actor: ActorDep,
    s: SessionDep,
    method: Method = "weighted-sum",
    lang: Lang = "en",
) -> Response:
    """The regions x national scenarios heat map as SVG, PNG or its Vega-Lite JSON."""
    from natrisk.report.stacking import heat_spec
    from natrisk.services.analysis import assessment_for

    roll = rollup_for(s, actor, edition_id, method, lang)
    fw = assessment_for(s, actor, edition_id, method).table.framework
    end_transaction(s)
    if not roll["rows"]:
        raise NotFound(f"no regional edition you may see rolls up into edition {edition_id}")
    return _chart(heat_spec(fw, roll, lang), fmt)
