"""Changes to a plan: each returns a new plan that passed every check, or raises and changes nothing.

The same functions serve plan files (the CLI) and stored plans (API and browser).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from natrisk.domain.plan import (
    DIMENSIONS,
    EditionFacts,
    Measure,
    Plan,
    ProgressEntry,
    Reading,
    ReportText,
    Weighing,
)
from natrisk.errors import InputError, Problem, WorkbookError, problem_count
from natrisk.io.plan import _message, dump_plan, parse_plan
from natrisk.services.access import NotFound


def revalidated(plan: Plan, facts: EditionFacts | None, name: str = "plan") -> Plan:
    """The plan checked again in full, as if read from a file."""
    return parse_plan(dump_plan(plan), {}, name, facts)


def model(cls: type[Any], data: Any, what: str) -> Any:
    """Validate one part (a weighing, a measure...) with problems named by field."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(what, "", ".".join(str(p) for p in e["loc"]), _message(e)) for e in exc.errors()
        ]
        raise WorkbookError(f"{what}: {problem_count(len(problems))}", problems) from exc


def record_weighing(plan: Plan, data: dict[str, Any], facts: EditionFacts | None) -> Plan:
    """Record (or replace) the weighing of one security issue."""
    w: Weighing = model(Weighing, data, "weighing")
    if all(i.id != w.issue for i in plan.security_issues):
        raise NotFound(f"no security issue {w.issue!r} in plan {plan.plan.id!r}")
    rest = [x for x in plan.weighings if x.issue != w.issue]
    return revalidated(plan.model_copy(update={"weighings": [*rest, w]}), facts)


def set_current(
    plan: Plan,
    capability: str,
    levels: dict[str, int],
    rationale: str | None,
    facts: EditionFacts | None,
) -> Plan:
    """Change a capability's current levels (named dimensions only)."""
    caps = list(plan.capabilities)
    k = next((i for i, c in enumerate(caps) if c.id == capability), None)
    if k is None:
        raise NotFound(f"no capability {capability!r} in plan {plan.plan.id!r}")
    unknown = [d for d in levels if d not in DIMENSIONS]
    if unknown:
        raise InputError(
            f"unknown dimension {', '.join(unknown)}; dimensions are {', '.join(DIMENSIONS)}"
        )
    update: dict[str, Any] = {"current": {**caps[k].current, **levels}}
    if rationale is not None:
        update["rationale"] = rationale
    caps[k] = caps[k].model_copy(update=update)
    return revalidated(plan.model_copy(update={"capabilities": caps}), facts)


def add_measure(plan: Plan, data: dict[str, Any], facts: EditionFacts | None) -> Plan:
    """Add a new measure; its id must be new."""
    m: Measure = model(Measure, data, "measure")
    if any(x.id == m.id for x in plan.measures):
        raise InputError(f"measure {m.id!r} already exists; choose another id")
    return revalidated(plan.model_copy(update={"measures": [*plan.measures, m]}), facts)


def replace_measure(plan: Plan, measure: Measure, facts: EditionFacts | None) -> Plan:
    """Replace a measure by a changed version of itself."""
    ms = [measure if x.id == measure.id else x for x in plan.measures]
    return revalidated(plan.model_copy(update={"measures": ms}), facts)


def measure_of(plan: Plan, mid: str) -> Measure:
    """A measure by id."""
    m = next((x for x in plan.measures if x.id == mid), None)
    if m is None:
        raise NotFound(f"no measure {mid!r} in plan {plan.plan.id!r}")
    return m


def report_progress(
    m: Measure,
    entry: dict[str, Any],
    readings: dict[str, float] | None = None,
    milestones_done: list[str] | None = None,
) -> Measure:
    """A measure with one more progress entry, indicator readings and milestones marked done."""
    e: ProgressEntry = model(ProgressEntry, entry, "progress")
    indicators = list(m.indicators)
    for iid, value in (readings or {}).items():
        k = next((i for i, ind in enumerate(indicators) if ind.id == iid), None)
        if k is None:
            raise InputError(
                f"measure {m.id!r} has no indicator {iid!r}; it has {', '.join(i.id for i in indicators) or 'none'}"
            )
        reading = Reading(date=e.date, value=value)
        indicators[k] = indicators[k].model_copy(
            update={"values": [*indicators[k].values, reading]}
        )
    milestones = list(m.milestones)
    for title in milestones_done or []:
        k = next((i for i, ms in enumerate(milestones) if ms.title == title), None)
        if k is None:
            raise InputError(f"measure {m.id!r} has no milestone {title!r}")
        milestones[k] = milestones[k].model_copy(update={"done": e.date})
    return m.model_copy(
        update={
            "progress": [*m.progress, e],
            "status": e.status,
            "indicators": indicators,
            "milestones": milestones,
        }
    )


def add_report(plan: Plan, data: dict[str, Any], facts: EditionFacts | None) -> Plan:
    """Record (or replace, by id) the analysts' texts of one progress report."""
    r: ReportText = model(ReportText, data, "report")
    rest = [x for x in plan.reports if x.id != r.id]
    return revalidated(plan.model_copy(update={"reports": [*rest, r]}), facts)


def parse_day(text: str, what: str) -> dt.date:
    """An ISO date from an option or form field."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"{what}: {text!r} is not a date; write it as 2025-06-30") from exc
