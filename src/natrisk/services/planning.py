"""Phase 2: from the prioritised risks to required capabilities, gaps, duplications, weighing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from natrisk.domain.edition import Workbook
from natrisk.domain.framework import Framework
from natrisk.domain.plan import DIMENSIONS, EditionFacts, Plan
from natrisk.errors import Problem, WorkbookError
from natrisk.io.plan import load_plan
from natrisk.method import capabilities as cb
from natrisk.services.assessment import Assessment, assess, resolve_settings
from natrisk.services.edition import open_edition
from natrisk.services.scoring import ScoreTable


def edition_facts(fw: Framework, scenario_ids: list[str]) -> EditionFacts:
    """What a plan's references are checked against."""
    return EditionFacts(
        scenarios=set(scenario_ids),
        criteria={c.id for c in fw.criteria},
        impact_classes=fw.impact_classes.ids,
        likelihood_classes=fw.likelihood.ids,
    )


@dataclass(frozen=True)
class Gap:
    """A capability falling short in one dimension, and the prioritised scenarios it exposes."""

    rank: int
    capability: str
    dimension: str
    required: int
    current: int
    exposed: list[str]  # scenario ids, highest risk first
    front: int  # best risk front among the exposed scenarios (1 = highest risk)

    @property
    def shortfall(self) -> int:
        """Levels missing."""
        return self.required - self.current


@dataclass(frozen=True)
class Duplication:
    """A task met in full by capabilities of several holders: more than is required."""

    task: str
    required: dict[str, int]
    capabilities: list[str]
    holders: list[str]


