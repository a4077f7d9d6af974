"""A plan: phases 2 and 3 of the method (capabilities-based planning and follow-up).

Shape is checked by pydantic; references between parts of the plan (a measure's action line,
a capability's tasks, ``replaces`` chains, dates against a strategy's start) by
:func:`plan_problems`, which lists every problem with its place so nothing is half-stored.
Sources: Strategie Nationale Veiligheid (2007), §3.3 'Fase 2: strategische planning'; Nationale
Veiligheid Strategie 2019, section 'Strategische inzet op weerbaarheid' (the weighing); Midterm
review 2021 Nationale Veiligheid Strategie; Kamerbrief voortgang Veiligheidsstrategie (2024).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from natrisk.domain.edition import _check_id
from natrisk.domain.framework import Text

PLAN_FORMAT = "natrisk-plan/1"
# capability analysis of the later method guides
DIMENSIONS = ("people", "material", "knowledge", "skills", "procedures")
# the security chain (Strategie Nationale Veiligheid 2007, ch. 1)
PHASES = ("pro-action", "prevention", "preparation", "response", "aftercare")
OWNERS = ("national", "regional", "private", "international")  # the "national potential"
INSTRUMENTS = ("policy", "legislation", "practical")
MEASURE_STATUSES = ("planned", "running", "done", "stalled", "cancelled")
EVENT_KINDS = (
    "risk-assessment",
    "horizon-scan",
    "cabinet",
    "midterm-review",
    "next-strategy",
    "milestone",
    "custom",
)

Phase = Literal["pro-action", "prevention", "preparation", "response", "aftercare"]
Loc = tuple[str | int, ...]


def _text(value: Any) -> Any:
    """A plain string stands for the same text in both languages."""
    if isinstance(value, str):
        return {"en": value, "nl": value}
    return value


# a plain string stands for the same text in both languages
Title = Annotated[Text, BeforeValidator(_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Identified(_Model):
    id: str = Field(max_length=100)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)


class Level(_Model):
    """One step of the capability level scale."""

    id: str
    name: Title


DEFAULT_LEVELS = [
    Level(id="0", name=Text(en="absent", nl="afwezig")),
    Level(id="1", name=Text(en="basic", nl="basaal")),
    Level(id="2", name=Text(en="substantial", nl="aanzienlijk")),
    Level(id="3", name=Text(en="high", nl="hoog")),
    Level(id="4", name=Text(en="very high", nl="zeer hoog")),
]


def dimension_levels(value: Any) -> Any:
    """One level for every dimension, or a mapping per dimension (missing ones are 0)."""
    if isinstance(value, bool):
        raise ValueError("a level is a whole number on the plan's scale, not true/false")
    if isinstance(value, int):
        return dict.fromkeys(DIMENSIONS, value)
    if isinstance(value, dict):
        unknown = [str(k) for k in value if k not in DIMENSIONS]
        if unknown:
            raise ValueError(
                f"unknown dimension {', '.join(unknown)}; dimensions are {', '.join(DIMENSIONS)}"
            )
        return {d: value.get(d, 0) for d in DIMENSIONS}
    raise ValueError("give one level (e.g. 3) or a level per dimension (e.g. {people: 3})")


DimensionLevels = Annotated[dict[str, int], BeforeValidator(dimension_levels)]


class PlanInfo(_Identified):
    """The plan's header: which edition it plans from and how scenarios are prioritised."""

    title: Title
    edition: str = Field(min_length=1, max_length=100)
    priority: str = "dominant"
    method: str | None = None
    profile: str | None = None
    levels: list[Level] = Field(default_factory=lambda: list(DEFAULT_LEVELS), min_length=2)
    classification: str | None = None
    description: str = ""
    # the names of the organisations the plan names by id (leads, owners, holders)
    organisations: dict[str, Title] = Field(default_factory=dict)

    @field_validator("priority")
    @classmethod
    def _priority(cls, v: str) -> str:
        if v in ("dominant", "all"):
            return v
        head, _, n = v.partition(":")
        if head == "top" and n.strip().isdigit() and int(n) > 0:
            return f"top:{int(n)}"
        raise ValueError(f"priority {v!r}: use 'dominant', 'all' or 'top:N' (N a positive number)")


