"""`natrisk assess`: the JSON contract, the three methods, overrides, and --out."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import EXAMPLE, MINIMAL, NL2019_CRITERIA, NL2023_CRITERIA, Runner, assert_refused
from defusedxml import ElementTree

METHODS = ("weighted-sum", "medal", "evamix")
CLASS_VALUES = "X=0,A=1,B=2,C=4,D=8,E=16"
BAD_WEIGHTS = {
    "no-equals": ("2.1", "2.1"),
    "unknown-criterion": ("9.9=1", "9.9"),
    "negative": ("2.1=-1", "2.1"),
    "not-a-number": ("2.1=abc", "abc"),
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("assess")
    minimal = base / "minimal.yaml"
    minimal.write_text(MINIMAL, encoding="utf-8")
    return {"base": base, "minimal": minimal, "out": base / "run" / "out"}


@pytest.fixture(scope="module")
def runs(runner: Runner, paths: dict[str, Path]) -> Runner:
    """Every run this module reads, started at once; the slow --out run first."""
    ex = EXAMPLE
    runner.submit(
        "out", "assess", ex, "--out", paths["out"], "--samples", "500", "--json", "--seed", "1"
    )
    runner.submit("min-validate", "validate", paths["minimal"])
    runner.submit("min-json", "assess", paths["minimal"], "--json")
    for method in METHODS:
        runner.submit(method, "assess", ex, "--json", "--method", method)
    runner.submit("weights", "assess", ex, "--json", "--weights", "2.1=5")
    runner.submit("cv-weighted-sum", "assess", ex, "--json", "--class-values", CLASS_VALUES)
    runner.submit(
        "cv-medal", "assess", ex, "--json", "--method", "medal", "--class-values", CLASS_VALUES
    )
    runner.submit("profile", "assess", ex, "--json", "--profile", "physical-first")
    runner.submit("profile-nope", "assess", ex, "--json", "--profile", "nope")
    runner.submit("table", "assess", paths["minimal"])
    for name, (value, _) in BAD_WEIGHTS.items():
        runner.submit(f"weights-{name}", "assess", paths["minimal"], "--json", "--weights", value)
    runner.submit("cv-falling", "assess", paths["minimal"], "--json", "--class-values", "C=1,D=0.5")
    runner.submit(
        "weights-overflow",
        "assess",
        paths["minimal"],
        "--json",
        "--weights",
        "2.1=1e308,3.1=1e308",
    )
    return runner


def ok_json(runs: Runner, name: str) -> dict[str, Any]:
    result = runs.result(name)
    assert result.code == 0, str(result)
    data = result.json()
    assert isinstance(data, dict)
    return data


def scores(data: dict[str, Any]) -> dict[str, float]:
    return {row["id"]: row["impact_score"] for row in data["scenarios"]}


def ranks(data: dict[str, Any]) -> dict[str, int]:
    return {row["id"]: row["rank"] for row in data["scenarios"]}


def example_ids() -> list[str]:
    book = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return [s["id"] for s in book["scenarios"]]


def assert_competition_ranks(data: dict[str, Any]) -> None:
    """Ranks 1..N, ties sharing the best rank, and a higher score never ranks worse."""
    rows = data["scenarios"]
    values = [row["impact_score"] for row in rows]
    top = max(abs(v) for v in values) or 1.0
    tol = 1e-9 * max(1.0, top)
    for row in rows:
        assert isinstance(row["rank"], int) and not isinstance(row["rank"], bool)
        assert isinstance(row["impact_score"], int | float)
        assert math.isfinite(row["impact_score"])
        higher = sum(1 for v in values if v > row["impact_score"] + tol)
        assert row["rank"] == 1 + higher, (row["id"], row["rank"], row["impact_score"])
    assert min(row["rank"] for row in rows) == 1
    assert max(row["rank"] for row in rows) <= len(rows)


# ------------------------------------------------------------------ the minimal workbook


def test_minimal_workbook_is_valid(runs: Runner) -> None:
    result = runs.result("min-validate")
    assert result.code == 0, str(result)
    assert "Traceback" not in result.stderr


def test_minimal_workbook_assess_json(runs: Runner) -> None:
    data = ok_json(runs, "min-json")
    assert [row["id"] for row in data["scenarios"]] == ["flood-coast"]
    row = data["scenarios"][0]
    assert isinstance(row["impact_score"], int | float) and not isinstance(
        row["impact_score"], bool
    )
    assert row["impact_score"] > 0
    assert row["rank"] == 1 and isinstance(row["rank"], int)
    assert row["likelihood"] == "B"
    criteria = row["criteria"]
    assert sorted(criteria) == sorted(NL2019_CRITERIA)
    # 350 deaths is class C (40 to 400); 5e9 to 2e10 euro is C; B-C counts as its upper
    # class; 1.1 is X as written; criteria left out of impacts are X.
    assert criteria["2.1"] == "C"
    assert criteria["3.1"] == "C"
    assert criteria["5.1"] == "C"
    assert criteria["1.1"] == "X"
    assert {criteria[c] for c in NL2019_CRITERIA if c not in ("2.1", "3.1", "5.1")} == {"X"}


def test_minimal_workbook_assess_prints_a_table(runs: Runner) -> None:
    result = runs.result("table")
    assert result.code == 0, str(result)
    assert "flood-coast" in result.stdout


# ------------------------------------------------------------------ methods and overrides


@pytest.mark.parametrize("method", METHODS)
def test_each_method_ranks_every_scenario(runs: Runner, method: str) -> None:
    data = ok_json(runs, method)
    assert data["settings"]["method"] == method
    assert [row["id"] for row in data["scenarios"]] == example_ids()
    for row in data["scenarios"]:
        assert set(row) >= {"id", "impact_score", "rank", "likelihood", "criteria"}
        assert sorted(row["criteria"]) == NL2023_CRITERIA
        assert set(row["criteria"].values()) <= set("XABCDE")
        assert row["likelihood"] in set("ABCDE")
    assert_competition_ranks(data)


def test_methods_disagree_somewhere(runs: Runner) -> None:
    """Three methods that always agree would be one method under three names."""
    orders = {m: ranks(ok_json(runs, m)) for m in METHODS}
    assert len({tuple(sorted(o.items())) for o in orders.values()}) > 1


def test_weights_override_changes_the_result(runs: Runner) -> None:
    default = ok_json(runs, "weighted-sum")
    heavy = ok_json(runs, "weights")
    assert heavy["settings"]["weights"]["2.1"] == 5
    assert heavy["settings"]["weights"]["3.1"] == default["settings"]["weights"]["3.1"]
    assert scores(heavy) != scores(default)
    assert_competition_ranks(heavy)


def test_class_values_change_weighted_sum_scores(runs: Runner) -> None:
    default = ok_json(runs, "weighted-sum")
    flat = ok_json(runs, "cv-weighted-sum")
    assert flat["settings"]["class_values"] == {
        "X": 0,
        "A": 1,
        "B": 2,
        "C": 4,
        "D": 8,
        "E": 16,
    }
    assert scores(flat) != scores(default)
    assert_competition_ranks(flat)


def test_class_values_do_not_change_medal(runs: Runner) -> None:
    default = ok_json(runs, "medal")
    other = ok_json(runs, "cv-medal")
    assert scores(other) == scores(default)
    assert ranks(other) == ranks(default)


def test_profile_is_applied(runs: Runner) -> None:
    default = ok_json(runs, "weighted-sum")
    data = ok_json(runs, "profile")
    assert data["settings"]["profile"] == "physical-first"
    assert data["settings"]["weights"] != default["settings"]["weights"]
    assert scores(data) != scores(default)
    assert_competition_ranks(data)


def test_unknown_profile_is_refused(runs: Runner) -> None:
    result = runs.result("profile-nope")
    assert_refused(result, "nope")
    assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(BAD_WEIGHTS))
def test_bad_weights_are_refused(runs: Runner, name: str) -> None:
    result = runs.result(f"weights-{name}")
    assert_refused(result, "--weights", BAD_WEIGHTS[name][1])
    assert result.stdout == ""


def test_falling_class_values_are_refused(runs: Runner) -> None:
    result = runs.result("cv-falling")
    assert_refused(result, "--class-values")
    assert result.stdout == ""


def test_weights_whose_sum_overflows_give_no_silent_nonsense(runs: Runner) -> None:
    """Two weights of 1e308 sum to infinity: refuse them, or score correctly, never 0."""
    result = runs.result("weights-overflow")
    assert "Traceback" not in result.stderr
    assert "Warning" not in result.stderr, str(result)
    if result.code == 2:
        assert "--weights" in result.stderr
        return
    assert result.code == 0, str(result)
    (row,) = result.json()["scenarios"]
    # flood-coast is C on both heavily weighted criteria: its score is far from zero
    assert math.isfinite(row["impact_score"]) and row["impact_score"] > 0, row


# ------------------------------------------------------------------ --out


def test_out_writes_every_output(runs: Runner, paths: dict[str, Path]) -> None:
    result = runs.result("out")
    assert result.code == 0, str(result)
    out = paths["out"]
    names = {p.name for p in out.iterdir()}
    assert {"results.json", "results.csv", "risk-diagram.svg", "risk-diagram.png"} <= names
    htmls = sorted(out.glob("risk-picture-*.html"))
    pdfs = sorted(out.glob("risk-picture-*.pdf"))
    assert len(htmls) == 1 and len(pdfs) == 1, names
    assert pdfs[0].read_bytes().startswith(b"%PDF")
    assert (out / "risk-diagram.png").read_bytes().startswith(PNG_MAGIC)
    svg = ElementTree.fromstring((out / "risk-diagram.svg").read_bytes())
    assert svg.tag.endswith("svg")
    html = htmls[0].read_text(encoding="utf-8")
    assert "Risk picture" in html
    # no scratch folders are left beside the output
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_out_results_match_the_json_output(runs: Runner, paths: dict[str, Path]) -> None:
    result = runs.result("out")
    assert result.code == 0, str(result)
    printed = result.json()
    written = json.loads((paths["out"] / "results.json").read_text(encoding="utf-8"))
    assert written == printed
    assert [row["id"] for row in written["scenarios"]] == example_ids()


def test_out_results_csv_has_one_row_per_scenario(runs: Runner, paths: dict[str, Path]) -> None:
    import csv

    assert runs.result("out").code == 0
    with (paths["out"] / "results.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == example_ids()
    assert {"id", "impact_score", "rank", *NL2023_CRITERIA} <= set(rows[0])
    printed = {row["id"]: row["rank"] for row in runs.result("out").json()["scenarios"]}
    assert {r["id"]: int(r["rank"]) for r in rows} == printed
