"""Cascades: which scenarios a scenario sets off, and the impact of the whole chain.

Arrays in, arrays out (docs/method.md §10). A sample starts from a root scenario and follows
the links by their conditional probabilities; a scenario fires at most once per sample, so
cycles end. Each link's trial in sample j is decided by a counter-based draw, a hash of
(seed, j, the link's key), not by a stream: results are identical whatever the chunk size,
the order of the chunks or the machine that runs them (a Dask partition is a range of
samples), and adding a link leaves every other link's draws as they were.

Impacts combine per criterion: quantities add (the variants of one risk, being one event at
several intensities, count with their largest quantity), class-only criteria take the highest
class; summed quantities are classified on the framework again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from natrisk.errors import OptionError

Int = NDArray[np.int64]
Float = NDArray[np.float64]
U64 = NDArray[np.uint64]

SCORE_BINS = 2000
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ONE = 2.0**53


def mix(x: U64) -> U64:
    """SplitMix64's finaliser, elementwise: a well-spread 64-bit hash of each value."""
    x = np.asarray(x, dtype=np.uint64) + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def link_keys(src: Int, dst: Int) -> U64:
    """A key per link from its two ends' indices (the same link keeps its key in any graph)."""
    s = np.asarray(src, dtype=np.uint64)
    d = np.asarray(dst, dtype=np.uint64)
    return mix((s << np.uint64(32)) | d)


@dataclass(frozen=True)
class Graph:
    """S scenarios and L links (source, target, probability, key), sorted by source."""

    n: int
    src: Int
    dst: Int
    threshold: U64  # a link is live when its 53-bit draw is below this
    keys: U64
    indptr: Int

    @classmethod
    def build(
        cls, n: int, src: Int, dst: Int, probability: Float, keys: U64 | None = None
    ) -> Graph:
        """Check and sort the links; ``keys`` default to ``link_keys(src, dst)``."""
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        p = np.asarray(probability, dtype=np.float64)
        if not (src.shape == dst.shape == p.shape) or src.ndim != 1:
            raise OptionError("links need one source, target and probability each")
        if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
            raise OptionError(f"link ends must be scenario indices 0..{n - 1}")
        if np.any(src == dst):
            raise OptionError("a scenario cannot cause itself")
        if not np.all((p >= 0) & (p <= 1)):
            raise OptionError("link probabilities lie between 0 and 1")
        keys = link_keys(src, dst) if keys is None else np.asarray(keys, dtype=np.uint64)
        order = np.argsort(src, kind="stable")
        threshold = np.floor(p * _ONE).astype(np.uint64)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
        return cls(n, src[order], dst[order], threshold[order], keys[order], indptr)

    @property
    def n_links(self) -> int:
        """Number of links."""
        return int(self.src.size)


def live_links(graph: Graph, seed: int, samples: Int) -> NDArray[np.bool_]:
    """(m, L): whether each link fires in each of the given (global) sample numbers."""
    base = mix(np.asarray(samples, dtype=np.uint64) ^ mix(np.array([seed], dtype=np.uint64)))
    h = mix(base[:, None] ^ graph.keys[None, :])
    return (h >> np.uint64(11)) < graph.threshold[None, :]


def reach(graph: Graph, live: NDArray[np.bool_], roots: Int) -> tuple[Int, Int]:
    """Every (row, scenario) that fires, row = r * m + j for root r and sample j of ``live``.

    Breadth first over all rows at once; a scenario already fired in a row is not fired
    again, so cycles end. Returned sorted by row, then scenario.
    """
    m = live.shape[0]
    roots = np.asarray(roots, dtype=np.int64)
    n_rows = roots.size * m
    fired = np.zeros((n_rows, graph.n), dtype=bool)
    rows = np.arange(n_rows, dtype=np.int64)
    nodes = np.repeat(roots, m)
    fired[rows, nodes] = True
    while rows.size:
        start = graph.indptr[nodes]
        deg = graph.indptr[nodes + 1] - start
        total = int(deg.sum())
        if total == 0:
            break
        offsets = np.arange(total) - np.repeat(np.cumsum(deg) - deg, deg)
        edges = np.repeat(start, deg) + offsets
        trial_rows = np.repeat(rows, deg)
        ok = live[trial_rows % m, edges]
        trial_rows, targets = trial_rows[ok], graph.dst[edges[ok]]
        new = ~fired[trial_rows, targets]
        flat = np.unique(trial_rows[new] * graph.n + targets[new])
        rows, nodes = flat // graph.n, flat % graph.n
        fired[rows, nodes] = True
    hit_rows, hit_nodes = np.nonzero(fired)
    return hit_rows.astype(np.int64), hit_nodes.astype(np.int64)


