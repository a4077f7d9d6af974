"""Phase 3: measures and their flags, target risk, the cycle calendar and the next cycle."""

from __future__ import annotations

import calendar as cal
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from natrisk.domain.edition import Score, Workbook
from natrisk.domain.plan import Event, Measure, Plan, Strategy, Target
from natrisk.services.assessment import Assessment, assess
from natrisk.services.scoring import resolve

STALL_DAYS = 180  # a running measure with no reported activity for this long counts as stalled
DUE_SOON_DAYS = 90


def last_activity(m: Measure) -> dt.date | None:
    """The latest date anything was reported on a measure."""
    dates = [p.date for p in m.progress]
    dates += [ms.done for ms in m.milestones if ms.done is not None]
    dates += [r.date for ind in m.indicators for r in ind.values]
    return max(dates) if dates else None


def measure_flags(m: Measure, today: dt.date) -> dict[str, Any]:
    """Overdue milestones and whether the measure has stalled (rule in docs/method.md 9.1)."""
    overdue = [ms.title for ms in m.milestones if ms.done is None and ms.due < today]
    last = last_activity(m)
    quiet = last is None or (today - last).days > STALL_DAYS
    stalled = m.status == "stalled" or (
        m.status == "running" and quiet and (last is not None or bool(overdue))
    )
    return {"overdue": overdue, "stalled": stalled, "last_activity": last}


def strategy_of(plan: Plan, m: Measure) -> Strategy | None:
    """The strategy whose action line the measure serves."""
    found = plan.lines().get(m.line)
    return found[0] if found else None


def current_strategy(plan: Plan) -> Strategy | None:
    """The newest strategy: the one no other strategy replaces (latest start on ties)."""
    replaced = {s.replaces for s in plan.strategies}
    heads = [s for s in plan.strategies if s.id not in replaced]
    return max(heads, key=lambda s: s.start, default=None)


def _lowest(a: str | None, b: str | None, order: list[str] | None) -> str | None:
    """The lower of two class ids in ``order`` (without an order: 'X' lowest, then by name)."""
    given = [c for c in (a, b) if c is not None]
    if not given:
        return None

    def rank(c: str) -> tuple[int, str]:
        if order is not None and c in order:
            return (order.index(c), "")
        return (-1 if c.upper() == "X" else len(order or []), c)

    return min(given, key=rank)


def combined_targets(
    measures: list[Measure],
    likelihood_order: list[str] | None = None,
    class_order: list[str] | None = None,
) -> dict[str, Target]:
    """Per scenario, the most ambitious target of the given measures (lowest class per field)."""
    out: dict[str, Target] = {}
    for m in measures:
        for t in m.targets:
            prev = out.get(t.scenario)
            if prev is None:
                out[t.scenario] = t
                continue
            lik = _lowest(prev.likelihood, t.likelihood, likelihood_order)
            crit = dict(prev.criteria)
            for cid, klass in t.criteria.items():
                crit[cid] = _lowest(crit.get(cid), klass, class_order) or klass
            out[t.scenario] = Target(scenario=t.scenario, likelihood=lik, criteria=crit)
    return out


def targeted_book(book: Workbook, targets: dict[str, Target]) -> Workbook:
    """The edition as it would be if the targets were reached."""
    scenarios = []
    for s in book.scenarios:
        t = targets.get(s.id)
        if t is None:
            scenarios.append(s)
            continue
        update: dict[str, Any] = {}
        if t.likelihood is not None:
            # the target is one class: an estimate's expected value and positions go with it
            update["likelihood"] = s.likelihood.model_copy(
                update={
                    "klass": t.likelihood,
                    "probability": None,
                    "expected": None,
                    "position": None,
                    "low_position": None,
                    "high_position": None,
                }
            )
        if t.criteria:
            impacts = dict(s.impacts)
            for cid, klass in t.criteria.items():
                impacts[cid] = Score.model_validate({"class": klass, "rationale": t.rationale})
            update["impacts"] = impacts
        scenarios.append(s.model_copy(update=update))
    return book.model_copy(update={"scenarios": scenarios})


