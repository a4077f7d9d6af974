"""API load benchmark: 50 readers of the risk picture and 5 score writers against PostgreSQL.

Starts a throw-away PostgreSQL cluster on 127.0.0.1, imports an edition of 500 scenarios,
starts `natrisk serve` on a free port, and drives it from a second process for a bounded
time (at most 60 s). Prints requests per second, latency percentiles and the error count.

Target (issue 3): 95th percentile under 150 ms for reads on this 2-core machine; 0 errors.
Run from the repository root: .venv/bin/python benchmarks/api_load.py [--duration 30]
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "benchmark-password-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_edition(n: int, path: Path) -> None:
    """An edition of n scenarios: the bundled example's scenarios repeated under new ids."""
    import yaml

    from natrisk.io.workbook import dump_workbook, load_workbook

    data = dump_workbook(load_workbook(ROOT / "examples" / "nl-2026.yaml"))
    base = data["scenarios"]
    data["scenarios"] = []
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
    base: str, duration: float, readers: int, writers: int, n: int
) -> dict[str, object]:
    """Run the clients; return latencies and errors."""
    import httpx

    limits = httpx.Limits(max_connections=readers + writers + 5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as c:

        async def token(user: str) -> str:
            r = await c.post("/api/login", json={"username": user, "password": PASSWORD})
            r.raise_for_status()
            return str(r.json()["token"])

        read_token = await token("reader")
        write_tokens = [await token(f"analyst{i}") for i in range(writers)]
        edition = (
            await c.get("/api/editions", headers={"Authorization": f"Bearer {read_token}"})
        ).json()[0]["id"]
        reads: list[float] = []
        writes: list[float] = []
        errors: list[str] = []
        stop = time.perf_counter() + duration

        async def reader() -> None:
            h = {"Authorization": f"Bearer {read_token}"}
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = await c.get(f"/api/editions/{edition}/assessment", headers=h)
                reads.append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors.append(f"read {r.status_code}")

        async def writer(i: int) -> None:
            h = {"Authorization": f"Bearer {write_tokens[i]}"}
            k = 0
            listing = await c.get(f"/api/editions/{edition}/scenarios", headers=h)
            slug = listing.json()[i]["id"]  # each writer keeps to its own scenario
            while time.perf_counter() < stop:
                t = time.perf_counter()
                cur = (await c.get(f"/api/editions/{edition}/scenarios/{slug}", headers=h)).json()
                version = cur["scores"].get("5.3", {}).get("version", 0)
                body = {"value": "ABCD"[k % 4], "version": version, "reason": "load test"}
                r = await c.put(
                    f"/api/editions/{edition}/scenarios/{slug}/scores/5.3", headers=h, json=body
                )
                writes.append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors.append(f"write {r.status_code} {r.text[:120]}")
                k += 1

        await asyncio.gather(
            *[reader() for _ in range(readers)], *[writer(i) for i in range(writers)]
        )
        return {"reads": reads, "writes": writes, "errors": errors}


def main() -> None:
    """Set up, serve, drive, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    args = parser.parse_args()
    duration = min(args.duration, 60.0)
    if args.drive:  # the second process
        result = asyncio.run(
            drive(args.drive, duration, args.readers, args.writers, args.scenarios)
        )
        print(json.dumps(result))
        return

    from tests.pg import Cluster

    cluster = Cluster()
    server = None
    try:
        url = cluster.new_database()
        set_up(url, args.scenarios, args.writers)
        port = _free_port()
        env = {**os.environ, "NATRISK_SECRET_KEY": "benchmark-secret", "NATRISK_DATABASE_URL": url}
        server = subprocess.Popen(
            [sys.executable, "-m", "natrisk", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        start = time.perf_counter()
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--drive",
                f"http://127.0.0.1:{port}",
                "--duration",
                str(duration),
                "--readers",
                str(args.readers),
                "--writers",
                str(args.writers),
                "--scenarios",
                str(args.scenarios),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if out.returncode != 0:
            raise SystemExit(f"the load driver failed:\n{out.stderr[-3000:]}")
        elapsed = time.perf_counter() - start
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        cluster.close()
    reads = np.array(result["reads"]) * 1000
    writes = np.array(result["writes"]) * 1000
    print(
        f"edition: {args.scenarios} scenarios; {args.readers} readers, {args.writers} writers, {duration:g} s, PostgreSQL"
    )
    print(f"{'':10}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, lat in (("reads", reads), ("writes", writes)):
        if len(lat):
            p50, p95, p99 = np.percentile(lat, [50, 95, 99])
            print(
                f"{name:10}{len(lat):>10}{len(lat) / elapsed:>9.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
            )
    print(
        f"errors: {len(result['errors'])}"
        + (f" (first: {result['errors'][0]})" if result["errors"] else "")
    )
    target = len(reads) and np.percentile(reads, 95) < 150 and not result["errors"]
    print(f"target (reads p95 < 150 ms, 0 errors): {'met' if target else 'NOT met'}")


if __name__ == "__main__":
    main()