@dataclass(frozen=True)
class Impacts:
    """What combines: per scenario and criterion a quantity (quantity criteria) or a class.

    ``quantity`` (S, C) holds each cell's representative quantity, NaN on class-only
    criteria; ``klass`` (S, C) each cell's class; ``bounds`` (C, K) the classes' inclusive
    lower bounds of quantity criteria (NaN rows elsewhere); ``floor`` (C,) the lowest class
    that counts (below it: none); ``group`` (S,) the risk each scenario is a variant of.
    """

    quantity: Float
    klass: Int
    bounds: Float
    floor: Int
    group: Int

    @property
    def is_quantity(self) -> NDArray[np.bool_]:
        """Criteria whose quantities add."""
        return np.asarray(~np.isnan(self.bounds).all(axis=1), dtype=bool)


def combine(imp: Impacts, rows: Int, nodes: Int, n_rows: int) -> Int:
    """(n_rows, C) combined classes of the scenarios fired in each row (rows sorted; every
    row fires at least one scenario)."""
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    if starts.size != n_rows:
        raise OptionError("every row must fire at least one scenario")
    out = np.maximum.reduceat(imp.klass[nodes], starts, axis=0)
    qty = np.flatnonzero(imp.is_quantity)
    if qty.size:
        g = imp.group[nodes]
        key = rows * (int(imp.group.max()) + 1) + g
        order = np.lexsort((g, rows))
        key, sorted_nodes, sorted_rows = key[order], nodes[order], rows[order]
        gstart = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        per_group = np.maximum.reduceat(imp.quantity[np.ix_(sorted_nodes, qty)], gstart, axis=0)
        grow = sorted_rows[gstart]
        rstart = np.flatnonzero(np.r_[True, grow[1:] != grow[:-1]])
        totals = np.add.reduceat(per_group, rstart, axis=0)
        for j, c in enumerate(qty):
            out[:, c] = classify(totals[:, j], imp.bounds[c])
    below = out < imp.floor[None, :]
    return np.where(below, 0, out)


def classify(values: Float, bounds: Float) -> Int:
    """Class of each quantity: how many inclusive lower bounds it reaches (0 = none)."""
    b = bounds[~np.isnan(bounds)]
    return np.searchsorted(b, values, side="right").astype(np.int64)


def contributions(
    method: str,
    weights: Float,
    class_values: Float,
    population: Int | None = None,
    roots: Int | None = None,
) -> Float:
    """(R or 1, C, K+1): what class k on criterion c adds to a scenario's score.

    Every method is a sum over criteria of a term of the class: weighted sum w_c v_k / Σw;
    Medal [w_c > 0] (C+1)^(k-1); Evamix w_c (below - above) / Σw / (S-1) against the other
    scenarios' direct classes (``population`` (S, C), the root ``roots`` left out).
    """
    w = np.asarray(weights, dtype=np.float64)
    v = np.asarray(class_values, dtype=np.float64)
    n_crit, n_cls = w.size, v.size
    if method == "weighted-sum":
        return (w[:, None] * v[None, :] / w.sum())[None]
    if method == "medal":
        power = np.where(np.arange(n_cls) > 0, float(n_crit + 1) ** (np.arange(n_cls) - 1.0), 0)
        return np.asarray(((w > 0)[:, None] * power[None, :])[None], dtype=np.float64)
    if method != "evamix" or population is None or roots is None:
        raise OptionError(f"unknown method {method!r}; choose weighted-sum, medal or evamix")
    pop = np.asarray(population, dtype=np.int64)
    counts = np.stack([np.bincount(pop[:, c], minlength=n_cls) for c in range(n_crit)])
    cum = np.cumsum(counts, axis=1)
    below = cum - counts  # scenarios in a lower class, per (c, k)
    above = cum[:, -1:] - cum
    net = (below - above)[None].astype(np.float64).repeat(len(roots), axis=0)
    own = pop[np.asarray(roots)]  # the root's own direct row is not an 'other'
    k = np.arange(n_cls)[None, None, :]
    net -= np.sign(k - own[:, :, None])
    return w[None, :, None] * net / w.sum() / max(len(pop) - 1, 1)