@dataclass(frozen=True)
class PlanAnalysis:
    """Requirements, gaps, duplications and coverage of a plan against one assessment."""

    plan: Plan
    assessment: Assessment
    scenario_ids: list[str]
    prioritised: np.ndarray
    fronts: np.ndarray
    demand: np.ndarray  # (T, S, D)
    task_required: np.ndarray  # (T, D)
    required: np.ndarray  # (C, D)
    current: np.ndarray  # (C, D)
    gaps: list[Gap]
    duplications: list[Duplication]

    def capability(self, cid: str) -> int:
        """Index of a capability id."""
        return [c.id for c in self.plan.capabilities].index(cid)

    def gap(self, capability: str, dimension: str) -> Gap | None:
        """The gap of one capability in one dimension, if any."""
        return next(
            (g for g in self.gaps if g.capability == capability and g.dimension == dimension), None
        )

    def needs(self, capability: str) -> list[dict[str, Any]]:
        """The scenarios that need a capability, through which task, at what level."""
        c = self.capability(capability)
        cap = self.plan.capabilities[c]
        out = []
        for t, task in enumerate(self.plan.tasks):
            if task.id not in cap.tasks:
                continue
            for s, sid in enumerate(self.scenario_ids):
                need = self.demand[t, s]
                if need.max(initial=0) == 0:
                    continue
                out.append(
                    {
                        "scenario": sid,
                        "task": task.id,
                        "prioritised": bool(self.prioritised[s]),
                        "front": int(self.fronts[s]),
                        "levels": {d: int(need[k]) for k, d in enumerate(DIMENSIONS)},
                        "short": [
                            d
                            for k, d in enumerate(DIMENSIONS)
                            if self.prioritised[s] and need[k] > self.current[c, k]
                        ],
                    }
                )
        out.sort(key=lambda r: (not r["prioritised"], r["front"], r["scenario"]))
        return out

    def coverage(self) -> list[dict[str, Any]]:
        """Scenarios x tasks x capabilities: who covers what each prioritised scenario needs."""
        rows = []
        caps = self.plan.capabilities
        serving_task: dict[str, list[int]] = {t.id: [] for t in self.plan.tasks}
        for c, cap in enumerate(caps):
            for tid in cap.tasks:
                serving_task.setdefault(tid, []).append(c)
        needed = self.demand.max(axis=2) > 0  # (T, S)
        for s in np.argsort(self.fronts, kind="stable"):
            if not self.prioritised[s]:
                continue
            cells = []
            for t in np.flatnonzero(needed[:, s]):
                task, need = self.plan.tasks[t], self.demand[t, s]
                serving = [
                    {"capability": caps[c].id, "meets": bool((self.current[c] >= need).all())}
                    for c in serving_task[task.id]
                ]
                cells.append({"task": task.id, "capabilities": serving})
            rows.append(
                {"scenario": self.scenario_ids[s], "front": int(self.fronts[s]), "tasks": cells}
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        """Plain data for --json and the API."""
        return {
            "plan": self.plan.plan.id,
            "edition": self.plan.plan.edition,
            "prioritised": [s for k, s in enumerate(self.scenario_ids) if self.prioritised[k]],
            "requirements": {
                cap.id: {
                    "required": _dims(self.required[c]),
                    "current": _dims(self.current[c]),
                }
                for c, cap in enumerate(self.plan.capabilities)
            },
            "gaps": [
                {
                    "rank": g.rank,
                    "capability": g.capability,
                    "dimension": g.dimension,
                    "required": g.required,
                    "current": g.current,
                    "shortfall": g.shortfall,
                    "front": g.front,
                    "exposed": g.exposed,
                }
                for g in self.gaps
            ],
            "duplications": [d.__dict__ for d in self.duplications],
            "weighings": weighing_summary(self.plan),
        }


def _dims(row: np.ndarray) -> dict[str, int]:
    return {d: int(row[k]) for k, d in enumerate(DIMENSIONS)}


def prioritised_mask(plan: Plan, a: Assessment) -> np.ndarray:
    """Which scenarios the plan treats as prioritised (its ``priority`` rule)."""
    rule = plan.plan.priority
    n = len(a.table.scenarios)
    if rule == "all":
        return np.ones(n, bool)
    if rule.startswith("top:"):
        return np.asarray(a.ranks <= int(rule.split(":")[1]))
    return np.asarray(a.dominant, bool)


def analyse(plan: Plan, a: Assessment) -> PlanAnalysis:
    """Derive requirements from the prioritised scenarios; find and rank gaps and duplications."""
    ids = [s.id for s in a.table.scenarios]
    index = {sid: k for k, sid in enumerate(ids)}
    demand = np.zeros((len(plan.tasks), len(ids), len(DIMENSIONS)), np.int64)
    for t, task in enumerate(plan.tasks):
        for sid, levels in task.scenarios.items():
            if sid in index:  # scenarios above the reader's clearance are absent
                demand[t, index[sid]] = [levels[d] for d in DIMENSIONS]
    task_ids = [t.id for t in plan.tasks]
    serves = np.array(
        [[tid in cap.tasks for tid in task_ids] for cap in plan.capabilities], bool
    ).reshape(len(plan.capabilities), len(task_ids))
    current = np.array(
        [[cap.current[d] for d in DIMENSIONS] for cap in plan.capabilities], np.int64
    ).reshape(len(plan.capabilities), len(DIMENSIONS))
    prio = prioritised_mask(plan, a)
    fronts = cb.risk_fronts(a.table.likelihood_pos[:, 0], a.scores)
    task_req = cb.task_requirements(demand, prio)
    required = cb.capability_requirements(serves, task_req)
    exposed = cb.exposure(demand, prio, serves, current)
    gaps = _ranked_gaps(plan, ids, fronts, required, current, exposed)
    holders = [cap.holder for cap in plan.capabilities]
    ok = cb.meets(serves, task_req, current)
    dups = [
        Duplication(
            task=task_ids[t],
            required=_dims(task_req[t]),
            capabilities=[plan.capabilities[c].id for c in np.flatnonzero(ok[:, t])],
            holders=sorted({holders[c] for c in np.flatnonzero(ok[:, t])}),
        )
        for t in cb.duplicated_tasks(serves, task_req, current, holders)
    ]
    return PlanAnalysis(plan, a, ids, prio, fronts, demand, task_req, required, current, gaps, dups)


def _ranked_gaps(
    plan: Plan,
    ids: list[str],
    fronts: np.ndarray,
    required: np.ndarray,
    current: np.ndarray,
    exposed: np.ndarray,
) -> list[Gap]:
    found = []
    for c, d in zip(*np.nonzero(required > current), strict=True):
        who = np.flatnonzero(exposed[c, d])
        order = sorted(who, key=lambda s: (fronts[s], ids[s]))
        front = int(fronts[order[0]]) if order else 0
        found.append((c, d, [ids[s] for s in order], front))
    # highest risk first: best front, then more scenarios exposed, then the larger shortfall
    found.sort(
        key=lambda g: (
            g[3],
            -len(g[2]),
            -(required[g[0], g[1]] - current[g[0], g[1]]),
            plan.capabilities[g[0]].id,
            g[1],
        )
    )
    return [
        Gap(
            rank=k + 1,
            capability=plan.capabilities[c].id,
            dimension=DIMENSIONS[d],
            required=int(required[c, d]),
            current=int(current[c, d]),
            exposed=exposed_ids,
            front=front,
        )
        for k, (c, d, exposed_ids, front) in enumerate(found)
    ]


def weighing_summary(plan: Plan) -> list[dict[str, Any]]:
    """Each security issue with its weighing's answers and verdict (or none recorded)."""
    out = []
    for issue in plan.security_issues:
        w = plan.weighing(issue.id)
        out.append(
            {
                "issue": issue.id,
                "lead": issue.lead,
                "integrated": None if w is None else w.integrated.answer,
                "sufficient": None if w is None else w.sufficient.answer,
                "verdict": None if w is None else w.verdict,
            }
        )
    return out


@dataclass(frozen=True)
class OpenPlan:
    """A plan file checked against its edition file, with the edition's assessment."""

    plan: Plan
    assessment: Assessment
    facts: EditionFacts  # what changes to the plan are checked against


def open_plan(plan_path: Path, edition_path: Path) -> OpenPlan:
    """Read an edition and a plan that works from it; assess with the plan's method and profile."""
    ed = open_edition(edition_path)
    facts = edition_facts(ed.framework, [s.id for s in ed.book.scenarios])
    plan = load_plan(plan_path, facts)
    if plan.plan.edition != ed.book.edition.id:
        msg = (
            f"the plan works from edition {plan.plan.edition!r}, "
            f"but {edition_path} holds edition {ed.book.edition.id!r}"
        )
        raise WorkbookError(
            f"{plan_path}: wrong edition", [Problem(str(plan_path), "", "plan.edition", msg)]
        )
    return OpenPlan(plan, plan_assessment(plan, ed.book, ed.table), facts)


def plan_assessment(plan: Plan, book: Workbook, table: ScoreTable) -> Assessment:
    """The edition assessed with the method and profile the plan names."""
    settings = resolve_settings(
        table.framework, plan.plan.method or "weighted-sum", plan.plan.profile
    )
    return assess(table, book, settings)
