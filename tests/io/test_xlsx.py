"""XLSX workbooks: lossless round trips and located refusals of bad files."""

from __future__ import annotations

import os
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from natrisk.domain.edition import Workbook
from natrisk.errors import WorkbookError
from natrisk.io.workbook import load_workbook, write_workbook
from natrisk.io.xlsx import read_xlsx

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nl-2026.yaml"


def every_form() -> Workbook:
    """A small workbook holding every value form the schema accepts."""
    return Workbook.model_validate(
        {
            "format": "natrisk/1",
            "edition": {
                "id": "test-1",
                "title": "Every form",
                "framework": "nl-2019",
                "description": "All the shapes a value can take.",
                "owner": "=NCTV",
                "year": 2026,
                "ratio": 0.1 + 0.2,
                "tags": ["a", "b"],
                "draft": True,
                "published": date(2026, 1, 2),
                "Format": "A4",
                "blank": "",
                "json:odd": "a key with a colon",
            },
            "review": {"by": "board", "round": 2},
            "scenarios": [
                {
                    "id": "s1",
                    "title": '=HYPERLINK("http://example.org")',
                    "theme": "t",
                    "malicious": True,
                    "description": "two\nlines\r\nwith \x01 control and a literal _x0041_",
                    "assumptions": "  spaced  ",
                    "likelihood": {"class": "B", "rationale": "=SUM(A1)", "sources": ["a", "b"]},
                    "impacts": {
                        "1.1": "C",
                        "1.2": "B-C",
                        "1.3": {"class": "X", "rationale": "=SUM(A1)", "sources": ["#N/A"]},
                        "1.10": 350,
                        "2.1": {"min": 100, "max": 900, "rationale": "range"},
                        "2.2": {"quantity": {"min": 7, "max": 7}},
                        "2.3": {"quantity": {"people": {"min": 1e6, "max": 2e6}, "days": 5}},
                        "3.1": 0.1 + 0.2,
                        "3.2": {"min": 1 / 3, "max": 5e10},
                    },
                    "owner": "NCTV",
                    "tags": [1, 2.5, None],
                },
                {"id": "s2", "title": "b", "theme": "t", "likelihood": "B-C"},
                {"id": "s3", "title": "c", "theme": "t", "likelihood": 0.02},
                {
                    "id": "s4",
                    "title": "d",
                    "theme": "t",
                    "likelihood": {"probability": {"min": 0.01, "max": 0.04}, "rationale": "r"},
                },
                {"id": "s5", "title": "e", "theme": "t", "likelihood": 0.1 + 0.2},
            ],
        }
    )


def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.xlsx"
    write_workbook(every_form(), path)
    return path


def edit(path: Path, sheet: str, cells: dict[str, object]) -> None:
    """Change cells of a written workbook, as an analyst in Excel would."""
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        wb[sheet][ref] = value
    wb.save(path)


def column(path: Path, sheet: str, name: str) -> str:
    ws = openpyxl.load_workbook(path)[sheet]
    header = [c.value for c in ws[1]]
    return openpyxl.utils.get_column_letter(header.index(name) + 1)


def refusal(path: Path) -> WorkbookError:
    with pytest.raises(WorkbookError) as info:
        load_workbook(path)
    return info.value


def test_example_round_trip(tmp_path: Path) -> None:
    book = load_workbook(EXAMPLE)
    path = tmp_path / "nl-2026.xlsx"
    write_workbook(book, path)
    assert load_workbook(path) == book


def test_every_form_round_trip(tmp_path: Path) -> None:
    book = every_form()
    again = load_workbook(sample(tmp_path))
    assert again == book
    assert again.scenarios[0].likelihood.rationale == "=SUM(A1)"
    assert again.scenarios[0].impacts["3.1"].quantity.min == 0.1 + 0.2
    assert again.edition.model_extra["published"] == date(2026, 1, 2)
    assert again.model_extra == {"review": {"by": "board", "round": 2}}


def test_text_starting_with_equals_is_stored_as_text(tmp_path: Path) -> None:
    path = sample(tmp_path)
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type in ("f", "e")]
    rationale = wb["scenarios"][f"{column(path, 'scenarios', 'likelihood_rationale')}2"]
    assert (rationale.value, rationale.data_type) == ("=SUM(A1)", "s")


