"""The expensive reads of a risk picture: the assessment, the compact picture, the diagram.

Each answer carries an ETag (``api/conditional.py``) and is sent gzipped to clients that
take it; the bodies are serialised once per edition version, reader's view and parameters.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from natrisk.api.conditional import edition_tag, send
from natrisk.api.deps import ActorDep, Id, SessionDep
from natrisk.errors import InputError
from natrisk.services.access import edition_for
from natrisk.services.analysis import assessment_of, json_of, picture_of
from natrisk.store.database import end_transaction

router = APIRouter(prefix="/api", tags=["analysis"])
DIAGRAM_MEDIA = {"svg": "image/svg+xml", "png": "image/png", "json": "application/json"}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the copy named in If-None-Match is still current"}
}


@router.get(
    "/editions/{edition_id}/assessment",
    responses={
        200: {
            "content": {"application/json": {}},
            "description": "The assessment (see natrisk assess --json)",
        },
        **NOT_MODIFIED,
    },
)
def assessment(
    edition_id: Id,
    request: Request,
    actor: ActorDep,
    s: SessionDep,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> Response:
    """The engine's result on the scenarios you may see, for one method and profile.

    Sent with an ETag: send it back in If-None-Match, and the answer is 304 while nothing
    you may see has changed."""
    edition, role = edition_for(s, actor, edition_id)
    tag = edition_tag(s, actor, edition, role, "assessment", method, profile)
    return send(
        request,
        tag,
        "application/json",
        lambda: json_of(s, actor, edition, method, profile),
        keep=False,  # the service keeps the serialised assessment already
    )


class PictureBars(BaseModel):
    likelihood: tuple[float, float] = Field(description="Likelihood range (class positions)")
    impact: tuple[float, float] = Field(description="Impact range (class positions)")


class PictureScenario(BaseModel):
    id: str
    n: int = Field(description="The scenario's number in the diagram (its place in rank order)")
    title: str
    theme: str = Field(description="Theme id")
    likelihood: float = Field(description="Likelihood position: 1 is the lowest class")
    impact: float = Field(description="Impact position on the class scale: 1 is the lowest class")
    bars: PictureBars


class Picture(BaseModel):
    edition: int
    version: int = Field(description="The edition's version this picture reflects")
    method: str
    profile: str
    likelihood_classes: list[str] = Field(description="Likelihood class ids, lowest first")
    impact_classes: list[str] = Field(description="Impact class ids, lowest first")
    scenarios: list[PictureScenario]


@router.get("/editions/{edition_id}/picture", responses={200: {"model": Picture}, **NOT_MODIFIED})
def picture(
    edition_id: Id,
    request: Request,
    actor: ActorDep,
    s: SessionDep,
    method: str = "weighted-sum",
    profile: str | None = None,
) -> Response:
    """The risk picture, compact: per scenario only what the risk diagram draws (id, number,
    title, theme, likelihood and impact positions, and their bars). With an ETag."""
    edition, role = edition_for(s, actor, edition_id)
    tag = edition_tag(s, actor, edition, role, "picture", method, profile)
    return send(
        request,
        tag,
        "application/json",
        lambda: picture_of(s, actor, edition, method, profile),
    )


@router.get("/editions/{edition_id}/diagram.{fmt}", responses=NOT_MODIFIED)
def diagram(
    edition_id: Id,
    fmt: str,
    request: Request,
    actor: ActorDep,
    s: SessionDep,
    method: str = "weighted-sum",
    profile: str | None = None,
    lang: str = "en",
) -> Response:
    """The risk diagram as SVG, PNG or its Vega-Lite JSON specification. With an ETag."""
    from natrisk.report.diagram import diagram_spec, render

    if fmt not in DIAGRAM_MEDIA:
        raise InputError("the diagram comes as .svg, .png or .json")
    if lang not in ("en", "nl"):
        raise InputError("lang is en or nl")
    edition, role = edition_for(s, actor, edition_id)
    tag = edition_tag(s, actor, edition, role, "diagram", fmt, method, profile, lang)

    def build() -> bytes:
        a = assessment_of(s, actor, edition, method, profile)
        end_transaction(s)  # drawing needs no database: hold no snapshot or connection meanwhile
        spec = diagram_spec(a, None, lang)
        return json.dumps(spec).encode() if fmt == "json" else render(spec, fmt)

    return send(request, tag, DIAGRAM_MEDIA[fmt], build)