class SecurityIssue(_Identified):
    """A veiligheidsvraagstuk: risk categories and scenarios clustered, with a lead ministry."""

    title: Title
    lead: str = Field(min_length=1)
    categories: list[str] = Field(default_factory=list)
    scenarios: list[str] = Field(default_factory=list)


class Task(_Identified):
    """A task and its planning assumptions: the level needed per scenario and dimension."""

    title: Title
    # each value checked on its own, so a problem is reported at its scenario's line
    scenarios: dict[str, DimensionLevels] = Field(default_factory=dict)
    rationale: str = ""

    @field_validator("scenarios", mode="before")
    @classmethod
    def _keys(cls, v: Any) -> Any:
        return {str(k): lv for k, lv in v.items()} if isinstance(v, dict) else v


class Capability(_Identified):
    """A capability: who holds it, where in the chain, which tasks, how strong it is now."""

    title: Title
    owner: Literal["national", "regional", "private", "international"]
    holder: str = Field(min_length=1, max_length=200)
    phase: Phase
    tasks: list[str] = Field(min_length=1)
    current: dict[str, int]
    rationale: str = ""

    @field_validator("current", mode="before")
    @classmethod
    def _current(cls, v: Any) -> Any:
        return dimension_levels(v)


class Answer(_Model):
    """A yes/no answer with its reasons."""

    answer: bool
    rationale: str = Field(min_length=1)


class Advice(_Model):
    """The advice that follows the weighing (Strategie Nationale Veiligheid 2007, §3.3)."""

    invest: str = ""
    not_invest: str = ""
    phases: list[Phase] = Field(default_factory=list)
    by: list[str] = Field(default_factory=list)
    instruments: list[Literal["policy", "legislation", "practical"]] = Field(default_factory=list)
    proportionality: str = ""
    acceptability: str = ""
    other_interests: str = ""


class Weighing(_Model):
    """The NVS 2019 weighing of one security issue (section 'Strategische inzet op weerbaarheid')."""

    issue: str
    integrated: Answer
    sufficient: Answer
    advice: Advice = Field(default_factory=Advice)
    author: str = ""
    date: dt.date | None = None

    @property
    def verdict(self) -> str:
        """'onverminderde inzet' when both answers are yes, otherwise 'versterkte inzet'."""
        if self.integrated.answer and self.sufficient.answer:
            return "sustained"
        return "strengthened"


class Objective(_Identified):
    """An objective (or pillar) of a strategy that groups its lines."""

    title: Title


class ActionLine(_Identified):
    """An action line (or goal) of a strategy."""

    number: int | None = None
    title: Title
    objective: str | None = None
    lead: str = ""
    issues: list[str] = Field(default_factory=list)


class LineLink(_Model):
    """One line's decisions change risks of another: '-' raises one there, '+' helps solve one."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    sign: Literal["+", "-"]
    note: str = ""


class Crosswalk(_Model):
    """A line of an earlier strategy continued by a line of this one."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    target: str = Field(alias="to")


class Strategy(_Identified):
    """A strategy with its period, objectives, action lines, links and crosswalk."""

    title: Title
    start: dt.date
    end: dt.date
    baseline: str | None = None
    replaces: str | None = None
    objectives: list[Objective] = Field(default_factory=list)
    lines: list[ActionLine] = Field(default_factory=list)
    links: list[LineLink] = Field(default_factory=list)
    crosswalk: list[Crosswalk] = Field(default_factory=list)

    @model_validator(mode="after")
    def _period(self) -> Strategy:
        if self.end < self.start:
            raise ValueError(f"the strategy ends ({self.end}) before it starts ({self.start})")
        return self


class Milestone(_Model):
    """A dated step of a measure."""

    title: str = Field(min_length=1)
    due: dt.date
    done: dt.date | None = None


class Reading(_Model):
    """One measured value of an indicator."""

    date: dt.date
    value: float


