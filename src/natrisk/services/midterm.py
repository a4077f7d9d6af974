"""The progress report in the four-part form of the Midterm review 2021 of the NVS.

Per action line (and per security issue with its own texts): summary; development of the
threat and risks (the current picture against the one the strategy started from);
development of resilience (gaps, indicators); development of the approach (measures,
target risk); and the verdict: the approach suffices, or adjust it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from natrisk import __version__
from natrisk.domain.plan import Plan, ReportText
from natrisk.io.files import staged_output
from natrisk.services.assessment import Assessment, assess
from natrisk.services.followup import (
    Positions,
    combined_targets,
    current_strategy,
    cycle_events,
    measure_flags,
    position,
    positions,
    strategy_overview,
)
from natrisk.services.planning import OpenPlan, PlanAnalysis, analyse


def baseline_assessment(path: Path | None, current: Assessment) -> Assessment | None:
    """The edition the strategy started from, assessed like the current one."""
    if path is None:
        return None
    from natrisk.services.edition import open_edition

    ed = open_edition(path)
    return assess(ed.table, ed.book, current.settings)


def review_context(
    plan: Plan,
    a: Assessment,
    baseline: Assessment | None,
    lang: str,
    today: dt.date,
    scope: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the progress report shows, computed once so the template only lays it out.

    ``scope`` ({"line": id} or {"issue": id}) keeps one section: the report on one action
    line or one security issue.
    """
    analysis = analyse(plan, a)
    pos = positions(plan, a)
    strat = current_strategy(plan)
    issues = {i.id: i for i in plan.security_issues}
    sections = []
    for line in strat.lines if strat else []:
        scen = sorted({s for iid in line.issues if iid in issues for s in issues[iid].scenarios})
        sections.append(
            _section(
                plan,
                analysis,
                pos,
                baseline,
                scen,
                lang,
                today,
                key={"line": line.id},
                heading=(f"{line.number}. " if line.number else "") + line.title.get(lang),
                lead=line.lead,
                issues=[issues[i].title.get(lang) for i in line.issues if i in issues],
                measures=[m for m in plan.measures if m.line == line.id],
            )
        )
    # measures on a line of a replaced strategy: counted in the totals, so shown too, per line
    current = {ln.id for ln in (strat.lines if strat else [])}
    for lid, (st, line) in plan.lines().items():
        on_line = [m for m in plan.measures if m.line == lid]
        if lid in current or not on_line:
            continue
        scen = sorted({s for iid in line.issues if iid in issues for s in issues[iid].scenarios})
        title = (f"{line.number}. " if line.number else "") + line.title.get(lang)
        sections.append(
            _section(
                plan,
                analysis,
                pos,
                baseline,
                scen,
                lang,
                today,
                key={"line": lid},
                heading=f"{title} ({st.title.get(lang)})",
                lead=line.lead,
                issues=[issues[i].title.get(lang) for i in line.issues if i in issues],
                measures=on_line,
            )
        )
    for issue in plan.security_issues:
        if any(r.scope.issue == issue.id for r in plan.reports):
            lines = {ln.id for ln in (strat.lines if strat else []) if issue.id in ln.issues}
            sections.append(
                _section(
                    plan,
                    analysis,
                    pos,
                    baseline,
                    sorted(issue.scenarios),
                    lang,
                    today,
                    key={"issue": issue.id},
                    heading=issue.title.get(lang),
                    lead=issue.lead,
                    issues=[issue.title.get(lang)],
                    measures=[m for m in plan.measures if m.line in lines],
                )
            )
    if scope:
        sections = _scoped(
            plan,
            sections,
            scope,
            strat,
            lambda key, heading, lead, issues, ms, scen: _section(
                plan,
                analysis,
                pos,
                baseline,
                scen,
                lang,
                today,
                key=key,
                heading=heading,
                lead=lead,
                issues=issues,
                measures=ms,
            ),
            lang,
        )
    events = [e for e in cycle_events(plan, today) if e["status"] in ("late", "due")]
    return {
        "lang": lang,
        "plan": plan.plan,
        "strategy": strat,
        "edition": a.book.edition,
        "baseline": baseline.book.edition if baseline is not None else None,
        "settings": a.settings,
        "sections": sections,
        "events": events,
        "today": today.isoformat(),
        "version": __version__,
        "n_measures": len(plan.measures),
        "n_done": sum(m.status == "done" for m in plan.measures),
        "weighings": _weighings(plan, lang, _scope_issues(plan, scope)),
        "strategies": strategy_overview(plan, today, lang),
        "scope": scope,
        "capability_titles": {c.id: c.title.get(lang) for c in plan.capabilities},
        "task_titles": {t.id: t.title.get(lang) for t in plan.tasks},
        "scenario_titles": {s.id: s.title for s in a.table.scenarios},
        "coverage": _coverage(analysis, sections if scope else None),
    }


