"""The risk diagram: likelihood against aggregated impact, one point per scenario.

One Vega-Lite specification (built with Altair) serves the browser (vega-embed) and the
report (SVG/PNG/PDF through vl-convert). Points are numbered by rank so that labels stay
readable in print; the report lists the numbers beside the titles.
"""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import numpy as np
import vl_convert as vlc

from natrisk.errors import OutputError
from natrisk.i18n import translator
from natrisk.services.assessment import Assessment, impact_on_scale
from natrisk.services.sensitivity import Sensitivity

PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]


def impact_axis(assessment: Assessment, values: np.ndarray) -> np.ndarray:
    """Plotted impact: weighted sum and Medal on the framework's class scale (docs/method.md
    3.4), Evamix as its dominance score."""
    return impact_on_scale(assessment.settings, assessment.table.framework, values)


def impact_y(fw: Any, method: str, lang: str, field: str = "y:Q") -> alt.Y:
    """The impact axis: classes A-E (one step each, labelled with the class names) for the
    methods whose totals are classes; the plain score for Evamix."""
    _ = translator(lang)
    if method == "evamix":
        return alt.Y(field, title=_("Impact (Evamix dominance score)"))
    levels = fw.impact_classes.levels
    labels = " : ".join(
        f"datum.value == {i} ? {json.dumps(f'{lvl.id} {lvl.label.get(lang)}')}"
        for i, lvl in enumerate(levels, start=1)
    )
    title = {
        "weighted-sum": _("Impact class (weighted sum of class values, log scale)"),
        "medal": _("Impact class (Medal: highest class reached)"),
    }[method]
    return alt.Y(
        field,
        title=title,
        scale=alt.Scale(domain=[0, len(levels) + 0.3], nice=False, zero=True),
        axis=alt.Axis(
            values=list(range(1, len(levels) + 1)),
            labelExpr=f"{labels} : ''",
            grid=True,
            labelLimit=200,
        ),
    )


def label_numbers(assessment: Assessment) -> list[int]:
    """A unique number per scenario: its place in rank order, ties broken by id."""
    ids = assessment.table.scenario_ids
    order = sorted(range(len(ids)), key=lambda s: (int(assessment.ranks[s]), ids[s]))
    numbers = [0] * len(ids)
    for place, s in enumerate(order, start=1):
        numbers[s] = place
    return numbers


def spread_classes(pos: np.ndarray, y: np.ndarray, width: float = 0.3) -> np.ndarray:
    """Spread points that share one likelihood class and a similar impact across the class.

    Only scenarios given as a single class move (within their class band, so the reading
    stays correct); scenarios given as a probability keep their exact position.
    """
    x = pos[:, 0].copy()
    fixed = (pos[:, 1] == pos[:, 2]) & (np.abs(pos[:, 0] - np.round(pos[:, 0])) < 1e-9)
    for centre in np.unique(x[fixed]):
        members = np.flatnonzero(fixed & (x == centre))
        if len(members) < 2:
            continue
        members = members[np.argsort(y[members], kind="stable")]
        offsets = np.linspace(-width, width, len(members))
        x[members] = centre + np.where(np.arange(len(members)) % 2 == 0, offsets, offsets[::-1])
    return x


