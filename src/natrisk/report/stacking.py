"""The charts of how threats combine, one specification each for the page and the report.

* the cascade diagram: the risk diagram with an arrow from each scenario's direct position to
  its position with cascades, a line through each risk's intensity variants and a point per
  compound scenario (Vega-Lite);
* the butterfly of one scenario: its causes on the left, its effects on the right, each band
  as wide as its share (Vega, Sankey-like);
* the heat map of regions x national scenarios (Vega-Lite).

Every chart reads the plain data of ``services.stacking`` (``Stacked.to_json()`` and the
roll-up), so the API, the pages and the report show the same numbers.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import vl_convert as vlc

from natrisk.errors import OutputError
from natrisk.i18n import method_label, translator
from natrisk.report.diagram import impact_y, likelihood_ticks
from natrisk.report.document import HEAT

MAIN_BUTTERFLIES = 5
# a band's outline in pixels: x as a share of the width, y in pixels (Vega expression)
BAND = (
    "'M' + datum.ax * width + ',' + datum.a0"
    " + 'C' + (datum.ax + datum.bx) / 2 * width + ',' + datum.a0"
    " + ' ' + (datum.ax + datum.bx) / 2 * width + ',' + datum.b0"
    " + ' ' + datum.bx * width + ',' + datum.b0"
    " + 'L' + datum.bx * width + ',' + datum.b1"
    " + 'C' + (datum.ax + datum.bx) / 2 * width + ',' + datum.b1"
    " + ' ' + (datum.ax + datum.bx) / 2 * width + ',' + datum.a1"
    " + ' ' + datum.ax * width + ',' + datum.a1 + 'Z'"
)
ARROW_MIN = 0.02  # a move shorter than this (axis units) is drawn as a point only


def moved(row: dict[str, Any]) -> bool:
    """Whether cascades move a scenario in the diagram (to it or from it)."""
    return bool(row["causes"] or row["effects"])


def cascade_spec(
    fw: Any, method: str, data: dict[str, Any], lang: str = "en", link: str | None = None
) -> dict[str, Any]:
    """The risk diagram of cascades: direct (dot) to cascaded (arrow head) per scenario,
    variants as a line per risk, compounds as diamonds. ``data`` is ``Stacked.to_json()``."""
    _ = translator(lang)
    n_lik = len(fw.likelihood.classes)
    x_lo, x_hi = 0.5, n_lik + 0.5
    y_hi = len(fw.impact_classes.levels) + 0.3 if method != "evamix" else None

    def clip(v: float) -> float:
        return min(max(float(v), x_lo), x_hi)

    moves = []
    for r in data["scenarios"]:
        if not moved(r):
            continue
        moves.append(
            {
                "id": r["id"],
                "title": r["title"],
                "kind": _("scenario: direct → with cascades"),
                "x": clip(r["x_direct"]),
                "y": r["direct_position"],
                "x2": clip(r["x_cascaded"]),
                "y2": r["cascaded_position"],
                "direct": r["direct_reading"] or f"{r['direct_score']:.3g}",
                "cascaded": r["cascaded_reading"] or f"{r['cascaded_mean']:.3g}",
                "from_others": f"{r['share_from_others']:.0%}",
                **({"href": f"{link}{r['id']}"} if link else {}),
            }
        )
    variants = [
        {
            "risk": risk["title"],
            "order": i,
            "title": v["title"],
            "intensity": v["intensity"] or "–",
            "x": clip(v["x"]),
            "y": v["position"],
            "dominating": _("yes") if v["id"] == risk["dominating"] else _("no"),
        }
        for risk in data["risks"]
        for i, v in enumerate(risk["variants"])
    ]
    compounds = [
        {
            "title": c["title"],
            "kind": _("compound (given)") if c["given"] else _("compound (found)"),
            "x": clip(c["x"]),
            "y": c["position"],
            "reading": c["reading"] or f"{c['score']:.3g}",
        }
        for c in data["compounds"]
    ]
    x_title = _("Likelihood (over {years} years)").format(years=f"{fw.likelihood.horizon_years:g}")
    x_scale = alt.Scale(domain=[x_lo, x_hi], nice=False)
    x_axis = alt.Axis(
        values=list(range(1, n_lik + 1)),
        labelExpr=likelihood_ticks(fw, lang),
        grid=False,
        labelAngle=0,
        labelLimit=90,
    )
    x = alt.X("x:Q", title=x_title, scale=x_scale, axis=x_axis)
    x2 = alt.X("x2:Q", title=x_title, scale=x_scale, axis=x_axis)
    y = impact_y(fw, method, lang)
    y2 = impact_y(fw, method, lang, "y2:Q")
    colour = alt.Color(
        "kind:N",
        title=None,
        scale=alt.Scale(
            domain=[
                _("scenario: direct → with cascades"),
                _("compound (given)"),
                _("compound (found)"),
            ],
            range=["#1f5fa8", "#b3541e", "#6a3d9a"],
        ),
        legend=alt.Legend(orient="bottom", columns=1, labelLimit=300),
    )
    tip = [
        alt.Tooltip("title:N", title=_("Scenario")),
        alt.Tooltip("direct:N", title=_("Direct impact")),
        alt.Tooltip("cascaded:N", title=_("With cascades")),
        alt.Tooltip("from_others:N", title=_("Likelihood from other scenarios")),
    ]
    moves_base = alt.Chart(alt.Data(name="moves"))
    arrows = moves_base.mark_rule(strokeWidth=1.6, opacity=0.75).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q", color=colour
    )
    # the head's angle on screen: the move in pixels (domains are fixed, so width/height do)
    y_span = y_hi if y_hi is not None else 1.0
    heads = (
        moves_base.transform_calculate(
            angle=f"atan2((datum.x2 - datum.x) * width / {x_hi - x_lo}, "
            f"(datum.y2 - datum.y) * height / {y_span}) * 180 / PI"
        )
        .mark_point(shape="triangle-up", filled=True, size=70, opacity=0.95)
        .encode(
            x=x2,
            y=y2,
            color=colour,
            angle=alt.Angle("angle:Q", scale=None),
            tooltip=tip,
            **({"href": alt.Href("href:N")} if link else {}),
        )
    )
    starts = moves_base.mark_point(filled=True, size=36, opacity=0.9).encode(
        x=x, y=y, color=colour, tooltip=tip
    )
    lines = (
        alt.Chart(alt.Data(name="variants"))
        .mark_line(point=alt.OverlayMarkDef(shape="square", size=40), strokeDash=[5, 3])
        .encode(
            x=x,
            y=y,
            detail="risk:N",
            order="order:Q",
            color=alt.value("#2b8a3e"),
            tooltip=[
                alt.Tooltip("risk:N", title=_("Risk")),
                alt.Tooltip("title:N", title=_("Variant")),
                alt.Tooltip("intensity:N", title=_("Intensity")),
                alt.Tooltip("dominating:N", title=_("Dominating variant")),
            ],
        )
    )
    diamonds = (
        alt.Chart(alt.Data(name="compounds"))
        .mark_point(shape="diamond", filled=True, size=120, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip("title:N", title=_("Compound scenario")),
                alt.Tooltip("kind:N", title=_("Kind")),
                alt.Tooltip("reading:N", title=_("Total impact")),
            ],
        )
    )
    chart = (
        alt.layer(lines, arrows, starts, heads, diamonds)
        .properties(
            width=640,
            height=420,
            title=alt.Title(
                _("Cascades in the risk diagram"),
                subtitle=_(
                    "Dot: direct position; arrow head: with cascades. Green line: a risk's "
                    "variants. Diamond: compound scenario."
                ),
            ),
        )
        .configure_view(stroke="#999999")
        .configure_axis(labelFontSize=11, titleFontSize=12)
    )
    spec = chart.to_dict(validate=False)
    spec["description"] = _("Cascades in the risk diagram")
    spec.setdefault("datasets", {}).update(
        {"moves": moves, "variants": variants, "compounds": compounds}
    )
    return spec


def butterfly_spec(
    row: dict[str, Any], lang: str = "en", width: int | None = 640, link: str | None = None
) -> dict[str, Any]:
    """One scenario's butterfly (Vega): causes left, effects right, bands as wide as shares.

    ``width=None`` sizes the chart to its container (the page); a number fixes it (the PDF).
    """
    _ = translator(lang)
    causes, effects = row["causes"][:8], row["effects"][:8]
    rest_c, rest_e = row["causes"][8:], row["effects"][8:]
    if rest_c:
        causes = [*causes, _other(rest_c, _("other causes"))]
    if rest_e:
        effects = [*effects, _other(rest_e, _("other effects"))]
    gap, band = 8.0, 30.0
    height = max(160.0, band * max(len(causes), len(effects), 1) + 40)
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    inner = height - 20
    nodes.append(
        {
            "side": "centre",
            "title": row["title"],
            "label": row["title"],
            "fx": 0.5,
            "y0": 10.0,
            "y1": 10.0 + inner,
            "share": "",
        }
    )
    for side, items, fx in (("cause", causes, 0.37), ("effect", effects, 0.63)):
        total = sum(c["share"] for c in items) or 1.0
        usable = inner - gap * max(len(items) - 1, 0)
        top, seg = 10.0, 10.0
        for c in items:
            h = max(4.0, usable * c["share"] / total)
            w = inner * c["share"] / total
            label = f"{c['share']:.0%} {c['title']}"
            nodes.append(
                {
                    "side": side,
                    "title": c["title"],
                    "label": label,
                    "fx": fx,
                    "y0": top,
                    "y1": top + h,
                    "share": f"{c['share']:.0%}",
                    "probability": f"{c['probability']:.1%}",
                    **({"href": f"{link}{c['id']}"} if link and c.get("id") else {}),
                }
            )
            # a band from the node to its segment of the scenario in the middle
            a_x, b_x = (fx + 0.012, 0.5 - 0.012) if side == "cause" else (0.5 + 0.012, fx - 0.012)
            ends = (
                ((top, top + h), (seg, seg + w))
                if side == "cause"
                else ((seg, seg + w), (top, top + h))
            )
            links.append(
                {
                    "side": side,
                    "title": c["title"],
                    "share": f"{c['share']:.0%}",
                    "probability": f"{c['probability']:.1%}",
                    "ax": a_x,
                    "bx": b_x,
                    "a0": ends[0][0],
                    "a1": ends[0][1],
                    "b0": ends[1][0],
                    "b1": ends[1][1],
                }
            )
            top += h + gap
            seg += w
    side_name = {"cause": _("cause"), "effect": _("effect"), "centre": _("scenario")}
    for n in nodes:
        n["kind"] = side_name[n["side"]]
    for lk in links:
        lk["kind"] = side_name[lk["side"]]
    colour = {
        "type": "ordinal",
        "name": "colour",
        "domain": ["cause", "centre", "effect"],
        "range": ["#b3541e", "#444444", "#1f5fa8"],
    }
    signals: list[dict[str, Any]] = []
    if width is None:
        signals.append(
            {
                "name": "width",
                "init": "containerSize()[0] ? max(320, containerSize()[0] - 16) : 640",
                "on": [
                    {
                        "events": "window:resize",
                        "update": "containerSize()[0] ? max(320, containerSize()[0] - 16) : 640",
                    }
                ],
            }
        )
    tooltip = (
        "{'"
        + _("Scenario")
        + "': datum.title, '"
        + _("Share")
        + "': datum.share, '"
        + _("Conditional probability")
        + "': datum.probability}"
    )
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega/v6.json",
        "description": _("Causes and effects of {title}").format(title=row["title"]),
        "height": height,
        "padding": {"left": 4, "right": 4, "top": 50, "bottom": 4},
        "autosize": "none",
        "title": {
            "text": _("Causes and effects: {title}").format(title=row["title"]),
            "subtitle": _("Left: what sets it off; right: what it sets off; band width: share"),
            "anchor": "start",
            "limit": {"signal": "width"},
        },
        "signals": signals,
        "scales": [colour],
        "data": [
            {"name": "nodes", "values": nodes},
            {"name": "links", "values": links},
        ],
        "marks": [
            {
                "type": "path",
                "from": {"data": "links"},
                "encode": {
                    "enter": {
                        "fill": {"scale": "colour", "field": "side"},
                        "fillOpacity": {"value": 0.3},
                        "tooltip": {"signal": tooltip},
                        "description": {
                            "signal": "datum.kind + ': ' + datum.title + ', ' + datum.share"
                        },
                    },
                    "update": {"path": {"signal": BAND}},
                },
            },
            {
                "type": "rect",
                "from": {"data": "nodes"},
                "encode": {
                    "enter": {
                        "fill": {"scale": "colour", "field": "side"},
                        "y": {"field": "y0"},
                        "y2": {"field": "y1"},
                        "tooltip": {"signal": tooltip},
                        "description": {"signal": "datum.kind + ': ' + datum.label"},
                        **(
                            {"href": {"field": "href"}, "cursor": {"value": "pointer"}}
                            if link
                            else {}
                        ),
                    },
                    "update": {
                        "x": {"signal": "datum.fx * width - 6"},
                        "x2": {"signal": "datum.fx * width + 6"},
                    },
                },
            },
            {
                "type": "text",
                "from": {"data": "nodes"},
                "encode": {
                    "enter": {
                        "text": {"signal": "datum.side == 'centre' ? '' : datum.label"},
                        "yc": {"signal": "(datum.y0 + datum.y1) / 2"},
                        "baseline": {"value": "middle"},
                        "fontSize": {"value": 10},
                        "fill": {"value": "#222222"},
                        "align": {"signal": "datum.side == 'cause' ? 'right' : 'left'"},
                    },
                    "update": {
                        "x": {
                            "signal": "datum.side == 'cause' ? datum.fx * width - 10 "
                            ": datum.fx * width + 10"
                        },
                        # room to spare: the renderer's font may be wider than measured
                        "limit": {"signal": "width * 0.3"},
                    },
                },
            },
        ],
    }
    if width is not None:
        spec["width"] = width
    for empty, text, align, x in (
        (not causes, _("nothing sets it off"), "right", "width * 0.47"),
        (not effects, _("it sets nothing off"), "left", "width * 0.53"),
    ):
        if empty:
            spec["marks"].append(
                {
                    "type": "text",
                    "encode": {
                        "enter": {
                            "text": {"value": text},
                            "y": {"value": height / 2},
                            "fontSize": {"value": 11},
                            "fill": {"value": "#555555"},
                            "align": {"value": align},
                        },
                        "update": {"x": {"signal": x}},
                    },
                }
            )
    return spec


def _other(rest: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return {
        "id": None,
        "title": f"{title} ({len(rest)})",
        "share": sum(c["share"] for c in rest),
        "probability": max(c["probability"] for c in rest),
    }


def class_of(fw: Any, position: float) -> str:
    """The class a position on the class scale reads as (its nearest class)."""
    ids = fw.impact_classes.ids
    return str(ids[min(max(int(math.floor(position + 0.5)), 0), len(ids) - 1)])


def heat_spec(fw: Any, roll: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """Regions x national scenarios: each region's own impact, the rolled-up and the national
    impact, coloured on the class scale (Vega-Lite)."""
    _ = translator(lang)
    rolled, national = _("rolled up"), _("national")
    columns = [r["name"] for r in roll["regions"]] + [rolled, national]
    cells = []
    for row in roll["rows"]:
        values = [(r["name"], r["position"], r["reading"]) for r in row["regions"]]
        values.append((rolled, row["position"], row["reading"]))
        if "national" in row:
            values.append((national, row["national"]["position"], row["national"]["reading"]))
        for col, pos, reading in values:
            cells.append(
                {
                    "scenario": row["title"],
                    "column": col,
                    "position": round(float(pos), 3),
                    "klass": class_of(fw, float(pos)),
                    "reading": reading,
                    "dark": float(pos) >= 3.5,
                }
            )
    n_levels = len(fw.impact_classes.levels)
    base = alt.Chart(alt.Data(name="cells")).encode(
        x=alt.X(
            "column:N",
            title=None,
            sort=columns,
            axis=alt.Axis(orient="top", labelAngle=-30, labelLimit=140),
        ),
        y=alt.Y(
            "scenario:N",
            title=None,
            sort=[r["title"] for r in roll["rows"]],
            axis=alt.Axis(labelLimit=220),
        ),
    )
    rects = base.mark_rect(stroke="#ffffff", strokeWidth=1).encode(
        color=alt.Color(
            "position:Q",
            title=_("Impact class"),
            scale=alt.Scale(
                domain=list(range(0, n_levels + 1)), range=HEAT[: n_levels + 1], type="linear"
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("scenario:N", title=_("Scenario")),
            alt.Tooltip("column:N", title=_("Region")),
            alt.Tooltip("reading:N", title=_("Total impact")),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text="klass:N",
        color=alt.condition("datum.dark", alt.value("#ffffff"), alt.value("#222222")),
    )
    chart = (rects + text).properties(
        width=max(160, 70 * len(columns)),
        height=max(60, 26 * len(roll["rows"])),
        title=alt.Title(
            _("Regions × national scenarios"),
            subtitle=_(
                "Each region's own impact, the impact rolled up from the regions' events, and the national scoring"
            ),
        ),
    )
    spec = chart.to_dict(validate=False)
    spec["description"] = _("Regions × national scenarios")
    spec.setdefault("datasets", {})["cells"] = cells
    return spec


def render_vega(spec: dict[str, Any]) -> bytes:
    """A Vega (not Vega-Lite) specification as SVG bytes."""
    try:
        return vlc.vega_to_svg(spec).encode("utf-8")
    except Exception as exc:  # vl-convert raises plain ValueError/RuntimeError
        raise OutputError(f"could not render the butterfly chart: {exc}") from exc


def main_cascading(data: dict[str, Any], n: int = MAIN_BUTTERFLIES) -> list[dict[str, Any]]:
    """The main cascading scenarios: the ``n`` that set others off whose impact grows most
    with cascades (mean cascaded score minus direct score), and the three whose effects weigh
    most (each effect's probability times its direct score), such as a national blackout."""
    rows = [r for r in data["scenarios"] if r["effects"]]
    direct = {r["id"]: r["direct_score"] for r in data["scenarios"]}

    def rise(r: dict[str, Any]) -> float:
        return float(r["cascaded_mean"] - r["direct_score"])

    def reach(r: dict[str, Any]) -> float:
        return float(sum(e["probability"] * direct.get(e["id"], 0.0) for e in r["effects"]))

    by_rise = sorted(rows, key=lambda r: (-rise(r), r["id"]))[:n]
    by_reach = sorted(rows, key=lambda r: (-reach(r), r["id"]))[:3]
    picked = {r["id"] for r in by_rise + by_reach}
    return sorted((r for r in rows if r["id"] in picked), key=lambda r: (-rise(r), r["id"]))


def chapter(
    fw: Any,
    method: str,
    data: dict[str, Any],
    roll: dict[str, Any] | None,
    lang: str = "en",
) -> dict[str, Any]:
    """The report's chapter on cascades and stacking: charts drawn as SVG, and their tables.

    ``data`` is ``Stacked.to_json()``, ``roll`` the roll-up of regional profiles (or None).
    """
    from natrisk.report.diagram import render

    linked = [r for r in data["scenarios"] if moved(r)]
    linked.sort(key=lambda r: (-(r["cascaded_mean"] - r["direct_score"]), r["id"]))
    butterflies = [
        {
            "row": r,
            "svg": render_vega(butterfly_spec(r, lang, 640)).decode("utf-8"),
        }
        for r in main_cascading(data)
    ]
    heat_svg = None
    if roll is not None and roll["rows"]:
        heat_svg = render(heat_spec(fw, roll, lang), "svg").decode("utf-8")
    return {
        "data": data,
        "linked": linked,
        "arrows_svg": render(cascade_spec(fw, method, data, lang), "svg").decode("utf-8"),
        "butterflies": butterflies,
        "roll": roll,
        "heat_svg": heat_svg,
        "class_of": lambda pos: class_of(fw, pos),
        "method_name": method_label(method, lang),
    }