@dataclass(frozen=True)
class Positions:
    """Each scenario's place in the risk diagram now, with done measures, and at target."""

    current: Assessment
    achieved: Assessment  # targets of measures already done
    target: Assessment  # targets of every measure that is not cancelled

    def rows(self) -> list[dict[str, Any]]:
        """Per scenario: likelihood position and impact score in the three states."""
        out = []
        for s, scen in enumerate(self.current.table.scenarios):
            out.append(
                {
                    "id": scen.id,
                    "title": scen.title,
                    "theme": scen.theme,
                    "current": position(self.current, s),
                    "achieved": position(self.achieved, s),
                    "target": position(self.target, s),
                }
            )
        return out


def position(a: Assessment, s: int) -> dict[str, Any]:
    """Scenario ``s`` in the risk diagram: likelihood class and x, impact on the class scale
    (with its score and reading), rank."""
    lik = a.table.framework.likelihood.ids
    return {
        "likelihood": lik[a.table.likelihood_point[s]],
        "x": float(a.table.likelihood_pos[s, 0]),
        "impact": float(a.impact_position[s]),
        "impact_score": float(a.scores[s]),
        "reading": a.impact_reading(s),
        "rank": int(a.ranks[s]),
    }


def positions(plan: Plan, a: Assessment) -> Positions:
    """Re-assess the edition with the targets of done and of all live measures."""
    visible = {s.id for s in a.table.scenarios}

    def reassess(measures: list[Measure]) -> Assessment:
        fw = a.table.framework
        found = combined_targets(measures, fw.likelihood.ids, fw.impact_classes.ids)
        targets = {k: v for k, v in found.items() if k in visible}
        if not targets:
            return a
        book = targeted_book(a.book, targets)
        return assess(resolve(book, a.table.framework), book, a.settings)

    done = [m for m in plan.measures if m.status == "done"]
    live = [m for m in plan.measures if m.status != "cancelled"]
    return Positions(a, reassess(done), reassess(live))


def cycle_events(plan: Plan, today: dt.date) -> list[dict[str, Any]]:
    """The calendar: the cycle's own events, recorded events and milestones, with status."""
    recorded = list(plan.calendar)
    events: list[Event] = []
    expected: list[Event] = []
    strat = current_strategy(plan)
    if strat is not None:
        for ev in _derived(strat):
            match = next(
                (r for r in recorded if r.kind == ev.kind and abs((r.due - ev.due).days) <= 92),
                None,
            )
            if match is None:
                expected.append(ev)
                continue
            recorded.remove(match)
            events.append(
                ev.model_copy(update={"title": match.title, "due": match.due, "done": match.done})
            )
    events += recorded
    for m in plan.measures:
        for ms in m.milestones:
            title = f"{m.id}: {ms.title}"
            events.append(Event(kind="milestone", title=title, due=ms.due, done=ms.done))
    rows = [
        {
            "kind": e.kind,
            "title": e.title,
            "due": e.due,
            "done": e.done,
            "status": _status(e, today),
            "derived": False,
        }
        for e in events
    ]
    # the cadence's own events that nobody recorded: past ones are 'not recorded', not late
    rows += [
        {
            "kind": e.kind,
            "title": e.title,
            "due": e.due,
            "done": None,
            "status": "unrecorded" if e.due < today else _status(e, today),
            "derived": True,  # its title is the cadence's own: pages show the label, translated
            "label": re.sub(r" \d{4}$", "", e.title),
        }
        for e in expected
    ]
    rows.sort(key=lambda r: (r["due"], r["kind"], r["title"]))
    return rows


def _status(e: Event, today: dt.date) -> str:
    if e.done is not None:
        return "done"
    if e.due < today:
        return "late"
    if (e.due - today).days <= DUE_SOON_DAYS:
        return "due"
    return "upcoming"