class Indicator(_Identified):
    """A user-defined indicator with a target and measured values over time."""

    title: str = Field(min_length=1)
    unit: str = ""
    target: float
    direction: Literal["up", "down"] = "up"
    values: list[Reading] = Field(default_factory=list)

    def met(self) -> bool | None:
        """Whether the latest value reaches the target (None without values)."""
        if not self.values:
            return None
        last = max(self.values, key=lambda r: r.date).value
        return last >= self.target if self.direction == "up" else last <= self.target


class Target(_Model):
    """The risk a measure aims for: a scenario's target likelihood and/or criterion classes."""

    scenario: str
    likelihood: str | None = None
    criteria: dict[str, str] = Field(default_factory=dict)
    rationale: str = ""

    @field_validator("criteria", mode="before")
    @classmethod
    def _keys(cls, v: Any) -> Any:
        return {str(k): val for k, val in v.items()} if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _something(self) -> Target:
        if self.likelihood is None and not self.criteria:
            raise ValueError("a target names a likelihood class, criterion classes, or both")
        return self


class ProgressEntry(_Model):
    """A report on a measure: its status at a date, what happened, indicator readings."""

    date: dt.date
    status: Literal["planned", "running", "done", "stalled", "cancelled"]
    note: str = ""
    author: str = ""


class Measure(_Identified):
    """A measure owned by a ministry under an action line."""

    title: str = Field(min_length=1, max_length=500)
    line: str = Field(min_length=1)
    owner: str = Field(min_length=1, max_length=100)
    phase: Phase
    budget: str = ""
    status: Literal["planned", "running", "done", "stalled", "cancelled"] = "planned"
    classification: str | None = None
    milestones: list[Milestone] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    progress: list[ProgressEntry] = Field(default_factory=list)


class ReportScope(_Model):
    """What a progress report covers: one security issue or one action line."""

    issue: str | None = None
    line: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ReportScope:
        if (self.issue is None) == (self.line is None):
            raise ValueError("a report covers exactly one of: issue, line")
        return self


class ReportText(_Identified):
    """The analysts' texts for one progress report, in the midterm review's four parts."""

    scope: ReportScope
    date: dt.date
    summary: str = ""
    threat: str = ""
    resilience: str = ""
    approach: str = ""
    verdict: Literal["suffices", "adjust"]
    author: str = ""


class Event(_Model):
    """An event of the cycle with its due date (and the date it was done)."""

    kind: Literal[
        "risk-assessment",
        "horizon-scan",
        "cabinet",
        "midterm-review",
        "next-strategy",
        "milestone",
        "custom",
    ]
    title: str = Field(min_length=1)
    due: dt.date
    done: dt.date | None = None


class Plan(_Model):
    """The canonical file for one plan."""

    format: str = PLAN_FORMAT
    plan: PlanInfo
    security_issues: list[SecurityIssue] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    capabilities: list[Capability] = Field(default_factory=list)
    weighings: list[Weighing] = Field(default_factory=list)
    strategies: list[Strategy] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    reports: list[ReportText] = Field(default_factory=list)
    calendar: list[Event] = Field(default_factory=list)

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v != PLAN_FORMAT:
            raise ValueError(f"unknown format {v!r}; this version reads {PLAN_FORMAT!r}")
        return v

    def lines(self) -> dict[str, tuple[Strategy, ActionLine]]:
        """Every action line by id, with its strategy."""
        return {line.id: (s, line) for s in self.strategies for line in s.lines}

    def lines_current_first(self) -> dict[str, tuple[Strategy, ActionLine]]:
        """The action lines for a form: those of the strategy in force (the one no other
        replaces) first, then the replaced strategies' lines, newest strategy first."""
        replaced = {st.replaces for st in self.strategies if st.replaces}
        order = sorted(self.strategies, key=lambda st: (st.id in replaced, -st.start.toordinal()))
        return {line.id: (st, line) for st in order for line in st.lines}

    def replaced_strategies(self) -> set[str]:
        """The ids of the strategies another strategy of the plan replaces."""
        return {st.replaces for st in self.strategies if st.replaces}

    def weighing(self, issue: str) -> Weighing | None:
        """The weighing of a security issue, if recorded."""
        return next((w for w in self.weighings if w.issue == issue), None)