def diagram_rows(
    assessment: Assessment, sensitivity: Sensitivity | None, lang: str
) -> list[dict[str, Any]]:
    """One row per scenario with its position, uncertainty and labels."""
    t = assessment.table
    fw = t.framework
    y = impact_axis(assessment, assessment.scores)
    if sensitivity is not None:
        y_lo = impact_axis(assessment, sensitivity.mc.score_quantile(0.05))
        y_hi = impact_axis(assessment, sensitivity.mc.score_quantile(0.95))
    else:
        y_lo, y_hi = y, y
    _ = translator(lang)
    numbers = label_numbers(assessment)
    xs = spread_classes(t.likelihood_pos, y)
    rows = []
    for s, scen in enumerate(t.scenarios):
        mid, lo, hi = t.likelihood_pos[s]
        likelihood = likelihood_text(t, s)
        reading = assessment.impact_reading(s, lang)
        rows.append(
            {
                "id": scen.id,
                "n": numbers[s],
                "label": str(numbers[s]),
                "title": scen.title,
                "theme": fw.theme_name(scen.theme, lang),
                "malicious": _("malicious") if scen.malicious else _("non-malicious"),
                "x": float(xs[s]),
                "x_lo": float(lo),
                "x_hi": float(hi),
                "y": float(y[s]),
                "y_lo": float(min(y_lo[s], y[s])),
                "y_hi": float(max(y_hi[s], y[s])),
                "likelihood": likelihood,
                "score": round(float(assessment.scores[s]), 3),
                "reading": reading,
                "rank": int(assessment.ranks[s]),
                "classes": criterion_classes(t, s),
                # what a screen reader says of the point: words and classes, no raw floats
                "aria": _(
                    "Scenario: {title}; Theme: {theme}; Rank: {rank}; Likelihood: {likelihood}; "
                    "Total impact: {impact}"
                ).format(
                    title=scen.title,
                    theme=fw.theme_name(scen.theme, lang),
                    rank=int(assessment.ranks[s]),
                    likelihood=likelihood,
                    impact=reading or f"{float(assessment.scores[s]):.2f}",
                ),
            }
        )
    return rows


def likelihood_text(table: Any, s: int) -> str:
    """A scenario's likelihood as it was given: "A-B" for a range, "C (B-D)" for an estimate,
    the class range of a probability range; never only the representative class."""
    from natrisk.domain.edition import class_text

    ids = table.framework.likelihood.ids
    given = class_text(table.scenarios[s].likelihood)
    if given:
        return str(given)
    lo, hi = int(table.likelihood_low[s]), int(table.likelihood_high[s])
    return ids[lo] if lo == hi else f"{ids[lo]}-{ids[hi]}"


def criterion_classes(table: Any, s: int) -> str:
    """The class per criterion of one scenario ("1.1 C · 2.1 D-E"), the criteria it touches."""
    ids = table.framework.impact_classes.ids
    out = []
    for j, cid in enumerate(table.criteria):
        lo, hi, point = int(table.low[s, j]), int(table.high[s, j]), int(table.point[s, j])
        if hi == 0:
            continue  # X: no impact
        klass = ids[point] if lo == hi else f"{ids[point]} ({ids[lo]}-{ids[hi]})"
        out.append(f"{cid} {klass}")
    return " · ".join(out)


