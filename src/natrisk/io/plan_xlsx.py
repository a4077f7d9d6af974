"""Plans as Excel workbooks: one sheet per part, one row per item (format natrisk-plan/1).

Nested lists are written long: a milestone is a row of the Milestones sheet naming its measure
by id, a planning assumption a row of the Demand sheet naming its task and scenario. Sheets
and columns (docs/plan.md, "The Excel form"; the README sheet says the same)::

    Plan          key | value     format, id, title_en, title_nl, edition, priority, method,
                                  profile, classification, description
    Levels        id, name_en, name_nl                       (empty: the default scale)
    Organisations id, name_en, name_nl                       (the names of the ids used)
    Issues        id, title_en, title_nl, lead, categories, scenarios
    Tasks         id, title_en, title_nl, rationale
    Demand        task, scenario, people .. procedures
    Capabilities  id, title_en, title_nl, owner, holder, phase, tasks, people .. procedures,
                  rationale
    Weighings     issue, integrated, integrated_why, sufficient, sufficient_why, invest,
                  not_invest, phases, by, instruments, proportionality, acceptability,
                  other_interests, author, date
    Strategies    id, title_en, title_nl, start, end, baseline, replaces
    Objectives    strategy, id, title_en, title_nl
    Lines         strategy, id, number, title_en, title_nl, objective, lead, issues
    Links         strategy, from, to, sign, note
    Crosswalk     strategy, from, to
    Measures      id, title, line, owner, phase, budget, status, classification
    Milestones    measure, title, due, done
    Indicators    measure, id, title, unit, target, direction
    Readings      measure, indicator, date, value
    Targets       measure, scenario, likelihood, criteria ("2.1=B; 3.1=C"), rationale
    Progress      measure, date, status, note, author
    Reports       id, issue, line, date, verdict, summary, threat, resilience, approach, author
    Calendar      kind, title, due, done

An empty cell means the field is absent. Lists (categories, scenarios, tasks, phases, by,
instruments, issues) are separated by ";" or written one per line. A title with only
title_en (or only title_nl) filled reads the same in both languages.

Reading returns the plain data a YAML plan file gives plus a locator from data paths to sheet
and row, so :func:`natrisk.io.plan.parse_plan` does every check of shape and reference and
each problem reads "sheet Milestones, row 7". What only the workbook can get wrong (formula
cells, unknown columns or keys, a row naming a measure that is not on the Measures sheet, a
number where a date belongs) is gathered first and raised as one WorkbookError. Sheets of
other names are ignored (the README, the analyst's own notes), except a name so close to one
of ours that it is surely a misspelling: that is reported, so no part is silently dropped.
Writing is lossless: ``parse_plan(raw, where, name)`` of what reading a written plan gives
equals the plan. Its limits: a list item cannot hold a line break or begin or end with spaces,
and a text longer than an Excel cell holds (32,767 characters) is refused, never cut short.
The size and zip-bomb guards are those of :mod:`natrisk.io.xlsx`; cells are visited only where
the file holds one, so a stray value far down a sheet costs nothing.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from natrisk.domain.framework import Text
from natrisk.domain.plan import (
    DIMENSIONS,
    EVENT_KINDS,
    MEASURE_STATUSES,
    OWNERS,
    PHASES,
    Plan,
)
from natrisk.errors import OutputError
from natrisk.io.xlsx import (
    FALSE_WORDS,
    TRUE_WORDS,
    _exact,
    _open,
    _put,
    _raise_problems,
    _Reader,
    _save,
    _text,
    _values,
)

Locator = dict[tuple[Any, ...], str]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PLAN_KEYS = (
    "format",
    "id",
    "title_en",
    "title_nl",
    "edition",
    "priority",
    "method",
    "profile",
    "classification",
    "description",
)
TITLE = ("title_en", "title_nl")
# sheet -> its columns, in the order written; the order of the sheets is the reading order
SHEETS: dict[str, tuple[str, ...]] = {
    "Plan": ("key", "value"),
    "Levels": ("id", "name_en", "name_nl"),
    "Organisations": ("id", "name_en", "name_nl"),
    "Issues": ("id", *TITLE, "lead", "categories", "scenarios"),
    "Tasks": ("id", *TITLE, "rationale"),
    "Demand": ("task", "scenario", *DIMENSIONS),
    "Capabilities": ("id", *TITLE, "owner", "holder", "phase", "tasks", *DIMENSIONS, "rationale"),
    "Weighings": (
        "issue",
        "integrated",
        "integrated_why",
        "sufficient",
        "sufficient_why",
        "invest",
        "not_invest",
        "phases",
        "by",
        "instruments",
        "proportionality",
        "acceptability",
        "other_interests",
        "author",
        "date",
    ),
    "Strategies": ("id", *TITLE, "start", "end", "baseline", "replaces"),
    "Objectives": ("strategy", "id", *TITLE),
    "Lines": ("strategy", "id", "number", *TITLE, "objective", "lead", "issues"),
    "Links": ("strategy", "from", "to", "sign", "note"),
    "Crosswalk": ("strategy", "from", "to"),
    "Measures": ("id", "title", "line", "owner", "phase", "budget", "status", "classification"),
    "Milestones": ("measure", "title", "due", "done"),
    "Indicators": ("measure", "id", "title", "unit", "target", "direction"),
    "Readings": ("measure", "indicator", "date", "value"),
    "Targets": ("measure", "scenario", "likelihood", "criteria", "rationale"),
    "Progress": ("measure", "date", "status", "note", "author"),
    "Reports": (
        "id",
        "issue",
        "line",
        "date",
        "verdict",
        "summary",
        "threat",
        "resilience",
        "approach",
        "author",
    ),
    "Calendar": ("kind", "title", "due", "done"),
}
# the columns a sheet cannot be read without: those that tie its rows to another sheet's
NEEDED: dict[str, tuple[str, ...]] = {
    "Plan": ("key", "value"),
    "Demand": ("task", "scenario"),
    "Objectives": ("strategy",),
    "Lines": ("strategy",),
    "Links": ("strategy",),
    "Crosswalk": ("strategy",),
    "Milestones": ("measure",),
    "Indicators": ("measure",),
    "Readings": ("measure", "indicator"),
    "Targets": ("measure",),
    "Progress": ("measure",),
}
DATES = {"date", "start", "end", "due", "done"}
NUMBERS = {"number", "target", "value", *DIMENSIONS}
# ids, references and choices: spaces around them are never meant
STRIPPED = {"id", "key", "strategy", "measure", "task", "scenario", "indicator", "issue", "line"}
STRIPPED |= {"objective", "from", "to", "baseline", "replaces", "sign", "likelihood", "kind"}
STRIPPED |= {"owner", "phase", "status", "direction", "verdict", "classification"}
LISTS = {"categories", "scenarios", "tasks", "phases", "by", "instruments", "issues"}
# choices offered as a drop-down (a warning, not a refusal: the plan's checks decide)
CHOICES: dict[str, tuple[str, ...]] = {
    "owner": OWNERS,
    "phase": PHASES,
    "status": MEASURE_STATUSES,
    "direction": ("up", "down"),
    "sign": ("+", "-"),
    "verdict": ("suffices", "adjust"),
    "kind": EVENT_KINDS,
    "integrated": ("yes", "no"),
    "sufficient": ("yes", "no"),
}
CHOICE_SHEETS = {"owner": {"Capabilities"}}  # a measure's owner is an organisation
WIDTHS = {"key": 18, "value": 70, "id": 26, "title": 40, "title_en": 40, "title_nl": 40}
WIDTHS |= {"rationale": 60, "note": 50, "summary": 60, "threat": 50, "resilience": 50}
WIDTHS |= {"approach": 50, "categories": 50, "scenarios": 50, "criteria": 20, "invest": 50}
WIDTHS |= {"not_invest": 50, "integrated_why": 50, "sufficient_why": 50}
WIDTHS |= {"proportionality": 40, "acceptability": 40, "other_interests": 40}
WIDTHS |= {"name_en": 24, "name_nl": 24, "task": 26, "scenario": 26, "measure": 16}
WIDTHS |= {"strategy": 16, "line": 12, "issue": 24, "holder": 24, "budget": 24}
WIDTHS |= dict.fromkeys(DIMENSIONS, 11) | dict.fromkeys(DATES, 12)
WRAPPED = {"value", "rationale", "note", "summary", "threat", "resilience", "approach"}
WRAPPED |= {"invest", "not_invest", "integrated_why", "sufficient_why", "proportionality"}
WRAPPED |= {"acceptability", "other_interests", "categories", "scenarios"}
# the nested lists of strategies and measures: field, sheet, columns copied as they are
Parts = tuple[tuple[str, str, tuple[str, ...]], ...]
STRATEGY_PARTS: Parts = (
    ("objectives", "Objectives", ("id",)),
    ("lines", "Lines", ("id", "number", "objective", "lead", "issues")),
    ("links", "Links", ("from", "to", "sign", "note")),
    ("crosswalk", "Crosswalk", ("from", "to")),
)
MEASURE_PARTS: Parts = (
    ("milestones", "Milestones", ("title", "due", "done")),
    ("indicators", "Indicators", ("id", "title", "unit", "target", "direction")),
    ("targets", "Targets", ("scenario", "likelihood", "rationale")),
    ("progress", "Progress", ("date", "status", "note", "author")),
)
MAX_CELL_TEXT = 32767  # Excel's limit; openpyxl would cut longer text short without a word
_CLOSE = 0.8  # how alike a sheet name must be to one of ours to count as a misspelling


# ----------------------------------------------------------------------------- reading


@dataclass
class _Sheet:
    """The rows of one sheet below its header, as {column: value}, with row numbers."""

    name: str  # our name of the sheet, as problems give it
    columns: dict[str, int]
    rows: list[tuple[int, dict[str, Any]]]
    dropped: list[tuple[int, dict[str, Any]]]  # rows with a formula or error cell

    def where(self, row: int | None = None) -> str:
        return f"sheet {self.name}" if row is None else f"sheet {self.name}, row {row}"

    def cell(self, column: str, row: int) -> str:
        return f"{get_column_letter(self.columns[column] + 1)}{row}"


class _Row:
    """One row of a sheet, its cells read as the column's kind; problems go to the reader."""

    def __init__(self, sheet: _Sheet, row: int, rec: dict[str, Any], rd: _Reader) -> None:
        self.sheet, self.row, self.rec, self.rd = sheet, row, rec, rd
        self.where = sheet.where(row)

    def add(self, column: str, message: str) -> None:
        self.rd.add(self.where, column, message)

    def value(self, column: str) -> Any:
        """The cell as the data wants it: text, number, date or list; None when empty."""
        value = self.rec.get(column)
        if value is None:
            return None
        if column in DATES:
            return self._date(column, value)
        if column in NUMBERS and self.sheet.name != "Plan":  # there 'value' is any text
            return self._number(column, value)
        if column in LISTS:
            return split_list(_text(value))
        if column in STRIPPED:
            return _text(value).strip()
        return _text(value)  # a number or date typed in a text column, as written

    def _date(self, column: str, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.date() if value.time() == time(0) else value
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, date):
            return value
        shown = str(value).upper() if isinstance(value, bool) else _text(value)
        cell = self.sheet.cell(column, self.row)
        self.add(column, f"{shown!r} in cell {cell} is not a date; write e.g. 2025-06-30")
        return None

    def _number(self, column: str, value: Any) -> Any:
        if isinstance(value, bool | date | datetime | time):
            shown = str(value).upper() if isinstance(value, bool) else _text(value)
            cell = self.sheet.cell(column, self.row)
            self.add(column, f"{shown!r} in cell {cell} is not a number")
            return None
        return value.strip() if isinstance(value, str) else value  # text: the model judges

    def fields(self, columns: Iterable[str], out: dict[str, Any] | None = None) -> dict[str, Any]:
        """The non-empty cells of these columns, as {column: value}."""
        out = {} if out is None else out
        for column in columns:
            value = self.value(column)
            if value is not None:
                out[column] = value
        return out

    def text(self, prefix: str = "title") -> Any:
        """A {en, nl} text from PREFIX_en and PREFIX_nl; one of them stands for both."""
        en, nl = self.value(f"{prefix}_en"), self.value(f"{prefix}_nl")
        if en is not None and nl is not None:
            return {"en": en, "nl": nl}
        return en if en is not None else nl

    def levels(self) -> dict[str, Any] | None:
        """The five dimension levels (missing ones: absent, so 0); None when all are empty."""
        levels = self.fields(DIMENSIONS)
        return levels or None

    def answer(self, column: str) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        value = self.rec.get(column)
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            out["answer"] = value.strip().lower() in TRUE_WORDS
        elif value is not None:
            out["answer"] = value  # True/False cells, or a word the model refuses
        why = self.value(f"{column}_why")
        if why is not None:
            out["rationale"] = why
        return out or None


