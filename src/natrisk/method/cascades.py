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

import threading
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
_ROOT_SALT = np.uint64(0x5851F42D4C957F2D)


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


def live_counts(live: NDArray[np.bool_]) -> NDArray[np.int32]:
    """(m, L+1): live links before each link position, per sample row (``any_live_out``)."""
    cum = np.zeros((live.shape[0], live.shape[1] + 1), dtype=np.int32)
    np.cumsum(live, axis=1, dtype=np.int32, out=cum[:, 1:])
    return cum


def any_live_out(graph: Graph, cum: NDArray[np.int32], nodes: Int) -> NDArray[np.bool_]:
    """(m, len(nodes)): whether any link out of each node is live in each sample row."""
    return np.asarray(cum[:, graph.indptr[nodes + 1]] > cum[:, graph.indptr[nodes]])


def reach(
    graph: Graph, live: NDArray[np.bool_], sample_of_row: Int, start: Int, seen: NDArray[np.bool_]
) -> tuple[Int, Int]:
    """Every (row, scenario) that fires; row t starts at scenario ``start[t]`` in sample row
    ``sample_of_row[t]`` of ``live``.

    Breadth first over all rows at once; a scenario already fired in a row is not fired
    again, so cycles end. ``seen`` is a zeroed (rows, S) scratch buffer, left zeroed.
    Returned sorted by row (the start first), then in the order fired.
    """
    n, n_links = graph.n, live.shape[1]
    flat_live, flat_seen = live.reshape(-1), seen.reshape(-1)
    rows = np.arange(start.size, dtype=np.int64)
    nodes = np.asarray(start, dtype=np.int64)
    seen[rows, nodes] = True
    hit_rows, hit_nodes = [rows], [nodes]
    while rows.size:
        first = graph.indptr[nodes]
        deg = graph.indptr[nodes + 1] - first
        total = int(deg.sum())
        if total == 0:
            break
        offsets = np.arange(total) - np.repeat(np.cumsum(deg) - deg, deg)
        edges = np.repeat(first, deg) + offsets
        trial = np.repeat(rows, deg)
        ok = flat_live.take(sample_of_row[trial] * n_links + edges)
        trial, targets = trial[ok], graph.dst[edges[ok]]
        fresh = ~flat_seen.take(trial * n + targets)
        key = np.sort(trial[fresh] * n + targets[fresh], kind="stable")  # sorted runs: cheap
        if key.size > 1:
            key = key[np.r_[True, key[1:] != key[:-1]]]
        flat_seen[key] = True
        rows, nodes = np.divmod(key, n)
        hit_rows.append(rows)
        hit_nodes.append(nodes)
    all_rows, all_nodes = np.concatenate(hit_rows), np.concatenate(hit_nodes)
    seen[all_rows, all_nodes] = False
    order = np.argsort(all_rows, kind="stable")
    return all_rows[order], all_nodes[order]


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
        if np.unique(imp.group).size == imp.group.size:  # no variants: every scenario counts
            totals = np.add.reduceat(imp.quantity[:, qty][nodes], starts, axis=0)
        else:
            g = imp.group[nodes]
            key = rows * (int(imp.group.max()) + 1) + g
            order = np.lexsort((g, rows))
            key, sorted_nodes, sorted_rows = key[order], nodes[order], rows[order]
            gstart = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            per_group = np.maximum.reduceat(imp.quantity[:, qty][sorted_nodes], gstart, axis=0)
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
class FiredSets:
    """How often each set of two or more scenarios fired together, per root (sparse).

    A set is known by an order-free 64-bit hash of its members; the members of each set are
    kept once (``flat``, ``sizes``), the counts as (hash, root, count) triples. Additions are
    buffered and merged when the buffer outgrows the merged part, so the cost stays linear.
    """

    known: set[int] = field(default_factory=set)
    hashes: U64 = field(default_factory=lambda: np.zeros(0, np.uint64))  # one per known set
    sizes: Int = field(default_factory=lambda: np.zeros(0, np.int64))
    flat: Int = field(default_factory=lambda: np.zeros(0, np.int64))
    keys: U64 = field(default_factory=lambda: np.zeros(0, np.uint64))  # per (set, root)
    roots: Int = field(default_factory=lambda: np.zeros(0, np.int64))
    counts: Int = field(default_factory=lambda: np.zeros(0, np.int64))
    samples: int = 0  # the samples counted (those numbered below SET_SAMPLES)
    _new_sets: list[tuple[U64, Int, Int]] = field(default_factory=list, repr=False)
    _new_counts: list[tuple[U64, Int, Int]] = field(default_factory=list, repr=False)
    _pending: int = 0

    def add_sets(self, hashes: U64, sizes: Int, flat: Int) -> None:
        """Remember the members of sets not seen before (``flat`` holds them set after set)."""
        at = np.sort(np.unique(hashes, return_index=True)[1])
        new = np.zeros(hashes.size, dtype=bool)
        new[at] = [h not in self.known for h in hashes[at].tolist()]
        if new.any():
            self.known.update(hashes[new].tolist())
            self._new_sets.append((hashes[new], sizes[new], flat[np.repeat(new, sizes)]))

    def add_counts(self, keys: U64, roots: Int, counts: Int) -> None:
        """Add (set hash, root, count) triples; equal pairs are merged later."""
        if keys.size:
            self._new_counts.append((keys, roots, counts))
            self._pending += keys.size
            if self._pending > max(1 << 16, self.keys.size):
                self._merge()

    def _merge(self) -> None:
        if self._new_sets:
            h, z, f = zip(*self._new_sets, strict=True)
            self.hashes = np.concatenate([self.hashes, *h])
            self.sizes = np.concatenate([self.sizes, *z])
            self.flat = np.concatenate([self.flat, *f])
            self._new_sets = []
        if self._new_counts:
            k, r, c = zip(*self._new_counts, strict=True)
            keys = np.concatenate([self.keys, *k])
            roots = np.concatenate([self.roots, *r])
            counts = np.concatenate([self.counts, *c])
            order = np.lexsort((roots, keys))
            keys, roots, counts = keys[order], roots[order], counts[order]
            first = np.r_[True, (keys[1:] != keys[:-1]) | (roots[1:] != roots[:-1])]
            starts = np.flatnonzero(first)
            self.keys, self.roots = keys[starts], roots[starts]
            self.counts = np.add.reduceat(counts, starts)
            self._new_counts, self._pending = [], 0

    def fold(self, other: FiredSets) -> None:
        """Add another tally's sets."""
        other._merge()
        self.samples += other.samples
        self.add_sets(other.hashes, other.sizes, other.flat)
        self.add_counts(other.keys, other.roots, other.counts)

    def members(self, key: int) -> tuple[int, ...]:
        """The scenarios of one set."""
        self._merge()
        i = int(np.flatnonzero(self.hashes == np.uint64(key))[0])
        start = int(self.sizes[:i].sum())
        return tuple(sorted(self.flat[start : start + int(self.sizes[i])].tolist()))

    def weighted(
        self, weight: Float, top: int | None = None
    ) -> list[tuple[tuple[int, ...], float]]:
        """Sets by Σ_r count[r] · weight[r], highest first (ties by members)."""
        self._merge()
        if not self.keys.size:
            return []
        uniq, inverse = np.unique(self.keys, return_inverse=True)
        total = np.bincount(inverse, weights=self.counts * np.asarray(weight)[self.roots])
        order = np.argsort(-total, kind="stable")
        if top is not None:
            cut = order[: max(top, 0)]
            edge = total[cut[-1]] if cut.size else np.inf
            order = order[total[order] >= edge]  # keep ties at the edge, sorted below
        rows = [(self.members(int(uniq[i])), float(total[i])) for i in order]
        rows.sort(key=lambda r: (-r[1], r[0]))
        return rows[:top] if top is not None else rows

    def per_root(self, n_roots: int) -> dict[tuple[int, ...], Int]:
        """Every set with its count per root (dense; for small pictures and tests)."""
        self._merge()
        out: dict[tuple[int, ...], Int] = {}
        for key in np.unique(self.keys).tolist():
            mask = self.keys == np.uint64(key)
            out[self.members(key)] = np.bincount(
                self.roots[mask], weights=self.counts[mask], minlength=n_roots
            ).astype(np.int64)
        return out