def _scoped(
    plan: Plan,
    sections: list[dict[str, Any]],
    scope: dict[str, str],
    strat: Any,
    build: Any,
    lang: str,
) -> list[dict[str, Any]]:
    """The one section a scoped report holds (an issue gets one even without its own texts)."""
    from natrisk.services.access import NotFound

    kind, ident = next(iter(scope.items()))
    if kind == "line" and ident not in plan.lines():
        raise NotFound(f"no action line {ident!r} in plan {plan.plan.id!r}")
    if kind == "issue" and all(i.id != ident for i in plan.security_issues):
        raise NotFound(f"no security issue {ident!r} in plan {plan.plan.id!r}")
    found = [s for s in sections if s["key"] == scope]
    if found:
        return found
    if kind == "line":  # a line of an earlier strategy
        st, line = plan.lines()[ident]
        issues = {i.id: i for i in plan.security_issues}
        scen = sorted({x for iid in line.issues if iid in issues for x in issues[iid].scenarios})
        heading = (f"{line.number}. " if line.number else "") + line.title.get(lang)
        ms = [m for m in plan.measures if m.line == ident]
        return [
            build(
                scope,
                heading,
                line.lead,
                [issues[i].title.get(lang) for i in line.issues if i in issues],
                ms,
                scen,
            )
        ]
    issue = next(i for i in plan.security_issues if i.id == ident)
    lines = {ln.id for ln in (strat.lines if strat else []) if ident in ln.issues}
    ms = [m for m in plan.measures if m.line in lines]
    return [
        build(
            scope,
            issue.title.get(lang),
            issue.lead,
            [issue.title.get(lang)],
            ms,
            sorted(issue.scenarios),
        )
    ]


def _coverage(
    analysis: PlanAnalysis, sections: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The coverage matrix; in a report on one line or issue, only its scenarios."""
    rows = analysis.coverage()
    if sections is None:
        return rows
    wanted = {r["id"] for s in sections for r in s["threat"]}
    return [r for r in rows if r["scenario"] in wanted]


def _scope_issues(plan: Plan, scope: dict[str, str] | None) -> set[str] | None:
    """The security issues a scoped report is about (None: all)."""
    if not scope:
        return None
    if "issue" in scope:
        return {scope["issue"]}
    found = plan.lines().get(scope.get("line", ""))
    return set(found[1].issues) if found else set()


def _weighings(plan: Plan, lang: str, only: set[str] | None = None) -> list[dict[str, Any]]:
    out = []
    for issue in plan.security_issues:
        if only is not None and issue.id not in only:
            continue
        w = plan.weighing(issue.id)
        out.append({"issue": issue.title.get(lang), "lead": issue.lead, "w": w})
    return out


def _latest(plan: Plan, key: dict[str, str]) -> ReportText | None:
    found = [
        r
        for r in plan.reports
        if (r.scope.line == key.get("line") and "line" in key)
        or (r.scope.issue == key.get("issue") and "issue" in key)
    ]
    return max(found, key=lambda r: r.date, default=None)


def _section(
    plan: Plan,
    analysis: PlanAnalysis,
    pos: Positions,
    baseline: Assessment | None,
    scenarios: list[str],
    lang: str,
    today: dt.date,
    *,
    key: dict[str, str],
    heading: str,
    lead: str,
    issues: list[str],
    measures: list[Any],
) -> dict[str, Any]:
    text = _latest(plan, key)
    rows = {r["id"]: r for r in pos.rows()}
    base = _index(baseline) if baseline is not None else {}
    threat = []
    for sid in scenarios:
        if sid not in rows:
            continue  # above the reader's clearance, or not in this edition
        r = rows[sid]
        b = base.get(sid)
        threat.append(
            {
                "id": sid,
                "title": r["title"],
                "before": b,
                "now": r["current"],
                "trend": _trend(b, r["current"]) if b else "new",
            }
        )
    wanted = set(scenarios)
    gaps = [g for g in analysis.gaps if wanted & set(g.exposed)]
    indicators = [
        {
            "measure": m.id,
            "ind": ind,
            "last": max(ind.values, key=lambda v: v.date) if ind.values else None,
            "met": ind.met(),
        }
        for m in measures
        for ind in m.indicators
    ]
    targeted = combined_targets([m for m in measures if m.status != "cancelled"])
    moves = [
        {
            "id": sid,
            "title": rows[sid]["title"],
            **{k: rows[sid][k] for k in ("current", "achieved", "target")},
        }
        for sid in sorted(targeted)
        if sid in rows
    ]
    return {
        "key": key,
        "heading": heading,
        "lead": lead,
        "issues": issues,
        "text": text,
        "threat": threat,
        "gaps": gaps,
        "indicators": indicators,
        "measures": [{"m": m, **measure_flags(m, today)} for m in measures],
        "moves": moves,
        "verdict": text.verdict if text else None,
    }


def _index(a: Assessment) -> dict[str, dict[str, Any]]:
    return {s.id: position(a, k) for k, s in enumerate(a.table.scenarios)}


def _trend(before: dict[str, Any], now: dict[str, Any]) -> str:
    """'up' when the risk grew (more likely or more harmful, neither less), 'down', 'same' or 'mixed'."""
    dx = now["x"] - before["x"]
    dy = now["impact"] - before["impact"]
    eps = 1e-9
    if abs(dx) <= eps and abs(dy) <= eps:
        return "same"
    if dx >= -eps and dy >= -eps:
        return "up"
    if dx <= eps and dy <= eps:
        return "down"
    return "mixed"


def write_review(
    op: OpenPlan,
    baseline_path: Path | None,
    out_dir: Path,
    lang: str,
    pdf: bool,
    today: dt.date,
    scope: dict[str, str] | None = None,
) -> list[Path]:
    """Write review.html (and review.pdf) to ``out_dir``, all or nothing."""
    from natrisk.report.progress import render_review

    base = baseline_assessment(baseline_path, op.assessment)
    html = render_review(op.plan, op.assessment, base, lang, today, scope=scope)
    names = ["review.html"] + (["review.pdf"] if pdf else [])
    with staged_output(Path(out_dir)) as stage:
        (stage / "review.html").write_text(html, encoding="utf-8")
        if pdf:
            from natrisk.report.document import render_pdf

            (stage / "review.pdf").write_bytes(render_pdf(html))
    return [Path(out_dir) / n for n in names]