class EditionFacts(BaseModel):
    """What the reference checks need to know of the edition a plan works from."""

    scenarios: set[str]
    criteria: set[str]
    impact_classes: list[str]
    likelihood_classes: list[str]


def plan_problems(plan: Plan, edition: EditionFacts | None = None) -> list[tuple[Loc, str]]:
    """Every broken reference, duplicate id or out-of-range value, with where it is."""
    out: list[tuple[Loc, str]] = []
    _unique(plan, out)
    _check_levels(plan, out)
    tasks = {t.id for t in plan.tasks}
    issues = {i.id for i in plan.security_issues}
    for k, cap in enumerate(plan.capabilities):
        for m, tid in enumerate(cap.tasks):
            if tid not in tasks:
                out.append((("capabilities", k, "tasks", m), f"no task {tid!r} in this plan"))
    seen: set[str] = set()
    for k, w in enumerate(plan.weighings):
        if w.issue not in issues:
            out.append((("weighings", k, "issue"), f"no security issue {w.issue!r}"))
        elif w.issue in seen:
            out.append((("weighings", k, "issue"), f"security issue {w.issue!r} is weighed twice"))
        seen.add(w.issue)
    _check_strategies(plan, issues, out)
    _check_measures(plan, out)
    lines = plan.lines()
    for k, r in enumerate(plan.reports):
        if r.scope.issue is not None and r.scope.issue not in issues:
            out.append((("reports", k, "scope", "issue"), f"no security issue {r.scope.issue!r}"))
        if r.scope.line is not None and r.scope.line not in lines:
            out.append((("reports", k, "scope", "line"), f"no action line {r.scope.line!r}"))
    if edition is not None:
        _check_against_edition(plan, edition, out)
    return out


def _unique(plan: Plan, out: list[tuple[Loc, str]]) -> None:
    groups: list[tuple[str, list[Any]]] = [
        ("security_issues", plan.security_issues),
        ("tasks", plan.tasks),
        ("capabilities", plan.capabilities),
        ("strategies", plan.strategies),
        ("measures", plan.measures),
        ("reports", plan.reports),
    ]
    for name, items in groups:
        seen: set[str] = set()
        for k, item in enumerate(items):
            if item.id in seen:
                out.append(((name, k, "id"), f"id {item.id!r} is used twice"))
            seen.add(item.id)
    seen_lines: set[str] = set()
    for s, strat in enumerate(plan.strategies):
        for k, line in enumerate(strat.lines):
            if line.id in seen_lines:
                msg = f"action line id {line.id!r} is used twice (line ids are unique in the plan)"
                out.append((("strategies", s, "lines", k, "id"), msg))
            seen_lines.add(line.id)


def _check_levels(plan: Plan, out: list[tuple[Loc, str]]) -> None:
    top = len(plan.plan.levels) - 1

    def bad(levels: dict[str, int]) -> str | None:
        wrong = [f"{d}={v}" for d, v in levels.items() if not 0 <= v <= top]
        return f"level {', '.join(wrong)} is outside the scale 0..{top}" if wrong else None

    for k, task in enumerate(plan.tasks):
        for sid, levels in task.scenarios.items():
            msg = bad(levels)
            if msg:
                out.append((("tasks", k, "scenarios", sid), f"required {msg}"))
    for k, cap in enumerate(plan.capabilities):
        msg = bad(cap.current)
        if msg:
            out.append((("capabilities", k, "current"), f"current {msg}"))


