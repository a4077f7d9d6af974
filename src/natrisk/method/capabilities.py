"""Capabilities-based planning: requirements, gaps, duplications and risk order (arrays only).

Shapes: T tasks, S scenarios, D dimensions, C capabilities. Levels are whole numbers on the
plan's scale, 0 the lowest ("absent", so 0 also means "no need"). The rules are in
docs/method.md section 8; the process is that of the Strategie Nationale Veiligheid (2007),
§3.3 'Fase 2: strategische planning'.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Int = NDArray[np.int64]
Bool = NDArray[np.bool_]


def task_requirements(demand: Int, prioritised: Bool) -> Int:
    """(T, D): per task and dimension, the highest level any prioritised scenario demands."""
    masked = np.where(prioritised[None, :, None], demand, 0)
    return masked.max(axis=1) if demand.shape[1] else np.zeros(demand.shape[::2], np.int64)


def capability_requirements(serves: Bool, task_req: Int) -> Int:
    """(C, D): per capability and dimension, the highest requirement of the tasks it serves."""
    if serves.shape[1] == 0:
        return np.zeros((serves.shape[0], task_req.shape[1]), np.int64)
    stacked = np.where(serves[:, :, None], task_req[None, :, :], 0)
    return stacked.max(axis=1)


def shortfalls(required: Int, current: Int) -> Int:
    """(C, D): how many levels the current state falls short of the required one (0 if none)."""
    return np.maximum(required - current, 0)


def exposure(demand: Int, prioritised: Bool, serves: Bool, current: Int) -> Bool:
    """(C, D, S): prioritised scenario s needs more of capability c in dimension d than it has.

    A scenario needs a capability through a task it serves; the capability leaves the
    scenario exposed when that task's demand for s exceeds the capability's current level.
    """
    n_caps, n_dims, n_scen = current.shape[0], demand.shape[2], demand.shape[1]
    if demand.shape[0] == 0 or n_caps == 0:
        return np.zeros((n_caps, n_dims, n_scen), bool)
    need = np.where(prioritised[None, :, None], demand, 0)  # (T, S, D)
    out = np.zeros((n_caps, n_dims, n_scen), bool)
    # one capability at a time: a (C, T, S, D) block would need gigabytes at national scale
    for c in range(n_caps):
        tasks = np.flatnonzero(serves[c])
        if tasks.size:
            highest = need[tasks].max(axis=0)  # (S, D): most any of its tasks needs per scenario
            out[c] = (highest > current[c][None, :]).T
    return out


def meets(serves: Bool, task_req: Int, current: Int) -> Bool:
    """(C, T): capability c serves task t and alone meets its requirement in every dimension."""
    enough = (current[:, None, :] >= task_req[None, :, :]).all(axis=2)
    return serves & enough


def duplicated_tasks(serves: Bool, task_req: Int, current: Int, holders: list[str]) -> list[int]:
    """Tasks with a real requirement met in full by capabilities of two or more holders."""
    ok = meets(serves, task_req, current)
    out = []
    for t in range(task_req.shape[0]):
        if task_req[t].max(initial=0) == 0:
            continue
        who = {holders[c] for c in np.flatnonzero(ok[:, t])}
        if len(who) >= 2:
            out.append(t)
    return out


def risk_fronts(likelihood: NDArray[np.floating], impact: NDArray[np.floating]) -> Int:
    """(S,): Pareto front of each scenario in the risk diagram, 1 = dominated by none.

    Scenario a dominates b when it is at least as likely and at least as harmful, and
    strictly more in one of the two; the risk is never reduced to one product number.
    """
    n = len(likelihood)
    lik, imp = np.asarray(likelihood, float), np.asarray(impact, float)
    ge = (lik[:, None] >= lik[None, :]) & (imp[:, None] >= imp[None, :])
    gt = (lik[:, None] > lik[None, :]) | (imp[:, None] > imp[None, :])
    dominates = ge & gt  # [a, b]: a dominates b
    front = np.zeros(n, np.int64)
    left = np.ones(n, bool)
    level = 0
    while left.any():
        level += 1
        beaten = (dominates & left[:, None]).any(axis=0)
        layer = left & ~beaten
        front[layer] = level
        left &= ~layer
    return front