def _derived(s: Strategy) -> list[Event]:
    """The cadence of the method (docs/method.md 9.3) over the strategy's period."""
    out: list[Event] = []
    for year in range(s.start.year, s.end.year + 1):
        for month, kind, what in (
            (5, "horizon-scan", "Horizon scan (spring)"),
            (6, "cabinet", "Cabinet informed (first half)"),
            (11, "horizon-scan", "Horizon scan (autumn)"),
            (12, "cabinet", "Cabinet informed (second half)"),
        ):
            day = dt.date(year, month, cal.monthrange(year, month)[1])
            if s.start <= day <= s.end:
                out.append(Event(kind=kind, title=f"{what} {year}", due=day))  # type: ignore[arg-type]
    year = s.start.year + 3
    while dt.date(year, s.start.month, 1) <= s.end:
        due = _shift(s.start, year - s.start.year)
        out.append(Event(kind="risk-assessment", title=f"National risk assessment {year}", due=due))
        year += 3
    mid = s.start + (s.end - s.start) / 2
    out.append(Event(kind="midterm-review", title="Midterm review", due=mid))
    out.append(Event(kind="next-strategy", title="Next strategy adopted", due=s.end))
    return out


def _shift(day: dt.date, years: int) -> dt.date:
    year = day.year + years
    return dt.date(year, day.month, min(day.day, cal.monthrange(year, day.month)[1]))


def next_cycle(plan: Plan, plan_id: str, edition_id: str, title: str | None = None) -> Plan:
    """The plan of the next cycle: structure and open measures carried, answers to redo."""
    info = plan.plan.model_copy(
        update={
            "id": plan_id,
            "edition": edition_id,
            "title": plan.plan.title.model_copy(
                update={
                    "en": title or f"{plan.plan.title.en} (next cycle)",
                    "nl": title or f"{plan.plan.title.nl} (volgende cyclus)",
                }
            ),
        }
    )
    carried = [m for m in plan.measures if m.status not in ("done", "cancelled")]
    return plan.model_copy(
        update={"plan": info, "weighings": [], "reports": [], "calendar": [], "measures": carried}
    )


def strategy_overview(plan: Plan, today: dt.date, lang: str = "en") -> list[dict[str, Any]]:
    """Each strategy with its lines (by objective), measure counts, links and crosswalk."""
    lines = plan.lines()
    issues = {i.id: i for i in plan.security_issues}

    def title(line_id: str) -> str:
        found = lines.get(line_id)
        if found is None:
            return line_id
        number = f"{found[1].number}. " if found[1].number is not None else ""
        return f"{found[0].id} · {number}{found[1].title.get(lang)}"

    out = []
    for strat in plan.strategies:
        rows = []
        for line in strat.lines:
            ms = [m for m in plan.measures if m.line == line.id]
            flags = [measure_flags(m, today) for m in ms]
            rows.append(
                {
                    "id": line.id,
                    "number": line.number,
                    "title": line.title.get(lang),
                    "objective": line.objective,
                    "lead": line.lead,
                    "issues": [issues[i].title.get(lang) for i in line.issues if i in issues],
                    "measures": len(ms),
                    "done": sum(m.status == "done" for m in ms),
                    "overdue": sum(bool(f["overdue"]) for f in flags),
                    "stalled": sum(bool(f["stalled"]) for f in flags),
                }
            )
        out.append(
            {
                "id": strat.id,
                "title": strat.title.get(lang),
                "start": strat.start.isoformat(),
                "end": strat.end.isoformat(),
                "baseline": strat.baseline,
                "replaces": strat.replaces,
                "current": strat is current_strategy(plan),
                "objectives": [{"id": o.id, "title": o.title.get(lang)} for o in strat.objectives],
                "lines": rows,
                "links": [
                    {
                        "from": lk.source,
                        "from_title": title(lk.source),
                        "to": lk.target,
                        "to_title": title(lk.target),
                        "sign": lk.sign,
                        "note": lk.note,
                    }
                    for lk in strat.links
                ],
                "crosswalk": [
                    {
                        "from": cw.source,
                        "from_title": title(cw.source),
                        "to": cw.target,
                        "to_title": title(cw.target),
                    }
                    for cw in strat.crosswalk
                ],
            }
        )
    return out