def scores(table: Float, classes: Int, root_index: Int) -> Float:
    """Score of each row's classes; ``root_index`` picks each row's contribution table."""
    crit = np.arange(classes.shape[1])[None, :]
    return table[root_index[:, None], crit, classes].sum(axis=1)


@dataclass
class CascadeTally:
    """Per root, folded over every sample (integers and minima, so chunking cannot change them)."""

    n_samples: int
    fired: Int  # (R, S) samples in which each scenario fired
    classes: Int  # (R, C, K+1) samples with each combined class per criterion
    score_hist: Int  # (R, SCORE_BINS)
    score_min: Float  # (R, SCORE_BINS) lowest score seen in each bin
    bounds: tuple[float, float]
    sets: dict[tuple[int, ...], Int] = field(default_factory=dict)  # fired sets -> count per root

    def fold(self, other: CascadeTally) -> None:
        """Add another range of samples."""
        self.n_samples += other.n_samples
        self.fired += other.fired
        self.classes += other.classes
        self.score_hist += other.score_hist
        np.minimum(self.score_min, other.score_min, out=self.score_min)
        for key, counts in other.sets.items():
            if key in self.sets:
                self.sets[key] = self.sets[key] + counts
            else:
                self.sets[key] = counts

    def quantile(self, q: float) -> Float:
        """Per root, the lowest score s with P(score <= s) >= q (to the bin, then exact)."""
        cum = np.cumsum(self.score_hist, axis=1)
        b = np.argmax(cum >= q * self.n_samples - 1e-9, axis=1)
        return self.score_min[np.arange(len(b)), b]

    def mean_score(self, table: Float) -> Float:
        """Per root, the mean score (linear in the class counts, so exact)."""
        t = np.broadcast_to(table, self.classes.shape)
        return (self.classes * t).sum(axis=(1, 2)) / self.n_samples


def _tally(
    graph: Graph,
    imp: Impacts,
    table: Float,
    roots: Int,
    seed: int,
    samples: Int,
    bounds: tuple[float, float],
    track_sets: bool,
) -> CascadeTally:
    m, n_roots = samples.size, roots.size
    live = live_links(graph, seed, samples)
    rows, nodes = reach(graph, live, roots)
    n_rows = n_roots * m
    combined = combine(imp, rows, nodes, n_rows)
    root_of_row = np.repeat(np.arange(n_roots), m)
    table_row = root_of_row if table.shape[0] > 1 else np.zeros(n_rows, dtype=np.int64)
    s = scores(table, combined, table_row)
    lo, hi = bounds
    b = np.clip(((s - lo) / (hi - lo or 1.0) * SCORE_BINS).astype(np.int64), 0, SCORE_BINS - 1)
    flat = root_of_row * SCORE_BINS + b
    hist = np.bincount(flat, minlength=n_roots * SCORE_BINS).reshape(n_roots, SCORE_BINS)
    smin = np.full(n_roots * SCORE_BINS, np.inf)
    np.minimum.at(smin, flat, s)
    n_crit, n_cls = imp.klass.shape[1], table.shape[2]
    cflat = (root_of_row[:, None] * n_crit + np.arange(n_crit)[None, :]) * n_cls + combined
    classes = np.bincount(cflat.ravel(), minlength=n_roots * n_crit * n_cls)
    fired = np.bincount(root_of_row[rows] * graph.n + nodes, minlength=n_roots * graph.n)
    tally = CascadeTally(
        m,
        fired.reshape(n_roots, graph.n),
        classes.reshape(n_roots, n_crit, n_cls),
        hist,
        smin.reshape(n_roots, SCORE_BINS),
        bounds,
    )
    if track_sets:
        tally.sets = _sets(rows, nodes, root_of_row, n_roots)
    return tally