def test_layout(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(sample(tmp_path))
    assert wb.sheetnames == ["edition", "scenarios", "impacts", "README"]
    for name in ("edition", "scenarios", "impacts"):
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert all(c.font.b for c in ws[1])
    impacts = wb["impacts"]
    header = ["scenario", "criterion", "class", "min", "max", "axes", "rationale", "sources"]
    header.append("classification")
    assert [c.value for c in impacts[1]] == header
    assert impacts.max_row == 1 + 9


def test_analyst_input_forms(tmp_path: Path) -> None:
    path = sample(tmp_path)
    malicious = column(path, "scenarios", "malicious")
    edit(path, "scenarios", {f"{malicious}2": "nee", f"{malicious}3": "JA"})
    edit(path, "impacts", {"C3": None, "D3": "1.5e3"})
    book = load_workbook(path)
    assert [s.malicious for s in book.scenarios[:2]] == [False, True]
    assert book.scenarios[0].impacts["1.2"].quantity.max == 1500.0


def test_schema_errors_point_at_sheet_and_row(tmp_path: Path) -> None:
    path = sample(tmp_path)
    edit(path, "impacts", {"D6": 900, "E6": 100})  # 2.1 of s1 on row 6: reversed range
    edit(path, "scenarios", {f"{column(path, 'scenarios', 'likelihood')}4": 3})
    wheres = {(p.where, p.message.split(":")[0]) for p in refusal(path).problems}
    assert any(w.startswith("sheet impacts, row 6") for w, _ in wheres)
    assert any(w.startswith("sheet scenarios, row 4") for w, _ in wheres)


def test_formula_cell_is_refused(tmp_path: Path) -> None:
    path = sample(tmp_path)
    edit(path, "impacts", {"D7": "=100*2", "D8": "=SUM(D2:D3)"})
    problems = refusal(path).problems
    assert [(p.where, p.message) for p in problems] == [
        ("sheet impacts, row 7", "formula in cell D7; paste the value instead"),
        ("sheet impacts, row 8", "formula in cell D8; paste the value instead"),
    ]
    assert all(p.file == str(path) for p in problems)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    path = sample(tmp_path)
    edit(path, "impacts", {"A7": "=B1", "D4": "lots", "F8": "{people: 1}"})
    edit(path, "edition", {"B3": "=A1"})
    wheres = sorted(p.where for p in refusal(path).problems)
    assert wheres == [
        "sheet edition, row 3",
        "sheet impacts, row 4",
        "sheet impacts, row 7",
        "sheet impacts, row 8",
    ]


def test_macro_workbooks_are_refused(tmp_path: Path) -> None:
    xlsm = tmp_path / "book.xlsm"
    sample(tmp_path).rename(xlsm)
    assert "macro" in refusal(xlsm).problems[0].message
    hidden = tmp_path / "hidden.xlsx"
    with zipfile.ZipFile(sample(tmp_path)) as src, zipfile.ZipFile(hidden, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00macro")
    error = refusal(hidden)
    assert [(p.file, p.where) for p in error.problems] == [(str(hidden), "")]
    assert "macro" in error.problems[0].message


def test_random_binary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.xlsx"
    path.write_bytes(os.urandom(4096))
    error = refusal(path)
    assert isinstance(error.__cause__, Exception)
    assert "not a valid .xlsx" in error.problems[0].message


def test_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "not a valid .xlsx" in refusal(path).problems[0].message


def test_missing_sheet_is_refused(tmp_path: Path) -> None:
    path = sample(tmp_path)
    wb = openpyxl.load_workbook(path)
    del wb["scenarios"]
    wb.save(path)
    [problem] = refusal(path).problems
    assert problem.where == "sheet scenarios"
    assert "missing" in problem.message


def test_missing_column_is_refused(tmp_path: Path) -> None:
    path = sample(tmp_path)
    edit(path, "scenarios", {f"{column(path, 'scenarios', 'theme')}1": None})
    [problem] = refusal(path).problems
    assert problem.where == "sheet scenarios, row 1"
    assert "theme" in problem.message


def test_non_numeric_min_is_refused(tmp_path: Path) -> None:
    path = sample(tmp_path)
    edit(path, "impacts", {"D5": "about 300"})
    [problem] = refusal(path).problems
    assert (problem.where, problem.field) == ("sheet impacts, row 5", "min")
    assert "'about 300' in cell D5 is not a number" in problem.message


def test_bad_json_in_axes_is_refused(tmp_path: Path) -> None:
    path = sample(tmp_path)
    edit(path, "impacts", {"F8": '{"people": 1e6, "days": }'})
    [problem] = refusal(path).problems
    assert (problem.where, problem.field) == ("sheet impacts, row 8", "axes")
    assert problem.message.startswith("malformed JSON in cell F8")


def test_unknown_scenario_and_empty_rows(tmp_path: Path) -> None:
    path = sample(tmp_path)
    edit(path, "impacts", {"A20": "nobody", "B20": "1.1", "C20": "C"})
    [problem] = refusal(path).problems
    assert problem.where == "sheet impacts, row 20"
    assert "'nobody' is not on the scenarios sheet" in problem.message


def test_read_xlsx_locator(tmp_path: Path) -> None:
    raw, where = read_xlsx(sample(tmp_path).read_bytes(), "sample.xlsx")
    assert raw["scenarios"][3]["likelihood"]["probability"] == {"min": 0.01, "max": 0.04}
    assert where[("scenarios", 3)] == "sheet scenarios, row 5"
    assert where[("scenarios", 3, "likelihood")] == "sheet scenarios, row 5"
    assert where[("scenarios", 0, "impacts", "2.1")] == "sheet impacts, row 6"
    assert where[("edition", "title")] == "sheet edition, row 4"


def test_a_stray_cell_far_away_is_reported_not_expanded(tmp_path: Path) -> None:
    """One value at ZZ200000 must not make the reader build every cell of the used range."""
    path = tmp_path / "edition.xlsx"
    write_workbook(load_workbook(EXAMPLE), path)
    wb = openpyxl.load_workbook(path)
    wb["scenarios"]["ZZ200000"] = "stray"
    wb.save(path)
    with pytest.raises(WorkbookError) as info:  # it ran for minutes before
        load_workbook(path)
    (problem,) = info.value.problems
    assert problem.where == "sheet scenarios, row 200000"
    assert "ZZ200000 has no column header" in problem.message
