"""Monte Carlo propagation of score and weight uncertainty to scores and ranks.

Each draw picks a class for every cell from its distribution (class ranges uniformly,
quantity ranges log-uniformly through the class bounds) and a weight vector (fixed, a
Dirichlet draw around a profile, or a profile drawn from several), then aggregates and
ranks. Draws are processed in chunks whose results are folded into fixed-size histograms,
so memory does not grow with the number of samples. Chunks have their own random streams
spawned from one seed (chunk i always draws from spawn i) and are grouped in blocks: of
BLOCK chunks on threads, of about 1/CLUSTER_TASKS of the run on a cluster. Histograms are
integer counts, and each chunk's sums are added in chunk order, so neither the grouping nor
where the blocks run (threads here, or the workers of a cluster through ``mapper``) can
change a result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from natrisk.errors import OptionError
from natrisk.method.aggregation import AggregationMethod
from natrisk.method.classes import sample_classes, sampling_tables, uniform_draws

SCORE_BINS = 2000
RANK_BINS = 1000  # rank histograms stay S x 1000 at most: memory linear in scenarios
# cells (samples x scenarios x criteria) of one chunk: 250 samples up to 16,000 cells a
# sample, fewer samples a chunk beyond, so a chunk's arrays stay near 35 MB whatever S is;
# chunks this small stay near the processor's caches, and are faster than larger ones
CELL_BUDGET = 4_000_000
BLOCK = 8  # chunks per unit of work handed to a thread, and per histogram count
CLUSTER_TASKS = 64  # units of work a run is split into on a cluster (at least BLOCK chunks each)

# runs ``fn`` on every item and yields the results in the items' order (``map`` of a pool)
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]


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
    # (S, B): draws in which scenario s had a rank in bin b, bins of ``rank_width`` ranks
    # (width 1, exact, up to RANK_BINS scenarios; wider beyond, so memory stays linear in S)
    rank_hist: NDArray[np.int64]
    score_hist: NDArray[np.int64]  # (S, SCORE_BINS)
    score_bounds: tuple[float, float]
    score_mean: NDArray[np.float64]
    rank_width: int = 1
    rank_sum: NDArray[np.float64] | None = None  # (S,) sum of ranks: the exact mean
    top_count: NDArray[np.int64] | None = None  # (S,) draws with rank <= top_n: exact

    def rank_quantile(self, q: float) -> NDArray[np.int64]:
        """Rank at quantile ``q`` per scenario (1 = largest impact; to within the bin width,
        the middle rank of its bin when bins are wider than one rank)."""
        cdf = np.cumsum(self.rank_hist, axis=1) / self.n_samples
        bins = np.argmax(cdf >= q - 1e-12, axis=1)
        n_scen = self.rank_hist.shape[0]
        ranks = bins * self.rank_width + 1 + (self.rank_width - 1) // 2
        return np.minimum(ranks, n_scen).astype(np.int64)

    def score_quantile(self, q: float) -> NDArray[np.float64]:
        """Score at quantile ``q`` per scenario (to the histogram's bin width)."""
        lo, hi = self.score_bounds
        cdf = np.cumsum(self.score_hist, axis=1) / self.n_samples
        bin_ = np.argmax(cdf >= q - 1e-12, axis=1)
        return lo + (bin_ + 0.5) * (hi - lo) / SCORE_BINS

    @property
    def p_top(self) -> NDArray[np.float64]:
        """Probability of ranking within the top ``top_n`` per scenario."""
        if self.top_count is not None:
            return self.top_count / self.n_samples
        return self.rank_hist[:, : self.top_n].sum(axis=1) / self.n_samples

    @property
    def rank_mean(self) -> NDArray[np.float64]:
        """Mean rank per scenario."""
        if self.rank_sum is not None:
            return self.rank_sum / self.n_samples
        ranks = np.arange(1, self.rank_hist.shape[1] + 1)
        return (self.rank_hist @ ranks) / self.n_samples


def run_monte_carlo(
    dist: NDArray[np.float64],
    method: AggregationMethod,
    weights: WeightSampler,
    n_samples: int,
    seed: int = 0,
    top_n: int = 10,
    chunk_size: int = 250,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    mapper: Mapper | None = None,
) -> SensitivityResult:
    """Sample ``n_samples`` draws of classes and weights and fold them into rank statistics.

    Blocks run on ``workers`` threads, or through ``mapper`` (a cluster's map) when given;
    a seed gives the same result either way. ``progress`` may raise to stop the run.
    """
    if n_samples < 1:
        raise OptionError("the number of samples must be at least 1")
    if dist.ndim != 3 or not np.allclose(dist.sum(axis=-1), 1.0):
        raise OptionError("cell distributions must have shape (S, C, K+1) and sum to one")
    n_scen, n_crit, _ = dist.shape
    low, thresholds = sampling_tables(dist)
    lo, hi = method.bounds(n_scen, n_crit)
    chunk_size = max(1, min(chunk_size, CELL_BUDGET // max(1, n_scen * n_crit)))
    width = -(-n_scen // RANK_BINS)  # ceil: one rank per bin up to RANK_BINS scenarios
    n_bins = -(-n_scen // width)
    sizes = [min(chunk_size, n_samples - i) for i in range(0, n_samples, chunk_size)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))

    def chunk(seq: np.random.SeedSequence, n: int) -> tuple[NDArray, ...]:
        rng = np.random.default_rng(seq)
        draws = uniform_draws(rng, (n, n_scen, n_crit))
        result = method.evaluate(sample_classes(low, thresholds, draws), weights.draw(rng, n))
        flat_rank = (np.arange(n_scen) * n_bins + (result.ranks - 1) // width).ravel()
        bins = ((result.scores - lo) / (hi - lo or 1.0) * SCORE_BINS).astype(np.int64)
        flat_score = (np.arange(n_scen) * SCORE_BINS + bins.clip(0, SCORE_BINS - 1)).ravel()
        return (
            flat_rank,
            flat_score,
            result.scores.sum(axis=0),
            result.ranks.sum(axis=0, dtype=np.float64),
            (result.ranks <= top_n).sum(axis=0),
        )

    def block(first: int) -> tuple[Any, ...]:
        """The chunks ``first`` to ``first + per_block`` (at most): their histograms, counted
        from the bins of BLOCK chunks at a time (a histogram is S x 2000 counts, larger than
        one chunk's draws), and each chunk's own sums, which are added in chunk order after,
        so a result never depends on how chunks are grouped or where a block runs."""
        last = min(first + per_block, len(sizes))
        hists: list[NDArray[np.int64]] = []
        sums = []
        for group in range(first, last, BLOCK):
            parts = [chunk(seeds[i], sizes[i]) for i in range(group, min(group + BLOCK, last))]
            counted = (
                np.bincount(np.concatenate([p[0] for p in parts]), minlength=n_scen * n_bins),
                np.bincount(np.concatenate([p[1] for p in parts]), minlength=n_scen * SCORE_BINS),
            )
            if hists:
                for acc, more in zip(hists, counted, strict=True):
                    acc += more
            else:
                hists = list(counted)
            sums += [p[2:] for p in parts]
        return hists[0], hists[1], sums

    # threads: blocks of up to BLOCK chunks, so small runs report progress every chunk; a
    # cluster: about CLUSTER_TASKS blocks, as each task costs a round trip and sends back
    # two histograms (10 MB for 500 scenarios)
    per_block = min(BLOCK, max(1, len(sizes) // 16))
    if mapper is not None:
        per_block = max(per_block, -(-len(sizes) // CLUSTER_TASKS))
    starts = list(range(0, len(sizes), per_block))
    rank_hist = np.zeros(n_scen * n_bins, dtype=np.int64)
    score_hist = np.zeros(n_scen * SCORE_BINS, dtype=np.int64)
    score_sum = np.zeros(n_scen)
    rank_sum = np.zeros(n_scen)
    top_count = np.zeros(n_scen, dtype=np.int64)
    done = 0
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for (r, s, sums), first in zip((mapper or pool.map)(block, starts), starts, strict=True):
            rank_hist += r
            score_hist += s
            for t, rs, tc in sums:  # chunk order, whatever the blocks
                score_sum += t
                rank_sum += rs
                top_count += tc
            done += sum(sizes[first : first + per_block])
            if progress is not None:
                progress(done, n_samples)
    finally:  # a stopped run (progress raised) does not wait for the blocks not yet begun
        pool.shutdown(wait=True, cancel_futures=True)
    return SensitivityResult(
        n_samples=n_samples,
        seed=seed,
        method=method.name,
        top_n=top_n,
        rank_hist=rank_hist.reshape(n_scen, n_bins),
        score_hist=score_hist.reshape(n_scen, SCORE_BINS),
        score_bounds=(lo, hi),
        score_mean=score_sum / n_samples,
        rank_width=width,
        rank_sum=rank_sum,
        top_count=top_count,
    )
