"""Helpers for the command-line tests: run the real CLI as a subprocess.

Every call starts a fresh Python (``python -m natrisk``), so the tests see exactly what a
user sees: exit code, standard output and standard error. A CLI call costs about two
seconds of start-up, so each module submits its calls to a small thread pool at once and
its tests wait only for the results they read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
FRAMEWORKS = ROOT / "src" / "natrisk" / "frameworks"

# The minimal workbook of issue 2, section 3, verbatim: it must be accepted exactly as written.
MINIMAL = """\
format: natrisk/1
edition:
  id: example-2026
  title: Example edition
  framework: nl-2019
scenarios:
  - id: flood-coast
    title: Coastal flood
    theme: climate-and-natural-disasters
    malicious: false
    likelihood: B
    impacts:
      "2.1": 350
      "3.1": {min: 5.0e9, max: 2.0e10}
      "5.1": B-C
      "1.1": X
"""

NL2019_CRITERIA = [
    "1.1",
    "1.2",
    "1.3",
    "2.1",
    "2.2",
    "2.3",
    "3.1",
    "3.2",
    "4.1",
    "5.1",
    "5.2",
    "5.3",
    "6.1",
    "6.2",
    "6.3",
    "6.4",
]
# the bundled example is on the 2023 yardstick: the NVS 2019 criteria plus 1.4 and 6.5
# (Security Strategy for the Kingdom of the Netherlands 2023, appendix)
NL2023_CRITERIA = sorted([*NL2019_CRITERIA, "1.4", "6.5"])

TIMEOUT = 180


@dataclass(frozen=True)
class Result:
    """What one CLI run gave back."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """Standard output parsed as one JSON document."""
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return (
            f"natrisk {' '.join(self.args)} -> exit {self.code}\n"
            f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}"
        )


def cli_env() -> dict[str, str]:
    """The environment of a user's shell, without natrisk's debug and limit switches."""
    env = dict(os.environ)
    for key in ("NATRISK_DEBUG", "NATRISK_MAX_FILE_MB"):
        env.pop(key, None)
    # a wide, plain console so that tables do not wrap and no colour codes appear
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "TERM": "dumb"})
    # runs go in parallel: one BLAS thread each starts faster and computes the same
    env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    return env


def run(*args: str | Path, cwd: Path | None = None, prefix: Sequence[str] = ()) -> Result:
    """Run ``python -m natrisk ARGS`` and capture everything it says."""
    argv = [str(a) for a in args]
    command = [*prefix] if prefix else [sys.executable, "-m", "natrisk"]
    proc = subprocess.run(
        [*command, *argv],
        cwd=cwd,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    return Result(
        tuple(argv),
        proc.returncode,
        proc.stdout.decode("utf-8", errors="replace"),
        proc.stderr.decode("utf-8", errors="replace"),
    )


class Runner:
    """Submits CLI runs to a thread pool; ``result(name)`` waits for one of them."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self.pool = pool
        self.futures: dict[str, Future[Result]] = {}

    def submit(self, name: str, *args: str | Path, **kwargs: Any) -> None:
        assert name not in self.futures, name
        self.futures[name] = self.pool.submit(run, *args, **kwargs)

    def result(self, name: str) -> Result:
        return self.futures[name].result()


def assert_refused(result: Result, *needles: str) -> None:
    """Exit code 2, no traceback, and every needle named on standard error."""
    assert result.code == 2, str(result)
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, str(result)
    assert "internal error" not in result.stderr, str(result)
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not on stderr\n{result}"