def split_list(text: str) -> list[str]:
    """A list cell: items one per line, or separated by ';'."""
    parts = text.splitlines() if "\n" in text or "\r" in text else text.split(";")
    return [p.strip() for p in parts if p.strip()]


def read_plan_xlsx(data: bytes, name: str) -> tuple[dict[str, Any], Locator]:
    """The plan's data as plain Python (as a YAML plan file gives it), and where each part is."""
    book = _open(data, name)
    rd = _Reader(name)
    sheets = _sheets(book, rd)
    raw: dict[str, Any] = {}
    where: Locator = {}
    _Build(sheets, rd, raw, where).run()
    _raise_problems(rd, list(SHEETS))
    return raw, where


def _sheets(book: Any, rd: _Reader) -> dict[str, _Sheet]:
    """Our sheets found in the workbook, by our name; unusable ones are left out."""
    ours = {n.lower(): n for n in SHEETS}
    found: dict[str, _Sheet] = {}
    seen: set[str] = set()
    for ws in book.worksheets:
        title = ws.title.strip()
        name = ours.get(title.lower())
        if name is None:
            close = difflib.get_close_matches(title.lower(), list(ours), n=1, cutoff=_CLOSE)
            if close:
                msg = (
                    f"sheet {title!r} is not read; rename it {ours[close[0]]} "
                    "(or give it a name of its own to keep it aside)"
                )
                rd.add(f"sheet {title}", "", msg)
            continue
        if name in seen:
            rd.add(f"sheet {name}", "", f"there are two {name} sheets ({ws.title!r} too); keep one")
            continue
        seen.add(name)
        sheet = _sheet(ws, name, rd)
        if sheet is not None:
            found[name] = sheet
    if "Plan" not in seen and not any(p.where.startswith("sheet Plan") for p in rd.problems):
        msg = "the sheet is missing; it holds the plan's id, title and edition (columns key, value)"
        rd.add("sheet Plan", "", msg)
    return found


