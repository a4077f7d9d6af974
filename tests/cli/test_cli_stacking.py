"""natrisk cascades and natrisk rollup, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
REGIONS = sorted((ROOT / "examples" / "regions").glob("*.yaml"))


def natrisk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "natrisk", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_blackout_cascades_above_its_direct_impact_through_water_and_payments() -> None:
    run = natrisk("cascades", str(EXAMPLE), "--samples", "4000", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    row = next(r for r in data["scenarios"] if r["id"] == "national-power-blackout")
    assert row["cascaded_mean"] > row["direct_score"]
    assert {e["id"] for e in row["effects"][:2]} == {
        "drinking-water-disruption",
        "payment-system-outage",
    }
    assert len(data["links"]) >= 40 and len(data["risks"]) >= 5
    assert sum(c["given"] for c in data["compounds"]) == 2


def test_rollup_of_three_regions(tmp_path: Path) -> None:
    run = natrisk("rollup", str(EXAMPLE), *map(str, REGIONS), "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert len(data["regions"]) == 3
    blackout = next(r for r in data["rows"] if r["target"] == "national-power-blackout")
    assert len(blackout["regions"]) == 3 and "national" in blackout
    bad = tmp_path / "bad.yaml"
    text = (
        (ROOT / "examples" / "regions" / "utrecht.yaml")
        .read_text(encoding="utf-8")
        .replace("national: river-flood", "national: gone")
    )
    bad.write_text(text, encoding="utf-8")
    run = natrisk("rollup", str(EXAMPLE), str(bad))
    assert run.returncode == 2
    assert "mapping.0.national: national scenario 'gone' is not in edition" in run.stderr
    assert "line " in run.stderr
