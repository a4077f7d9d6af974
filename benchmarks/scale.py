"""How natrisk's cost grows with the number of scenarios: 500, 2,000 and 5,000.

Each step runs as a user would run it, in a child process of its own, and is measured by
wall time and the child's peak memory (resident set, from wait4): ``natrisk validate``,
``natrisk assess --json``, ``natrisk sensitivity --samples 10000 --json``, ``natrisk report
--format pdf`` and the API's assessment read (``natrisk serve`` on an SQLite file, first
read and the median of warm reads; the server's peak memory). The workbooks are the
bundled example's scenarios repeated under new ids (benchmarks/api_load.py).

Targets (issue 13) at 5,000 scenarios: validate < 3 s, assess < 5 s, sensitivity of 10,000
samples < 30 s and < 2 GB.
Run: .venv/bin/python benchmarks/scale.py [--sizes 500 2000 5000] [--profile STEP]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.api_load import PASSWORD, _free_port, build_edition  # noqa: E402

TARGETS = {"validate": (3.0, None), "assess": (5.0, None), "sensitivity": (30.0, 2048.0)}


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, float]:
    """Run ``cmd``; its wall time (s), peak resident memory (MB), its error output and its
    CPU time (s, user + system: what a busy machine does not inflate)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{text[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, text, usage.ru_utime + usage.ru_stime


def natrisk(*args: str) -> list[str]:
    return [sys.executable, "-m", "natrisk", *args]


def profiled(step: list[str]) -> list[str]:
    """The same command under cProfile (the 25 costliest functions printed to stderr)."""
    code = (
        "import cProfile, pstats, sys, io\n"
        f"sys.argv = ['natrisk', *{step!r}]\n"
        "from natrisk.cli import app\n"
        "p = cProfile.Profile(); p.enable()\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "p.disable(); out = io.StringIO()\n"
        "pstats.Stats(p, stream=out).sort_stats('cumulative').print_stats(25)\n"
        "sys.stderr.write(out.getvalue())\n"
    )
    return [sys.executable, "-c", code]


def api_read(path: Path, env: dict[str, str], home: Path) -> tuple[float, float, float]:
    """Import the workbook, serve it, read its assessment: first read (s), warm median (s),
    the server's peak memory (MB)."""
    import httpx

    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / 'scale.db'}"
    subprocess.run(
        natrisk("users", "add", "admin", "--organisation", "bench", "--admin")
        + ["--clearance", "Staatsgeheim Geheim", "--password", PASSWORD, "--database", url],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        natrisk("db", "import", str(path), "--user", "admin", "--database", url),
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        natrisk("serve", "--port", str(port), "--no-worker", "--database", url),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=300) as c:
            token = c.post("/api/login", json={"username": "admin", "password": PASSWORD})
            c.headers["Authorization"] = f"Bearer {token.json()['token']}"
            edition = c.get("/api/editions").json()[0]["id"]
            times = []
            for _ in range(6):
                start = time.perf_counter()
                c.get(f"/api/editions/{edition}/assessment").raise_for_status()
                times.append(time.perf_counter() - start)
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM"))
        return times[0], statistics.median(times[1:]), peak / 1024
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    """Run every step at every size and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--profile", choices=["validate", "assess", "sensitivity", "report"])
    parser.add_argument(
        "--report-sizes", type=int, nargs="*", help="sizes that also render the PDF report (all)"
    )
    args = parser.parse_args()
    rows: dict[str, dict[int, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {
            **os.environ,
            "XDG_DATA_HOME": str(home / "data"),
            "NATRISK_SECRET_KEY": "scale-benchmark-key-0123456789abcdef0123",
            "NATRISK_AUDIT_KEY_FILE": str(home / "audit.key"),
        }
        env.pop("NATRISK_DATABASE_URL", None)
        env.pop("NATRISK_DASK_SCHEDULER", None)
        for n in args.sizes:
            path = home / f"edition-{n}.yaml"
            build_edition(n, path)
            size_mb = path.stat().st_size / 1e6
            steps = {
                "validate": ["validate", str(path)],
                "assess": ["assess", str(path), "--json"],
                "sensitivity": ["sensitivity", str(path), "--samples", str(args.samples), "--json"],
                "report": ["report", str(path), "--out", str(home / f"r{n}"), "--format", "pdf"],
            }
            for name, step in steps.items():
                if (
                    name == "report"
                    and args.report_sizes is not None
                    and n not in args.report_sizes
                ):
                    continue
                secs, mb, _, cpu = measured(natrisk(*step), env)
                rows.setdefault(name, {})[n] = f"{secs:6.1f} s ({cpu:5.1f} cpu) {mb:5.0f} MB"
                print(f"{n:>6} scenarios ({size_mb:.1f} MB) {name:<12} {rows[name][n]}", flush=True)
                if args.profile == name and n == max(args.sizes):
                    _, _, stats, _ = measured(profiled(step), env)
                    print(stats, file=sys.stderr)
            first, warm, mb = api_read(path, env, home / f"api{n}")
            rows.setdefault("API assessment", {})[n] = (
                f"{first:5.2f} s / {warm:5.3f} s {mb:5.0f} MB"
            )
            print(f"{n:>6} scenarios API assessment {rows['API assessment'][n]}", flush=True)
    print()
    print(f"{'step':<16}" + "".join(f"{n:>30,}" for n in args.sizes) + "   target at the largest")
    for name, by_size in rows.items():
        t = TARGETS.get(name)
        target = (f"< {t[0]:.0f} s" + (f", < {t[1]:.0f} MB" if t[1] else "")) if t else ""
        print(
            f"{name:<16}"
            + "".join(f"{by_size.get(n, ''):>30}" for n in args.sizes)
            + f"   {target}"
        )
    print("(wall time, CPU time of the process in brackets, peak resident memory; API assessment:")
    print(" first read / median of five warm reads, the server's peak memory)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