def _check_strategies(plan: Plan, issues: set[str], out: list[tuple[Loc, str]]) -> None:
    by_id = {s.id: s for s in plan.strategies}
    for k, strat in enumerate(plan.strategies):
        if strat.replaces is not None and strat.replaces not in by_id:
            out.append((("strategies", k, "replaces"), f"no strategy {strat.replaces!r}"))
        chain, cur = [strat.id], strat.replaces
        while cur is not None and cur in by_id:
            if cur in chain:
                cycle = " -> ".join([*chain, cur])
                out.append(
                    (("strategies", k, "replaces"), f"'replaces' links form a cycle: {cycle}")
                )
                break
            chain.append(cur)
            cur = by_id[cur].replaces
        objectives = {o.id for o in strat.objectives}
        own = {line.id for line in strat.lines}
        for m, line in enumerate(strat.lines):
            if line.objective is not None and line.objective not in objectives:
                msg = f"no objective {line.objective!r} in strategy {strat.id!r}"
                out.append((("strategies", k, "lines", m, "objective"), msg))
            for n, iid in enumerate(line.issues):
                if iid not in issues:
                    msg = f"no security issue {iid!r}"
                    out.append((("strategies", k, "lines", m, "issues", n), msg))
        every = {line.id for s in plan.strategies for line in s.lines}
        for m, link in enumerate(strat.links):
            for end, lid in (("from", link.source), ("to", link.target)):
                if lid not in every:
                    out.append((("strategies", k, "links", m, end), f"no action line {lid!r}"))
        earlier = by_id.get(strat.replaces or "")
        old = {line.id for line in earlier.lines} if earlier else every
        for m, cw in enumerate(strat.crosswalk):
            if cw.source not in old:
                where = f"strategy {earlier.id!r}" if earlier else "this plan"
                msg = f"no action line {cw.source!r} in {where}"
                out.append((("strategies", k, "crosswalk", m, "from"), msg))
            if cw.target not in own:
                msg = f"no action line {cw.target!r} in strategy {strat.id!r}"
                out.append((("strategies", k, "crosswalk", m, "to"), msg))


def _check_measures(plan: Plan, out: list[tuple[Loc, str]]) -> None:
    lines = plan.lines()
    for k, m in enumerate(plan.measures):
        if m.line not in lines:
            out.append((("measures", k, "line"), f"no action line {m.line!r} in this plan"))
            continue
        strat = lines[m.line][0]
        for n, ms in enumerate(m.milestones):
            for field, day in (("due", ms.due), ("done", ms.done)):
                if day is not None and day < strat.start:
                    msg = f"{day} is before strategy {strat.id!r} began ({strat.start})"
                    out.append((("measures", k, "milestones", n, field), msg))
        seen: set[str] = set()
        for n, ind in enumerate(m.indicators):
            if ind.id in seen:
                out.append((("measures", k, "indicators", n, "id"), f"id {ind.id!r} is used twice"))
            seen.add(ind.id)


def _check_against_edition(plan: Plan, ed: EditionFacts, out: list[tuple[Loc, str]]) -> None:
    def scenario(loc: Loc, sid: str) -> None:
        if sid not in ed.scenarios:
            out.append((loc, f"no scenario {sid!r} in edition {plan.plan.edition!r}"))

    for k, issue in enumerate(plan.security_issues):
        for n, sid in enumerate(issue.scenarios):
            scenario(("security_issues", k, "scenarios", n), sid)
    for k, task in enumerate(plan.tasks):
        for sid in task.scenarios:
            scenario(("tasks", k, "scenarios", sid), sid)
    for k, m in enumerate(plan.measures):
        for n, t in enumerate(m.targets):
            loc: Loc = ("measures", k, "targets", n)
            scenario((*loc, "scenario"), t.scenario)
            if t.likelihood is not None and t.likelihood not in ed.likelihood_classes:
                msg = f"unknown likelihood class {t.likelihood!r}; classes are {', '.join(ed.likelihood_classes)}"
                out.append(((*loc, "likelihood"), msg))
            for cid, klass in t.criteria.items():
                if cid not in ed.criteria:
                    out.append(((*loc, "criteria", cid), f"unknown criterion {cid!r}"))
                elif klass not in ed.impact_classes:
                    msg = f"unknown class {klass!r}; classes are {', '.join(ed.impact_classes)}"
                    out.append(((*loc, "criteria", cid), msg))
