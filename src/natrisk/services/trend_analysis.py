"""The trend analysis: the current trends read against a baseline edition of them.

Modelled on the 2024 trend analysis, read against the 2022 risk analysis (Kamerbrief
voortgang Veiligheidsstrategie (2024), section 'Trendanalyse Nationale Veiligheid'): which
trends are new, gone or changed (direction, what they bear on, sign, strength); how the
pressure on each theme and scenario moved; which transitions the set names; and which action
lines of the plan's strategy the trends bear on, and which of them to intensify.

The pressure of trends on a theme or scenario is the sum of sign x strength (weak 1,
moderate 2, strong 3) over the bearings on it; a scenario also feels the bearings on its
theme, and a theme those on its scenarios (docs/foresight.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from natrisk.domain.framework import Text
from natrisk.domain.plan import Plan, Strategy
from natrisk.domain.trends import TrendSet


@dataclass(frozen=True)
class Picture:
    """What the analysis needs of the risk picture and the plan: names, themes, lines."""

    themes: dict[str, Text]  # id -> name
    scenarios: dict[str, tuple[str, str]]  # id -> (title, theme)
    strategy: Strategy | None = None
    issue_scenarios: dict[str, list[str]] = field(default_factory=dict)  # issue -> scenarios

    def theme_name(self, tid: str, lang: str) -> str:
        """A theme's name, or its id made readable."""
        name = self.themes.get(tid)
        return name.get(lang) if name else tid.replace("-", " ").capitalize()

    def scenario_title(self, sid: str) -> str:
        """A scenario's title, or its id."""
        return self.scenarios.get(sid, (sid, ""))[0]


def picture_of(
    themes: dict[str, Text],
    scenarios: dict[str, tuple[str, str]],
    plan: Plan | None,
    strategy_id: str | None,
) -> Picture:
    """The picture, with the strategy the set names (or the plan's latest one)."""
    strategy = None
    issues: dict[str, list[str]] = {}
    if plan is not None:
        found = [s for s in plan.strategies if strategy_id in (None, s.id)]
        strategy = max(found, key=lambda s: s.start) if found else None
        issues = {i.id: list(i.scenarios) for i in plan.security_issues}
    return Picture(themes, scenarios, strategy, issues)


@dataclass(frozen=True)
class TrendChange:
    """One trend now and in the baseline."""

    id: str
    title: Text
    group: str
    status: str  # new | dropped | changed | unchanged
    direction: str | None
    before: str | None  # the baseline's direction
    changes: list[dict[str, Any]]
    weight: int  # summed sign x strength now
    weight_before: int


@dataclass(frozen=True)
class Pressure:
    """The pressure of the trends on one theme or scenario, now and in the baseline."""

    kind: str  # theme | scenario
    id: str
    now: int
    before: int
    trends: list[str]

    @property
    def delta(self) -> int:
        """How much the pressure rose (negative: fell)."""
        return self.now - self.before


@dataclass(frozen=True)
class LineBearing:
    """An action line of the strategy and what the trends say about it."""

    id: str
    number: int | None
    title: Text
    transitions: list[str]
    trends: list[str]
    delta: int
    advice: str  # intensify | review | keep


@dataclass(frozen=True)
class TrendAnalysis:
    """The current set compared with its baseline (empty when there is none)."""

    current: TrendSet
    baseline: TrendSet | None
    trends: list[TrendChange]
    pressure: list[Pressure]
    transitions: list[dict[str, Any]]
    lines: list[LineBearing]

    def to_json(self, picture: Picture, lang: str = "en") -> dict[str, Any]:
        """Plain data for the API and ``--json``."""
        return {
            "set": self.current.info.id,
            "baseline": self.baseline.info.id if self.baseline else None,
            "trends": [
                {
                    "id": t.id,
                    "title": t.title.get(lang),
                    "group": t.group,
                    "status": t.status,
                    "direction": t.direction,
                    "baseline_direction": t.before,
                    "changes": t.changes,
                    "weight": t.weight,
                    "baseline_weight": t.weight_before,
                }
                for t in self.trends
            ],
            "pressure": [
                {
                    "kind": p.kind,
                    "id": p.id,
                    "name": picture.theme_name(p.id, lang)
                    if p.kind == "theme"
                    else picture.scenario_title(p.id),
                    "now": p.now,
                    "baseline": p.before,
                    "delta": p.delta,
                    "trends": p.trends,
                }
                for p in self.pressure
            ],
            "transitions": self.transitions,
            "lines": [
                {
                    "id": ln.id,
                    "number": ln.number,
                    "title": ln.title.get(lang),
                    "transitions": ln.transitions,
                    "trends": ln.trends,
                    "delta": ln.delta,
                    "advice": ln.advice,
                }
                for ln in self.lines
            ],
        }


def _bearings(ts: TrendSet | None) -> dict[str, dict[tuple[str, str], int]]:
    if ts is None:
        return {}
    return {t.id: {b.target: b.weight for b in t.bears_on} for t in ts.trends}


