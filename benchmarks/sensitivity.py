"""Monte Carlo sensitivity benchmark: natrisk's chunked engine against sample-by-sample pymcdm.

Builds 500 scenarios x 16 criteria with class ranges, runs 100,000 samples of classes and
Dirichlet weights through the weighted sum, and ranks every sample. The peer does the same
computation one sample at a time with pymcdm's WSM (identity normalisation, so the scores
are the same weighted sums) on a subset, and the per-sample times are compared.

Targets (issue 2): under 10 s and under 2 GB for 100,000 samples on a 2-core machine;
(issue 13): under 4 s and at least 100x pymcdm sample by sample.

With ``--dask-samples N`` it also runs N samples (10^6 for issue 13) on a local
dask.distributed cluster of each of ``--dask-workers`` sizes (worker processes, one thread
each), prints the speed-up per added worker, checks the result is identical to the
in-process one, and shows the workers' peak memory at N/4 and N samples (flat in N).
Run: make bench   (or .venv/bin/python benchmarks/sensitivity.py --samples 100000
     --dask-samples 1000000 --dask-workers 1 2)
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from natrisk.method.aggregation import make_method
from natrisk.method.classes import (
    range_distribution,
    sample_classes,
    sampling_tables,
    uniform_draws,
)
from natrisk.method.uncertainty import WeightSampler, run_monte_carlo

CLASS_VALUES = np.array([0, 1, 3, 9, 27, 81], dtype=np.float64)


def build(n_scen: int, n_crit: int, seed: int) -> np.ndarray:
    """Cell distributions for random class ranges (each cell spans one to three classes)."""
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 5, (n_scen, n_crit))
    high = np.minimum(low + rng.integers(0, 3, (n_scen, n_crit)), 5)
    return np.array(
        [
            [range_distribution(low[s, c], high[s, c], 5) for c in range(n_crit)]
            for s in range(n_scen)
        ]
    )


def peer(dist: np.ndarray, n_samples: int, seed: int) -> tuple[float, np.ndarray]:
    """The same computation sample by sample with pymcdm (seconds per sample, ranks)."""
    from pymcdm.helpers import rrankdata
    from pymcdm.methods import WSM

    wsm = WSM(normalization_function=lambda x, cost: x)
    low, thresholds = sampling_tables(dist)
    rng = np.random.default_rng(seed)
    n_crit = dist.shape[1]
    types = np.ones(n_crit)
    sampler = WeightSampler("around", np.ones(n_crit))
    ranks = np.empty((n_samples, dist.shape[0]))
    start = time.perf_counter()
    for i in range(n_samples):
        draws = uniform_draws(rng, (1, *dist.shape[:2]))
        classes = sample_classes(low, thresholds, draws)[0]
        w = sampler.draw(rng, 1)[0]
        prefs = wsm(CLASS_VALUES[classes], w / w.sum(), types, validation=False)
        ranks[i] = rrankdata(prefs)
    return (time.perf_counter() - start) / n_samples, ranks


def main() -> None:
    """Run both and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--criteria", type=int, default=16)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--peer-samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dask-samples", type=int, default=0)
    parser.add_argument("--dask-workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    dist = build(args.scenarios, args.criteria, args.seed)
    method = make_method("weighted-sum", 5, CLASS_VALUES)
    sampler = WeightSampler("around", np.ones(args.criteria))
    start = time.perf_counter()
    result = run_monte_carlo(dist, method, sampler, args.samples, seed=args.seed)
    ours = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_sample_ours = ours / args.samples

    per_sample_peer, _ = peer(dist, args.peer_samples, args.seed)
    print(
        f"problem: {args.scenarios} scenarios x {args.criteria} criteria, class ranges, Dirichlet weights"
    )
    print(f"{'':28}{'natrisk':>14}{'pymcdm (per sample)':>22}")
    print(f"{'samples':28}{args.samples:>14,}{args.peer_samples:>22,}")
    print(
        f"{'time per sample (ms)':28}{1000 * per_sample_ours:>14.4f}{1000 * per_sample_peer:>22.4f}"
    )
    print(
        f"{'time for all samples (s)':28}{ours:>14.2f}{per_sample_peer * args.samples:>22.1f}  (peer extrapolated)"
    )
    print(f"{'speed-up':28}{per_sample_peer / per_sample_ours:>14.1f}x")
    print(f"{'peak memory (MB, process)':28}{peak_mb:>14.0f}")
    print(f"target: < 10 s and < 2048 MB -> {'met' if ours < 10 and peak_mb < 2048 else 'NOT met'}")
    top = np.argsort(result.rank_quantile(0.5))[:3]
    print(
        f"sanity: median ranks of the three leading scenarios: {result.rank_quantile(0.5)[top].tolist()}"
    )
    if args.dask_samples:
        on_dask(dist, method, sampler, args)


def on_dask(dist: np.ndarray, method, sampler, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    """The same problem on local Dask clusters of growing size: time, speed-up, memory."""
    from dask.distributed import Client

    from natrisk.services.cluster import DaskMapper, local_cluster

    def worker_peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    n = args.dask_samples
    print(f"\nDask: {n:,} samples, local cluster of worker processes (1 thread each)")
    print(
        f"{'workers':>8}{'time (s)':>12}{'speed-up':>10}{'worker peak MB at N/4':>24}{'at N':>10}"
    )
    first = None
    reference = None
    for workers in args.dask_workers:
        with local_cluster(workers) as c, Client(c) as client:
            mapper = DaskMapper(client)
            peaks = []
            for samples in (n // 4, n):
                client.restart()  # fresh workers: their peak memory is this run's
                start = time.perf_counter()
                res = run_monte_carlo(dist, method, sampler, samples, seed=args.seed, mapper=mapper)
                elapsed = time.perf_counter() - start
                peaks.append(max(client.run(worker_peak_mb).values()))
            first = first or elapsed
            if reference is None:
                reference = res
            same = np.array_equal(res.rank_hist, reference.rank_hist) and np.array_equal(
                res.score_mean, reference.score_mean
            )
            print(
                f"{workers:>8}{elapsed:>12.2f}{first / elapsed:>9.2f}x{peaks[0]:>24.0f}{peaks[1]:>10.0f}"
                f"   identical to {args.dask_workers[0]} worker(s): {same}"
            )


if __name__ == "__main__":
    main()
