"""The foresight report (Strategische verkenningen): Jinja2 to HTML, WeasyPrint to PDF, EN or NL.

It renders the context ``services/trends.py::report_context`` hands it; the chart is one
Vega-Lite spec, drawn by vega-embed on the trends page and by vl-convert (SVG) in the report.
"""

from __future__ import annotations

from typing import Any

import jinja2

from natrisk import __version__
from natrisk.errors import OutputError
from natrisk.i18n import translator
from natrisk.report.diagram import render
from natrisk.report.document import _environment


def bearing_spec(rows: list[dict[str, Any]], lang: str = "en") -> dict[str, Any]:
    """Trends x themes: colour is the summed sign x strength (red raises the risk, blue lowers
    it), the mark's text the same number."""
    _ = translator(lang)
    trend, theme, weight = _("Trend"), _("Theme"), _("Sign × strength")
    data = [{trend: r["trend"], theme: r["theme"], weight: r["weight"]} for r in rows]
    enc_x = {"field": theme, "type": "nominal", "axis": {"labelAngle": -40, "labelLimit": 180}}
    enc_y = {
        "field": trend,
        "type": "nominal",
        "sort": None,
        "axis": {"labelLimit": 260, "title": None},
    }
    top = max([abs(r["weight"]) for r in rows] + [1])
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": _("What the trends bear on"),
        "data": {"values": data},
        "width": 420,
        "config": {"font": "DejaVu Sans", "view": {"stroke": None}},
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "#ffffff"},
                "encoding": {
                    "x": enc_x,
                    "y": enc_y,
                    "color": {
                        "field": weight,
                        "type": "quantitative",
                        "scale": {
                            "domain": [-top, top],
                            "scheme": "redblue",
                            "reverse": True,
                            "clamp": True,
                        },
                        "legend": {"title": weight},
                    },
                    "tooltip": [
                        {"field": trend, "type": "nominal"},
                        {"field": theme, "type": "nominal"},
                        {"field": weight, "type": "quantitative"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 10},
                "encoding": {
                    "x": enc_x,
                    "y": enc_y,
                    "text": {"field": weight, "type": "quantitative", "format": "+d"},
                    "color": {
                        "condition": {
                            "test": f"abs(datum['{weight}']) > {top * 0.6}",
                            "value": "#ffffff",
                        },
                        "value": "#000000",
                    },
                },
            },
        ],
    }


def render_foresight(
    ctx: dict[str, Any], lang: str = "en", marking: str | None = None, watermark: str | None = None
) -> str:
    """The foresight report as one self-contained HTML page (the chart inlined as SVG)."""
    spec = bearing_spec(ctx["chart"], lang)
    svg = render(spec, "svg").decode("utf-8") if ctx["chart"] else ""
    try:
        return (
            _environment(lang)
            .get_template("foresight.html")
            .render(**ctx, chart_svg=svg, marking=marking, watermark=watermark, version=__version__)
        )
    except jinja2.TemplateError as exc:
        raise OutputError(f"the foresight report template failed: {exc}") from exc
