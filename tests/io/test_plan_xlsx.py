"""Plans as Excel workbooks: lossless round trips, refusals located by sheet and row, the API.

Choices the tests pin down: sheets of other names are ignored (the README, the analyst's
own notes), but a name that is nearly one of ours (``Milestone``) is reported as a
misspelling; a column or Plan key natrisk does not know is refused, so nothing typed is
silently dropped; an empty cell is an absent field.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import yaml
from openpyxl.worksheet.worksheet import Worksheet

from natrisk.domain.plan import DIMENSIONS, EditionFacts, Plan
from natrisk.errors import Problem, WorkbookError
from natrisk.io.plan import dump_plan, load_plan, parse_plan, write_plan
from natrisk.io.plan_xlsx import SHEETS, read_plan_xlsx, write_plan_xlsx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PLAN = ROOT / "examples" / "nl-plan-2026.yaml"
EXAMPLE_EDITION = ROOT / "examples" / "nl-2026.yaml"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FACTS = EditionFacts(
    scenarios={"flood", "pandemic", "blackout"},
    criteria={"2.1", "3.1"},
    impact_classes=["X", "A", "B", "C", "D", "E"],
    likelihood_classes=["A", "B", "C", "D", "E"],
)

# A plan that uses every part and every value form; each bad-input test changes one cell.
RAW: dict[str, Any] = {
    "format": "natrisk-plan/1",
    "plan": {
        "id": "test-plan",
        "title": {"en": "Test plan", "nl": "Testplan"},
        "edition": "test-edition",
        "priority": "top:3",
        "method": "weighted-sum",
        "profile": "equal",
        "classification": "Openbaar",
        "description": "Two lines:\nthe second; with a semicolon.",
    },
    "security_issues": [
        {
            "id": "si-water",
            "title": "Water",
            "lead": "IenW",
            "categories": ["Overstroming", "Extreem weer; droogte"],
            "scenarios": ["flood", "blackout"],
        },
        {"id": "si-health", "title": {"en": "Health", "nl": "Gezondheid"}, "lead": "VWS"},
    ],
    "tasks": [
        {
            "id": "t-water",
            "title": "Drinking water",
            "scenarios": {"flood": 3, "blackout": {"people": 2, "material": 4}},
            "rationale": "=SUM(A1) is text, not a formula",
        },
        {"id": "t-care", "title": {"en": "Care", "nl": "Zorg"}, "scenarios": {"pandemic": 4}},
        {"id": "t-idle", "title": "A task no scenario needs yet"},
    ],
    "capabilities": [
        {
            "id": "c1",
            "title": "Emergency water",
            "owner": "regional",
            "holder": "Vewin",
            "phase": "response",
            "tasks": ["t-water"],
            "current": {"people": 3, "material": 2},
        },
        {
            "id": "c2",
            "title": {"en": "Hospital surge", "nl": "Opschaling ziekenhuizen"},
            "owner": "national",
            "holder": "VWS",
            "phase": "preparation",
            "tasks": ["t-care", "t-water"],
            "current": 2,
            "rationale": "  spaced  ",
        },
    ],
    "weighings": [
        {
            "issue": "si-water",
            "integrated": {"answer": True, "rationale": "One lead, one plan."},
            "sufficient": {"answer": False, "rationale": "Stocks too small."},
            "advice": {
                "invest": "Stocks",
                "not_invest": "Campaigns",
                "phases": ["preparation", "response"],
                "by": ["IenW", "Ministerie van X; Y"],
                "instruments": ["practical", "policy"],
                "proportionality": "p",
                "acceptability": "a",
                "other_interests": "o",
            },
            "author": "analyst",
            "date": "2025-06-15",
        },
        {
            "issue": "si-health",
            "integrated": {"answer": True, "rationale": "yes"},
            "sufficient": {"answer": True, "rationale": "yes"},
        },
    ],
    "strategies": [
        {
            "id": "s-old",
            "title": "Old strategy",
            "start": "2019-01-01",
            "end": "2022-12-31",
            "lines": [{"id": "old-1", "title": "Old line"}],
        },
        {
            "id": "s-new",
            "title": {"en": "New strategy", "nl": "Nieuwe strategie"},
            "start": "2023-04-01",
            "end": "2029-12-31",
            "baseline": "old-edition",
            "replaces": "s-old",
            "objectives": [{"id": "o1", "title": {"en": "Resilience", "nl": "Weerbaarheid"}}],
            "lines": [
                {
                    "id": "al-1",
                    "number": 1,
                    "title": "Water line",
                    "objective": "o1",
                    "lead": "IenW",
                    "issues": ["si-water"],
                },
                {"id": "al-2", "number": 2, "title": "Health line", "issues": ["si-health"]},
            ],
            "links": [
                {"from": "al-1", "to": "al-2", "sign": "+", "note": "shared stocks"},
                {"from": "al-2", "to": "al-1", "sign": "-"},
            ],
            "crosswalk": [{"from": "old-1", "to": "al-1"}],
        },
    ],
    "measures": [
        {
            "id": "m-1",
            "title": "Buy water stocks",
            "line": "al-1",
            "owner": "ienw",
            "phase": "preparation",
            "budget": "2025",
            "status": "running",
            "classification": "Openbaar",
            "milestones": [
                {"title": "Tender", "due": "2024-06-30", "done": "2024-05-20"},
                {"title": "Delivery", "due": "2026-06-30"},
            ],
            "indicators": [
                {
                    "id": "i1",
                    "title": "Stock coverage",
                    "unit": "%",
                    "target": 90,
                    "values": [
                        {"date": "2024-12-31", "value": 40},
                        {"date": "2025-06-30", "value": 0.1 + 0.2},
                    ],
                },
                {"id": "i2", "title": "Cost", "target": 1 / 3, "direction": "down"},
            ],
            "targets": [
                {
                    "scenario": "flood",
                    "likelihood": "A",
                    "criteria": {"2.1": "B", "3.1": "C"},
                    "rationale": "fewer deaths",
                },
                {"scenario": "blackout", "criteria": {"2.1": "A"}},
            ],
            "progress": [
                {"date": "2025-03-01", "status": "running", "note": "tender done", "author": "a"}
            ],
        },
        {"id": "m-2", "title": "Plain", "line": "al-2", "owner": "vws", "phase": "prevention"},
    ],
    "reports": [
        {
            "id": "r-1",
            "scope": {"line": "al-1"},
            "date": "2025-09-01",
            "summary": "On track.",
            "threat": "t",
            "resilience": "r",
            "approach": "a",
            "verdict": "suffices",
            "author": "analyst",
        },
        {"id": "r-2", "scope": {"issue": "si-health"}, "date": "2025-09-02", "verdict": "adjust"},
    ],
    "calendar": [
        {
            "kind": "horizon-scan",
            "title": "Horizon scan",
            "due": "2025-11-30",
            "done": "2025-11-20",
        },
        {"kind": "custom", "title": "Board", "due": "2026-01-15"},
    ],
}


def base_plan() -> Plan:
    return parse_plan(copy.deepcopy(RAW), {}, "base", FACTS)


def example() -> Plan:
    return load_plan(EXAMPLE_PLAN)


def written(tmp_path: Path, plan: Plan | None = None, name: str = "plan.xlsx") -> Path:
    path = tmp_path / name
    write_plan_xlsx(plan or base_plan(), path)
    return path


def edit(path: Path, change: Callable[[openpyxl.Workbook], None]) -> Path:
    """Change the workbook as an analyst would in Excel, and save it."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def row_of(ws: Worksheet, **match: Any) -> int:
    """The one row whose cells in the named columns hold these values."""
    header = [c.value for c in ws[1]]
    hits = [
        r
        for r in range(2, ws.max_row + 1)
        if all(ws.cell(r, header.index(k) + 1).value == v for k, v in match.items())
    ]
    assert len(hits) == 1, (ws.title, match, hits)
    return hits[0]


