"""Sensitivity and robustness: how stable each scenario's position is.

Two views (docs/method.md, section 4): a Monte Carlo run over score ranges and weights for
one method, and the agreement (Kendall's tau) between the rankings of every method and
weight profile on the representative classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from natrisk.errors import InputError
from natrisk.method.aggregation import METHODS, make_method
from natrisk.method.ranking import kendall_tau
from natrisk.method.uncertainty import Mapper, SensitivityResult, WeightSampler, run_monte_carlo
from natrisk.services.assessment import Settings, class_value_array
from natrisk.services.scoring import ScoreTable

# The work one web request may ask for (docs/shared-system.md, "Limits"): a report draws
# its samples while the client waits, so it is bounded; more goes to a background run
REQUEST_SAMPLES = 20_000
RUN_SAMPLES = 1_000_000


def check_request_samples(samples: int, edition_id: int) -> None:
    """Refuse a synchronous request for more samples than REQUEST_SAMPLES, saying what to do."""
    if samples > REQUEST_SAMPLES:
        raise InputError(
            f"samples: at most {REQUEST_SAMPLES:,} in a report request (you asked {samples:,}); "
            f"for more, start a background run: POST /api/editions/{edition_id}/sensitivity "
            f"(up to {RUN_SAMPLES:,} samples) and follow it at GET /api/runs/{{id}}"
        )


@dataclass(frozen=True)
class Sensitivity:
    """A Monte Carlo result with the rank agreement table and the run's settings."""

    table: ScoreTable
    settings: Settings
    weight_mode: str
    mc: SensitivityResult
    agreement: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json`` and ``sensitivity.json``."""
        mc = self.mc
        p5, p50, p95 = (mc.rank_quantile(q) for q in (0.05, 0.5, 0.95))
        s5, s50, s95 = (mc.score_quantile(q) for q in (0.05, 0.5, 0.95))
        rank_mean, p_top = mc.rank_mean, mc.p_top  # each a pass over all scenarios: once
        rows = [
            {
                "id": sid,
                "title": self.table.scenarios[i].title,
                "rank_p5": int(p5[i]),
                "rank_median": int(p50[i]),
                "rank_p95": int(p95[i]),
                "rank_mean": float(rank_mean[i]),
                f"p_top{mc.top_n}": float(p_top[i]),
                "score_p5": float(s5[i]),
                "score_median": float(s50[i]),
                "score_p95": float(s95[i]),
                "score_mean": float(mc.score_mean[i]),
            }
            for i, sid in enumerate(self.table.scenario_ids)
        ]
        return {
            "samples": mc.n_samples,
            "seed": mc.seed,
            "method": mc.method,
            "profile": self.settings.profile,
            "weight_mode": self.weight_mode,
            "top_n": mc.top_n,
            "scenarios": rows,
            "agreement": self.agreement,
        }


def run_sensitivity(
    table: ScoreTable,
    settings: Settings,
    samples: int = 10000,
    seed: int = 0,
    weight_mode: str = "around",
    concentration: float = 50.0,
    top_n: int = 10,
    progress: Callable[[int, int], None] | None = None,
    mapper: Mapper | None = None,
) -> Sensitivity:
    """Propagate score ranges and weight uncertainty; compare methods and profiles.

    The samples run on threads, or on a Dask cluster through ``mapper``, with the same result.
    """
    fw = table.framework
    k = len(table.class_ids) - 1
    method = make_method(settings.method, k, class_value_array(fw, settings))
    base = np.array([settings.weights[c] for c in table.criteria])
    profiles = np.array([[w[c] for c in table.criteria] for w in _profiles(table)])
    sampler = WeightSampler(weight_mode, base, profiles, concentration)
    mc = run_monte_carlo(
        table.dist, method, sampler, samples, seed, top_n, progress=progress, mapper=mapper
    )
    return Sensitivity(table, settings, weight_mode, mc, rank_agreement(table, settings))


def _profiles(table: ScoreTable) -> list[dict[str, float]]:
    fw = table.framework
    return [fw.profile_weights(name) for name in fw.weights.profiles]


def rank_agreement(table: ScoreTable, settings: Settings) -> list[dict[str, Any]]:
    """Kendall's tau between the chosen ranking and every other method x profile ranking."""
    fw = table.framework
    k = len(table.class_ids) - 1
    values = class_value_array(fw, settings)
    rankings = {}
    for method in METHODS:
        agg = make_method(method, k, values)
        for name in fw.weights.profiles:
            w = np.array([fw.profile_weights(name)[c] for c in table.criteria])
            rankings[(method, name)] = agg(table.point, w).ranks
    ref_w = np.array([settings.weights[c] for c in table.criteria])
    ref = make_method(settings.method, k, values)(table.point, ref_w).ranks
    return [
        {"method": m, "profile": p, "kendall_tau": kendall_tau(ref, r)}
        for (m, p), r in rankings.items()
    ]