def _sheet(ws: Worksheet, name: str, rd: _Reader) -> _Sheet | None:
    """One sheet's header and non-empty rows; None (with problems) when it is unusable."""
    grid = _values(ws, name, rd)
    if not grid:
        return _Sheet(name, {}, [], [])
    header = grid[0][1] if grid[0][0] == 1 else []
    columns = _header(header, name, rd)
    if columns is None:
        return None
    sheet = _Sheet(name, columns, [], [])
    used = set(columns.values())
    for row, values, bad in grid:
        if row == 1:
            continue
        for col, value in enumerate(values):
            if value is not None and col not in used:
                cell = f"{get_column_letter(col + 1)}{row}"
                rd.add(sheet.where(row), "", f"cell {cell} has no column header")
        padded = values + [None] * len(header)
        rec = {k: padded[i] for k, i in columns.items()}
        if bad:
            sheet.dropped.append((row, rec))
        elif any(v is not None for v in rec.values()):  # not only cells without a header
            sheet.rows.append((row, rec))
    return sheet


def _header(header: list[Any], name: str, rd: _Reader) -> dict[str, int] | None:
    """Column name -> index from the header row; None when a needed column is missing."""
    known = SHEETS[name]
    columns: dict[str, int] = {}
    where = f"sheet {name}, row 1"
    for i, value in enumerate(header):
        if value is None:
            continue
        column = _text(value).strip().lower()
        if column in columns:
            rd.add(where, column, f"column {column!r} appears twice")
        elif column not in known:
            rd.add(where, column, f"unknown column {column!r}; the columns are {', '.join(known)}")
        else:
            columns[column] = i
    missing = [c for c in NEEDED.get(name, ()) if c not in columns]
    if missing:
        rd.add(where, "", f"missing column(s) {', '.join(missing)} in the header row")
        return None
    return columns