def set_cell(sheet: str, column: str, new: Any, /, **match: Any) -> Callable[[Any], None]:
    """A change: the cell of COLUMN in the row matching MATCH gets NEW (None empties it)."""

    def change(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        ws.cell(row_of(ws, **match), header.index(column) + 1).value = new

    return change


def refused(path: Path, facts: EditionFacts | None = None) -> list[Problem]:
    """Load a bad plan: one WorkbookError, every problem naming the file; the file untouched."""
    before = path.read_bytes()
    with pytest.raises(WorkbookError) as info:
        load_plan(path, facts)
    assert path.read_bytes() == before
    problems = info.value.problems
    assert problems, str(info.value)
    for p in problems:
        assert p.file == str(path) and p.message
        assert str(p) in str(info.value)
    return problems


def one(problems: list[Problem], **expect: str) -> Problem:
    hits = [p for p in problems if all(v in getattr(p, k) for k, v in expect.items())]
    assert len(hits) == 1, f"{expect} in {[str(p) for p in problems]}"
    return hits[0]


# ------------------------------------------------------------------------- round trips


def test_the_bundled_example_round_trips(tmp_path: Path) -> None:
    plan = example()
    path = written(tmp_path, plan)
    raw, where = read_plan_xlsx(path.read_bytes(), str(path))
    assert parse_plan(raw, where, str(path)) == plan
    assert load_plan(path) == plan
    assert dump_plan(load_plan(path)) == dump_plan(plan)  # the canonical form too


def test_every_form_round_trips(tmp_path: Path) -> None:
    plan = base_plan()
    again = load_plan(written(tmp_path, plan), FACTS)
    assert again == plan
    # the spots most likely to go wrong, one by one
    assert again.plan.title.nl == "Testplan" and again.plan.priority == "top:3"
    assert again.plan.description == "Two lines:\nthe second; with a semicolon."
    assert again.security_issues[0].categories == ["Overstroming", "Extreem weer; droogte"]
    assert again.tasks[0].rationale == "=SUM(A1) is text, not a formula"
    assert again.tasks[0].scenarios["blackout"]["knowledge"] == 0
    assert again.capabilities[1].rationale == "  spaced  "
    assert again.weighings[0].advice.by == ["IenW", "Ministerie van X; Y"]
    assert again.weighings[0].date == dt.date(2025, 6, 15)
    assert again.measures[0].budget == "2025"
    assert again.measures[0].indicators[0].values[1].value == 0.1 + 0.2
    assert again.measures[0].indicators[1].target == 1 / 3
    assert again.measures[0].milestones[1].done is None
    assert [lk.sign for lk in again.strategies[1].links] == ["+", "-"]
    assert again.reports[1].scope.issue == "si-health"


TRICKY = [
    "\t a tab first",
    " spaces around ",
    "_x0041_ is Excel's escape",
    "a control \x01 character",
    "a wave 🌊",
    "'quoted",
    "=1+1",
    "+",
    "@x",
    "#N/A",
    "line\r\nbreak",
    "TRUE",
    "1e5",
    "0012",
    "2025-06-30",
]


@pytest.mark.parametrize("text", TRICKY)
def test_awkward_text_round_trips(tmp_path: Path, text: str) -> None:
    raw = copy.deepcopy(RAW)
    raw["plan"]["description"] = text  # the Plan sheet's value column
    raw["tasks"][0]["rationale"] = text
    raw["tasks"][1]["title"] = {"en": text, "nl": text + "!"}
    raw["measures"][0]["progress"][0]["note"] = text
    if "\n" not in text:  # a list item holds no line break (items are one per line or ';')
        raw["security_issues"][0]["categories"] = [text.strip(), "next"]
    plan = parse_plan(raw, {}, "tricky", FACTS)
    assert load_plan(written(tmp_path, plan), FACTS) == plan


def test_text_longer_than_an_excel_cell_is_refused_not_cut(tmp_path: Path) -> None:
    from natrisk.errors import OutputError

    raw = copy.deepcopy(RAW)
    raw["tasks"][1]["rationale"] = "x" * 32768
    plan = parse_plan(raw, {}, "long", FACTS)
    path = tmp_path / "plan.xlsx"
    with pytest.raises(OutputError) as info:
        write_plan_xlsx(plan, path)
    assert "sheet Tasks, row 3, column rationale holds 32,768 characters" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left
    raw["tasks"][1]["rationale"] = "x" * 32767
    plan = parse_plan(raw, {}, "long", FACTS)
    assert load_plan(written(tmp_path, plan), FACTS) == plan


def test_a_plan_of_only_its_header_round_trips(tmp_path: Path) -> None:
    plan = parse_plan(
        {"plan": {"id": "p", "title": "Only a header", "edition": "e"}}, {}, "header only"
    )
    assert load_plan(written(tmp_path, plan)) == plan


def test_a_custom_level_scale_round_trips(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    raw["plan"]["levels"] = [
        {"id": "low", "name": "low"},
        {"id": "mid", "name": {"en": "middle", "nl": "midden"}},
        {"id": "high", "name": "high"},
        {"id": "top", "name": "top"},
        {"id": "max", "name": "max"},
    ]
    plan = parse_plan(raw, {}, "levels")
    assert load_plan(written(tmp_path, plan)).plan.levels == plan.plan.levels


def test_write_plan_and_load_plan_choose_xlsx_by_extension(tmp_path: Path) -> None:
    plan = base_plan()
    path = tmp_path / "plan.xlsx"
    write_plan(plan, path)
    assert zipfile.is_zipfile(path)
    assert load_plan(path, FACTS) == plan
    write_plan(plan, path)  # replaces the file, leaves no temporary file behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]
    assert load_plan(path.rename(tmp_path / "PLAN.XLSX")) == plan


def test_layout(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(written(tmp_path))
    assert wb.sheetnames == [*SHEETS, "README"]
    for name, columns in SHEETS.items():
        assert tuple(c.value for c in wb[name][1]) == columns, name
        assert wb[name].freeze_panes == "A2"
    plan = wb["Plan"]
    assert [plan.cell(r, 1).value for r in range(2, 6)] == ["format", "id", "title_en", "title_nl"]
    milestones = wb["Milestones"]
    assert milestones["C2"].value == dt.datetime(2024, 6, 30)  # a date cell, not text
    assert milestones["C2"].number_format == "yyyy-mm-dd"
    assert milestones["D3"].value is None  # absent: empty
    demand = wb["Demand"]
    assert [demand.cell(2, c).value for c in range(1, 8)] == ["t-water", "flood", 3, 3, 3, 3, 3]
    assert wb["Indicators"]["E2"].value == 90 and wb["Readings"]["D2"].value == 40
    assert wb["Targets"]["D2"].value == "2.1=B; 3.1=C"
    assert wb["Issues"]["E2"].value == "Overstroming\nExtreem weer; droogte"  # item with a ';'
    assert wb["Issues"]["F2"].value == "flood; blackout"
    assert wb["Weighings"]["B2"].value == "yes" and wb["Weighings"]["D2"].value == "no"
    assert wb["Tasks"]["D2"].data_type == "s"  # "=SUM(A1) ..." stays text
    assert [wb["Levels"].cell(r, 1).value for r in range(2, 7)] == ["0", "1", "2", "3", "4"]


def test_what_an_analyst_types_in_excel(tmp_path: Path) -> None:
    """ISO text for dates, ja/nee, TRUE cells, numbers as text, list separators, one title."""

    def change(wb: openpyxl.Workbook) -> None:
        set_cell("Milestones", "due", "2024-06-30", measure="m-1", title="Tender")(wb)
        set_cell("Weighings", "integrated", "Ja", issue="si-water")(wb)
        set_cell("Weighings", "sufficient", False, issue="si-water")(wb)
        set_cell("Weighings", "integrated", True, issue="si-health")(wb)
        set_cell("Issues", "scenarios", " flood ;blackout; ", id="si-water")(wb)
        set_cell("Capabilities", "tasks", "t-care\nt-water", id="c2")(wb)
        set_cell("Demand", "people", "3", task="t-care")(wb)
        set_cell("Demand", "knowledge", None, task="t-care")(wb)
        set_cell("Tasks", "title_nl", None, id="t-care")(wb)
        set_cell("Tasks", "title_en", None, id="t-water")(wb)
        set_cell("Lines", "number", 2.0, id="al-2")(wb)
        set_cell("Readings", "date", dt.datetime(2024, 12, 31), indicator="i1", value=40)(wb)

    plan = load_plan(edit(written(tmp_path), change), FACTS)
    assert plan.measures[0].milestones[0].due == dt.date(2024, 6, 30)
    assert plan.weighings[0].integrated.answer is True
    assert plan.weighings[0].sufficient.answer is False
    assert plan.weighings[1].integrated.answer is True
    assert plan.security_issues[0].scenarios == ["flood", "blackout"]
    assert plan.capabilities[1].tasks == ["t-care", "t-water"]
    assert plan.tasks[1].scenarios["pandemic"] == {
        **dict.fromkeys(DIMENSIONS, 4),
        "people": 3,
        "knowledge": 0,
    }
    assert plan.tasks[1].title.en == plan.tasks[1].title.nl == "Care"  # one title for both
    assert plan.tasks[0].title.en == "Drinking water"
    assert plan.strategies[1].lines[1].number == 2
    assert plan.measures[0].indicators[0].values[0].date == dt.date(2024, 12, 31)


def test_rows_may_come_in_any_order_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["Milestones"]
        ws.insert_rows(2, 3)  # blank rows at the top
        ws.move_range("A6:D6", rows=4)  # the second milestone further down, past a blank row

    plan = load_plan(edit(written(tmp_path), change), FACTS)
    assert [m.title for m in plan.measures[0].milestones] == ["Tender", "Delivery"]


def test_other_sheets_are_ignored(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("Notes")["A1"] = "my own notes, =SUM(B2)"
        wb.create_sheet("Pivot of measures")["B7"] = 3
        del wb["README"]

    assert load_plan(edit(written(tmp_path), change), FACTS) == base_plan()


# ----------------------------------------------------------- refusals, by sheet and row


def test_capability_without_owner(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Capabilities", "owner", None, id="c1"))
    (p,) = refused(path)
    assert (p.where, p.field, p.message) == (
        "sheet Capabilities, row 2, capability c1",
        "owner",
        "required field is missing",
    )


def test_measure_with_a_missing_line(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Measures", "line", "al-9", id="m-2"))
    (p,) = refused(path)
    assert p.where == "sheet Measures, row 3, measure m-2" and p.field == "line"
    assert "no action line 'al-9'" in p.message


def test_measure_with_an_empty_line_cell(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Measures", "line", None, id="m-2"))
    (p,) = refused(path)
    assert p.where == "sheet Measures, row 3, measure m-2" and p.field == "line"
    assert p.message == "required field is missing"


def test_required_level_outside_the_scale(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Demand", "material", 7, task="t-care"))
    (p,) = refused(path)
    assert p.where == "sheet Demand, row 4, task t-care" and p.field == "scenarios.pandemic"
    assert "material=7" in p.message and "outside the scale 0..4" in p.message


def test_current_level_outside_a_shorter_scale(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["Levels"]
        ws.delete_rows(5, 2)  # levels 0, 1, 2 remain
        set_cell("Demand", "material", 2, task="t-water", scenario="blackout")(wb)
        set_cell("Demand", "people", 2, task="t-water", scenario="flood")(wb)
        for column in ("material", "knowledge", "skills", "procedures"):
            set_cell("Demand", column, 2, task="t-water", scenario="flood")(wb)
            set_cell("Demand", column, 2, task="t-care")(wb)
        set_cell("Demand", "people", 2, task="t-care")(wb)

    problems = refused(edit(written(tmp_path), change))
    p = one(problems, field="current")
    assert p.where == "sheet Capabilities, row 2, capability c1"
    assert "people=3" in p.message and "outside the scale 0..2" in p.message
    assert len(problems) == 1


def test_a_level_cell_holding_a_word(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Capabilities", "skills", "high", id="c1"))
    (p,) = refused(path)
    assert p.where == "sheet Capabilities, row 2, capability c1"
    assert p.field == "current.skills" and "integer" in p.message


def test_a_level_cell_holding_true(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Demand", "people", True, task="t-care"))
    (p,) = refused(path)
    assert (p.where, p.field) == ("sheet Demand, row 4", "people")
    assert p.message == "'TRUE' in cell C4 is not a number"


@pytest.mark.parametrize("text", ["30-06-2025", "2025-13-01", "soon"])
def test_bad_date_text(tmp_path: Path, text: str) -> None:
    path = edit(written(tmp_path), set_cell("Milestones", "due", text, title="Delivery"))
    (p,) = refused(path)
    assert p.where == "sheet Milestones, row 3, measure m-1"
    assert p.field == "milestones.1.due" and "date" in p.message


def test_a_number_in_a_date_cell(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        set_cell("Strategies", "start", 45000, id="s-new")(wb)
        wb["Strategies"]["D3"].number_format = "General"  # a date cell shows 45000 as a date

    path = edit(written(tmp_path), change)
    (p,) = refused(path)
    assert (p.where, p.field) == ("sheet Strategies, row 3", "start")
    assert p.message == "'45000' in cell D3 is not a date; write e.g. 2025-06-30"


def test_a_date_with_a_time_of_day(tmp_path: Path) -> None:
    stamp = dt.datetime(2024, 6, 30, 14, 30)
    path = edit(written(tmp_path), set_cell("Milestones", "due", stamp, title="Tender"))
    p = one(refused(path), field="milestones.0.due")
    assert p.where == "sheet Milestones, row 2, measure m-1"


def test_milestone_before_its_strategy_began(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Milestones", "due", "2022-01-01", title="Delivery"))
    (p,) = refused(path)
    assert p.where == "sheet Milestones, row 3, measure m-1" and p.field == "milestones.1.due"
    assert "before strategy 's-new' began" in p.message


def test_weighing_answer_that_is_not_yes_or_no(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Weighings", "sufficient", "perhaps", issue="si-water"))
    (p,) = refused(path)
    assert (p.where, p.field) == ("sheet Weighings, row 2, weighing si-water", "sufficient.answer")


def test_weighing_answer_without_its_reasons(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Weighings", "integrated_why", None, issue="si-water"))
    (p,) = refused(path)
    assert p.field == "integrated.rationale" and p.message == "required field is missing"
    assert p.where == "sheet Weighings, row 2, weighing si-water"


def test_target_criteria_written_wrongly(tmp_path: Path) -> None:
    path = edit(
        written(tmp_path), set_cell("Targets", "criteria", "2.1:B; 3.1=C", scenario="flood")
    )
    (p,) = refused(path)
    assert (p.where, p.field) == ("sheet Targets, row 2", "criteria")
    assert "'2.1:B' in cell D2" in p.message and "2.1=B; 3.1=C" in p.message


def test_target_criterion_unknown_to_the_edition(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Targets", "criteria", "9.9=B", scenario="blackout"))
    (p,) = refused(path, FACTS)
    assert p.where == "sheet Targets, row 3, measure m-1"
    assert p.field == "targets.1.criteria.9.9" and "unknown criterion '9.9'" in p.message


def test_a_report_of_both_a_line_and_an_issue(tmp_path: Path) -> None:
    path = edit(written(tmp_path), set_cell("Reports", "issue", "si-water", id="r-1"))
    (p,) = refused(path)
    assert p.where == "sheet Reports, row 2, report r-1" and "exactly one of" in p.message


def test_rows_naming_what_is_not_there(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["Milestones"].append(["m-9", "Lost", dt.date(2025, 1, 1)])
        wb["Readings"].append(["m-1", "i9", dt.date(2025, 1, 1), 3])
        wb["Lines"].append([None, "al-3", 3, "No strategy"])
        wb["Demand"].append(["t-none", "flood", 1])
        wb["Demand"].append(["t-care", "pandemic", 1])  # given twice

    problems = refused(edit(written(tmp_path), change))
    assert [(p.where, p.field) for p in problems] == [
        ("sheet Demand, row 5", "task"),
        ("sheet Demand, row 6", "scenario"),
        ("sheet Lines, row 5", "strategy"),
        ("sheet Milestones, row 4", "measure"),
        ("sheet Readings, row 4", "indicator"),
    ]
    messages = [p.message for p in problems]
    assert "task 't-none' is not on the Tasks sheet" in messages[0]
    assert "also on row 4" in messages[1]
    assert "fill the strategy column" in messages[2]
    assert messages[3] == "measure 'm-9' is not on the Measures sheet"
    assert messages[4] == "indicator 'i9' of measure 'm-1' is not on the Indicators sheet"


def test_unknown_columns_and_keys_are_refused_not_dropped(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["Measures"]["I1"] = "Remarks"
        wb["Measures"]["I2"] = "do not lose me"
        wb["Plan"].append(["titel", "Testplan"])
        wb["Plan"].append(["edition", "again"])
        wb["Tasks"]["F3"] = "stray"

    problems = refused(edit(written(tmp_path), change))
    assert [(p.where, p.field) for p in problems] == [
        ("sheet Plan, row 12", "key"),
        ("sheet Plan, row 13", "key"),
        ("sheet Tasks, row 3", ""),
        ("sheet Measures, row 1", "remarks"),
        ("sheet Measures, row 2", ""),
    ]
    assert problems[0].message.startswith("unknown key 'titel'; the keys are format, id")
    assert problems[1].message == "key 'edition' is also on row 6"
    assert problems[2].message == "cell F3 has no column header"
    assert "unknown column 'remarks'" in problems[3].message


def test_a_missing_linking_column(tmp_path: Path) -> None:
    path = edit(written(tmp_path), lambda wb: wb["Milestones"].delete_cols(1))
    (p,) = refused(path)
    assert p.where == "sheet Milestones, row 1"
    assert "missing column(s) measure" in p.message


def test_formula_cells_are_refused(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["Indicators"]["E2"] = "=80+10"
        wb["Plan"]["B3"] = '=CONCAT("test-", "plan")'

    problems = refused(edit(written(tmp_path), change))
    assert [(p.where, p.message) for p in problems] == [
        ("sheet Plan, row 3", "formula in cell B3; paste the value instead"),
        ("sheet Indicators, row 2", "formula in cell E2; paste the value instead"),
    ]


def test_a_misspelt_sheet_is_reported(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["Milestones"].title = "Milestone"

    (p,) = refused(edit(written(tmp_path), change))
    assert p.where == "sheet Milestone"
    assert "not read; rename it Milestones" in p.message


def test_two_sheets_of_one_name(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb.create_sheet(" milestones")  # Excel tells the two apart by the space only

    (p,) = refused(edit(written(tmp_path), change))
    assert p.where == "sheet Milestones"
    assert p.message == "there are two Milestones sheets (' milestones' too); keep one"


def test_a_chart_sheet_is_ignored(tmp_path: Path) -> None:
    from openpyxl.chart import BarChart, Reference

    def change(wb: openpyxl.Workbook) -> None:
        chart = BarChart()
        chart.add_data(Reference(wb["Readings"], min_col=4, min_row=1, max_row=3))
        wb.create_chartsheet("Chart of readings").add_chart(chart)

    assert load_plan(edit(written(tmp_path), change), FACTS) == base_plan()


def test_sheet_names_are_matched_without_case(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["Milestones"].title = " MILESTONES "

    assert load_plan(edit(written(tmp_path), change), FACTS) == base_plan()


def test_missing_plan_sheet(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        del wb["Plan"]

    (p,) = refused(edit(written(tmp_path), change))
    assert p.where == "sheet Plan" and "the sheet is missing" in p.message


def test_a_missing_part_sheet_is_an_empty_part(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        for name in ("Calendar", "Reports", "Readings"):
            del wb[name]

    plan = load_plan(edit(written(tmp_path), change), FACTS)
    assert plan.calendar == [] and plan.reports == []
    assert all(i.values == [] for i in plan.measures[0].indicators)


def test_every_problem_at_once_in_reading_order(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        set_cell("Capabilities", "owner", None, id="c1")(wb)
        set_cell("Milestones", "due", "someday", title="Tender")(wb)
        set_cell("Plan", "value", "top:x", key="priority")(wb)

    problems = refused(edit(written(tmp_path), change))
    assert [p.where for p in problems] == [
        "sheet Plan, row 7",
        "sheet Capabilities, row 2, capability c1",
        "sheet Milestones, row 2, measure m-1",
    ]


def test_a_stray_cell_far_away_is_reported_quickly(tmp_path: Path) -> None:
    path = edit(written(tmp_path), lambda wb: wb["Progress"].cell(1048576, 16384, "x"))
    start = time.perf_counter()
    (p,) = refused(path)
    assert time.perf_counter() - start < 5
    assert (p.where, p.message) == (
        "sheet Progress, row 1048576",
        "cell XFD1048576 has no column header",
    )


# ---------------------------------------------------------------------- not an xlsx file


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.xlsx", b"\x00\x01 not a zip at all", "not a valid .xlsx workbook"),
        ("plan.xlsx", b"format: natrisk-plan/1\nplan: {}\n", "not a valid .xlsx workbook"),
        ("plan.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "old .xls file"),
    ],
    ids=["binary", "yaml-renamed", "old-xls"],
)
def test_not_an_xlsx_file(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    (p,) = refused(path)
    assert message in p.message


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    path = tmp_path / "plan.xlsx"
    path.write_bytes(buf.getvalue())
    (p,) = refused(path)
    assert "not a valid .xlsx workbook" in p.message


def test_a_macro_workbook_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path).rename(tmp_path / "plan.xlsm")
    (p,) = refused(path)
    assert "macro" in p.message


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"")
    (p,) = refused(path)
    assert "empty" in p.message


def test_a_workbook_that_unpacks_too_far_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from natrisk.io import xlsx

    path = written(tmp_path)
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 50_000)  # the guard io/xlsx.py applies
    (p,) = refused(path)
    assert "unpacks to more than the size limit" in p.message


# ------------------------------------------------------------------------------ the CLI


def test_cli_validates_and_exports_an_xlsx_plan(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from natrisk.cli import app
    from natrisk.services import accounts, plan_store, workspace
    from natrisk.services.access import Actor
    from natrisk.store.database import Database
    from natrisk.store.models import User

    runner = CliRunner()
    xlsx = written(tmp_path, example(), "example.xlsx")
    r = runner.invoke(app, ["plan", "validate", str(xlsx), "--edition", str(EXAMPLE_EDITION)])
    assert r.exit_code == 0, r.output
    assert "valid (" in r.output

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database(url)
    with db.session() as s:
        admin = accounts.add_user(s, "admin", "admin-password-123", "org1", 3, True)
        uid = admin.id
    with db.session() as s:
        actor = Actor.of(s.get(User, uid))  # type: ignore[arg-type]
        from natrisk.io.workbook import load_workbook

        eid = workspace.import_workbook(s, None, load_workbook(EXAMPLE_EDITION), actor).id
        pid = plan_store.import_plan(s, actor, eid, example()).id
    with db.session() as s:
        stored = plan_store.export_plan(s, Actor.of(s.get(User, uid)), pid)  # type: ignore[arg-type]
    db.close()
    out = tmp_path / "exported.xlsx"
    args = ["db", "export-plan", str(pid), "--out", str(out), "--user", "admin"]
    r = runner.invoke(app, [*args, "--database", url])
    assert r.exit_code == 0, r.output
    assert load_plan(out) == stored


# ------------------------------------------------------------------------------ the API


@pytest.fixture
def api(
    database: Any, fast_passwords: None, fresh_caches: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """The app on a database of each kind: an administrator, a reader, the example edition."""
    import asyncio

    from natrisk.api.app import create_app
    from natrisk.api.deps import CSRF_COOKIE, SESSION_COOKIE
    from natrisk.io.workbook import load_workbook
    from natrisk.services import accounts, workspace
    from natrisk.services.access import Actor
    from natrisk.store.models import User

    monkeypatch.setenv("NATRISK_SECRET_KEY", "natrisk-plan-xlsx-tests-key-0123456789")
    with database.session() as s:
        admin = accounts.add_user(s, "admin", "admin-password-123", "org1", 3, True)
        reader = accounts.add_user(s, "reader", "reader-password-123", "org1", 0)
        ids = {"admin": admin.id, "reader": reader.id}
        tokens = {"admin": accounts.issue_token(admin), "reader": accounts.issue_token(reader)}
    with database.session() as s:
        from natrisk.services.signins import resolve

        csrf = resolve(s, tokens["admin"]).csrf  # the token bound to the admin's session
    with database.session() as s:
        actor = Actor.of(s.get(User, ids["admin"]))  # type: ignore[arg-type]
        edition = workspace.import_workbook(s, None, load_workbook(EXAMPLE_EDITION), actor).id
        accounts.set_role(s, actor, edition, "reader", "reader")
    loop = asyncio.new_event_loop()
    app = create_app(database)
    clients = {
        name: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        )
        for name, token in tokens.items()
    }
    # the administrator's browser: a session cookie and the CSRF token its forms carry
    clients["browser"] = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        cookies={SESSION_COOKIE: tokens["admin"], CSRF_COOKIE: csrf},
    )

    def call(name: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return loop.run_until_complete(clients[name].request(method, url, **kwargs))

    yield {"call": call, "edition": edition, "csrf": csrf}
    for client in clients.values():
        loop.run_until_complete(client.aclose())
    loop.close()


def upload(api: dict[str, Any], name: str, data: bytes, who: str = "admin") -> httpx.Response:
    return api["call"](
        who,
        "POST",
        f"/api/editions/{api['edition']}/plans",
        files={"file": (name, data, XLSX if name.endswith(".xlsx") else "application/yaml")},
    )


def test_api_export_and_import_round_trip(api: dict[str, Any], tmp_path: Path) -> None:
    call = api["call"]
    r = upload(api, "nl-plan-2026.yaml", EXAMPLE_PLAN.read_bytes())
    assert r.status_code == 201, r.text[:500]
    pid = r.json()["id"]
    original = call("admin", "GET", f"/api/plans/{pid}").json()["plan"]
    as_reader = call("reader", "GET", f"/api/plans/{pid}").json()["plan"]

    r = call("reader", "GET", f"/api/plans/{pid}/export.xlsx")  # members may export
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == XLSX
    assert 'filename="nl-plan-2026.xlsx"' in r.headers["content-disposition"]
    raw, where = read_plan_xlsx(r.content, "download.xlsx")
    assert dump_plan(parse_plan(raw, where, "download.xlsx")) == as_reader

    r = call("admin", "GET", f"/api/plans/{pid}/export.xlsx")
    raw, where = read_plan_xlsx(r.content, "download.xlsx")
    assert dump_plan(parse_plan(raw, where, "download.xlsx")) == original

    # the downloaded workbook, given a new id in Excel, imports as a plan of its own
    path = tmp_path / "again.xlsx"
    path.write_bytes(r.content)
    edit(path, set_cell("Plan", "value", "nl-plan-2026-again", key="id"))
    r = upload(api, "again.xlsx", path.read_bytes())
    assert r.status_code == 201, r.text[:800]
    again = call("admin", "GET", f"/api/plans/{r.json()['id']}").json()["plan"]
    assert again["plan"]["id"] == "nl-plan-2026-again"
    assert {**again, "plan": original["plan"]} == original

    # a reader may not import, whatever the form
    assert upload(api, "again.xlsx", path.read_bytes(), "reader").status_code == 403


def test_api_import_of_a_bad_workbook_is_located(api: dict[str, Any], tmp_path: Path) -> None:
    path = written(tmp_path, example())
    edit(path, set_cell("Capabilities", "owner", None, id="emergency-drinking-water"))
    row = row_of(openpyxl.load_workbook(path)["Capabilities"], id="emergency-drinking-water")
    r = upload(api, "bad.xlsx", path.read_bytes())
    assert r.status_code == 400, r.text[:500]
    (p,) = r.json()["error"]["problems"]
    assert p == {
        "file": "bad.xlsx",
        "where": f"sheet Capabilities, row {row}, capability emergency-drinking-water",
        "field": "owner",
        "message": "required field is missing",
    }
    r = upload(api, "plan.xlsx", b"format: natrisk-plan/1\n")
    assert r.status_code == 400 and "not a valid .xlsx workbook" in r.text
    assert call_plans(api) == []


def call_plans(api: dict[str, Any]) -> list[Any]:
    r = api["call"]("admin", "GET", f"/api/editions/{api['edition']}/plans")
    assert r.status_code == 200
    return list(r.json())


def test_yaml_and_xlsx_exports_hold_the_same_plan(api: dict[str, Any]) -> None:
    call = api["call"]
    pid = upload(api, "plan.yaml", EXAMPLE_PLAN.read_bytes()).json()["id"]
    as_yaml = yaml.safe_load(call("admin", "GET", f"/api/plans/{pid}/export.yaml").text)
    content = call("admin", "GET", f"/api/plans/{pid}/export.xlsx").content
    raw, where = read_plan_xlsx(content, "plan.xlsx")
    assert parse_plan(raw, where, "x") == parse_plan(as_yaml, {}, "y")


def test_the_browser_imports_an_xlsx_plan_and_links_the_export(
    api: dict[str, Any], tmp_path: Path
) -> None:
    call, edition = api["call"], api["edition"]
    form = {"csrf_token": api["csrf"]}
    path = written(tmp_path, example())
    bad = edit(
        written(tmp_path, example(), "bad.xlsx"), set_cell("Measures", "line", "al-99", id="m-01")
    )
    r = call(
        "browser",
        "POST",
        f"/editions/{edition}/plans",
        data=form,
        files={"file": ("bad.xlsx", bad.read_bytes(), XLSX)},
    )
    assert r.status_code == 400
    row = row_of(openpyxl.load_workbook(bad)["Measures"], id="m-01")
    assert f"sheet Measures, row {row}, measure m-01" in r.text and "al-99" in r.text

    r = call(
        "browser",
        "POST",
        f"/editions/{edition}/plans",
        data=form,
        files={"file": ("plan.xlsx", path.read_bytes(), XLSX)},
    )
    assert r.status_code == 303, r.text[:500]
    page = r.headers["location"]
    pid = int(page.rsplit("/", 1)[1])
    r = call("browser", "GET", page)
    assert r.status_code == 200
    assert f'href="/api/plans/{pid}/export.xlsx"' in r.text and "Plan file (Excel)" in r.text
    r = call("browser", "GET", page, headers={"Accept-Language": "nl"})
    assert "Planbestand (Excel)" in r.text
