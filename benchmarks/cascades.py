"""Cascade propagation benchmark: natrisk's vectorised engine against plain Python, sample by sample.

Builds S scenarios x 16 criteria (10 quantity criteria that add, 6 class-only ones that take
the highest class) and L random links whose conditional probabilities are drawn from the
classes of Belgium's national risk assessment (0-0.1 %, 0.1-1 %, 1-10 %, 10-50 %, 50-90 %,
90-100 %; most links in the low classes, as in a real picture, so a chain dies out on
average). Every scenario is a root: each sample starts from it and follows the links.

The peer is the same propagation written one sample and one root at a time in plain
Python (the same counter-based draws, so the results must be identical; they are checked
on a subset of samples). The figures show how the cost grows with the number of samples and
scenarios. Target (issue 12): 500 scenarios, 2,000 links, 100,000 samples under 20 s and 2 GB.

With --dask-samples N it also runs N samples on a local dask.distributed cluster of 1 and 2
workers (the issue asks for 10^6), printing the speed-up per added worker, the workers' peak
memory at N/4 and N samples (flat: only fixed-size tallies travel), and that the result is
identical to the run on threads.

Run: .venv/bin/python benchmarks/cascades.py            (the issue's case and the growth)
     .venv/bin/python benchmarks/cascades.py --quick    (a smaller run)
     .venv/bin/python benchmarks/cascades.py --dask-samples 1000000
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from natrisk.method import cascades as mc

N_CRIT, N_QTY, N_CLS = 16, 10, 6  # classes 0 (none) .. 5 (E)
BELGIAN = np.array([0.0005, 0.005, 0.05, 0.30, 0.70, 0.95])  # class midpoints
BELGIAN_SHARE = np.array([0.30, 0.30, 0.20, 0.10, 0.07, 0.03])
MASK = (1 << 64) - 1


def world(n: int, n_links: int, seed: int) -> tuple[mc.Graph, mc.Impacts, np.ndarray]:
    """A random picture: impacts, links and the weighted-sum contribution table."""
    rng = np.random.default_rng(seed)
    bounds = np.full((N_CRIT, N_CLS - 1), np.nan)
    bounds[:N_QTY] = 10.0 ** (np.arange(N_CLS - 1)[None, :] + rng.integers(0, 4, N_QTY)[:, None])
    quantity = np.full((n, N_CRIT), np.nan)
    quantity[:, :N_QTY] = 10.0 ** rng.uniform(-1, 6, (n, N_QTY))
    klass = np.zeros((n, N_CRIT), dtype=np.int64)
    for c in range(N_QTY):
        klass[:, c] = mc.classify(quantity[:, c], bounds[c])
    klass[:, N_QTY:] = rng.integers(0, N_CLS, (n, N_CRIT - N_QTY))
    imp = mc.Impacts(quantity, klass, bounds, np.zeros(N_CRIT, np.int64), np.arange(n))
    pairs = set()
    while len(pairs) < n_links:
        a, b = rng.integers(0, n, 2)
        if a != b:
            pairs.add((int(a), int(b)))
    src, dst = (np.array(x, dtype=np.int64) for x in zip(*sorted(pairs), strict=True))
    prob = BELGIAN[rng.choice(BELGIAN.size, n_links, p=BELGIAN_SHARE)]
    graph = mc.Graph.build(n, src, dst, prob)
    table = mc.contributions("weighted-sum", np.ones(N_CRIT), 3.0 ** np.arange(-1, N_CLS - 1))
    table[:, :, 0] = 0.0
    return graph, imp, table


def _mix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def plain(
    graph: mc.Graph, imp: mc.Impacts, n_samples: int, seed: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """The same propagation one sample and one root at a time: (seconds, fired, classes)."""
    n = graph.n
    out = [[] for _ in range(n)]
    for e in range(graph.n_links):
        out[int(graph.src[e])].append(
            (int(graph.dst[e]), int(graph.keys[e]), int(graph.threshold[e]))
        )
    qty = imp.quantity.tolist()
    kls = imp.klass.tolist()
    bounds = [[b for b in row if b == b] for row in imp.bounds.tolist()]
    fired = np.zeros((n, n), dtype=np.int64)
    classes = np.zeros((n, N_CRIT, N_CLS), dtype=np.int64)
    s_hash = _mix(seed)
    start = time.perf_counter()
    for j in range(n_samples):
        base = _mix(j ^ s_hash)
        for r in range(n):
            seen, todo = {r}, [r]
            while todo:
                v = todo.pop()
                for w, key, thr in out[v]:
                    if w not in seen and (_mix(base ^ key) >> 11) < thr:
                        seen.add(w)
                        todo.append(w)
            for v in seen:
                fired[r, v] += 1
            for c in range(N_CRIT):
                if bounds[c]:
                    total = sum(qty[v][c] for v in seen)
                    k = sum(1 for b in bounds[c] if total >= b)
                else:
                    k = max(kls[v][c] for v in seen)
                classes[r, c, k] += 1
    return time.perf_counter() - start, fired, classes


def ours(
    graph: mc.Graph, imp: mc.Impacts, table: np.ndarray, n_samples: int, seed: int
) -> tuple[float, mc.CascadeTally]:
    start = time.perf_counter()
    tally = mc.propagate(graph, imp, table, np.arange(graph.n), n_samples, seed)
    return time.perf_counter() - start, tally


def on_dask(graph: mc.Graph, imp: mc.Impacts, table: np.ndarray, n_samples: int, seed: int) -> None:
    """Time and worker memory on local clusters of 1 and 2 workers; identical results."""
    from dask.distributed import Client, LocalCluster

    from natrisk.services.cluster import DaskMapper
    from natrisk.services.cluster import propagate as on_cluster

    roots, bounds = np.arange(graph.n), mc.score_bounds(table)
    base = mc.propagate(graph, imp, table, roots, min(n_samples, 20_000), seed, bounds)
    print(f"\ndask.distributed, {n_samples:,} samples per root:")
    print(f"{'workers':10}{'time':>10}{'speed-up':>10}{'peak MB at N/4':>16}{'peak MB at N':>14}")
    first = None
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            mapper = DaskMapper(client)
            peaks = []
            for n in (n_samples // 4, n_samples):
                start = time.perf_counter()
                tally = on_cluster(mapper, graph, imp, table, roots, n, seed, bounds)
                took = time.perf_counter() - start
                peaks.append(max(client.run(peak_mb).values()))
            check = on_cluster(mapper, graph, imp, table, roots, base.n_samples, seed, bounds)
            same = np.array_equal(check.fired, base.fired) and np.array_equal(
                check.classes, base.classes
            )
        first = first or took
        print(
            f"{workers:<10}{took:>9.1f}s{first / took:>9.2f}x{peaks[0]:>16.0f}{peaks[1]:>14.0f}"
            f"   identical to threads: {same}"
        )
        del tally


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--peer-samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="10,000 samples, smaller growth table")
    parser.add_argument("--dask-samples", type=int, default=0, help="also run on local Dask")
    args = parser.parse_args()
    if args.quick:
        args.samples = 10_000

    graph, imp, table = world(args.scenarios, args.links, args.seed)
    peer_s, peer_fired, peer_classes = plain(graph, imp, args.peer_samples, args.seed)
    _, check = ours(graph, imp, table, args.peer_samples, args.seed)
    same = np.array_equal(check.fired, peer_fired) and np.array_equal(check.classes, peer_classes)
    t, tally = ours(graph, imp, table, args.samples, args.seed)
    mean_fired = tally.fired.sum() / (tally.n_samples * graph.n)
    per_ours = t / (args.samples * graph.n) * 1e6
    per_peer = peer_s / (args.peer_samples * graph.n) * 1e6
    print(
        f"cascades: {graph.n} scenarios, {graph.n_links} links, {args.samples:,} samples per root "
        f"(mean cascade {mean_fired:.2f} scenarios)"
    )
    print(f"{'':24}{'natrisk':>14}{'plain Python':>16}")
    print(f"{'time':24}{t:>13.2f}s{peer_s * args.samples / args.peer_samples:>15.0f}s (est.)")
    print(f"{'per root-sample':24}{per_ours:>12.3f}us{per_peer:>14.2f}us")
    print(f"{'speed-up':24}{per_peer / per_ours:>13.0f}x")
    print(f"{'peak memory':24}{peak_mb():>12.0f}MB")
    print(f"results identical on {args.peer_samples} samples x {graph.n} roots: {same}")
    print()
    print("growth (time, seconds):")
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    print(f"{'scenarios / links':20}" + "".join(f"{s:>12,}" for s in sizes))
    for n in (125, 250, 500) if args.quick else (125, 250, 500, 1000):
        g, i, tb = world(n, 4 * n, args.seed)
        cells = [ours(g, i, tb, s, args.seed)[0] for s in sizes]
        print(f"{f'{n} / {4 * n}':20}" + "".join(f"{c:>12.2f}" for c in cells))
    print(f"peak memory of the whole run: {peak_mb():.0f} MB")
    if args.dask_samples:
        on_dask(graph, imp, table, args.dask_samples, args.seed)


if __name__ == "__main__":
    main()
