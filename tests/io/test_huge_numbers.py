"""A whole number too long to read: a located problem, never a crash, in every reader.

Python refuses to turn more than 4,300 digits into an int and would raise a bare ValueError
from inside the YAML, JSON and XLSX readers. Workbooks and plans, as files (the command
line) and as uploads (the server), must instead name the place of the number and what to do.
The same over real HTTP: tests/api/test_api_huge_numbers.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from tests.io.long_number_inputs import (
    ADVICE,
    EXAMPLE,
    EXAMPLE_PLAN,
    HUGE,
    HUGE_LINE,
    huge_json,
    huge_plan_yaml,
    huge_workbook_yaml,
    plan_xlsx,
    workbook_xlsx,
)

from natrisk.errors import WorkbookError
from natrisk.io.long_numbers import MAX_DIGITS
from natrisk.io.plan import load_plan, load_plan_upload
from natrisk.io.workbook import load_upload, load_workbook
from natrisk.io.xlsx import write_xlsx


def refusal(read: Callable[[], object]) -> WorkbookError:
    with pytest.raises(WorkbookError) as caught:
        read()
    return caught.value


def assert_located(err: WorkbookError, where: str) -> None:
    assert len(err.problems) == 1, err
    [p] = err.problems
    assert re.search(where, p.where), p
    assert "5,000 digits" in p.message and f"at most {MAX_DIGITS}" in p.message, p
    assert ADVICE in p.message, p


def test_a_workbook_upload_names_the_line_or_cell_of_a_long_number(tmp_path: Path) -> None:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    err = refusal(lambda: load_upload(huge_workbook_yaml().encode(), "book.yaml"))
    assert_located(err, rf"^line {HUGE_LINE}$")
    assert err.problems[0].field == "scenarios.0.impacts.2.1.quantity.max"
    assert err.problems[0].file == "book.yaml"
    err = refusal(lambda: load_upload(huge_json(raw).encode(), "book.json"))
    assert_located(err, r"^line \d+, column \d+$")
    err = refusal(lambda: load_upload(workbook_xlsx(tmp_path), "book.xlsx"))
    assert_located(err, r"^sheet \w+, row \d+$")
    assert re.match(r"cell [A-Z]+\d+: ", err.problems[0].message), err.problems


def test_a_plan_upload_names_the_line_or_cell_of_a_long_number() -> None:
    raw = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))
    err = refusal(lambda: load_plan_upload(huge_plan_yaml().encode(), "plan.yaml"))
    assert_located(err, r"^line \d+$")
    assert err.problems[0].field.startswith("capabilities."), err.problems
    err = refusal(lambda: load_plan_upload(huge_json(raw).encode(), "plan.json"))
    assert_located(err, r"^line \d+, column \d+$")
    err = refusal(lambda: load_plan_upload(plan_xlsx(), "plan.xlsx"))
    assert_located(err, r"^sheet \w+, row \d+$")


def test_files_on_disk_are_read_with_the_same_guard(tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(huge_workbook_yaml(), encoding="utf-8")
    assert_located(refusal(lambda: load_workbook(book)), rf"^line {HUGE_LINE}$")
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(plan_xlsx())
    assert_located(refusal(lambda: load_plan(plan)), r"^sheet \w+, row \d+$")


def test_a_json_cell_of_an_xlsx_workbook_with_a_long_number_is_a_problem(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "example.xlsx"
    write_xlsx(load_workbook(EXAMPLE), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["impacts"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("axes") + 1, value='{"people": ' + HUGE + "}")
    wb.save(path)
    err = refusal(lambda: load_upload(path.read_bytes(), "book.xlsx"))
    [p] = [p for p in err.problems if "digits" in p.message]
    assert p.where == "sheet impacts, row 2" and p.field == "axes", p
    assert p.message.startswith("cell F2: a number of 5,000 digits"), p


def test_numbers_up_to_the_limit_are_read() -> None:
    text = huge_workbook_yaml().replace(HUGE, "1" + "0" * (MAX_DIGITS - 1))
    err = refusal(lambda: load_upload(text.encode(), "book.yaml"))
    assert all("digits" not in p.message for p in err.problems), err  # too big, but read


@pytest.mark.parametrize("kind", ["workbook", "plan"])
def test_the_command_line_refuses_a_long_number_with_its_place(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_text(huge_workbook_yaml() if kind == "workbook" else huge_plan_yaml())
    command = ["validate", path]
    if kind == "plan":
        command = ["plan", "validate", path, "--edition", EXAMPLE]
    result = subprocess.run(
        [sys.executable, "-m", "natrisk", *map(str, command)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200", "HOME": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert "5,000 digits" in output and re.search(r"line \d+", output), output
