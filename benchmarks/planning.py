"""Capabilities-based planning at national scale: natrisk's array rules against plain Python.

Builds a random plan of 500 scenarios, 200 tasks (each needed by about 20 scenarios) and
400 capabilities (each serving one to four tasks), five dimensions, and derives the
requirements, gaps with the scenarios they expose, duplications and the risk fronts.
The peer is the same rules written as plain Python loops over dictionaries, as one would
without NumPy; both must give identical results.

Target (issue 5, set here): the whole analysis in under 1 s and 500 MB on a 2-core machine.
Run: .venv/bin/python benchmarks/planning.py
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from natrisk.method import capabilities as cb


def build(s: int, t: int, c: int, seed: int) -> dict[str, np.ndarray]:
    """Random demand (T, S, D), links (C, T), current levels (C, D), holders and risk axes."""
    rng = np.random.default_rng(seed)
    demand = np.zeros((t, s, 5), np.int64)
    for k in range(t):
        needed = rng.choice(s, size=min(20, s), replace=False)
        demand[k, needed] = rng.integers(1, 5, (len(needed), 5))
    serves = np.zeros((c, t), bool)
    for k in range(c):
        serves[k, rng.choice(t, size=rng.integers(1, 5), replace=False)] = True
    current = rng.integers(0, 5, (c, 5))
    current[::8] = 4  # one in eight is fully built: these make the duplications
    return {
        "demand": demand,
        "serves": serves,
        "current": current,
        "prioritised": rng.random(s) < 0.7,
        "likelihood": rng.integers(1, 6, s).astype(float),
        "impact": rng.gamma(2.0, 3.0, s),
        "holders": np.array([f"h{k % 60}" for k in range(c)]),
    }


def natrisk_rules(d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """The analysis with natrisk's vectorised rules."""
    task_req = cb.task_requirements(d["demand"], d["prioritised"])
    req = cb.capability_requirements(d["serves"], task_req)
    exposed = cb.exposure(d["demand"], d["prioritised"], d["serves"], d["current"])
    dups = np.array(cb.duplicated_tasks(d["serves"], task_req, d["current"], list(d["holders"])))
    fronts = cb.risk_fronts(d["likelihood"], d["impact"])
    return req, exposed, dups, fronts


def plain_rules(d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """The same rules as plain Python loops over dictionaries (the peer)."""
    t_n, s_n, d_n = d["demand"].shape
    c_n = d["serves"].shape[0]
    demand = {
        (t, s): [int(v) for v in d["demand"][t, s]]
        for t in range(t_n)
        for s in range(s_n)
        if d["demand"][t, s].any()
    }
    prio = {s for s in range(s_n) if d["prioritised"][s]}
    tasks_of = {c: [t for t in range(t_n) if d["serves"][c, t]] for c in range(c_n)}
    current = {c: [int(v) for v in d["current"][c]] for c in range(c_n)}
    task_req = {t: [0] * d_n for t in range(t_n)}
    needs_of_task: dict[int, list[int]] = {t: [] for t in range(t_n)}
    for (t, s), levels in demand.items():
        needs_of_task[t].append(s)
        if s in prio:
            task_req[t] = [max(a, b) for a, b in zip(task_req[t], levels, strict=True)]
    req = np.zeros((c_n, d_n), np.int64)
    exposed = np.zeros((c_n, d_n, s_n), bool)
    for c in range(c_n):
        for t in tasks_of[c]:
            req[c] = np.maximum(req[c], task_req[t])
            for s in needs_of_task[t]:
                if s in prio:
                    for k in range(d_n):
                        if demand[(t, s)][k] > current[c][k]:
                            exposed[c, k, s] = True
    dups = []
    for t in range(t_n):
        if max(task_req[t]) == 0:
            continue
        holders = {
            str(d["holders"][c])
            for c in range(c_n)
            if t in tasks_of[c] and all(current[c][k] >= task_req[t][k] for k in range(d_n))
        }
        if len(holders) >= 2:
            dups.append(t)
    lik, imp = list(d["likelihood"]), list(d["impact"])
    fronts = np.zeros(s_n, np.int64)
    left, level = set(range(s_n)), 0
    while left:
        level += 1
        layer = {
            b
            for b in left
            if not any(
                lik[a] >= lik[b] and imp[a] >= imp[b] and (lik[a] > lik[b] or imp[a] > imp[b])
                for a in left
            )
        }
        for b in layer:
            fronts[b] = level
        left -= layer
    return req, exposed, np.array(dups), fronts


def timed(fn, data, repeat: int) -> tuple[float, tuple[np.ndarray, ...]]:  # type: ignore[no-untyped-def]
    best, out = float("inf"), ()
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(data)
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    """Run both, check they agree, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=500)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--capabilities", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    data = build(args.scenarios, args.tasks, args.capabilities, args.seed)
    ours, a = timed(natrisk_rules, data, 5)
    peer, b = timed(plain_rules, data, 1)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y), "natrisk and the plain-Python rules disagree"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_gaps = int((a[0] > data["current"]).sum())
    print(
        f"plan: {args.scenarios} scenarios, {args.tasks} tasks, {args.capabilities} capabilities, "
        f"5 dimensions -> {n_gaps} gap cells, {len(a[2])} duplicated tasks, {a[3].max()} risk fronts"
    )
    print(f"natrisk (NumPy rules): {ours * 1000:8.1f} ms   (best of 5)")
    print(f"plain Python (peer):   {peer * 1000:8.1f} ms   -> natrisk {peer / ours:.1f}x faster")
    print(
        f"peak RSS: {rss:.0f} MB   target: < 1 s and < 500 MB: {'met' if ours < 1 and rss < 500 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