class _Build:
    """Turns the sheets into the plan's plain data, recording where each part came from."""

    def __init__(
        self, sheets: dict[str, _Sheet], rd: _Reader, raw: dict[str, Any], where: Locator
    ) -> None:
        self.sheets, self.rd, self.raw, self.where = sheets, rd, raw, where

    def rows(self, name: str) -> Iterator[_Row]:
        sheet = self.sheets.get(name)
        if sheet is not None:
            for row, rec in sheet.rows:
                yield _Row(sheet, row, rec, self.rd)

    def run(self) -> None:
        self.plan()
        self.top("security_issues", "Issues", self.issue)
        tasks = self.top("tasks", "Tasks", self.task)
        self.demand(tasks)
        self.top("capabilities", "Capabilities", self.capability)
        self.top("weighings", "Weighings", self.weighing, key="issue")
        strategies = self.top("strategies", "Strategies", self.strategy)
        for part, sheet, fields in STRATEGY_PARTS:
            self.children("strategies", strategies, "strategy", part, sheet, fields)
        measures = self.top("measures", "Measures", self.measure)
        for part, sheet, fields in MEASURE_PARTS:
            self.children("measures", measures, "measure", part, sheet, fields)
        self.readings(measures)
        self.top("reports", "Reports", self.report)
        self.top("calendar", "Calendar", lambda r: r.fields(("kind", "title", "due", "done")))

    # ------------------------------------------------------------------ the plan's header

    def plan(self) -> None:
        sheet = self.sheets.get("Plan")
        info: dict[str, Any] = {}
        self.raw["plan"] = info
        if sheet is None:
            return
        self.where[("plan",)] = sheet.where()
        seen: dict[str, int] = {}
        titles: dict[str, Any] = {}
        for r in self.rows("Plan"):
            key = r.value("key")
            if key is None:
                r.add("key", "a value without a key; fill the key column")
                continue
            key = key.lower()
            if key not in PLAN_KEYS:
                r.add("key", f"unknown key {key!r}; the keys are {', '.join(PLAN_KEYS)}")
                continue
            if key in seen:
                r.add("key", f"key {key!r} is also on row {seen[key]}")
                continue
            seen[key] = r.row
            value = r.value("value")
            if value is None:
                continue
            if key == "format":
                self.raw["format"] = value
                self.where[("format",)] = r.where
            elif key in TITLE:
                titles[key] = value
                self.where.setdefault(("plan", "title"), r.where)
            else:
                info[key] = value
                self.where[("plan", key)] = r.where
        if titles:
            en, nl = titles.get("title_en"), titles.get("title_nl")
            info["title"] = {"en": en, "nl": nl} if en is not None and nl is not None else en or nl
        self.levels(info)
        self.organisations(info)

    def organisations(self, info: dict[str, Any]) -> None:
        names: dict[str, Any] = {}
        for r in self.rows("Organisations"):
            oid = r.value("id")
            if oid is None:
                r.add("id", "fill the id of this organisation")
                continue
            if oid in names:
                r.add("id", f"organisation {oid!r} is given twice")
                continue
            names[oid] = r.text("name")
            self.where[("plan", "organisations", oid)] = r.where
        if names:
            info["organisations"] = names
            self.where[("plan", "organisations")] = self.sheets["Organisations"].where()

    def levels(self, info: dict[str, Any]) -> None:
        levels: list[dict[str, Any]] = []
        for r in self.rows("Levels"):
            level = r.fields(("id",))
            if r.text("name") is not None:
                level["name"] = r.text("name")
            self.where[("plan", "levels", len(levels))] = r.where
            levels.append(level)
        if levels:
            info["levels"] = levels
            self.where[("plan", "levels")] = self.sheets["Levels"].where()

    # ------------------------------------------------------------------ parts and children

    def top(self, part: str, name: str, item: Any, key: str = "id") -> dict[str, int]:
        """Fill raw[part] from a sheet, one item per row; the index of each item by its key."""
        items: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        self.raw[part] = items
        sheet = self.sheets.get(name)
        if sheet is None:
            return index
        self.where[(part,)] = sheet.where()
        for r in self.rows(name):
            ident = r.value(key) if key in sheet.columns else None
            if isinstance(ident, str):
                index.setdefault(ident, len(items))
            self.where[(part, len(items))] = r.where
            items.append(item(r))
        for _, rec in sheet.dropped:  # rows of theirs are not "of an unknown item"
            if rec.get(key) is not None:
                index.setdefault(_text(rec[key]).strip(), -1)
        return index

    def parent(self, r: _Row, column: str, index: dict[str, int], sheet: str) -> int | None:
        """The index of the item a child row names; None (with a problem) when there is none."""
        ident = r.value(column)
        if ident is None:
            r.add(column, f"fill the {column} column: the id of a row of the {sheet} sheet")
            return None
        if ident not in index:
            r.add(column, f"{column} {ident!r} is not on the {sheet} sheet")
            return None
        return index[ident] if index[ident] >= 0 else None

    def children(
        self,
        part: str,
        index: dict[str, int],
        column: str,
        field: str,
        name: str,
        fields: tuple[str, ...],
    ) -> None:
        parent_sheet = {"strategies": "Strategies", "measures": "Measures"}[part]
        for r in self.rows(name):
            k = self.parent(r, column, index, parent_sheet)
            if k is None:
                continue
            item = r.fields(fields)
            if field in ("objectives", "lines") and r.text() is not None:
                item["title"] = r.text()
            if field == "targets":
                self.criteria(r, item)
            items = self.raw[part][k].setdefault(field, [])
            self.where[(part, k, field, len(items))] = r.where
            items.append(item)

    # ------------------------------------------------------------------------- the parts

    def issue(self, r: _Row) -> dict[str, Any]:
        out = r.fields(("id",))
        if r.text() is not None:
            out["title"] = r.text()
        return r.fields(("lead", "categories", "scenarios"), out)

    def task(self, r: _Row) -> dict[str, Any]:
        out = r.fields(("id",))
        if r.text() is not None:
            out["title"] = r.text()
        out["scenarios"] = {}
        return r.fields(("rationale",), out)

    def demand(self, tasks: dict[str, int]) -> None:
        seen: dict[tuple[int, str], int] = {}
        for r in self.rows("Demand"):
            k = self.parent(r, "task", tasks, "Tasks")
            sid = r.value("scenario")
            if k is None:
                continue
            if sid is None:
                r.add("scenario", "fill the scenario column: the scenario this level is for")
                continue
            if (k, sid) in seen:
                r.add("scenario", f"scenario {sid!r} of this task is also on row {seen[(k, sid)]}")
                continue
            seen[(k, sid)] = r.row
            self.raw["tasks"][k]["scenarios"][sid] = r.levels() or {}
            self.where[("tasks", k, "scenarios", sid)] = r.where

    def capability(self, r: _Row) -> dict[str, Any]:
        out = r.fields(("id",))
        if r.text() is not None:
            out["title"] = r.text()
        r.fields(("owner", "holder", "phase", "tasks"), out)
        if r.levels() is not None:
            out["current"] = r.levels()
        return r.fields(("rationale",), out)

    def weighing(self, r: _Row) -> dict[str, Any]:
        out = r.fields(("issue",))
        for column in ("integrated", "sufficient"):
            answer = r.answer(column)
            if answer is not None:
                out[column] = answer
        advice = r.fields(
            (
                "invest",
                "not_invest",
                "phases",
                "by",
                "instruments",
                "proportionality",
                "acceptability",
                "other_interests",
            )
        )
        if advice:
            out["advice"] = advice
        return r.fields(("author", "date"), out)

    def strategy(self, r: _Row) -> dict[str, Any]:
        out = r.fields(("id",))
        if r.text() is not None:
            out["title"] = r.text()
        return r.fields(("start", "end", "baseline", "replaces"), out)

    def measure(self, r: _Row) -> dict[str, Any]:
        fields = ("id", "title", "line", "owner", "phase", "budget", "status", "classification")
        return r.fields(fields)

    def criteria(self, r: _Row, item: dict[str, Any]) -> None:
        """'2.1=B; 3.1=C' as {"2.1": "B", "3.1": "C"}."""
        text = r.rec.get("criteria")
        if text is None:
            return
        criteria: dict[str, str] = {}
        for part in split_list(_text(text)):
            cid, eq, klass = part.partition("=")
            cid, klass = cid.strip(), klass.strip()
            if not eq or not cid or not klass:
                msg = f"{part!r} in cell {r.sheet.cell('criteria', r.row)}: write criterion=class, e.g. 2.1=B; 3.1=C"
                r.add("criteria", msg)
            elif cid in criteria:
                r.add("criteria", f"criterion {cid} is given twice")
            else:
                criteria[cid] = klass
        item["criteria"] = criteria

    def readings(self, measures: dict[str, int]) -> None:
        sheet = self.sheets.get("Indicators")
        dropped = {  # indicator rows with a formula: their readings are not "of no indicator"
            (_text(rec.get("measure") or "").strip(), _text(rec.get("id") or "").strip())
            for _, rec in (sheet.dropped if sheet else [])
        }
        for r in self.rows("Readings"):
            k = self.parent(r, "measure", measures, "Measures")
            iid = r.value("indicator")
            if k is None:
                continue
            indicators = self.raw["measures"][k].get("indicators", [])
            n = next((n for n, i in enumerate(indicators) if i.get("id") == iid), None)
            measure = self.raw["measures"][k].get("id")
            if n is None and (measure, iid) in dropped:
                continue
            if n is None:
                msg = f"indicator {iid!r} of measure {measure!r} is not on the Indicators sheet"
                r.add("indicator", msg if iid is not None else "fill the indicator column")
                continue
            values = indicators[n].setdefault("values", [])
            self.where[("measures", k, "indicators", n, "values", len(values))] = r.where
            values.append(r.fields(("date", "value")))

    def report(self, r: _Row) -> dict[str, Any]:
        out = r.fields(("id",))
        out["scope"] = r.fields(("issue", "line"))
        return r.fields(
            ("date", "summary", "threat", "resilience", "approach", "verdict", "author"), out
        )


