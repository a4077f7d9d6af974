"""`natrisk sensitivity`: rank percentiles per scenario, reproducible by seed."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from cli_support import EXAMPLE, Runner, assert_refused

ARGS = ("sensitivity", EXAMPLE, "--json", "--samples", "2000")


@pytest.fixture(scope="module")
def runs(runner: Runner) -> Runner:
    runner.submit("seed3", *ARGS, "--seed", "3")
    runner.submit("seed3-again", *ARGS, "--seed", "3")
    runner.submit("seed4", *ARGS, "--seed", "4")
    runner.submit("samples0", "sensitivity", EXAMPLE, "--json", "--samples", "0")
    runner.submit("samples-negative", "sensitivity", EXAMPLE, "--samples", "-5")
    return runner


def ok_json(runs: Runner, name: str) -> dict[str, Any]:
    result = runs.result(name)
    assert result.code == 0, str(result)
    assert "Traceback" not in result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data


def test_every_scenario_has_rank_percentiles(runs: Runner) -> None:
    data = ok_json(runs, "seed3")
    book = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    n = len(book["scenarios"])
    assert sorted(row["id"] for row in data["scenarios"]) == sorted(
        s["id"] for s in book["scenarios"]
    )
    for row in data["scenarios"]:
        for key in ("rank_p5", "rank_median", "rank_p95"):
            assert isinstance(row[key], int | float) and not isinstance(row[key], bool)
            assert 1 <= row[key] <= n, (row["id"], key, row[key])
        assert row["rank_p5"] <= row["rank_median"] <= row["rank_p95"], row
        assert isinstance(row["p_top10"], int | float)
        assert 0 <= row["p_top10"] <= 1, row
    # each sample has at least ten scenarios in its top ten (more only when ranks tie)
    assert 10 - 1e-6 <= sum(row["p_top10"] for row in data["scenarios"]) <= n


def test_uncertainty_shows(runs: Runner) -> None:
    """The example has ranges: some scenario's rank must actually move."""
    data = ok_json(runs, "seed3")
    assert any(row["rank_p5"] < row["rank_p95"] for row in data["scenarios"])


def test_same_seed_same_output(runs: Runner) -> None:
    first, again = runs.result("seed3"), runs.result("seed3-again")
    assert first.code == again.code == 0, str(first)
    assert first.stdout == again.stdout


def test_other_seed_other_sample(runs: Runner) -> None:
    three, four = ok_json(runs, "seed3"), ok_json(runs, "seed4")
    assert [r["id"] for r in three["scenarios"]] == [r["id"] for r in four["scenarios"]]
    assert three["scenarios"] != four["scenarios"]


@pytest.mark.parametrize("name", ["samples0", "samples-negative"])
def test_no_samples_is_refused(runs: Runner, name: str) -> None:
    result = runs.result(name)
    assert_refused(result, "--samples")
    assert result.stdout == ""