def diagram_spec(
    assessment: Assessment,
    sensitivity: Sensitivity | None = None,
    lang: str = "en",
    link: str | None = None,
    only: set[str] | None = None,
) -> dict[str, Any]:
    """The Vega-Lite specification of the risk diagram.

    ``link`` makes every point a link to ``link + scenario id`` (the browser opens it on
    click); ``only`` keeps the scenarios with these ids (a filter by theme or interest).
    """
    _ = translator(lang)
    fw = assessment.table.framework
    rows = diagram_rows(assessment, sensitivity, lang)
    if only is not None:
        rows = [r for r in rows if r["id"] in only]
    if link is not None:
        for r in rows:
            r["href"] = f"{link}{r['id']}"
    n_lik = len(fw.likelihood.classes)
    y_span = (
        (0.0, len(fw.impact_classes.levels) + 0.3)
        if assessment.settings.method != "evamix"
        else (min((r["y"] for r in rows), default=0.0), max((r["y"] for r in rows), default=1.0))
    )
    place_labels(rows, (0.5, n_lik + 0.5), y_span)
    tick_expr = likelihood_ticks(fw, lang)
    color = alt.Color(
        "theme:N",
        title=_("Theme"),
        scale=theme_scale(fw, assessment.table.scenarios, lang, {r["id"] for r in rows}),
        legend=alt.Legend(orient="bottom", columns=2, labelLimit=300),
    )
    base = alt.Chart(alt.Data(name="scenarios"))  # rows are attached below, outside Altair
    x_scale = alt.Scale(domain=[0.5, n_lik + 0.5], nice=False)
    x_axis = alt.Axis(
        values=list(range(1, n_lik + 1)), labelExpr=tick_expr, grid=False, labelAngle=0
    )
    x_title = _("Likelihood (over {years} years)").format(years=f"{fw.likelihood.horizon_years:g}")

    def x_of(field: str) -> alt.X:
        return alt.X(field, title=x_title, scale=x_scale, axis=x_axis)

    x = x_of("x:Q")
    y = impact_y(fw, assessment.settings.method, lang)
    tooltip = [
        alt.Tooltip("title:N", title=_("Scenario")),
        alt.Tooltip("theme:N", title=_("Theme")),
        alt.Tooltip("rank:Q", title=_("Rank")),
        *(
            [alt.Tooltip("reading:N", title=_("Total impact"))]
            if assessment.settings.method != "evamix"
            else []
        ),
        alt.Tooltip("score:Q", title=_("Impact score")),
        alt.Tooltip("likelihood:N", title=_("Likelihood")),
        alt.Tooltip("malicious:N", title=_("Malicious")),
        alt.Tooltip("classes:N", title=_("Class per criterion")),
    ]
    ybars = base.mark_rule(opacity=0.45, strokeWidth=1.5).encode(
        x=x, y="y_lo:Q", y2="y_hi:Q", color=color
    )
    xbars = base.mark_rule(opacity=0.45, strokeWidth=1.5).encode(
        x=x_of("x_lo:Q"), x2="x_hi:Q", y=y, color=color
    )
    points = base.mark_point(
        filled=True, size=90, opacity=0.9, stroke="white", strokeWidth=0.8
    ).encode(
        x=x,
        y=y,
        color=color,
        shape=alt.Shape(
            "malicious:N",
            title=_("Malicious"),
            scale=alt.Scale(
                domain=[_("malicious"), _("non-malicious")], range=["triangle-up", "circle"]
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=tooltip,
        description=alt.Description("aria:N"),
        **({"href": alt.Href("href:N")} if link is not None else {}),
    )
    labels = base.mark_text(
        align="center", baseline="middle", fontSize=10, fontWeight="bold"
    ).encode(
        x=alt.X("lx:Q", scale=x_scale), y=alt.Y("ly:Q"), text="label:N", color=alt.value("#222222")
    )
    bands = (
        alt.Chart(alt.Data(values=[{"b": i + 0.5} for i in range(1, n_lik)]))
        .mark_rule(color="#cccccc", strokeDash=[4, 3])
        .encode(x=x_of("b:Q"))
    )
    chart = (
        (bands + ybars + xbars + points + labels)
        .properties(
            width=640,
            height=420,
            title=alt.Title(
                _("Risk diagram"),
                subtitle=subtitle(assessment, sensitivity is not None, lang),
            ),
        )
        .configure_view(stroke="#999999")
        .configure_axis(labelFontSize=11, titleFontSize=12)
    )
    # the structure is fixed and rendered in tests; validating 500 data rows against the
    # Vega-Lite schema on every call would cost seconds
    spec = chart.to_dict(validate=False)
    spec.setdefault("datasets", {})["scenarios"] = rows
    return spec


# where a number may sit around its point, in pixels (right-above first, as before)
_LABEL_PLACES = [
    (9, -8), (-9, -8), (9, 8), (-9, 8), (0, -13), (0, 13), (14, 0), (-14, 0),
    (18, -14), (-18, -14), (18, 14), (-18, 14), (0, -22), (0, 22), (24, 0), (-24, 0),
]  # fmt: skip


def place_labels(
    rows: list[dict[str, Any]],
    x_span: tuple[float, float],
    y_span: tuple[float, float],
    size: tuple[float, float] = (640.0, 420.0),
) -> None:
    """Give each point's number a place (``lx``, ``ly``) where it overlaps no other number and
    no other point: the first free place around it, in rank order; the first place if none is."""
    sx = size[0] / max(x_span[1] - x_span[0], 1e-9)
    sy = size[1] / max(y_span[1] - y_span[0], 1e-9)
    points = [(r["x"] * sx, -r["y"] * sy) for r in rows]  # pixels, y down
    boxes: list[tuple[float, float, float, float]] = []

    def free(box: tuple[float, float, float, float], own: int) -> bool:
        x0, y0, x1, y1 = box
        if any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes):
            return False
        return not any(
            x0 - 4 < px < x1 + 4 and y0 - 4 < py < y1 + 4
            for i, (px, py) in enumerate(points)
            if i != own
        )

    for i in sorted(range(len(rows)), key=lambda k: rows[k]["rank"]):
        px, py = points[i]
        half_w, half_h = 3.2 * len(rows[i]["label"]) + 1, 6.0
        chosen = None
        for dx, dy in _LABEL_PLACES:
            box = (px + dx - half_w, py + dy - half_h, px + dx + half_w, py + dy + half_h)
            if free(box, i):
                chosen = (dx, dy, box)
                break
        if chosen is None:
            dx, dy = _LABEL_PLACES[0]
            chosen = (
                dx,
                dy,
                (px + dx - half_w, py + dy - half_h, px + dx + half_w, py + dy + half_h),
            )
        boxes.append(chosen[2])
        rows[i]["lx"] = (px + chosen[0]) / sx
        rows[i]["ly"] = -(py + chosen[1]) / sy


def arrows_spec(result: dict[str, Any], fw: Any, lang: str = "en") -> dict[str, Any]:
    """Where each scenario moved between two editions: a line from its place before (circle)
    to its place after (an arrowhead pointing the way it went), numbered as in the table;
    the axes are the likelihood and impact classes."""
    import math

    _ = translator(lang)
    width, height = 640, 380
    n_lik = len(fw.likelihood.classes)
    y_top = len(fw.impact_classes.levels) + 0.3
    rows = []
    for n, m in enumerate(result["moved"], start=1):
        (x, y), (x2, y2) = m["position"]["from"], m["position"]["to"]
        dx = (x2 - x) * width / n_lik
        dy = (y2 - y) * height / y_top
        rows.append(
            {
                "n": str(n),
                "title": result.get("titles", {}).get(m["id"], m["id"]),
                "x": x,
                "y": y,
                "x2": x2,
                "y2": y2,
                # a triangle points up at 0 degrees; Vega turns it clockwise (y grows down)
                "angle": math.degrees(math.atan2(dx, dy)) % 360 if (dx or dy) else 0.0,
                "likelihood": f"{m['likelihood']['from']} → {m['likelihood']['to']}",
                "rank": f"{m['rank']['from']} → {m['rank']['to']}",
            }
        )
    x_scale = alt.Scale(domain=[0.5, n_lik + 0.5], nice=False)
    x_axis = alt.Axis(
        values=list(range(1, n_lik + 1)),
        labelExpr=likelihood_ticks(fw, lang),
        grid=False,
        labelAngle=0,
    )
    x_title = _("Likelihood (over {years} years)").format(years=f"{fw.likelihood.horizon_years:g}")
    x = alt.X("x:Q", title=x_title, scale=x_scale, axis=x_axis)
    y = impact_y(fw, "weighted-sum", lang)
    tooltip = [
        alt.Tooltip("title:N", title=_("Scenario")),
        alt.Tooltip("rank:N", title=_("Rank")),
        alt.Tooltip("likelihood:N", title=_("Likelihood")),
    ]
    base = alt.Chart()
    line = base.mark_rule(color="#555555", strokeWidth=1.5).encode(x=x, y=y, x2="x2:Q", y2="y2:Q")
    before = base.mark_point(color="#555555", size=60).encode(x=x, y=y, tooltip=tooltip)
    after = base.mark_point(shape="triangle-up", filled=True, size=110, color="#b00020").encode(
        x=alt.X("x2:Q", scale=x_scale),
        y=alt.Y("y2:Q"),
        angle=alt.Angle("angle:Q", scale=alt.Scale(domain=[0, 360], range=[0, 360])),
        tooltip=tooltip,
        description=alt.Description("title:N"),
    )
    labels = base.mark_text(dx=9, dy=-9, fontSize=10, fontWeight="bold").encode(
        x=alt.X("x2:Q", scale=x_scale), y=alt.Y("y2:Q"), text="n:N"
    )
    chart = alt.layer(line, before, after, labels, data=alt.Data(values=rows)).properties(
        width=width,
        height=height,
        title=alt.Title(
            _("Where each scenario moved"),
            subtitle=_("from {before} (circle) to {after} (arrowhead)").format(
                before=result["from"].get("title") or result["from"]["slug"],
                after=result["to"].get("title") or result["to"]["slug"],
            ),
        ),
    )
    return chart.to_dict(validate=False)


def rank_interval_spec(result: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """Each scenario's rank interval (5th to 95th percentile) with its median rank, best
    first: the chart of a sensitivity run (``result`` is ``Sensitivity.to_json()``)."""
    _ = translator(lang)
    rows = sorted(result.get("scenarios") or [], key=lambda r: (r["rank_median"], r["id"]))
    data = [
        {
            "title": r.get("title") or r["id"],
            "p5": r["rank_p5"],
            "p95": r["rank_p95"],
            "median": r["rank_median"],
        }
        for r in rows
    ]
    y = alt.Y("title:N", sort=None, title=None, axis=alt.Axis(labelLimit=320))
    x_title = _("Rank (1 = highest risk): 90% interval and median")
    interval = (
        alt.Chart()
        .mark_rule(strokeWidth=3, color="#1f77b4")
        .encode(
            x=alt.X("p5:Q", title=x_title, scale=alt.Scale(zero=False, nice=False)),
            x2="p95:Q",
            y=y,
            tooltip=[
                alt.Tooltip("title:N", title=_("Scenario")),
                alt.Tooltip("median:Q", title=_("Median rank")),
                alt.Tooltip("p5:Q", title=_("Rank, 5th percentile")),
                alt.Tooltip("p95:Q", title=_("Rank, 95th percentile")),
            ],
        )
    )
    median = alt.Chart().mark_point(filled=True, size=50, color="#222222").encode(x="median:Q", y=y)
    chart = alt.layer(interval, median, data=alt.Data(values=data)).properties(
        width="container", height=max(120, 18 * len(data)), title=_("Rank interval per scenario")
    )
    return chart.to_dict(validate=False)


def subtitle(assessment: Assessment, bars: bool, lang: str) -> str:
    """Method and weight profile by name; the percentile bars only when they are drawn."""
    from natrisk.i18n import method_label, profile_label

    _ = translator(lang)
    settings = assessment.settings
    text = _("Method: {method}, weight profile: {profile}").format(
        method=method_label(settings.method, lang),
        profile=profile_label(assessment.table.framework, settings.profile, lang),
    )
    return text + (_("; bars: 5th-95th percentile") if bars else "")


def theme_scale(fw: Any, scenarios: list[Any], lang: str, shown: set[str]) -> alt.Scale:
    """Colours per theme *id* (the framework's order, then the edition's own), the same in
    every language and whatever the filter shows."""
    order = [t.id for t in fw.themes]
    order += sorted({sc.theme for sc in scenarios} - set(order))
    present = [tid for tid in order if any(sc.theme == tid and sc.id in shown for sc in scenarios)]
    colours = PALETTE + [
        "#aec7e8",
        "#ffbb78",
        "#98df8a",
        "#ff9896",
        "#c5b0d5",
        "#c49c94",
        "#f7b6d2",
        "#dbdb8d",
    ]
    return alt.Scale(
        domain=[fw.theme_name(tid, lang) for tid in present],
        range=[colours[order.index(tid) % len(colours)] for tid in present],
    )


def likelihood_ticks(fw: Any, lang: str) -> str:
    """The likelihood axis's labels as a Vega expression (labels quoted as JSON strings)."""
    cases = " : ".join(
        f"datum.value == {i + 1} ? {json.dumps(f'{c.id} {c.label.get(lang)}')}"
        for i, c in enumerate(fw.likelihood.classes)
    )
    return f"{cases} : ''"


def render(spec: dict[str, Any], fmt: str) -> bytes:
    """The diagram as SVG, PNG or PDF bytes (vl-convert, no browser)."""
    try:
        if fmt == "svg":
            return vlc.vegalite_to_svg(spec).encode("utf-8")
        if fmt == "png":
            return bytes(vlc.vegalite_to_png(spec, scale=2))
        if fmt == "pdf":
            return bytes(vlc.vegalite_to_pdf(spec))
    except Exception as exc:  # vl-convert raises plain ValueError/RuntimeError
        raise OutputError(f"could not render the risk diagram as {fmt}: {exc}") from exc
    raise OutputError(f"unknown diagram format {fmt!r}; choose svg, png or pdf")


def target_spec(
    rows: list[dict[str, Any]], assessment: Assessment, lang: str = "en", link: str | None = None
) -> dict[str, Any]:
    """The risk diagram with arrows: each targeted scenario from where it is to its target.

    ``rows`` are ``Positions.rows()`` of the targeted scenarios (current, achieved, target).
    """
    _ = translator(lang)
    fw = assessment.table.framework
    n_lik = len(fw.likelihood.classes)
    data = []
    for r in rows:
        cur, tgt = r["current"], r["target"]
        data.append(
            {
                "id": r["id"],
                "title": r["title"],
                "theme": fw.theme_name(r["theme"], lang),
                "x": cur["x"],
                "y": cur["impact"],
                "x2": tgt["x"],
                "y2": tgt["impact"],
                "now": f"{cur['likelihood']} / {cur.get('reading') or format(cur['impact'], '.3g')}",
                "goal": f"{tgt['likelihood']} / {tgt.get('reading') or format(tgt['impact'], '.3g')}",
                **({"href": f"{link}{r['id']}"} if link else {}),
            }
        )
    tick_expr = likelihood_ticks(fw, lang)
    scale = alt.Scale(domain=[0.5, n_lik + 0.5], nice=False)
    axis = alt.Axis(values=list(range(1, n_lik + 1)), labelExpr=tick_expr, grid=False, labelAngle=0)
    x_title = _("Likelihood (over {years} years)").format(years=f"{fw.likelihood.horizon_years:g}")
    x = alt.X("x:Q", title=x_title, scale=scale, axis=axis)
    y = impact_y(fw, assessment.settings.method, lang)
    x2 = alt.X("x2:Q", scale=scale, axis=axis, title=x_title)
    y2 = impact_y(fw, assessment.settings.method, lang, "y2:Q")
    color = alt.Color("theme:N", title=_("Theme"), legend=alt.Legend(orient="bottom", columns=3))
    tooltip = [
        alt.Tooltip("title:N", title=_("Scenario")),
        alt.Tooltip("now:N", title=_("Now")),
        alt.Tooltip("goal:N", title=_("Target")),
    ]
    base = alt.Chart(alt.Data(name="moves"))
    arrows = base.mark_rule(strokeWidth=2, opacity=0.7).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q", color=color
    )
    heads = base.mark_point(shape="triangle-down", size=70, filled=True, opacity=0.9).encode(
        x=x2, y=y2, color=color, tooltip=tooltip
    )
    now = base.mark_point(filled=True, size=80, opacity=0.9).encode(
        x=x,
        y=y,
        color=color,
        tooltip=tooltip,
        **({"href": alt.Href("href:N")} if link else {}),
    )
    chart = (
        (arrows + heads + now)
        .properties(
            width=640,
            height=380,
            title=alt.Title(
                _("Target risk"),
                subtitle=_("From each scenario's position now (dot) to its target (triangle)"),
            ),
        )
        .configure_view(stroke="#999999")
    )
    spec = chart.to_dict(validate=False)
    spec.setdefault("datasets", {})["moves"] = data
    return spec


def indicator_spec(indicators: list[Any], lang: str = "en") -> dict[str, Any]:
    """Each indicator's readings over time against its target (one small panel per indicator)."""
    _ = translator(lang)
    rows = [
        {
            "indicator": f"{i.title} ({i.unit})" if i.unit else i.title,
            "date": r.date.isoformat(),
            "value": r.value,
            "target": i.target,
        }
        for i in indicators
        for r in sorted(i.values, key=lambda r: r.date)
    ]
    base = alt.Chart()  # the data comes from the facet around the layers
    line = base.mark_line(point=True).encode(
        x=alt.X("date:T", title=_("Date")),
        y=alt.Y("value:Q", title=_("Value")),
        tooltip=[alt.Tooltip("date:T", title=_("Date")), alt.Tooltip("value:Q", title=_("Value"))],
    )
    goal = base.mark_rule(color="#1a7f37", strokeDash=[5, 3]).encode(y="mean(target):Q")
    chart = (
        alt.layer(line, goal)
        .properties(width=260, height=140)
        .facet(
            facet=alt.Facet("indicator:N", title=None), columns=2, data=alt.Data(name="readings")
        )
        .resolve_scale(y="independent")
    )
    spec = chart.to_dict(validate=False)
    spec.setdefault("datasets", {})["readings"] = rows
    return spec
