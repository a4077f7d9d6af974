"""The risk picture report (Risicobeeld): Jinja2 to HTML, WeasyPrint to PDF, in English or Dutch."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import jinja2

from natrisk import __version__
from natrisk.errors import OutputError
from natrisk.i18n import format_number, method_label, profile_label, translations
from natrisk.report.diagram import diagram_rows, diagram_spec, label_numbers, render
from natrisk.services.assessment import Assessment
from natrisk.services.sensitivity import Sensitivity

TEMPLATES = Path(__file__).parent / "templates"
# white text from class D (index 4) on: each colour keeps a contrast of 4.5:1 or more with its text
HEAT = ["#ffffff", "#fff3c4", "#ffd27f", "#fb9a4b", "#c0392b", "#99000d", "#4d0007"]
DARK_FROM = 4


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    # numbers, methods and profiles as the reader's language writes them (2.000 in Dutch)
    env.filters["number"] = lambda value, digits=6: format_number(value, lang, digits)
    env.globals["method_label"] = lambda method: method_label(method, lang)
    env.globals["profile_label"] = lambda fw, profile: profile_label(fw, profile, lang)
    return env


def report_context(a: Assessment, s: Sensitivity | None, lang: str) -> dict[str, Any]:
    """Everything the report (and the risk picture page) shows, so templates only lay it out."""
    t = a.table
    fw = t.framework
    ids = t.class_ids
    numbers = label_numbers(a)
    order = sorted(range(len(t.scenarios)), key=lambda i: numbers[i])
    sens = {row["id"]: row for row in s.to_json()["scenarios"]} if s is not None else {}
    rows_json = a.to_json()["scenarios"]
    scenarios = []
    for i in order:
        scen = t.scenarios[i]
        cells = []
        for j, _c in enumerate(t.criteria):
            lo, hi = int(t.low[i, j]), int(t.high[i, j])
            text = ids[lo] if lo == hi else f"{ids[lo]}–{ids[hi]}"
            score = scen.impacts.get(_c)
            if score is not None and score.expected is not None and lo != hi:
                text = f"{ids[int(t.point[i, j])]} ({text})"  # expected value (its limits)
            cells.append(
                {
                    "text": text,
                    "colour": HEAT[min(int(t.point[i, j]), len(HEAT) - 1)],
                    "dark": int(t.point[i, j]) >= DARK_FROM,
                }
            )
        scenarios.append(
            {
                "n": numbers[i],
                "id": scen.id,
                "title": scen.title,
                "theme": fw.theme_name(scen.theme, lang),
                "malicious": scen.malicious,
                "description": scen.description,
                "rank": int(a.ranks[i]),
                "score": float(a.scores[i]),
                "reading": a.impact_reading(i, lang),
                "likelihood": rows_json[i]["likelihood_range"],
                "cells": cells,
                "dominant": bool(a.dominant[i]),
                "sens": sens.get(scen.id),
                "interests": [ids[int(c)] for c in a.interest_classes[i]],
                "stability": _stability(sens[scen.id], len(t.scenarios))
                if scen.id in sens
                else None,
            }
        )
    interests = []
    for k, interest in enumerate(fw.interests):
        hit = [r for r in scenarios if r["interests"][k] != ids[0]]
        hit.sort(key=lambda r: (-ids.index(r["interests"][k]), r["rank"]))
        interests.append(
            {
                "id": interest.id,
                "name": interest.name.get(lang),
                "top": hit[:8],
                "k": k,
                "n_hit": len(hit),
            }
        )
    return {
        "lang": lang,
        "edition": a.book.edition,
        "framework": fw,
        "settings": a.settings,
        "sensitivity": s,
        "scenarios": scenarios,
        "dominant": [r for r in scenarios if r["dominant"]],
        "dominant_rule": fw.dominant_rule(a.settings.dominant_rule),
        "likelihood_labels": {c.id: c.label.get(lang) for c in fw.likelihood.classes},
        "impact_labels": {lvl.id: lvl.label.get(lang) for lvl in fw.impact_classes.levels},
        "interests": interests,
        "criteria": [fw.criterion(c) for c in t.criteria],
        "class_ids": ids,
        "heat": {c: HEAT[min(i, len(HEAT) - 1)] for i, c in enumerate(ids)},
        "ink": {c: "#ffffff" if i >= DARK_FROM else "#1a1a1a" for i, c in enumerate(ids)},
        "agreement": s.agreement if s is not None else [],
        "generated": dt.date.today().isoformat(),
        "version": __version__,
        "n_malicious": sum(1 for r in scenarios if r["malicious"]),
        "themes": sorted({r["theme"] for r in scenarios}),
    }


def _stability(row: dict[str, Any], n: int) -> str:
    """A plain-language reading of a rank interval (for readers of the PDF)."""
    width = row["rank_p95"] - row["rank_p5"]
    if width <= max(2, n // 20):
        return "stable"
    if width <= max(6, n // 6):
        return "moderate"
    return "uncertain"


def render_html(
    a: Assessment,
    s: Sensitivity,
    lang: str = "en",
    marking: str | None = None,
    watermark: str | None = None,
    stacking: dict[str, Any] | None = None,
) -> str:
    """The report as one self-contained HTML page (diagram inlined as SVG).

    ``marking`` (the highest classification inside) is printed at the top and bottom of
    every page, ``watermark`` (requester and date) across every page; ``stacking`` is the
    chapter on cascades and stacking (``report.stacking.chapter``), when there is one.
    """
    ctx = report_context(a, s, lang)
    ctx["marking"] = marking
    ctx["watermark"] = watermark
    ctx["stacking"] = stacking
    spec = diagram_spec(a, s, lang)
    ctx["diagram_svg"] = render(spec, "svg").decode("utf-8")
    ctx["diagram_rows"] = diagram_rows(a, s, lang)
    try:
        return _environment(lang).get_template("report.html").render(**ctx)
    except jinja2.TemplateError as exc:
        raise OutputError(f"the report template failed: {exc}") from exc


def render_pdf(html: str) -> bytes:
    """The HTML report as PDF (WeasyPrint)."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        return bytes(weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf())
    except Exception as exc:  # WeasyPrint raises many kinds; all mean the PDF failed
        raise OutputError(f"could not make the PDF: {exc}") from exc
