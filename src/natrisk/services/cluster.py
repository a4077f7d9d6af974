"""Where Monte Carlo blocks run: threads of this process, or a Dask cluster.

``--dask tcp://host:8786`` (or NATRISK_DASK_SCHEDULER) names a running scheduler;
``--dask local`` starts a cluster of worker processes on this machine for the command. The
method hands out pure blocks of seeded chunks and folds their results in order, so the
cluster and its size never change a result (method/uncertainty.py, method/cascades.py).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from natrisk.errors import OptionError
from natrisk.method import cascades as mc

ENV = "NATRISK_DASK_SCHEDULER"
# glibc's allocator in the worker processes. Dask's nanny sets MALLOC_TRIM_THRESHOLD_ to 64 KB
# to hand memory back; setting any such variable also fixes glibc's mmap threshold at 128 KB,
# so every array of a chunk became a fresh mapping whose pages fault in, and the engine ran
# 2.2x slower in a worker than in this process. Chunks' arrays (under 64 MB) stay on the heap;
# memory above 256 MB is still handed back. docs/deploy.md gives the same for other clusters.
WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": 64 * 2**20, "MALLOC_TRIM_THRESHOLD_": 256 * 2**20}


def scheduler(option: str | None) -> str | None:
    """The scheduler to use: the option, else NATRISK_DASK_SCHEDULER, else none (threads)."""
    value = (option or os.environ.get(ENV) or "").strip()
    if not value or value.lower() in ("none", "off"):
        return None
    if value != "local" and "://" not in value:
        raise OptionError(
            f"--dask: {value!r} is not a scheduler address; give tcp://host:8786 or local"
        )
    return value


class DaskMapper:
    """``map`` over a Dask client: a bounded number of blocks in flight, results in order."""

    def __init__(self, client: Any, in_flight: int | None = None) -> None:
        self.client = client
        workers = len(client.scheduler_info(n_workers=-1).get("workers", {})) or 1
        self.in_flight = in_flight or 2 * workers  # memory stays flat in the sample count

    @property
    def workers(self) -> int:
        """The number of workers the scheduler has now."""
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def __call__(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        pending: deque[Any] = deque()
        todo = iter(items)
        try:
            for item in todo:
                pending.append(self.client.submit(fn, item, pure=False))
                if len(pending) >= self.in_flight:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # a stopped run leaves nothing running on the cluster
            for fut in pending:
                fut.cancel()


@contextmanager
def mapper(address: str | None, workers: int | None = None) -> Iterator[DaskMapper | None]:
    """A mapper on the scheduler at ``address`` ("local": a cluster of ``workers`` processes
    started here), or None for this process's threads."""
    if address is None:
        yield None
        return
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - a dependency of natrisk
        raise OptionError("--dask needs dask.distributed: pip install 'dask[distributed]'") from exc
    cluster = None
    try:
        if address == "local":
            cluster = local_cluster(workers or os.cpu_count() or 1)
            client = Client(cluster)
        else:
            client = Client(address, timeout=10)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise OptionError(f"--dask: no Dask scheduler answers at {address} ({exc})") from exc
    try:
        yield DaskMapper(client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def local_cluster(workers: int) -> Any:
    """A ``LocalCluster`` of ``workers`` processes of one thread each, on any free dashboard
    port, whose workers allocate as ``WORKER_MALLOC`` says."""
    import dask
    from dask.distributed import LocalCluster

    environ = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_MALLOC.items()}
    with dask.config.set(environ):  # read by each nanny as it is made; kept for its restarts
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )


CASCADE_RANGES = 4  # sample ranges of propagate's default size per cluster task


def propagate(
    mapper: DaskMapper | None,
    graph: mc.Graph,
    imp: mc.Impacts,
    table: NDArray[np.float64],
    roots: NDArray[np.int64],
    n_samples: int,
    seed: int,
    bounds: tuple[float, float],
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = 512,
) -> mc.CascadeTally:
    """Cascade propagation from every root, on this machine's threads or on a cluster: tasks
    of a few sample ranges each (``tally_range`` of global sample numbers), folded in order."""
    if mapper is None:
        return mc.propagate(graph, imp, table, roots, n_samples, seed, bounds, progress=progress)
    if n_samples < 1:
        raise OptionError("the number of samples must be at least 1")
    ranges = list(mc.sample_ranges(n_samples, chunk_size))
    groups = [ranges[i : i + CASCADE_RANGES] for i in range(0, len(ranges), CASCADE_RANGES)]

    def task(group: list[NDArray[np.int64]]) -> mc.CascadeTally:
        part = mc.tally_range(graph, imp, table, roots, seed, group[0], bounds)
        for samples in group[1:]:
            part.fold(mc.tally_range(graph, imp, table, roots, seed, samples, bounds))
        return part

    n_crit, n_cls = imp.klass.shape[1], table.shape[2]
    total = mc.CascadeTally.empty(roots.size, graph.n, n_crit, n_cls, bounds)
    for part in mapper(task, groups):
        total.fold(part)
        if progress is not None:
            progress(total.n_samples, n_samples)
    return total
