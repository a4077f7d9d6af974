"""Bad input of the stacking sections at the command line (issue 12): each problem names the
file, the line and the field, and the command fails; a misordered variant is only a warning."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
REGIONS = ROOT / "examples" / "regions"
REGIONAL_FW = ROOT / "examples" / "frameworks" / "nl-2023-regional.yaml"


def natrisk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "natrisk", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def regional_copy(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """Zeeland's profile beside a copy of the regional framework with one line changed."""
    (tmp_path / "frameworks").mkdir()
    (tmp_path / "regions").mkdir()
    lines = REGIONAL_FW.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("- id: '2.1'"))
    at = next(i for i in range(start, len(lines)) if old in lines[i])
    lines[at] = lines[at].replace(old, new)
    (tmp_path / "frameworks" / REGIONAL_FW.name).write_text("".join(lines), encoding="utf-8")
    shutil.copy(REGIONS / "zeeland.yaml", tmp_path / "regions" / "zeeland.yaml")
    return tmp_path / "regions" / "zeeland.yaml", start + 1


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [("A: 1", "A: 2", "thresholds differs"), ("nl: Doden", "nl: Dode mensen", "name differs")],
)
def test_a_regional_framework_may_not_redefine_a_national_criterion(
    tmp_path: Path, old: str, new: str, what: str
) -> None:
    region, line = regional_copy(tmp_path, old, new)
    run = natrisk("rollup", EXAMPLE, region)
    assert run.returncode == 2, run.stdout + run.stderr
    text = " ".join(run.stderr.split())
    assert (
        f"nl-2023-regional.yaml: line {line}: criteria.2.1: redefines national criterion 2.1"
        in text
    )
    assert what in text
    assert "Roll-up" not in run.stdout


def test_a_region_mapped_to_a_missing_national_scenario_is_located(tmp_path: Path) -> None:
    text = (REGIONS / "utrecht.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "utrecht.yaml"
    bad.write_text(text.replace("national: river-flood", "national: no-such-flood"), "utf-8")
    line = next(
        i + 1 for i, row in enumerate(bad.read_text("utf-8").splitlines()) if "no-such-flood" in row
    )
    run = natrisk("rollup", EXAMPLE, bad)
    assert run.returncode == 2
    msg = " ".join(run.stderr.split())
    assert f"{bad}: line {line}, region utrecht: mapping.0.national:" in msg
    assert "national scenario 'no-such-flood' is not in edition" in msg


def test_a_misordered_variant_is_a_warning_not_an_error(tmp_path: Path) -> None:
    book = tmp_path / "v.yaml"
    book.write_text(
        "format: natrisk/1\n"
        "edition: {id: t, title: T, framework: nl-2023}\n"
        "scenarios:\n"
        '  - {id: mild, title: Mild, theme: cyber, likelihood: B, impacts: {"2.1": 300}}\n'
        '  - {id: severe, title: Severe, theme: cyber, likelihood: C, impacts: {"2.1": 5}}\n'
        "risks:\n"
        "  - {id: r, title: R, variants: [mild, severe]}\n",
        encoding="utf-8",
    )
    run = natrisk("validate", book)
    assert run.returncode == 0, run.stderr
    msg = " ".join(run.stderr.split())
    assert "warning" in msg and "variant mild (lower intensity) is at least as bad as severe" in msg
    book.write_text(book.read_text("utf-8").replace("[mild, severe]", "[severe, mild]"), "utf-8")
    run = natrisk("validate", book)
    assert run.returncode == 0 and "warning" not in run.stderr