@dataclass
class CascadeTally:
    """Per root, folded over every sample (integers and minima, so chunking cannot change them)."""

    n_samples: int
    fired: Int  # (R, S) samples in which each scenario fired
    classes: Int  # (R, C, K+1) samples with each combined class per criterion
    score_hist: Int  # (R, SCORE_BINS)
    score_min: Float  # (R, SCORE_BINS) lowest score seen in each bin
    bounds: tuple[float, float]
    sets: FiredSets = field(default_factory=FiredSets)

    @classmethod
    def empty(
        cls, n_roots: int, n: int, n_crit: int, n_cls: int, bounds: tuple[float, float]
    ) -> CascadeTally:
        """No samples yet."""
        return cls(
            0,
            np.zeros((n_roots, n), dtype=np.int64),
            np.zeros((n_roots, n_crit, n_cls), dtype=np.int64),
            np.zeros((n_roots, SCORE_BINS), dtype=np.int64),
            np.full((n_roots, SCORE_BINS), np.inf),
            bounds,
        )

    def fold(self, other: CascadeTally) -> None:
        """Add another range of samples (of the same roots)."""
        self.n_samples += other.n_samples
        self.fired += other.fired
        self.classes += other.classes
        self.score_hist += other.score_hist
        np.minimum(self.score_min, other.score_min, out=self.score_min)
        self.sets.fold(other.sets)

    def quantile(self, q: float) -> Float:
        """Per root, the lowest score s with P(score <= s) >= q (to the bin, then exact)."""
        cum = np.cumsum(self.score_hist, axis=1)
        b = np.argmax(cum >= q * self.n_samples - 1e-9, axis=1)
        return self.score_min[np.arange(len(b)), b]

    def mean_score(self, table: Float) -> Float:
        """Per root, the mean score (linear in the class counts, so exact)."""
        t = np.broadcast_to(table, self.classes.shape)
        return (self.classes * t).sum(axis=(1, 2)) / self.n_samples


