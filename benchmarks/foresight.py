"""Strategic foresight at scale: reading trend files in each format and the trend analysis.

Builds random trend sets of 15 (the NVS 2019 size), 1,000 and 10,000 trends, each bearing on
one to six of 9 themes and 2,000 scenarios, and a baseline that changes a third of them. It
times the lossless round trip (write + read with every check) in YAML, JSON, XLSX and CSV, and
the analysis against the baseline. The peer of the analysis is the same pressure computed the
plain way (for every theme and scenario, a scan over every bearing of every trend); both must
give identical pressures. How the cost grows with the number of trends is printed per size.

Run: .venv/bin/python benchmarks/foresight.py [--sizes 15,1000,10000]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from typing import Any

from natrisk.domain.framework import Text
from natrisk.domain.trends import TrendSet
from natrisk.io.trends import parse_upload, trends_bytes
from natrisk.services.trend_analysis import Picture, analyse

THEMES = [f"theme-{k}" for k in range(9)]


def picture(n_scenarios: int, rng: random.Random) -> Picture:
    scenarios = {f"s{k}": (f"Scenario {k}", rng.choice(THEMES)) for k in range(n_scenarios)}
    return Picture({t: Text(en=t, nl=t) for t in THEMES}, scenarios)


def trend_set(n: int, scenarios: list[str], rng: random.Random, change: float = 0.0) -> TrendSet:
    trends = []
    for k in range(n):
        local = random.Random(k)  # the same trend in both sets, unless it changes
        targets = local.sample(THEMES + scenarios, local.randint(1, 6))
        bears = [
            {
                ("theme" if t in THEMES else "scenario"): t,
                "sign": local.choice("+-"),
                "strength": local.choice(["weak", "moderate", "strong"]),
            }
            for t in targets
        ]
        direction = local.choice(["rising", "stable", "falling"])
        if rng.random() < change:
            direction = rng.choice(["rising", "stable", "falling"])
            bears[0]["strength"] = rng.choice(["weak", "moderate", "strong"])
        trends.append(
            {
                "id": f"t{k}",
                "group": f"g{k % 5}",
                "title": {"en": f"Trend {k}", "nl": f"Trend {k} (nl)"},
                "description": f"Description of trend {k}, with a comma, and a line\nbreak.",
                "direction": direction,
                "bears_on": bears,
                "sources": [
                    {"title": f"Study {k}", "organisation": "PBL", "kind": "planning-bureau"}
                ],
            }
        )
    return TrendSet.model_validate(
        {
            "set": {"id": "bench", "title": "Bench", "year": 2026, "edition": "e"},
            "groups": [{"id": f"g{g}", "title": f"Group {g}"} for g in range(5)],
            "trends": trends,
        }
    )


def plain_pressure(ts: TrendSet, pic: Picture) -> dict[tuple[str, str], int]:
    """For every theme and scenario, a scan over every bearing (what one writes first)."""
    out: dict[tuple[str, str], int] = {}
    keys = [("theme", t) for t in THEMES] + [("scenario", s) for s in pic.scenarios]
    for kind, ident in keys:
        total, touched = 0, False
        for t in ts.trends:
            for b in t.bears_on:
                bk, bi = b.target
                hit = (bk, bi) == (kind, ident)
                if kind == "theme" and bk == "scenario" and bi in pic.scenarios:
                    hit = hit or pic.scenarios[bi][1] == ident
                if kind == "scenario" and bk == "theme":
                    hit = hit or pic.scenarios[ident][1] == bi
                if hit:
                    total, touched = total + b.weight, True
        if touched:
            out[(kind, ident)] = total
    return out


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="15,1000,10000")
    ap.add_argument("--scenarios", type=int, default=2000)
    args = ap.parse_args()
    rng = random.Random(1)
    pic = picture(args.scenarios, rng)
    sids = list(pic.scenarios)
    print(f"{'trends':>7} {'format':>6} {'bytes':>11} {'write s':>8} {'read s':>8}")
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        ts = trend_set(n, sids, rng)
        base = trend_set(n, sids, random.Random(2), change=1 / 3)
        for suffix in (".yaml", ".json", ".xlsx", ".csv"):
            seconds, data = timed(lambda s=suffix, t=ts: trends_bytes(t, s))
            more, back = timed(lambda s=suffix, d=data: parse_upload(d, f"b{s}"))
            assert back == ts
            print(f"{n:>7} {suffix[1:]:>6} {len(data):>11,} {seconds:>8.3f} {more:>8.3f}")
        fast, a = timed(lambda t=ts, b=base: analyse(t, b, pic))
        slow, plain = (float("nan"), None)
        if n <= 1000:  # the plain way takes minutes beyond
            slow, plain = timed(lambda t=ts: plain_pressure(t, pic))
        if plain is not None:
            assert {(p.kind, p.id): p.now for p in a.pressure if p.trends} == plain
        rows.append((n, fast, slow))
    print(f"\n{'trends':>7} {'analysis s':>11} {'plain pressure s':>17} {'per trend ms':>13}")
    for n, fast, slow in rows:
        print(f"{n:>7} {fast:>11.3f} {slow:>17.3f} {1000 * fast / n:>13.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
