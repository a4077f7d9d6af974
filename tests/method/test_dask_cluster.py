"""Monte Carlo on a real dask.distributed cluster: the same seed gives identical results with
no cluster, one worker and two workers (sensitivity and cascades), through the services and
through ``natrisk sensitivity --dask`` / ``natrisk cascades --dask``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from dask.distributed import Client, LocalCluster

from natrisk.errors import OptionError
from natrisk.services import cluster
from natrisk.services.assessment import assess, resolve_settings
from natrisk.services.cluster import DaskMapper
from natrisk.services.edition import open_edition
from natrisk.services.sensitivity import run_sensitivity
from natrisk.services.stacking import analyse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"


def _cluster(workers: int) -> LocalCluster:
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=":0",
    )


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def dask_cluster(request: pytest.FixtureRequest) -> Iterator[tuple[int, str]]:
    """A real local cluster (threads in this process, real TCP scheduler) of 1 or 2 workers."""
    with _cluster(request.param) as c:
        yield request.param, c.scheduler_address


@pytest.fixture(scope="module")
def two_workers() -> Iterator[str]:
    """A real local cluster of two workers, for the command-line runs."""
    with _cluster(2) as c:
        yield c.scheduler_address


@pytest.fixture(scope="module")
def edition():  # type: ignore[no-untyped-def]
    return open_edition(EXAMPLE)


def _sensitivity(edition, mapper, samples=3000, seed=11):  # type: ignore[no-untyped-def]
    settings = resolve_settings(edition.table.framework, "weighted-sum", None)
    return run_sensitivity(edition.table, settings, samples, seed, "around", mapper=mapper)


def test_sensitivity_is_identical_with_and_without_a_cluster(dask_cluster, edition) -> None:  # type: ignore[no-untyped-def]
    workers, address = dask_cluster
    alone = _sensitivity(edition, None)
    with Client(address) as client:
        mapper = DaskMapper(client)
        assert mapper.workers == workers
        spread = _sensitivity(edition, mapper)
    a, b = alone.mc, spread.mc
    assert np.array_equal(a.rank_hist, b.rank_hist)
    assert np.array_equal(a.score_hist, b.score_hist)
    assert np.array_equal(a.score_mean, b.score_mean)  # bit for bit: folded in chunk order
    assert np.array_equal(a.rank_sum, b.rank_sum)
    assert np.array_equal(a.top_count, b.top_count)
    assert alone.to_json() == spread.to_json()
    # and the seed matters: another seed gives another result on the cluster too
    with Client(address) as client:
        other = _sensitivity(edition, DaskMapper(client), seed=12)
    assert not np.array_equal(other.mc.rank_hist, a.rank_hist)


def test_cascades_are_identical_with_and_without_a_cluster(dask_cluster, edition) -> None:  # type: ignore[no-untyped-def]
    _, address = dask_cluster
    settings = resolve_settings(edition.table.framework, "weighted-sum", None)
    a = assess(edition.table, edition.book, settings)
    alone = analyse(a, 2500, 5)
    seen: list[int] = []
    with Client(address) as client:
        spread = analyse(
            a, 2500, 5, mapper=DaskMapper(client), progress=lambda d, t: seen.append(d)
        )
    assert alone.to_json() == spread.to_json()
    assert seen == sorted(seen) and seen[-1] == 2500


def test_the_command_line_gives_the_same_result_on_a_cluster(two_workers: str) -> None:
    address = two_workers
    env = {k: v for k, v in os.environ.items() if k != "NATRISK_DASK_SCHEDULER"}

    def natrisk(*args: str, **extra: str) -> dict:  # type: ignore[type-arg]
        done = subprocess.run(
            [sys.executable, "-m", "natrisk", *args, "--json"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    base = ["sensitivity", str(EXAMPLE), "--samples", "2000", "--seed", "4"]
    assert natrisk(*base) == natrisk(*base, "--dask", address)
    # the setting names the scheduler as well as the option
    assert natrisk(*base) == natrisk(*base, NATRISK_DASK_SCHEDULER=address)
    casc = ["cascades", str(EXAMPLE), "--samples", "1500", "--seed", "2"]
    assert natrisk(*casc) == natrisk(*casc, "--dask", address)


def test_bad_scheduler_addresses_are_refused_with_what_to_give() -> None:
    with pytest.raises(OptionError, match="tcp://host:8786 or local"):
        cluster.scheduler("somehost:8786")
    with (
        pytest.raises(OptionError, match="no Dask scheduler answers at tcp://127.0.0.1:9"),
        cluster.mapper("tcp://127.0.0.1:9"),
    ):
        pass
    assert cluster.scheduler(None) is None or os.environ.get(cluster.ENV)
    assert cluster.scheduler("local") == "local"


def test_a_missing_scheduler_is_a_clear_error_on_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "natrisk", "sensitivity", str(EXAMPLE), "--dask", "nohost"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--dask" in done.stderr and "tcp://host:8786" in done.stderr


def test_local_worker_processes_keep_chunks_on_the_heap() -> None:
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which fixes glibc's mmap threshold at 128 KB;
    # the workers natrisk starts raise both, so a chunk's arrays are not fresh mappings
    with cluster.local_cluster(1) as c, Client(c) as client:
        seen = client.run(lambda: {k: os.environ.get(k) for k in cluster.WORKER_MALLOC})
        (environ,) = seen.values()
        assert environ == {k: str(v) for k, v in cluster.WORKER_MALLOC.items()}
        (pid,) = client.run(os.getpid).values()  # a process of its own
        assert pid != os.getpid()