_SCRATCH = threading.local()
# Co-occurring sets are counted over the samples numbered below this: enough to find the most
# frequent ones, and the memory for them stops growing with the number of samples.
SET_SAMPLES = 200_000
ROW_BUDGET = 1 << 17  # (root, sample) rows propagated at once; bounds the scratch memory


def _scratch(rows: int, n: int) -> NDArray[np.bool_]:
    buf = getattr(_SCRATCH, "seen", None)
    if buf is None or buf.shape[0] < rows or buf.shape[1] != n:
        buf = np.zeros((max(rows, 1), n), dtype=bool)
        _SCRATCH.seen = buf
    return np.asarray(buf[:rows])


def tally_range(
    graph: Graph,
    imp: Impacts,
    table: Float,
    roots: Int,
    seed: int,
    samples: Int,
    bounds: tuple[float, float],
    track_sets: bool = True,
) -> CascadeTally:
    """The tally of one range of (global) sample numbers from every root: a pure function of
    its inputs, so ranges may run anywhere (threads, Dask) and fold in any order.

    ``table`` is ``contributions(...)``: (1, C, K+1), or (len(roots), C, K+1) for Evamix.
    Rows whose root has no live link fire the root alone and are counted in bulk.
    """
    roots = np.asarray(roots, dtype=np.int64)
    samples = np.asarray(samples, dtype=np.int64)
    m, n_roots = samples.size, roots.size
    n_crit, n_cls = imp.klass.shape[1], table.shape[2]
    tally = CascadeTally.empty(n_roots, graph.n, n_crit, n_cls, bounds)
    tally.n_samples = m
    if track_sets:
        tally.sets.samples = int(np.count_nonzero(samples < SET_SAMPLES))
    per_root = table.shape[0] > 1
    lo, hi = bounds
    scale = SCORE_BINS / (hi - lo or 1.0)
    direct = combine(imp, np.arange(n_roots), roots, n_roots)
    direct_score = scores(
        table, direct, np.arange(n_roots) if per_root else np.zeros(n_roots, np.int64)
    )
    crit = np.arange(n_crit)
    live = live_links(graph, seed, samples) if graph.n_links else np.zeros((m, 0), dtype=bool)
    cum = live_counts(live)
    step = max(1, ROW_BUDGET // max(m, 1))
    for b0 in range(0, n_roots, step):
        batch = np.arange(b0, min(b0 + step, n_roots))
        going = any_live_out(graph, cum, roots[batch]) if graph.n_links else None
        if going is None or not going.any():
            alone = np.full(batch.size, m, dtype=np.int64)
            j_of, r_of = np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            j_of, r_local = np.nonzero(going)  # sorted by sample, then root
            r_of = batch[r_local]
            alone = m - np.bincount(r_local, minlength=batch.size)
        # rows that fire their root alone: the direct classes, counted in bulk
        tally.fired[batch, roots[batch]] += m
        np.add.at(tally.classes, (batch[:, None], crit[None, :], direct[batch]), alone[:, None])
        bins = np.clip(((direct_score[batch] - lo) * scale).astype(np.int64), 0, SCORE_BINS - 1)
        tally.score_hist[batch, bins] += alone
        has = alone > 0
        cur = tally.score_min[batch[has], bins[has]]
        tally.score_min[batch[has], bins[has]] = np.minimum(cur, direct_score[batch][has])
        if not j_of.size:
            continue
        rows, nodes = reach(graph, live, j_of, roots[r_of], _scratch(j_of.size, graph.n))
        # rows that fired the same set from the same root end alike: work once per (root, set)
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        sizes = np.diff(np.r_[starts, rows.size])
        h = np.add.reduceat(mix(nodes.astype(np.uint64) + np.uint64(1)), starts)
        key = h + mix(r_of.astype(np.uint64) + _ROOT_SALT)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        count = np.bincount(inverse)
        rep = np.zeros(j_of.size, dtype=bool)
        rep[first] = True
        order = np.argsort(first, kind="stable")  # representatives in row order
        first, count = first[order], count[order]
        pick = np.repeat(rep, sizes)
        u_rows = np.repeat(np.arange(first.size), sizes[first])
        u_nodes, u_root = nodes[pick], r_of[first]
        weight = np.repeat(count, sizes[first])
        own = u_nodes != roots[u_root][u_rows]  # the root's own firing is counted above
        tally.fired += (
            np.bincount(
                u_root[u_rows[own]] * graph.n + u_nodes[own],
                weights=weight[own],
                minlength=n_roots * graph.n,
            )
            .astype(np.int64)
            .reshape(n_roots, graph.n)
        )
        combined = combine(imp, u_rows, u_nodes, first.size)
        sc = scores(table, combined, u_root if per_root else np.zeros(first.size, np.int64))
        b = np.clip(((sc - lo) * scale).astype(np.int64), 0, SCORE_BINS - 1)
        flat = u_root * SCORE_BINS + b
        tally.score_hist += (
            np.bincount(flat, weights=count, minlength=n_roots * SCORE_BINS)
            .astype(np.int64)
            .reshape(n_roots, SCORE_BINS)
        )
        np.minimum.at(tally.score_min.reshape(-1), flat, sc)
        cflat = (u_root[:, None] * n_crit + crit[None, :]) * n_cls + combined
        tally.classes += (
            np.bincount(
                cflat.ravel(), weights=np.repeat(count, n_crit), minlength=n_roots * n_crit * n_cls
            )
            .astype(np.int64)
            .reshape(n_roots, n_crit, n_cls)
        )
        if track_sets:
            early = np.bincount(inverse, weights=samples[j_of] < SET_SAMPLES)[order]
            keep = early > 0
            tally.sets.add_sets(
                h[first][keep], sizes[first][keep], u_nodes[np.repeat(keep, sizes[first])]
            )
            tally.sets.add_counts(h[first][keep], u_root[keep], early[keep].astype(np.int64))
    return tally


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
    chunk_size: int = 512,
    workers: int = 2,
    track_sets: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> CascadeTally:
    """Run ``n_samples`` samples from each root; fold them per root.

    ``table`` is ``contributions(...)`` ((1, C, K+1), or one per root for Evamix). Samples are
    split into ranges of ``chunk_size`` (``tally_range``), folded in order.
    """
    if n_samples < 1:
        raise OptionError("the number of samples must be at least 1")
    if chunk_size < 1:
        raise OptionError("chunk sizes must be at least 1")
    roots = np.asarray(roots, dtype=np.int64)
    if bounds is None:
        bounds = score_bounds(table)
    n_crit, n_cls = imp.klass.shape[1], table.shape[2]
    total = CascadeTally.empty(roots.size, graph.n, n_crit, n_cls, bounds)

    def run(samples: Int) -> CascadeTally:
        return tally_range(graph, imp, table, roots, seed, samples, bounds, track_sets)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for part in pool.map(run, sample_ranges(n_samples, chunk_size)):
            total.fold(part)
            if progress is not None:
                progress(total.n_samples, n_samples)
    return total


def score_bounds(table: Float) -> tuple[float, float]:
    """The lowest and highest score any row can have under ``table``."""
    return float(table.min(axis=2).sum(axis=1).min()), float(table.max(axis=2).sum(axis=1).max())


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
