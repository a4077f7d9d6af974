"""API load benchmark: readers of the risk picture and score writers against PostgreSQL.

Starts a throw-away PostgreSQL cluster on 127.0.0.1 and, for each run, imports an edition of
500 scenarios into a fresh database, starts ``natrisk serve --workers N`` on a free port and
drives it from a second process for a bounded time (at most 60 s, counted after 5 s of
warm-up). Prints requests per second, latency percentiles and errors side by side; a failed
request (refused, reset, timed out) is counted as an error, never a crash of the driver.

Two kinds of client, in separate runs:

- **users** pause between requests, as people (and the pages they have open) do: each
  reader and writer waits a random time, exponential with a mean of ``--think`` seconds
  (default 1 s), after each answer. 55 users then ask about 50 times a second together;
  this is the load the targets are about.
- **clients that never pause** (``--think 0``) send their next request the moment an answer
  arrives. They measure capacity: how many answers a second the machine gives, and how long
  requests queue when more arrive than it can answer.

Targets (issue 13): with --workers 2, reads p95 under 150 ms (goal 50 ms), writes p95 under
300 ms, 0 errors. Readers fetch GET /api/editions/{id}/assessment in full (no If-None-Match),
gzipped as any HTTP client asks, and receive the whole body without decoding it (that is
client work, on the clients' machines, not the server's); a further run shows readers that
revalidate with their ETag. Writers change one score each, with the version their last write
returned; every write makes the next read of each web process compute the assessment anew.

Run from the repository root:
    .venv/bin/python benchmarks/api_load.py --workers 2 --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "benchmark-password-1"
WARM_UP = 5.0  # seconds of load before answers are counted: each web process's first
# assessment and a fresh server's first requests are not the steady state
CRITERION = "5.3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_edition(n: int, path: Path) -> None:
    """An edition of n scenarios: the bundled example's scenarios repeated under new ids
    (without its cascade links, variants and compounds, which name the original ids)."""
    import yaml

    from natrisk.io.workbook import dump_workbook, load_workbook

    data = dump_workbook(load_workbook(ROOT / "examples" / "nl-2026.yaml"))
    base = data["scenarios"]
    data = {"format": data["format"], "edition": data["edition"], "scenarios": []}
    for i in range(n):
        s = copy.deepcopy(base[i % len(base)])
        s["id"] = f"{s['id']}-{i}"
        data["scenarios"].append(s)
    data["edition"]["id"] = f"load-{n}"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def set_up(url: str, n: int, writers: int) -> None:
    """Users and the edition, straight through the services."""
    from natrisk.io.workbook import load_workbook
    from natrisk.services.access import Actor
    from natrisk.services.accounts import add_user, set_role
    from natrisk.services.workspace import import_workbook
    from natrisk.store.database import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edition.yaml"
        build_edition(n, path)
        db = Database(url)
        with db.session() as s:
            admin = Actor.of(add_user(s, "admin", PASSWORD, "bench", 3, is_admin=True))
            edition = import_workbook(s, path, load_workbook(path), admin)
            for i in range(writers):
                add_user(s, f"analyst{i}", PASSWORD, "bench", 3)
            add_user(s, "reader", PASSWORD, "bench", 0)
            s.flush()
            for i in range(writers):
                set_role(s, admin, edition.id, f"analyst{i}", "analyst")
            set_role(s, admin, edition.id, "reader", "reader")
        db.close()


async def drive(
    base: str, duration: float, readers: int, writers: int, revalidate: bool, think: float = 0.0
) -> dict[str, Any]:
    """Run the clients; return latencies and errors. Nothing a request does ends the run.

    ``think`` is each client's mean pause after an answer (exponential; 0: no pause)."""
    import random

    import httpx

    pauses = random.Random(20261204)

    async def pause() -> None:
        if think > 0:
            await asyncio.sleep(min(pauses.expovariate(1 / think), 10 * think))

    limits = httpx.Limits(max_connections=readers + writers + 5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as c:

        async def token(user: str) -> str:
            r = await c.post("/api/login", json={"username": user, "password": PASSWORD})
            r.raise_for_status()
            return str(r.json()["token"])

        read_token = await token("reader")
        write_tokens = [await token(f"analyst{i}") for i in range(writers)]
        h = {"Authorization": f"Bearer {read_token}"}
        edition = (await c.get("/api/editions", headers=h)).json()[0]["id"]
        listing = (await c.get(f"/api/editions/{edition}/scenarios", headers=h)).json()
        reads: list[float] = []
        writes: list[float] = []
        errors: list[str] = []
        not_modified = 0
        begin = time.perf_counter() + WARM_UP  # answers before this are not counted
        stop = begin + duration
        served = 0

        async def reader() -> None:
            nonlocal not_modified, served
            tag = ""
            await pause()  # users arrive spread out, not all in the same millisecond
            while time.perf_counter() < stop:
                t = time.perf_counter()
                headers = {**h, **({"If-None-Match": tag} if tag else {})}
                try:
                    # the whole body is received, as sent (gzipped); decoding and parsing it is
                    # the client's own work, on its own machine, so the driver (one process on
                    # the server's two cores) does not do it
                    url = f"/api/editions/{edition}/assessment"
                    async with c.stream("GET", url, headers=headers) as r:
                        async for _ in r.aiter_raw():
                            pass
                    if r.status_code == 200:
                        tag = r.headers.get("etag", "") if revalidate else ""
                    elif r.status_code == 304:
                        not_modified += t >= begin
                    else:
                        errors.append(f"read {r.status_code}")
                except httpx.HTTPError as exc:
                    errors.append(f"read {type(exc).__name__}")
                served += 1
                if t >= begin:
                    reads.append(time.perf_counter() - t)
                await pause()

        async def writer(i: int) -> None:
            nonlocal served
            wh = {"Authorization": f"Bearer {write_tokens[i]}"}
            slug = listing[i]["id"]  # each writer keeps to its own scenario
            version = listing[i]["scores"].get(CRITERION, {}).get("version", 0)
            k = 0
            await pause()
            while time.perf_counter() < stop:
                body = {"value": "ABCD"[k % 4], "version": version, "reason": "load test"}
                url = f"/api/editions/{edition}/scenarios/{slug}/scores/{CRITERION}"
                t = time.perf_counter()
                served += 1
                try:
                    r = await c.put(url, headers=wh, json=body)
                    if t >= begin:
                        writes.append(time.perf_counter() - t)
                    if r.status_code == 200:
                        version = r.json()["version"]
                    else:
                        errors.append(f"write {r.status_code} {r.text[:120]}")
                        cur = await c.get(f"/api/editions/{edition}/scenarios/{slug}", headers=wh)
                        version = cur.json()["scores"].get(CRITERION, {}).get("version", 0)
                except httpx.HTTPError as exc:
                    if t >= begin:
                        writes.append(time.perf_counter() - t)
                    errors.append(f"write {type(exc).__name__}")
                k += 1
                await pause()

        await asyncio.gather(
            *[reader() for _ in range(readers)], *[writer(i) for i in range(writers)]
        )
        return {
            "reads": reads,
            "writes": writes,
            "errors": errors,
            "not_modified": not_modified,
            "served": served,  # warm-up included (it is in the server's CPU time too)
            "measured": time.perf_counter() - begin,
        }


def _wait_for(port: int, server: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not answer in time")


def one_run(
    cluster: Any, args: argparse.Namespace, workers: int, revalidate: bool, think: float
) -> dict[str, Any]:
    """A fresh database, a server with ``workers`` web processes, one driven run."""
    url = cluster.new_database()
    set_up(url, args.scenarios, args.writers)
    port = _free_port()
    env = {**os.environ, "NATRISK_SECRET_KEY": "benchmark-secret", "NATRISK_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "natrisk", "serve", "--port", str(port), "--workers", str(workers)]
    # the server's output (its access log too) goes to a file: a pipe nobody reads fills up
    # and then blocks the server mid-request
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed and removed in finally)
        prefix="natrisk-serve-", suffix=".log", delete=False
    )
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, server, Path(log.name))
        drive_cmd = [
            sys.executable,
            __file__,
            "--drive",
            f"http://127.0.0.1:{port}",
            "--duration",
            str(args.duration),
            "--readers",
            str(args.readers),
            "--writers",
            str(args.writers),
            "--think",
            str(think),
        ]
        if revalidate:
            drive_cmd.append("--revalidate")
        pids = _web_pids(server.pid, workers)
        cpu_before = sum(_cpu_seconds(p) for p in pids)
        out = subprocess.run(drive_cmd, capture_output=True, text=True, env=env)
        cpu = sum(_cpu_seconds(p) for p in pids) - cpu_before
        rss = [_rss_mb(p) for p in pids]
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        Path(log.name).unlink(missing_ok=True)
    if out.returncode != 0:
        raise SystemExit(f"the load driver failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["rss_mb"] = rss
    result["cpu"] = cpu
    result["load"] = os.getloadavg()[0]  # the 1-minute load of the machine as the run ended
    return result


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _web_pids(pid: int, workers: int) -> list[int]:
    """The web processes of the server (not its job worker)."""
    if workers == 1:
        return [pid]
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"multiprocessing.spawn" in cmdline:
            out.append(int(entry.name))
    return out


def _row(name: str, lat_s: list[float], elapsed: float, width: int = 28) -> str:
    lat = np.array(lat_s) * 1000
    if not len(lat):
        return f"{name:{width}}{'-':>10}"
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    return (
        f"{name:{width}}{len(lat):>10}{len(lat) / elapsed:>9.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
    )


def main() -> None:
    """Set up, serve, drive, print: users on one and on --workers web processes (and with
    revalidation), then clients that never pause."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="web processes of the second run")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="users' mean pause after an answer, in seconds (the clients that never pause "
        "are measured in a run of their own)",
    )
    parser.add_argument("--revalidate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.duration = min(args.duration, 60.0)
    if args.think < 0:
        parser.error("--think is a pause in seconds, 0 or more")
    if args.drive:  # the second process
        result = asyncio.run(
            drive(
                args.drive, args.duration, args.readers, args.writers, args.revalidate, args.think
            )
        )
        print(json.dumps(result))
        return

    from tests.pg import Cluster

    many = max(args.workers, 1)
    plan: list[tuple[str, int, bool, float]] = []  # name, web processes, revalidate, think
    users = f"users (pause {args.think:g} s)"
    if args.think > 0:
        if many > 1:
            plan.append((f"{users}, 1 process", 1, False, args.think))
        plan.append((f"{users}, {many} proc.", many, False, args.think))
        plan.append((f"{users}, {many}, revalidate", many, True, args.think))
    plan.append((f"never pause, {many} proc.", many, False, 0.0))
    runs: list[tuple[str, dict[str, Any]]] = []
    cluster = Cluster()
    try:
        for name, workers, revalidate, think in plan:
            runs.append((name, one_run(cluster, args, workers, revalidate, think)))
    finally:
        cluster.close()
    print(
        f"edition: {args.scenarios} scenarios; {args.readers} readers of /assessment, "
        f"{args.writers} score writers, {args.duration:g} s per run, PostgreSQL, "
        f"{os.cpu_count()} CPU cores"
    )
    width = 40
    print(f"{'':{width}}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, r in runs:
        print(_row(f"reads, {name}", r["reads"], r["measured"], width))
        print(_row(f"writes, {name}", r["writes"], r["measured"], width))
        errs = r["errors"]
        extra = f", {r['not_modified']} answered 304" if r["not_modified"] else ""
        print(f"{'':{width}}errors: {len(errs)}" + (f" (first: {errs[0]})" if errs else "") + extra)
        rss = ", ".join(f"{m:.0f}" for m in r["rss_mb"])
        per = r["cpu"] / r["served"] * 1000 if r["served"] else 0.0
        print(
            f"{'':{width}}web processes: {rss} MB resident after the run; {r['cpu']:.1f} CPU s "
            f"used, {per:.1f} CPU ms per request; machine load {r['load']:.1f}"
        )
    name, main_run = runs[1] if len(runs) > 2 and many > 1 else runs[0]
    reads95, writes95 = (_p95(main_run[k]) for k in ("reads", "writes"))
    met = reads95 < 150 and writes95 < 300 and not any(r["errors"] for _, r in runs)
    print(
        f"target ({name}: reads p95 < 150 ms, writes p95 < 300 ms, 0 errors): "
        f"{'met' if met else 'NOT met'} (reads p95 {reads95:.0f} ms, goal 50 ms)"
    )
    name, capacity = runs[-1]
    answered = (len(capacity["reads"]) + len(capacity["writes"])) / capacity["measured"]
    print(
        f"capacity ({name}): {answered:.0f} answers a second; reads p95 {_p95(capacity['reads']):.0f} ms"
        " is the time a request queues when more arrive than the machine answers"
    )


def _p95(latencies_s: list[float]) -> float:
    return float(np.percentile(np.array(latencies_s) * 1000, 95)) if latencies_s else 1e9


if __name__ == "__main__":
    main()
