"""Monte Carlo propagation of score and weight uncertainty to scores and ranks.

Each draw picks a class for every cell from its distribution (class ranges uniformly,
quantity ranges log-uniformly through the class bounds) and a weight vector (fixed, a
Dirichlet draw around a profile, or a profile drawn from several), then aggregates and
ranks. Draws are processed in chunks whose results are folded into fixed-size histograms,
so memory does not grow with the number of samples. Chunks have their own random streams
spawned from one seed, so results do not depend on the number of worker threads.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from natrisk.errors import OptionError
from natrisk.method.aggregation import AggregationMethod
from natrisk.method.classes import RESOLUTION, sample_classes, sampling_tables

SCORE_BINS = 2000


@dataclass(frozen=True)
class WeightSampler:
    """How weights vary between draws: ``fixed``, ``around`` a profile, or ``across`` profiles."""

    mode: str
    base: NDArray[np.float64]  # (C,) the profile's weights
    profiles: NDArray[np.float64] | None = None  # (P, C) for mode "across"
    concentration: float = 50.0  # Dirichlet concentration for mode "around"

    def __post_init__(self) -> None:
        if self.mode not in ("fixed", "around", "across"):
            raise OptionError(f"unknown weight mode {self.mode!r}; choose fixed, around or across")
        if self.mode == "across" and (self.profiles is None or len(self.profiles) == 0):
            raise OptionError("weight mode 'across' needs at least one profile")
        if self.mode == "around" and not self.concentration > 0:
            raise OptionError("the concentration must be positive")

    def draw(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """Weights for ``n`` draws, shape (n, C)."""
        if self.mode == "fixed":
            return np.broadcast_to(self.base, (n, len(self.base)))
        if self.mode == "across":
            assert self.profiles is not None
            return self.profiles[rng.integers(0, len(self.profiles), size=n)]
        positive = self.base > 0
        total = self.base.sum()
        alpha = self.concentration * self.base[positive] / total
        out = np.zeros((n, len(self.base)))
        out[:, positive] = rng.dirichlet(alpha, size=n) * total
        return out


@dataclass(frozen=True)
class SensitivityResult:
    """Per scenario: the distribution of its rank and score over all draws."""

    n_samples: int
    seed: int
    method: str
    top_n: int
    rank_hist: NDArray[np.int64]  # (S, S): draws in which scenario s had rank r+1
    score_hist: NDArray[np.int64]  # (S, SCORE_BINS)
    score_bounds: tuple[float, float]
    score_mean: NDArray[np.float64]

    def rank_quantile(self, q: float) -> NDArray[np.int64]:
        """Rank at quantile ``q`` per scenario (1 = largest impact)."""
        cdf = np.cumsum(self.rank_hist, axis=1) / self.n_samples
        return (np.argmax(cdf >= q - 1e-12, axis=1) + 1).astype(np.int64)

    def score_quantile(self, q: float) -> NDArray[np.float64]:
        """Score at quantile ``q`` per scenario (to the histogram's bin width)."""
        lo, hi = self.score_bounds
        cdf = np.cumsum(self.score_hist, axis=1) / self.n_samples
        bin_ = np.argmax(cdf >= q - 1e-12, axis=1)
        return lo + (bin_ + 0.5) * (hi - lo) / SCORE_BINS

    @property
    def p_top(self) -> NDArray[np.float64]:
        """Probability of ranking within the top ``top_n`` per scenario."""
        return self.rank_hist[:, : self.top_n].sum(axis=1) / self.n_samples

    @property
    def rank_mean(self) -> NDArray[np.float64]:
        """Mean rank per scenario."""
        ranks = np.arange(1, self.rank_hist.shape[1] + 1)
        return (self.rank_hist @ ranks) / self.n_samples


def run_monte_carlo(
    dist: NDArray[np.float64],
    method: AggregationMethod,
    weights: WeightSampler,
    n_samples: int,
    seed: int = 0,
    top_n: int = 10,
    chunk_size: int = 1000,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """Sample ``n_samples`` draws of classes and weights and fold them into rank statistics."""
    if n_samples < 1:
        raise OptionError("the number of samples must be at least 1")
    if dist.ndim != 3 or not np.allclose(dist.sum(axis=-1), 1.0):
        raise OptionError("cell distributions must have shape (S, C, K+1) and sum to one")
    n_scen, n_crit, _ = dist.shape
    low, thresholds = sampling_tables(dist)
    lo, hi = method.bounds(n_scen, n_crit)
    sizes = [min(chunk_size, n_samples - i) for i in range(0, n_samples, chunk_size)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))

    def chunk(job: tuple[np.random.SeedSequence, int]) -> tuple[NDArray, NDArray, NDArray]:
        seq, n = job
        rng = np.random.default_rng(seq)
        draws = rng.integers(0, RESOLUTION, (n, n_scen, n_crit), dtype=np.uint16)
        result = method(sample_classes(low, thresholds, draws), weights.draw(rng, n))
        flat_rank = (np.arange(n_scen) * n_scen + (result.ranks - 1)).ravel()
        rank_counts = np.bincount(flat_rank, minlength=n_scen * n_scen)
        bins = ((result.scores - lo) / (hi - lo or 1.0) * SCORE_BINS).astype(np.int64)
        flat_score = (np.arange(n_scen) * SCORE_BINS + bins.clip(0, SCORE_BINS - 1)).ravel()
        score_counts = np.bincount(flat_score, minlength=n_scen * SCORE_BINS)
        return rank_counts, score_counts, result.scores.sum(axis=0)

    rank_hist = np.zeros(n_scen * n_scen, dtype=np.int64)
    score_hist = np.zeros(n_scen * SCORE_BINS, dtype=np.int64)
    score_sum = np.zeros(n_scen)
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for (r, s, t), n in zip(
            pool.map(chunk, zip(seeds, sizes, strict=True)), sizes, strict=True
        ):
            rank_hist += r
            score_hist += s
            score_sum += t
            done += n
            if progress is not None:
                progress(done, n_samples)
    return SensitivityResult(
        n_samples=n_samples,
        seed=seed,
        method=method.name,
        top_n=top_n,
        rank_hist=rank_hist.reshape(n_scen, n_scen),
        score_hist=score_hist.reshape(n_scen, SCORE_BINS),
        score_bounds=(lo, hi),
        score_mean=score_sum / n_samples,
    )