# ----------------------------------------------------------------------------- writing


def write_plan_xlsx(plan: Plan, path: Path) -> None:
    """Write a plan as .xlsx, next to the target first and then moved into place."""
    _save(_workbook(plan), Path(path))


def plan_xlsx_bytes(plan: Plan) -> bytes:
    """The plan as the bytes of an .xlsx file (for downloads)."""
    buf = io.BytesIO()
    _workbook(plan).save(buf)
    return buf.getvalue()


def _workbook(plan: Plan) -> Any:
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None  # a new workbook always has one sheet
    wb.remove(first)
    for name, rows in _rows(plan):
        _fill(wb.create_sheet(name), name, rows)
    _readme(wb.create_sheet("README"))
    return wb


def _rows(plan: Plan) -> Iterator[tuple[str, Iterable[tuple[Any, ...]]]]:
    info = plan.plan
    head: list[tuple[Any, ...]] = [("format", plan.format), ("id", info.id)]
    head += [("title_en", info.title.en), ("title_nl", info.title.nl)]
    head += [("edition", info.edition), ("priority", info.priority)]
    for key in ("method", "profile", "classification", "description"):
        head.append((key, getattr(info, key)))
    yield "Plan", head
    yield "Levels", [(lv.id, *_title(lv.name)) for lv in info.levels]
    yield "Organisations", [(k, *_title(t)) for k, t in info.organisations.items()]
    yield (
        "Issues",
        [
            (i.id, *_title(i.title), i.lead, _list(i.categories), _list(i.scenarios))
            for i in plan.security_issues
        ],
    )
    yield "Tasks", [(t.id, *_title(t.title), t.rationale) for t in plan.tasks]
    yield (
        "Demand",
        [
            (t.id, sid, *(levels[d] for d in DIMENSIONS))
            for t in plan.tasks
            for sid, levels in t.scenarios.items()
        ],
    )
    yield (
        "Capabilities",
        [
            (
                c.id,
                *_title(c.title),
                c.owner,
                c.holder,
                c.phase,
                _list(c.tasks),
                *(c.current[d] for d in DIMENSIONS),
                c.rationale,
            )
            for c in plan.capabilities
        ],
    )
    yield (
        "Weighings",
        [
            (
                w.issue,
                _yes(w.integrated.answer),
                w.integrated.rationale,
                _yes(w.sufficient.answer),
                w.sufficient.rationale,
                w.advice.invest,
                w.advice.not_invest,
                _list(w.advice.phases),
                _list(w.advice.by),
                _list(w.advice.instruments),
                w.advice.proportionality,
                w.advice.acceptability,
                w.advice.other_interests,
                w.author,
                w.date,
            )
            for w in plan.weighings
        ],
    )
    yield (
        "Strategies",
        [(s.id, *_title(s.title), s.start, s.end, s.baseline, s.replaces) for s in plan.strategies],
    )
    yield (
        "Objectives",
        [(s.id, o.id, *_title(o.title)) for s in plan.strategies for o in s.objectives],
    )
    yield (
        "Lines",
        [
            (s.id, ln.id, ln.number, *_title(ln.title), ln.objective, ln.lead, _list(ln.issues))
            for s in plan.strategies
            for ln in s.lines
        ],
    )
    yield (
        "Links",
        [(s.id, lk.source, lk.target, lk.sign, lk.note) for s in plan.strategies for lk in s.links],
    )
    yield "Crosswalk", [(s.id, c.source, c.target) for s in plan.strategies for c in s.crosswalk]
    ms = plan.measures
    yield (
        "Measures",
        [
            (m.id, m.title, m.line, m.owner, m.phase, m.budget, m.status, m.classification)
            for m in ms
        ],
    )
    yield "Milestones", [(m.id, x.title, x.due, x.done) for m in ms for x in m.milestones]
    yield (
        "Indicators",
        [
            (m.id, i.id, i.title, i.unit, _number(i.target), i.direction)
            for m in ms
            for i in m.indicators
        ],
    )
    yield (
        "Readings",
        [
            (m.id, i.id, v.date, _number(v.value))
            for m in ms
            for i in m.indicators
            for v in i.values
        ],
    )
    yield (
        "Targets",
        [
            (m.id, t.scenario, t.likelihood, _criteria(t.criteria), t.rationale)
            for m in ms
            for t in m.targets
        ],
    )
    yield "Progress", [(m.id, p.date, p.status, p.note, p.author) for m in ms for p in m.progress]
    yield (
        "Reports",
        [
            (
                r.id,
                r.scope.issue,
                r.scope.line,
                r.date,
                r.verdict,
                r.summary,
                r.threat,
                r.resilience,
                r.approach,
                r.author,
            )
            for r in plan.reports
        ],
    )
    yield "Calendar", [(e.kind, e.title, e.due, e.done) for e in plan.calendar]


