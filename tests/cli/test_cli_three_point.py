"""Three-point estimates and likelihood positions in workbooks, through the real CLI.

The national risk assessment records each score as an expected value with a lower and an
upper limit, and places a likelihood inside its class (National Risk Assessment 6,
ANV/RIVM 2014, Table 1). Good forms round-trip through YAML, JSON and XLSX without loss;
bad ones get a clear error at their line or sheet row.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from cli_support import assert_refused, run

from natrisk.io.workbook import load_workbook, write_workbook

HEAD = """\
format: natrisk/1
edition: {id: three-point, title: Three-point estimates, framework: nl-2019}
scenarios:
  - id: dike
    title: Dike breach
    theme: climate-and-natural-disasters
"""


def workbook(tmp_path: Path, body: str, name: str = "book.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


GOOD = """\
    likelihood: {expected: C, low: C, high: C-high, rationale: "dike failure probability"}
    impacts:
      "1.1": {expected: D, low: D, high: D}
      "2.2": {expected: C, low: B, high: E, sources: [National Risk Assessment 6, Table 1]}
      "5.1": D (C-E)
      "5.3": B-C
  - id: extremism
    title: Far-right extremism
    theme: polarisation-extremism-terrorism
    malicious: true
    likelihood: {expected: B-high, low: B, high: C}
    impacts:
      "5.2": E
      "1.2": {expected: D, low: B, high: E}
  - id: placed
    title: A likelihood placed in its class
    theme: cyber
    likelihood: B-high
    impacts: {"2.1": 5}
"""


def test_three_point_estimates_are_accepted_and_used(tmp_path: Path) -> None:
    path = workbook(tmp_path, GOOD)
    result = run("assess", path, "--json")
    assert result.code == 0, result
    rows = {r["id"]: r for r in result.json()["scenarios"]}
    dike = rows["dike"]
    assert dike["criteria"]["2.2"] == "C" and dike["criteria_range"]["2.2"] == "B-E"
    assert dike["criteria"]["5.1"] == "D" and dike["criteria_range"]["5.1"] == "C-E"
    assert dike["likelihood"] == "C" and rows["extremism"]["likelihood"] == "B"
    assert rows["extremism"]["likelihood_range"] == "B-C"
    assert dike["impact_reading"] and 0 < dike["impact_class_position"] <= 5


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".xlsx"])
def test_three_point_estimates_round_trip_losslessly(tmp_path: Path, suffix: str) -> None:
    source = workbook(tmp_path, GOOD)
    book = load_workbook(source)
    target = tmp_path / f"copy{suffix}"
    write_workbook(book, target)
    again = load_workbook(target)
    assert again == book
    converted = run("convert", source, tmp_path / f"cli{suffix}")
    assert converted.code == 0, converted
    assert load_workbook(tmp_path / f"cli{suffix}") == book


def test_the_yaml_writer_keeps_the_three_point_form(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    write_workbook(load_workbook(workbook(tmp_path, GOOD)), target)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    dike, extremism, placed = data["scenarios"]
    assert dike["impacts"]["1.1"] == {"expected": "D", "low": "D", "high": "D"}
    assert extremism["likelihood"] == {"expected": "B-high", "low": "B", "high": "C"}
    assert placed["likelihood"] == "B-high"
    assert dike["likelihood"]["high"] == "C-high"


def test_an_excel_cell_holds_the_estimate_in_one_text(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    write_workbook(load_workbook(workbook(tmp_path, GOOD)), target)
    wb = openpyxl.load_workbook(target)
    impacts = [row for row in wb["impacts"].iter_rows(values_only=True)]
    assert ("dike", "2.2", "C (B-E)") in {r[:3] for r in impacts}
    likelihoods = {r[0]: r[6] for r in wb["scenarios"].iter_rows(min_row=2, values_only=True)}
    assert likelihoods["extremism"] == "B-high (B-C)" and likelihoods["placed"] == "B-high"


# ---------------------------------------------------------------------------- bad input


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def test_an_expected_value_outside_its_limits_is_refused_at_its_line(tmp_path: Path) -> None:
    body = """\
    likelihood: C
    impacts:
      "2.2": {expected: E, low: B, high: C}
"""
    path = workbook(tmp_path, body)
    result = run("validate", path)
    line = _line_of(path, '"2.2"')
    assert_refused(result, f"line {line}", "scenario dike", "impacts.2.2", "outside its limits")


def test_an_expected_likelihood_outside_its_limits_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path, "    likelihood: {expected: A, low: B, high: D}\n")
    assert_refused(run("validate", path), "likelihood", "expected value A", "outside its limits")


def test_reversed_limits_are_refused_at_their_line(tmp_path: Path) -> None:
    body = """\
    likelihood: C
    impacts:
      "5.1": {expected: C, low: D, high: B}
"""
    path = workbook(tmp_path, body)
    line = _line_of(path, '"5.1"')
    assert_refused(run("validate", path), f"line {line}", "reversed", "write B-D")


def test_a_position_on_a_framework_without_positions_is_refused(tmp_path: Path) -> None:
    text = (HEAD + "    likelihood: B-high\n    impacts: {}\n").replace("nl-2019", "uk-nrr")
    text = text.replace("climate-and-natural-disasters", "natural-hazards")
    path = tmp_path / "uk.yaml"
    path.write_text(text, encoding="utf-8")
    line = _line_of(path, "likelihood: B-high")
    assert_refused(run("validate", path), f"line {line}", "places no likelihood inside its class")


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("{expected: C, low: B}", "'high' is missing"),
        ("{expected: C, high: E}", "'low' is missing"),
        ("{expected: 3, low: B, high: E}", "'expected' is a class letter"),
        ("{class: B-E, low: B, high: E}", "not both"),
        ("{expected: C-high, low: B, high: E}", "for likelihoods only"),
        ("{expected: C, low: B, high: E, quantity: 5}", "or a quantity"),
    ],
)
def test_malformed_estimates_are_refused_with_a_reason(
    tmp_path: Path, value: str, needle: str
) -> None:
    path = workbook(tmp_path, f'    likelihood: C\n    impacts:\n      "2.2": {value}\n')
    line = _line_of(path, '"2.2"')
    assert_refused(run("validate", path), f"line {line}", needle)


def test_a_position_on_a_class_range_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path, "    likelihood: {class: B-C, position: high}\n")
    assert_refused(run("validate", path), "a range such as B-C has none")


def test_an_excel_estimate_outside_its_limits_names_its_row(tmp_path: Path) -> None:
    source = workbook(tmp_path, GOOD)
    target = tmp_path / "bad.xlsx"
    write_workbook(load_workbook(source), target)
    wb = openpyxl.load_workbook(target)
    ws = wb["impacts"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "2.2")
    ws.cell(row, 3).value = "E (B-C)"
    wb.save(target)
    assert_refused(run("validate", target), f"row {row}", "outside its limits")


def test_json_workbooks_take_the_same_forms(tmp_path: Path) -> None:
    data = yaml.safe_load(HEAD + GOOD)
    path = tmp_path / "book.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert run("validate", path).code == 0