def _trend_changes(ts: TrendSet, base: TrendSet | None) -> list[TrendChange]:
    now, before = _bearings(ts), _bearings(base)
    old = {t.id: t for t in base.trends} if base else {}
    out = []
    for t in ts.trends:
        prev = old.get(t.id)
        changes: list[dict[str, Any]] = []
        if prev is not None and prev.direction != t.direction:
            changes.append({"what": "direction", "before": prev.direction, "now": t.direction})
        if prev is not None:
            changes += _bearing_changes(before.get(t.id, {}), now[t.id])
        status = (
            "new" if prev is None and base is not None else "changed" if changes else "unchanged"
        )
        out.append(
            TrendChange(
                t.id,
                t.title,
                t.group,
                status,
                t.direction,
                prev.direction if prev else None,
                changes,
                sum(now[t.id].values()),
                sum(before.get(t.id, {}).values()),
            )
        )
    current = {t.id for t in ts.trends}
    for t in base.trends if base else []:
        if t.id not in current:
            weight = sum(before[t.id].values())
            out.append(
                TrendChange(t.id, t.title, t.group, "dropped", None, t.direction, [], 0, weight)
            )
    return out


def _bearing_changes(
    before: dict[tuple[str, str], int], now: dict[tuple[str, str], int]
) -> list[dict[str, Any]]:
    out = []
    for target in [*now, *(k for k in before if k not in now)]:
        b, n = before.get(target), now.get(target)
        if b == n:
            continue
        kind = "added" if b is None else "removed" if n is None else "changed"
        out.append(
            {
                "what": f"bearing-{kind}",
                "kind": target[0],
                "target": target[1],
                "before": b,
                "now": n,
            }
        )
    return out


def _pressure(ts: TrendSet | None, picture: Picture) -> dict[tuple[str, str], tuple[int, set[str]]]:
    """(kind, id) -> (pressure, the trends behind it)."""
    totals: dict[tuple[str, str], int] = {}
    names: dict[tuple[str, str], set[str]] = {}

    def add(key: tuple[str, str], w: int, tid: str) -> None:
        totals[key] = totals.get(key, 0) + w
        names.setdefault(key, set()).add(tid)

    by_theme: dict[str, list[str]] = {}
    for sid, (_, theme) in picture.scenarios.items():
        by_theme.setdefault(theme, []).append(sid)
    for t in ts.trends if ts else []:
        for b in t.bears_on:
            add(b.target, b.weight, t.id)
            kind, ident = b.target
            if kind == "scenario" and ident in picture.scenarios:
                add(("theme", picture.scenarios[ident][1]), b.weight, t.id)
            elif kind == "theme":
                for sid in by_theme.get(ident, []):
                    add(("scenario", sid), b.weight, t.id)
    return {key: (total, names[key]) for key, total in totals.items()}


def analyse(ts: TrendSet, base: TrendSet | None, picture: Picture) -> TrendAnalysis:
    """Compare the current set with its baseline, and read it against the plan's lines."""
    now, before = _pressure(ts, picture), _pressure(base, picture)
    pressure = [
        Pressure(
            k[0],
            k[1],
            now.get(k, (0, set()))[0],
            before.get(k, (0, set()))[0],
            sorted(now.get(k, (0, set()))[1]),
        )
        for k in sorted({*now, *before}, key=lambda k: (k[0] != "theme", k[1]))
    ]
    changes = _trend_changes(ts, base)
    delta = {c.id: c.weight - c.weight_before for c in changes}
    moved = {c.id for c in changes if c.status in ("new", "changed")}
    transitions = [
        {
            "id": tr.id,
            "title": tr.title.model_dump(),
            "trends": tr.trends,
            "lines": tr.lines,
            "intensify": tr.intensify,
            "delta": sum(delta.get(t, 0) for t in tr.trends),
            "seen": base is None or any(t in moved for t in tr.trends),
            "cited": tr.cited.model_dump() if tr.cited else None,
        }
        for tr in ts.transitions
    ]
    return TrendAnalysis(
        ts, base, changes, pressure, transitions, _lines(ts, picture, transitions, now, before)
    )


def _lines(
    ts: TrendSet,
    picture: Picture,
    transitions: list[dict[str, Any]],
    now: dict[tuple[str, str], tuple[int, set[str]]],
    before: dict[tuple[str, str], tuple[int, set[str]]],
) -> list[LineBearing]:
    if picture.strategy is None:
        return []
    out = []
    for line in picture.strategy.lines:
        scenarios = {s for i in line.issues for s in picture.issue_scenarios.get(i, [])}
        keys = [("scenario", s) for s in sorted(scenarios)]
        trends = sorted({t for k in keys for t in now.get(k, (0, set()))[1]})
        delta = sum(now.get(k, (0, set()))[0] - before.get(k, (0, set()))[0] for k in keys)
        named = [tr["id"] for tr in transitions if line.id in tr["lines"]]
        intensify = any(
            tr["intensify"] and tr["seen"] for tr in transitions if line.id in tr["lines"]
        )
        advice = "intensify" if intensify else "review" if delta > 0 else "keep"
        out.append(LineBearing(line.id, line.number, line.title, named, trends, delta, advice))
    return out
