"""The threat picture (Dreigingsbeeld) of a horizon scan: radar, themes, changes, flags.

The radar is one Vega-Lite specification (built with Altair): themes are sectors, the
horizon is the ring (within six months inside, beyond five years outside), strength is the
size of a point and direction its marker (triangle up: rising, circle: stable, triangle
down: falling). The browser embeds the same specification that vl-convert draws for the PDF.
The report renders the context the scan service hands it (services/scans.py: Picture).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from typing import TYPE_CHECKING, Any

import altair as alt
import jinja2

from natrisk import __version__
from natrisk.errors import OutputError
from natrisk.i18n import translations
from natrisk.report.diagram import render
from natrisk.report.document import _environment

if TYPE_CHECKING:  # the type only: a report never calls a service
    from natrisk.services.scans import Picture, Seen

RINGS = ("short", "medium", "long")
SIZES = {"weak": 70, "moderate": 170, "strong": 340, None: 40}
SHAPES = {"rising": "triangle-up", "stable": "circle", "falling": "triangle-down", None: "diamond"}
STATUS_COLOURS = {
    "new": "#7f7f7f",
    "assessed": "#1f77b4",
    "watch": "#ff7f0e",
    "escalated": "#d62728",
    "absorbed": "#2ca02c",
    "dismissed": "#bbbbbb",
}
EXTENT = 4.3


def labels(lang: str) -> dict[str, dict[str, str]]:
    """The words for horizons, strengths, directions and statuses in ``lang``."""
    _ = translations(lang).gettext
    return {
        "horizon": {
            "short": _("within 6 months"),
            "medium": _("within 5 years"),
            "long": _("beyond 5 years"),
        },
        "strength": {"weak": _("weak"), "moderate": _("moderate"), "strong": _("strong")},
        "direction": {"rising": _("rising"), "stable": _("stable"), "falling": _("falling")},
        "status": {
            "new": _("new"),
            "assessed": _("assessed"),
            "watch": _("watch"),
            "escalated": _("escalated"),
            "absorbed": _("absorbed"),
            "dismissed": _("dismissed"),
        },
    }


def _fraction(key: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def radar_rows(
    signals: list[Seen], themes: list[tuple[str, str]], lang: str
) -> list[dict[str, Any]]:
    """One point per signal, in the sector of its first theme and the ring of its horizon."""
    words = labels(lang)
    order = [tid for tid, _ in themes]
    names = dict(themes)
    width = 2 * math.pi / max(len(order), 1)
    rows = []
    for s in signals:
        theme = next((t for t in s.themes if t in names), None)
        if theme is None:
            continue
        angle = math.pi / 2 - width * (order.index(theme) + 0.1 + 0.8 * _fraction(s.id, "a"))
        radius = RINGS.index(s.horizon) + 0.15 + 0.7 * _fraction(s.id, "r")
        rows.append(
            {
                "id": s.id,
                "title": s.title,
                "x": round(radius * math.cos(angle), 4),
                "y": round(radius * math.sin(angle), 4),
                "theme": names[theme],
                "horizon": words["horizon"][s.horizon],
                "strength": words["strength"].get(s.strength or "", "—"),
                "direction": words["direction"].get(s.direction or "", "—"),
                "status": words["status"][s.status],
                "size": SIZES[s.strength],
                "shape": SHAPES[s.direction],
                "colour": STATUS_COLOURS[s.status],
            }
        )
    return rows


def _grid(themes: list[tuple[str, str]], lang: str) -> tuple[list[dict[str, Any]], ...]:
    words = labels(lang)["horizon"]
    circles = [
        {
            "ring": r,
            "k": k,
            "x": r * math.cos(2 * math.pi * k / 120),
            "y": r * math.sin(2 * math.pi * k / 120),
        }
        for r in (1, 2, 3)
        for k in range(121)
    ]
    width = 2 * math.pi / max(len(themes), 1)
    spokes, names = [], []
    for i, (_, name) in enumerate(themes):
        a = math.pi / 2 - width * i
        spokes += [
            {"spoke": i, "x": 0.0, "y": 0.0},
            {"spoke": i, "x": 3 * math.cos(a), "y": 3 * math.sin(a)},
        ]
        mid = a - width / 2
        names.append({"x": 3.55 * math.cos(mid), "y": 3.55 * math.sin(mid), "text": name})
    rings = [{"x": 0.0, "y": r - 0.5, "text": words[RINGS[r - 1]]} for r in (1, 2, 3)]
    return circles, spokes, names, rings


def radar_spec(
    rows: list[dict[str, Any]], themes: list[tuple[str, str]], lang: str
) -> dict[str, Any]:
    """The radar as a Vega-Lite specification (one chart for the page and the PDF)."""
    _ = translations(lang).gettext
    circles, spokes, names, rings = _grid(themes, lang)
    x = alt.X("x:Q", scale=alt.Scale(domain=[-EXTENT, EXTENT], nice=False), axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=[-EXTENT, EXTENT], nice=False), axis=None)
    grey = "#c8c8c8"
    layers = [
        alt.Chart(alt.Data(values=circles))
        .mark_line(color=grey, strokeWidth=1)
        .encode(x=x, y=y, detail="ring:N", order="k:Q"),
        alt.Chart(alt.Data(values=spokes))
        .mark_line(color=grey, strokeWidth=1)
        .encode(x=x, y=y, detail="spoke:N"),
        alt.Chart(alt.Data(values=rings))
        .mark_text(color="#888888", fontSize=9)
        .encode(x=x, y=y, text="text:N"),
        alt.Chart(alt.Data(values=names))
        .mark_text(fontSize=9, fontWeight="bold", limit=180)
        .encode(x=x, y=y, text="text:N"),
    ]
    if rows:
        layers.append(
            alt.Chart(alt.Data(values=rows))
            .mark_point(filled=True, opacity=0.85, stroke="#333333", strokeWidth=0.5)
            .encode(
                x=x,
                y=y,
                size=alt.Size("size:Q", scale=None, legend=None),
                shape=alt.Shape("shape:N", scale=None, legend=None),
                color=alt.Color("colour:N", scale=None, legend=None),
                tooltip=[
                    alt.Tooltip("title:N", title=_("Signal")),
                    alt.Tooltip("theme:N", title=_("Theme")),
                    alt.Tooltip("horizon:N", title=_("Horizon")),
                    alt.Tooltip("strength:N", title=_("Strength")),
                    alt.Tooltip("direction:N", title=_("Direction")),
                    alt.Tooltip("status:N", title=_("Status")),
                ],
            )
        )
    chart = alt.layer(*layers).properties(
        width=560,
        height=560,
        title=_(
            "Signal radar: themes as sectors, horizon as rings, strength as size, direction as marker"
        ),
    )
    return chart.configure_view(stroke=None).to_dict()


def flag_reason(flag: Any, lang: str) -> str:
    """'3 strong rising signals bear on this scenario (2 of them escalated)', in ``lang``."""
    t = translations(lang)
    words = labels(lang)
    parts = []
    for strength, direction, n in flag.counts:
        text = t.ngettext(
            "%(n)d %(strength)s %(direction)s signal", "%(n)d %(strength)s %(direction)s signals", n
        )
        parts.append(
            text
            % {
                "n": n,
                "strength": words["strength"][strength],
                "direction": words["direction"][direction],
            }
        )
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + t.gettext(" and ") + parts[-1]
    total = sum(n for _, _, n in flag.counts)
    out = t.ngettext("%(what)s bears on this scenario", "%(what)s bear on this scenario", total) % {
        "what": joined
    }
    if flag.escalated:
        out += (
            t.ngettext(" (%(n)d of them escalated)", " (%(n)d of them escalated)", flag.escalated)
            % {"n": flag.escalated}
            if total > 1
            else t.gettext(" (escalated)")
        )
    return out


def picture_context(p: Picture, lang: str) -> dict[str, Any]:
    """Everything the threat picture shows (the page reads the same)."""
    words = labels(lang)
    themes = [(tid, name.get(lang) or name.get("en") or tid) for tid, name in p.themes]
    used = {t for s in p.signals for t in s.themes} | set(p.scan.interpretations or {})
    shown = [(tid, name) for tid, name in themes if tid in used]
    by_id = {s.id: s for s in p.signals}
    titles = {**{k: v.title for k, v in p.before.items()}, **{k: v.title for k, v in by_id.items()}}
    sections = []
    for tid, name in shown:
        members = [s for s in p.signals if tid in s.themes]
        sections.append(
            {
                "id": tid,
                "name": name,
                "interpretation": (p.scan.interpretations or {}).get(tid, ""),
                "signals": sorted(members, key=lambda s: (-_weight(s), s.title)),
            }
        )
    rows = radar_rows(p.signals, shown, lang)
    counts = {k: sum(s.status == k for s in p.signals) for k in words["status"]}
    return {
        "lang": lang,
        "words": words,
        "edition": p.edition,
        "scan": p.scan,
        "previous": p.previous,
        "sections": sections,
        "radar": radar_spec(rows, shown, lang),
        "n_signals": len(p.signals),
        "counts": counts,
        "changes": {
            kind: [{"id": sid, "title": titles.get(sid, sid)} for sid in getattr(p.changes, kind)]
            for kind in ("new", "escalated", "faded", "absorbed")
        },
        "flags": [
            {
                "id": sid,
                "title": p.scenarios.get(sid, sid),
                "reason": flag_reason(f, lang),
                "signals": list(f.signals),
            }
            for sid, f in p.flags.items()
        ],
        "today": dt.date.today().isoformat(),
        "version": __version__,
    }


def _weight(s: Seen) -> int:
    return {"strong": 3, "moderate": 2, "weak": 1}.get(s.strength or "", 0)


def render_threat_html(
    ctx: dict[str, Any], marking: str | None = None, watermark: str | None = None
) -> str:
    """The threat picture as one self-contained HTML page (the radar inlined as SVG)."""
    page = dict(ctx)
    page["radar_svg"] = render(ctx["radar"], "svg").decode("utf-8")
    page["marking"], page["watermark"] = marking, watermark
    try:
        return _environment(ctx["lang"]).get_template("threat.html").render(**page)
    except jinja2.TemplateError as exc:
        raise OutputError(f"the threat picture template failed: {exc}") from exc