def _title(text: Text) -> tuple[str, str]:
    return text.en, text.nl


def _list(items: Iterable[str]) -> str:
    items = list(items)
    return "\n".join(items) if any(";" in i for i in items) else "; ".join(items)


def _criteria(criteria: dict[str, str]) -> str:
    return "; ".join(f"{cid}={klass}" for cid, klass in criteria.items())


def _yes(answer: bool) -> str:
    return "yes" if answer else "no"


def _number(value: float) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value if _exact(value) else repr(value)


def _fill(ws: Worksheet, name: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Header (bold, frozen, filterable), rows, and drop-downs for the columns of choices."""
    columns = SHEETS[name]
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for col, column in enumerate(columns, start=1):
        _put(ws, 1, col, column).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS.get(column, 16)
    for r, values in enumerate(rows, start=2):
        for col, value in enumerate(values, start=1):
            if value is None or value == "":
                continue
            if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
                where = f"sheet {name}, row {r}, column {columns[col - 1]}"
                raise OutputError(
                    f"cannot write the plan as .xlsx: {where} holds {len(value):,} characters, "
                    f"more than an Excel cell can ({MAX_CELL_TEXT:,}); write it as .yaml instead"
                )
            cell = _put(ws, r, col, value)
            cell.alignment = wrap if columns[col - 1] in WRAPPED else top
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 2)}"
    for col, column in enumerate(columns, start=1):
        choices = CHOICES.get(column)
        if choices is None or name not in CHOICE_SHEETS.get(column, {name}):
            continue
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            errorStyle="warning",
            error=f"one of: {', '.join(choices)}",
        )
        letter = get_column_letter(col)
        dv.add(f"{letter}2:{letter}{max(ws.max_row, 2) + 500}")
        ws.add_data_validation(dv)


README_TEXT = """\
natrisk plan / natrisk-plan (format natrisk-plan/1)

English
This workbook holds one plan (phases 2 and 3 of the national security method). natrisk reads
the sheets Plan, Levels, Organisations, Issues, Tasks, Demand, Capabilities, Weighings,
Strategies, Objectives, Lines, Links, Crosswalk, Measures, Milestones, Indicators, Readings,
Targets, Progress, Reports and Calendar; this README and sheets of other names are ignored.
- One row per item. A row of a nested list names its owner by id: a milestone its measure,
  a reading its measure and indicator, an action line its strategy, a Demand row its task
  and the scenario it needs the task for.
- An empty cell means the field is absent. title_en and title_nl: fill both, or one for both.
- Lists (categories, scenarios, tasks, phases, by, instruments, issues) are separated by ';'
  or written one per line. Target criteria are written 2.1=B; 3.1=C.
- Levels (people .. procedures) are whole numbers on the Levels scale; an empty one is 0.
- integrated and sufficient are yes or no. Dates are dates, or text such as 2025-06-30.
- Type values, never formulas: a file with formulas is refused. Save as .xlsx.

Nederlands
Deze werkmap bevat een plan (fase 2 en 3 van de methode nationale veiligheid). natrisk leest
de tabbladen hierboven; dit README-tabblad en tabbladen met andere namen worden overgeslagen.
- Een regel per onderdeel. Een regel van een geneste lijst noemt zijn eigenaar bij id: een
  mijlpaal zijn maatregel, een meting zijn maatregel en indicator, een actielijn zijn
  strategie, een Demand-regel zijn taak en het scenario waarvoor de taak nodig is.
- Een lege cel betekent: niet ingevuld. title_en en title_nl: vul beide in, of een voor beide.
- Lijsten worden gescheiden door ';' of staan een per regel. Doelcriteria: 2.1=B; 3.1=C.
- Niveaus (people .. procedures) zijn hele getallen op de schaal van Levels; leeg is 0.
- integrated en sufficient zijn yes of no (ja/nee mag ook). Datums als datum of als tekst
  zoals 2025-06-30.
- Typ waarden, geen formules: een bestand met formules wordt geweigerd. Sla op als .xlsx.
"""


def _readme(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 100
    for r, line in enumerate(README_TEXT.splitlines(), start=1):
        cell = _put(ws, r, 1, line)
        if r == 1 or line in ("English", "Nederlands"):
            cell.font = Font(bold=True)