def _sets(rows: Int, nodes: Int, root_of_row: Int, n_roots: int) -> dict[tuple[int, ...], Int]:
    """How often each fired set of two or more scenarios occurred, per root."""
    size = np.bincount(rows, minlength=root_of_row.size)
    keep = size[rows] >= 2
    out: dict[tuple[int, ...], Int] = {}
    if not keep.any():
        return out
    r, nd = rows[keep], nodes[keep]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    ends = np.r_[starts[1:], r.size]
    groups: dict[tuple[int, ...], list[int]] = {}
    for a, z in zip(starts.tolist(), ends.tolist(), strict=True):
        groups.setdefault(tuple(nd[a:z].tolist()), []).append(int(root_of_row[r[a]]))
    for key, owners in groups.items():
        out[key] = np.bincount(np.array(owners), minlength=n_roots).astype(np.int64)
    return out


def sample_ranges(n_samples: int, chunk_size: int) -> Iterator[Int]:
    """Global sample numbers, ``chunk_size`` at a time."""
    for start in range(0, n_samples, chunk_size):
        yield np.arange(start, min(start + chunk_size, n_samples), dtype=np.int64)


def propagate(
    graph: Graph,
    imp: Impacts,
    table: Float,
    roots: Int,
    n_samples: int,
    seed: int = 0,
    bounds: tuple[float, float] | None = None,
    chunk_size: int = 256,
    root_batch: int = 64,
    workers: int = 2,
    track_sets: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> CascadeTally:
    """Run ``n_samples`` samples from each root; fold them per root.

    ``table`` is ``contributions(...)`` ((1, C, K+1), or one per root for Evamix). Work is
    split into (sample range, root batch) pieces, each a pure function of its inputs.
    """
    if n_samples < 1:
        raise OptionError("the number of samples must be at least 1")
    if chunk_size < 1 or root_batch < 1:
        raise OptionError("chunk sizes must be at least 1")
    roots = np.asarray(roots, dtype=np.int64)
    if bounds is None:
        bounds = (0.0, float(table.max(axis=2).sum(axis=1).max()))
    batches = [
        np.arange(i, min(i + root_batch, roots.size)) for i in range(0, roots.size, root_batch)
    ]
    jobs = [(s, b) for s in sample_ranges(n_samples, chunk_size) for b in batches]
    n_crit, n_cls = imp.klass.shape[1], table.shape[2]
    total = CascadeTally(
        0,
        np.zeros((roots.size, graph.n), dtype=np.int64),
        np.zeros((roots.size, n_crit, n_cls), dtype=np.int64),
        np.zeros((roots.size, SCORE_BINS), dtype=np.int64),
        np.full((roots.size, SCORE_BINS), np.inf),
        bounds,
    )

    def run(job: tuple[Int, Int]) -> tuple[Int, Int, CascadeTally]:
        samples, batch = job
        sub = table[batch] if table.shape[0] > 1 else table
        return (
            samples,
            batch,
            _tally(graph, imp, sub, roots[batch], seed, samples, bounds, track_sets),
        )

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for samples, batch, part in pool.map(run, jobs):
            _fold_rows(total, part, batch)
            if batch[-1] == roots.size - 1:
                total.n_samples += samples.size
                done += samples.size
                if progress is not None:
                    progress(done, n_samples)
    return total


def _fold_rows(total: CascadeTally, part: CascadeTally, batch: Int) -> None:
    total.fired[batch] += part.fired
    total.classes[batch] += part.classes
    total.score_hist[batch] += part.score_hist
    np.minimum(total.score_min[batch], part.score_min, out=part.score_min)
    total.score_min[batch] = part.score_min
    for key, counts in part.sets.items():
        full = total.sets.get(key)
        if full is None:
            full = total.sets[key] = np.zeros(total.fired.shape[0], dtype=np.int64)
        full[batch] += counts


def chain_classes(imp: Impacts, members: Int) -> Int:
    """(C,) the combined classes of scenarios that all strike (a compound, a sure chain)."""
    members = np.unique(np.asarray(members, dtype=np.int64))
    rows = np.zeros(members.size, dtype=np.int64)
    return combine(imp, rows, members, 1)[0]


def induced_probability(p_root: Float, reach_share: Float) -> Float:
    """(S,) probability over the horizon that a scenario is set off by another one:
    1 - Π_r (1 - P_r q_rB), q_rB the share of root r's samples in which B fired (r ≠ B)."""
    q = np.array(reach_share, dtype=np.float64)
    np.fill_diagonal(q, 0.0)
    return 1.0 - np.prod(1.0 - p_root[:, None] * q, axis=0)
