"""The progress report (midterm-review form): Jinja2 to HTML, WeasyPrint to PDF, EN or NL."""

from __future__ import annotations

import datetime as dt

import jinja2

from natrisk.domain.plan import Plan
from natrisk.errors import OutputError
from natrisk.report.diagram import render, target_spec
from natrisk.report.document import _environment
from natrisk.services.assessment import Assessment
from natrisk.services.followup import combined_targets, positions


def render_review(
    plan: Plan,
    a: Assessment,
    baseline: Assessment | None,
    lang: str = "en",
    today: dt.date | None = None,
    marking: str | None = None,
    watermark: str | None = None,
    scope: dict[str, str] | None = None,
) -> str:
    """The progress report as one self-contained HTML page (target diagram inlined as SVG)."""
    from natrisk.services.midterm import review_context

    day = today or dt.date.today()
    ctx = review_context(plan, a, baseline, lang, day, scope)
    targeted = set(combined_targets([m for m in plan.measures if m.status != "cancelled"]))
    if scope:  # a report on one line or issue draws only its scenarios
        targeted &= {r["id"] for s in ctx["sections"] for r in s["threat"]}
    rows = [r for r in positions(plan, a).rows() if r["id"] in targeted]
    ctx["diagram_svg"] = render(target_spec(rows, a, lang), "svg").decode("utf-8") if rows else ""
    ctx["marking"] = marking
    ctx["watermark"] = watermark
    try:
        return _environment(lang).get_template("progress.html").render(**ctx)
    except jinja2.TemplateError as exc:
        raise OutputError(f"the progress report template failed: {exc}") from exc
