"""Workbooks as Excel files: one sheet each for the edition, the scenarios and the impacts.

Layout (explained in English and Dutch on the README sheet that export writes)::

    edition    key | value      format, id, title, framework, description, then extra keys;
                                ``json:KEY`` holds an extra value as JSON text and
                                ``workbook:KEY`` a top-level key (JSON text)
    scenarios  id | title | theme | malicious | description | assumptions | likelihood |
               likelihood_rationale | likelihood_sources | extra
    impacts    scenario | criterion | class | min | max | axes | rationale | sources
    variants   risk | title | scenario | intensity | extra      (the ``risks`` section)
    links      from | to | probability | rationale | sources | extra
    compounds  id | title | scenarios | likelihood | description | extra

The last three hold how threats combine (docs/workbook.md), one row per variant, link or
compound; a section whose values a sheet cannot hold exactly (an odd shape, a source with a
line break) stays on the edition sheet as ``workbook:KEY``, so writing stays lossless.

A three-point estimate sits in one class cell as 'C (B-E)': the expected value, then its
lower and upper limit; a likelihood placed inside its class as 'B-high'.

Reading returns the same plain data a YAML file gives plus a locator from data paths to
sheet and row, and gathers every problem (formula cells, missing sheets or columns, values
that are not numbers, malformed JSON) before raising one WorkbookError. Writing is lossless:
``parse_workbook(*read_xlsx(...))`` of a written file equals the Workbook written.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from natrisk.domain.edition import Likelihood, Range, Scenario, Score, Workbook, class_text
from natrisk.errors import OutputError, Problem, WorkbookError, problem_count
from natrisk.io import long_numbers
from natrisk.io.files import MAX_BYTES

Locator = dict[tuple[Any, ...], str]

EDITION_COLUMNS = ("key", "value")
EDITION_KEYS = ("format", "id", "title", "framework", "description", "classification")
SCENARIO_COLUMNS = (
    "id",
    "title",
    "theme",
    "malicious",
    "description",
    "assumptions",
    "likelihood",
    "likelihood_rationale",
    "likelihood_sources",
    "classification",
    "extra",
)
SCENARIO_REQUIRED = ("id", "title", "theme", "likelihood")
IMPACT_COLUMNS = (
    "scenario",
    "criterion",
    "class",
    "min",
    "max",
    "axes",
    "rationale",
    "sources",
    "classification",
)
IMPACT_REQUIRED = ("scenario", "criterion")


@dataclass(frozen=True)
class _Section:
    """A top-level list of the workbook kept on a sheet of its own, one row per item."""

    sheet: str
    key: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    lines: tuple[str, ...] = ()  # columns holding a list of texts, one per line
    numbers: tuple[str, ...] = ()  # columns holding a number or a text (a class)


LINKS = _Section(
    "links",
    "links",
    ("from", "to", "probability", "rationale", "sources", "extra"),
    ("from", "to", "probability"),
    lines=("sources",),
    numbers=("probability",),
)
COMPOUNDS = _Section(
    "compounds",
    "compounds",
    ("id", "title", "scenarios", "likelihood", "description", "extra"),
    ("id", "title", "scenarios", "likelihood"),
    lines=("scenarios",),
    numbers=("likelihood",),
)
VARIANTS = _Section(
    "variants",
    "risks",
    ("risk", "title", "scenario", "intensity", "extra"),
    ("risk", "scenario"),
)
SECTIONS = (VARIANTS, LINKS, COMPOUNDS)
SHEET_ORDER = ("edition", "scenarios", "impacts", *(x.sheet for x in SECTIONS))
WIDTHS = {
    "key": 24,
    "value": 80,
    "id": 24,
    "title": 40,
    "theme": 28,
    "description": 60,
    "assumptions": 50,
    "likelihood": 12,
    "likelihood_rationale": 50,
    "likelihood_sources": 40,
    "extra": 30,
    "scenario": 24,
    "criterion": 10,
    "class": 8,
    "min": 14,
    "max": 14,
    "axes": 40,
    "rationale": 60,
    "sources": 40,
    "from": 28,
    "to": 28,
    "probability": 12,
    "risk": 20,
    "intensity": 14,
    "scenarios": 32,
}
WRAPPED = {"value", "title", "description", "assumptions", "rationale", "sources"}
WRAPPED |= {"likelihood_rationale", "likelihood_sources", "extra", "axes", "scenarios"}
# a zip that unpacks to far more than the file size allows is refused before openpyxl sees it
MAX_UNPACKED_BYTES = 25 * MAX_BYTES

_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
NUMBER_TEXT = re.compile(_NUM)
RANGE_TEXT = re.compile(rf"\s*({_NUM})\s*\.\.\s*({_NUM})\s*")
TRUE_WORDS = {"true", "ja", "yes", "waar", "1"}
FALSE_WORDS = {"false", "nee", "no", "onwaar", "0"}
# Excel's own escape for characters XML cannot hold (and for a literal "_xHHHH_")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_UNSAFE = re.compile(r"_x[0-9A-Fa-f]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")


# ----------------------------------------------------------------------------- reading


@dataclass
class _Sheet:
    """The rows of one sheet below its header, as {column: value}, with row numbers."""

    title: str
    columns: dict[str, int]
    rows: list[tuple[int, dict[str, Any]]]
    # rows holding a formula or error cell: reported once, kept out of further checks
    dropped: list[tuple[int, dict[str, Any]]]

    def where(self, row: int | None = None) -> str:
        return f"sheet {self.title}" if row is None else f"sheet {self.title}, row {row}"

    def cell(self, column: str, row: int) -> str:
        return f"{get_column_letter(self.columns[column] + 1)}{row}"


@dataclass
class _Reader:
    """Gathers problems while the sheets are turned into plain data."""

    name: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: str, column: str, message: str) -> None:
        self.problems.append(Problem(self.name, where, column, message))


def read_xlsx(data: bytes, name: str) -> tuple[dict[str, Any], Locator]:
    """The workbook's data as plain Python, and the sheet and row each part came from."""
    book = _open(data, name)
    rd = _Reader(name)
    sheets = {ws.title.strip().lower(): ws for ws in book.worksheets}
    edition = _sheet(sheets, "edition", EDITION_COLUMNS, EDITION_COLUMNS, rd, required=True)
    scenarios = _sheet(sheets, "scenarios", SCENARIO_COLUMNS, SCENARIO_REQUIRED, rd, required=True)
    impacts = _sheet(sheets, "impacts", IMPACT_COLUMNS, IMPACT_REQUIRED, rd, required=False)
    raw: dict[str, Any] = {}
    where: Locator = {}
    if edition is not None:
        _read_edition(edition, rd, raw, where)
    if scenarios is not None:
        index = _read_scenarios(scenarios, rd, raw, where)
        if impacts is not None:
            # a scenario row with a formula in its id may be the one its impacts name
            lenient = any(rec.get("id") is None for _, rec in scenarios.dropped)
            _read_impacts(impacts, index, rd, raw, where, lenient=lenient)
    for spec in SECTIONS:
        sheet = _sheet(sheets, spec.sheet, spec.columns, spec.required, rd, required=False)
        if sheet is None:
            continue
        if spec.key in raw:
            msg = (
                f"{spec.key} are both on this sheet and in workbook:{spec.key} on the edition "
                "sheet; keep one"
            )
            rd.add(sheet.where(1), "", msg)
            continue
        items = _read_section(spec, sheet, rd, where)
        if items:
            raw[spec.key] = items
    _raise_problems(rd, SHEET_ORDER, (raw, where))
    return raw, where


def _read_section(spec: _Section, sheet: _Sheet, rd: _Reader, where: Locator) -> list[Any]:
    """The items of a section sheet (the variants grouped into their risks)."""
    if spec is VARIANTS:
        return _read_risks(sheet, rd, where)
    items: list[Any] = []
    for row, rec in sheet.rows:
        where[(spec.key, len(items))] = sheet.where(row)
        for column in spec.columns:
            where[(spec.key, len(items), column)] = sheet.where(row)
        items.append(_section_item(spec, rec, sheet, row, rd))
    return items


def _section_item(
    spec: _Section, rec: dict[str, Any], sheet: _Sheet, row: int, rd: _Reader
) -> dict[str, Any]:
    """One row of a section sheet as the plain data a YAML file gives."""
    out: dict[str, Any] = {}
    for column in spec.columns:
        value = rec.get(column)
        if value is None or column == "extra":
            continue
        if column in spec.lines:
            out[column] = [ln.strip() for ln in _text(value).splitlines() if ln.strip()]
        elif column in spec.numbers and isinstance(value, int | float):
            out[column] = value
        elif column in spec.numbers and NUMBER_TEXT.fullmatch(_text(value).strip()):
            out[column] = float(value)
        else:
            out[column] = _text(value)
    if rec.get("extra") is not None:
        extra = _json(rec["extra"], sheet, "extra", row, rd)
        if isinstance(extra, dict):
            for key, value in extra.items():
                if key in out or key in spec.columns:
                    rd.add(sheet.where(row), "extra", f"{key!r} in extra repeats a column")
                else:
                    out[key] = value
        elif extra is not None:
            rd.add(sheet.where(row), "extra", 'extra is a JSON object such as {"owner": "NCTV"}')
    return out


def _read_risks(sheet: _Sheet, rd: _Reader, where: Locator) -> list[Any]:
    """Rows of the variants sheet grouped by risk, lowest intensity first (row order)."""
    risks: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for row, rec in sheet.rows:
        item = _section_item(VARIANTS, rec, sheet, row, rd)
        rid, scenario = item.pop("risk", None), item.pop("scenario", None)
        title, intensity = item.pop("title", None), item.pop("intensity", None)
        if rid is None:
            rd.add(sheet.where(row), "risk", "fill the risk column of this variant")
            continue
        if rid not in index:
            index[rid] = len(risks)
            where[("risks", len(risks))] = sheet.where(row)
            risks.append({"id": rid, "variants": []})
        i = index[rid]
        risk = risks[i]
        if title is not None:
            if "title" in risk and risk["title"] != title:
                msg = f"risk {rid!r} has another title on an earlier row; give it once"
                rd.add(sheet.where(row), "title", msg)
            risk.setdefault("title", title)
            where[("risks", i, "title")] = sheet.where(row)
        for key, value in item.items():  # the risk's own fields, from extra
            if key in risk:
                rd.add(sheet.where(row), "extra", f"{key!r} of risk {rid!r} is given twice")
            risk[key] = value
        if scenario is None:
            rd.add(sheet.where(row), "scenario", "fill the scenario column of this variant")
            continue
        variant = {"scenario": scenario} | ({"intensity": intensity} if intensity else {})
        where[("risks", i, "variants", len(risk["variants"]))] = sheet.where(row)
        risk["variants"].append(variant)
    return risks


def _raise_problems(rd: _Reader, order: Sequence[str], readable: Any = None) -> None:
    """Raise every problem found, sheet by sheet (in ``order``) and row by row, as the
    analyst will fix them; ``readable`` is what could be read all the same (the rows without
    a bad cell), so the later checks can add their findings."""
    if not rd.problems:
        return

    def place(problem: Problem) -> tuple[int, int]:
        m = re.match(r"sheet (\w+)(?:, row (\d+))?", problem.where)
        if m is None:
            return (-1, 0)
        return (list(order).index(m[1]) if m[1] in order else len(order), int(m[2] or 0))

    problems = sorted(rd.problems, key=place)
    error = WorkbookError(f"{rd.name}: {problem_count(len(problems))}", problems)
    error.readable = readable
    raise error


def _refuse(name: str, message: str) -> WorkbookError:
    return WorkbookError(f"{name}: {message}", [Problem(name, "", "", message)])


def _open(data: bytes, name: str) -> Any:
    """The openpyxl workbook, refusing what is not a plain .xlsx or carries macros."""
    macro = "a macro-enabled workbook; natrisk opens no macros: save it as .xlsx and try again"
    if name.lower().endswith(".xlsm"):
        raise _refuse(name, macro)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(name, _not_xlsx(name)) from exc
    if any(i.filename.lower().endswith("vbaproject.bin") for i in infos):
        raise _refuse(name, macro)
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise _refuse(name, "the workbook unpacks to more than the size limit allows")
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it drops (validation, styles); we read values
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types on damaged files; all mean the same
        long = long_numbers.in_xlsx(data)  # but for a number too long to read: say where
        if long is not None:
            title, cell, text = long
            row = "".join(ch for ch in cell if ch.isdigit())
            problem = Problem(
                name, f"sheet {title}, row {row}", "", f"cell {cell}: {long_numbers.advice(text)}"
            )
            raise WorkbookError(f"{name}: number too long", [problem]) from exc
        raise _refuse(name, _not_xlsx(name)) from exc


def _not_xlsx(name: str) -> str:
    if name.lower().endswith(".xls"):
        return "an old .xls file; open it in Excel and save it as .xlsx (Excel Workbook)"
    return "not a valid .xlsx workbook (damaged, or another kind of file renamed .xlsx)"


def _sheet(
    sheets: dict[str, Worksheet],
    title: str,
    known: tuple[str, ...],
    needed: tuple[str, ...],
    rd: _Reader,
    *,
    required: bool,
) -> _Sheet | None:
    """One sheet's header and non-empty rows; None (with problems) when it is unusable."""
    ws = sheets.get(title)
    if ws is None:
        if required:
            msg = f"the sheet is missing; it needs the columns {', '.join(needed)}"
            rd.add(f"sheet {title}", "", msg)
        return None
    grid = _values(ws, title, rd)
    header = grid[0][1] if grid and grid[0][0] == 1 else []
    columns = _header(header, title, known, needed, rd, extras=title == "scenarios")
    if columns is None:
        return None
    sheet = _Sheet(title, columns, [], [])
    used = set(columns.values())
    for row, values, bad in grid:
        if row == 1:
            continue
        for col, value in enumerate(values):
            if value is not None and col not in used:
                where = sheet.where(row)
                rd.add(where, "", f"cell {get_column_letter(col + 1)}{row} has no column header")
        padded = values + [None] * len(header)
        rec = {k: padded[i] for k, i in columns.items()}
        (sheet.dropped if bad else sheet.rows).append((row, rec))
    return sheet


def _values(ws: Worksheet, title: str, rd: _Reader) -> list[tuple[int, list[Any], bool]]:
    """Non-empty rows as (row number, values, has a bad cell); formulas become problems.

    Only the cells the file holds are visited: ``ws.iter_rows()`` would make a cell for every
    place in the used range, so one stray value at ZZ200000 would cost hundreds of millions.
    """
    by_row: dict[int, dict[int, Any]] = {}
    for (row, col), cell in ws._cells.items():
        by_row.setdefault(row, {})[col] = cell
    grid: list[tuple[int, list[Any], bool]] = []
    for row in sorted(by_row):
        cells = by_row[row]
        values: list[Any] = [None] * max(cells)
        count = len(rd.problems)
        for col in sorted(cells):
            cell = cells[col]
            where = f"sheet {title}, row {row}"
            if cell.data_type == "f":
                rd.add(where, "", f"formula in cell {cell.coordinate}; paste the value instead")
            elif cell.data_type == "e":
                rd.add(where, "", f"error {cell.value} in cell {cell.coordinate}; type a value")
            else:
                values[col - 1] = _cell_value(cell)
        while values and values[-1] is None:
            values.pop()
        if values or len(rd.problems) > count:
            grid.append((row, values, len(rd.problems) > count))
    return grid


def _cell_value(cell: Any) -> Any:
    value = cell.value
    if isinstance(value, str):
        value = _unescape(value)
        return value if value.strip() else None
    if isinstance(value, datetime) and value.time() == time(0) and "h" not in cell.number_format:
        return value.date()
    return value


def _header(
    header: list[Any],
    title: str,
    known: tuple[str, ...],
    needed: tuple[str, ...],
    rd: _Reader,
    *,
    extras: bool,
) -> dict[str, int] | None:
    """Column name → index from the header row; None when a needed column is missing."""
    columns: dict[str, int] = {}
    where = f"sheet {title}, row 1"
    for i, value in enumerate(header):
        if value is None:
            continue
        name = _text(value).strip()
        key = name.lower() if name.lower() in known else name
        if key in columns:
            rd.add(where, key, f"column {name!r} appears twice")
        elif key not in known and not extras:
            rd.add(where, key, f"unknown column {name!r}; the columns are {', '.join(known)}")
        else:
            columns[key] = i
    missing = [c for c in needed if c not in columns]
    if missing:
        rd.add(where, "", f"missing column(s) {', '.join(missing)} in the header row")
        return None
    return columns


def _read_edition(sheet: _Sheet, rd: _Reader, raw: dict[str, Any], where: Locator) -> None:
    edition: dict[str, Any] = {}
    where[("edition",)] = sheet.where()
    seen: dict[str, int] = {}
    for row, rec in sheet.rows:
        if rec["key"] is None:
            rd.add(sheet.where(row), "key", "a value without a key; fill the key column")
            continue
        key = _text(rec["key"]).strip()
        key = key.lower() if key.lower() in EDITION_KEYS else key
        if key in seen:
            rd.add(sheet.where(row), "key", f"key {key!r} is also on row {seen[key]}")
            continue
        seen[key] = row
        path = _edition_entry(key, rec["value"], sheet, row, rd, raw, edition)
        if path is not None:
            where[path] = sheet.where(row)
    raw["edition"] = edition


def _edition_entry(
    key: str,
    value: Any,
    sheet: _Sheet,
    row: int,
    rd: _Reader,
    raw: dict[str, Any],
    edition: dict[str, Any],
) -> tuple[str, ...] | None:
    """Store one key/value row where it belongs; the data path it went to."""
    if value is None:
        return None
    if key.lower() == "format":
        raw["format"] = _text(value)
        return ("format",)
    if key.lower() in EDITION_KEYS:
        edition[key.lower()] = _text(value)
        return ("edition", key.lower())
    if key.startswith("workbook:"):
        name = key.removeprefix("workbook:")
        if name in ("format", "edition", "scenarios"):
            rd.add(sheet.where(row), "key", f"{key!r} clashes with a part of the workbook")
            return None
        raw[name] = _json(value, sheet, "value", row, rd)
        return (name,)
    if key.startswith("json:"):
        key = key.removeprefix("json:")
        value = _json(value, sheet, "value", row, rd)
    edition[key] = value
    return ("edition", key)


def _read_scenarios(
    sheet: _Sheet, rd: _Reader, raw: dict[str, Any], where: Locator
) -> dict[str, int]:
    """Fill raw['scenarios']; the index of each scenario id."""
    scenarios: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    rows: dict[str, int] = {}
    where[("scenarios",)] = sheet.where()
    for row, rec in sheet.rows:
        item = _scenario(rec, sheet, row, rd)
        sid = item.get("id")
        if isinstance(sid, str):
            if sid in rows:
                rd.add(sheet.where(row), "id", f"scenario id {sid!r} is also on row {rows[sid]}")
            rows[sid] = row
            index[sid] = len(scenarios)
        where[("scenarios", len(scenarios))] = sheet.where(row)
        where[("scenarios", len(scenarios), "likelihood")] = sheet.where(row)
        scenarios.append(item)
    raw["scenarios"] = scenarios
    for _, rec in sheet.dropped:  # their impacts are not "of an unknown scenario"
        if rec.get("id") is not None:
            index.setdefault(_text(rec["id"]).strip(), -1)
    return index


def _scenario(rec: dict[str, Any], sheet: _Sheet, row: int, rd: _Reader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("id", "title", "theme", "description", "assumptions", "classification"):
        if rec.get(key) is not None:
            out[key] = _text(rec[key])
    if rec.get("malicious") is not None:
        out["malicious"] = _bool(rec["malicious"], sheet, row, rd)
    likelihood = _likelihood(rec)
    if likelihood is not None:
        out["likelihood"] = likelihood
    out.update(_extras(rec, sheet, row, rd))
    out["impacts"] = {}
    return out


def _likelihood(rec: dict[str, Any]) -> dict[str, Any] | None:
    value = rec.get("likelihood")
    out: dict[str, Any] = {}
    if isinstance(value, str) and (m := RANGE_TEXT.fullmatch(value)):
        out["probability"] = {"min": float(m[1]), "max": float(m[2])}
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out["probability"] = value
    elif value is not None:
        out["class"] = value
    _notes(out, rec.get("likelihood_rationale"), rec.get("likelihood_sources"))
    return out or None


def _notes(out: dict[str, Any], rationale: Any, sources: Any) -> None:
    if rationale is not None:
        out["rationale"] = _text(rationale)
    if sources is not None:
        lines = [line.strip() for line in _text(sources).splitlines()]
        out["sources"] = [line for line in lines if line]


def _extras(rec: dict[str, Any], sheet: _Sheet, row: int, rd: _Reader) -> dict[str, Any]:
    """Extra scenario fields: the JSON object in 'extra' and any column of the analyst's own."""
    out = {k: v for k, v in rec.items() if k not in SCENARIO_COLUMNS and v is not None}
    if rec.get("extra") is None:
        return out
    extra = _json(rec["extra"], sheet, "extra", row, rd)
    if not isinstance(extra, dict):
        if extra is not None:
            rd.add(sheet.where(row), "extra", 'extra is a JSON object such as {"owner": "NCTV"}')
        return out
    for key, value in extra.items():
        if key in Scenario.model_fields or key in out:
            rd.add(sheet.where(row), "extra", f"{key!r} in extra repeats a column; keep one")
        else:
            out[key] = value
    return out


def _read_impacts(
    sheet: _Sheet,
    index: dict[str, int],
    rd: _Reader,
    raw: dict[str, Any],
    where: Locator,
    *,
    lenient: bool,
) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row, rec in sheet.rows:
        sid, cid = _key(rec["scenario"]), _key(rec["criterion"])
        if sid is None or cid is None:
            column = "scenario" if sid is None else "criterion"
            rd.add(sheet.where(row), column, f"fill the {column} column of this impact")
            continue
        if sid not in index:
            if lenient:
                continue
            rd.add(sheet.where(row), "scenario", f"scenario {sid!r} is not on the scenarios sheet")
            continue
        if (sid, cid) in seen:
            msg = f"criterion {cid} of scenario {sid!r} is also on row {seen[(sid, cid)]}"
            rd.add(sheet.where(row), "criterion", msg)
            continue
        seen[(sid, cid)] = row
        i = index[sid]
        if i < 0:
            continue
        raw["scenarios"][i]["impacts"][cid] = _score(rec, sheet, row, rd)
        where[("scenarios", i, "impacts", cid)] = sheet.where(row)


def _score(rec: dict[str, Any], sheet: _Sheet, row: int, rd: _Reader) -> dict[str, Any]:
    """One impact row as a full-form score; pydantic judges which forms were given."""
    out: dict[str, Any] = {}
    if rec.get("class") is not None:
        out["class"] = _text(rec["class"])
    low = _number(rec.get("min"), sheet, "min", row, rd)
    high = _number(rec.get("max"), sheet, "max", row, rd)
    if high is not None and low is None and rec.get("min") is None:
        rd.add(sheet.where(row), "min", "max without min; fill min (and max for a range)")
    elif low is not None:
        out["quantity"] = low if high is None or high == low else {"min": low, "max": high}
    if rec.get("axes") is not None:
        axes = _json(rec["axes"], sheet, "axes", row, rd)
        if isinstance(axes, dict):
            out["axes"] = {str(k): _point(v) for k, v in axes.items()}
        elif axes is not None:
            msg = 'axes is a JSON object such as {"people": {"min": 1e6, "max": 2e6}, "days": 5}'
            rd.add(sheet.where(row), "axes", msg)
    _notes(out, rec.get("rationale"), rec.get("sources"))
    if rec.get("classification") is not None:
        out["classification"] = _text(rec["classification"])
    return out


def _point(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"min": value, "max": value}
    return value


def _number(value: Any, sheet: _Sheet, column: str, row: int, rd: _Reader) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and NUMBER_TEXT.fullmatch(value.strip()):
        return float(value)
    shown = _text(value) if not isinstance(value, bool) else str(value).upper()
    msg = f"{shown!r} in cell {sheet.cell(column, row)} is not a number; write e.g. 1500 or 2.5e9"
    rd.add(sheet.where(row), column, msg)
    return None


def _json(value: Any, sheet: _Sheet, column: str, row: int, rd: _Reader) -> Any:
    try:
        return long_numbers.loads_json(_text(value))
    except long_numbers.LongNumber as exc:
        rd.add(sheet.where(row), column, f"cell {sheet.cell(column, row)}: {exc}")
        return None
    except json.JSONDecodeError as exc:
        cell = sheet.cell(column, row)
        msg = f"malformed JSON in cell {cell}: {exc.msg} (character {exc.pos + 1})"
        rd.add(sheet.where(row), column, msg)
        return None


def _bool(value: Any, sheet: _Sheet, row: int, rd: _Reader) -> Any:
    if isinstance(value, bool):
        return value
    word = _text(value).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    msg = f"{_text(value)!r} in cell {sheet.cell('malicious', row)} is not TRUE or FALSE (ja/nee)"
    rd.add(sheet.where(row), "malicious", msg)
    return value


def _key(value: Any) -> str | None:
    return None if value is None else _text(value).strip()


def _text(value: Any) -> str:
    """A cell as text: numbers an analyst typed in a text column are taken as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


# ----------------------------------------------------------------------------- writing


def write_xlsx(book: Workbook, path: Path) -> None:
    """Write a workbook as .xlsx: sheets edition, scenarios, impacts, the sections on how
    threats combine (variants, links, compounds) and a README."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "edition"
    extra = book.model_extra or {}
    on_sheet = {
        spec.key: rows
        for spec in SECTIONS
        if spec.key in extra and (rows := _section_rows(spec, extra[spec.key])) is not None
    }
    _fill(ws, EDITION_COLUMNS, _edition_rows(book, set(on_sheet)))
    _fill(wb.create_sheet("scenarios"), SCENARIO_COLUMNS, map(_scenario_row, book.scenarios))
    _fill(wb.create_sheet("impacts"), IMPACT_COLUMNS, _impact_rows(book))
    for spec in SECTIONS:
        rows = on_sheet.get(spec.key)
        if rows is not None:
            _fill(wb.create_sheet(spec.sheet), spec.columns, rows)
    _readme(wb.create_sheet("README"))
    _save(wb, Path(path))


def _section_rows(spec: _Section, items: Any) -> list[tuple[Any, ...]] | None:
    """The rows of a section sheet; None when the sheet could not give the items back
    exactly (then the section stays a JSON text on the edition sheet)."""
    if not isinstance(items, list) or not items:
        return None
    try:
        rows = list(_risk_rows(items) if spec is VARIANTS else _item_rows(spec, items))
    except _NotTabular:
        return None
    rd = _Reader("")
    sheet = _Sheet(spec.sheet, {c: i for i, c in enumerate(spec.columns)}, [], [])
    sheet.rows = [
        (r, {c: _as_read(v) for c, v in zip(spec.columns, values, strict=True)})
        for r, values in enumerate(rows, start=2)
    ]
    back = _read_section(spec, sheet, rd, {})
    return rows if back == items and not rd.problems else None


class _NotTabular(Exception):
    """An item a section sheet cannot hold."""


def _item_rows(spec: _Section, items: list[Any]) -> Iterator[tuple[Any, ...]]:
    for item in items:
        if not isinstance(item, dict) or "extra" in item:
            raise _NotTabular
        extra = {k: v for k, v in item.items() if k not in spec.columns}
        yield tuple(
            (_to_json(extra) if extra else None)
            if c == "extra"
            else _lines_cell(item.get(c))
            if c in spec.lines
            else _cell_of(item.get(c))
            for c in spec.columns
        )


def _risk_rows(risks: list[Any]) -> Iterator[tuple[Any, ...]]:
    for risk in risks:
        if not isinstance(risk, dict) or not isinstance(risk.get("variants"), list):
            raise _NotTabular
        extra = {k: v for k, v in risk.items() if k not in ("id", "title", "variants")}
        if not risk["variants"] or "extra" in extra:
            raise _NotTabular
        for j, v in enumerate(risk["variants"]):
            if not isinstance(v, dict):
                raise _NotTabular
            first = j == 0
            yield (
                risk.get("id"),
                risk.get("title") if first else None,
                v.get("scenario"),
                v.get("intensity"),
                _to_json(extra) if first and extra else None,
            )


def _cell_of(value: Any) -> Any:
    """A number a cell cannot hold exactly goes as its text (read back as that number)."""
    if isinstance(value, float) and not _exact(value):
        return repr(value)
    return value


def _lines_cell(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "\n".join(value)
    if value is None:
        return None
    raise _NotTabular


def _as_read(value: Any) -> Any:
    """A value as it comes back from the cell it is written to."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if _exact(value) else repr(value)
    raise _NotTabular


def _edition_rows(book: Workbook, on_sheets: set[str]) -> Iterator[tuple[Any, ...]]:
    yield ("format", book.format)
    for key in EDITION_KEYS[1:]:
        value = getattr(book.edition, key)
        if value is not None:
            yield (key, value)
    for key, value in (book.edition.model_extra or {}).items():
        plain = ":" not in key and key.lower() not in EDITION_KEYS and _plain(value)
        yield (key, value) if plain else (f"json:{key}", _to_json(value))
    for key, value in (book.model_extra or {}).items():
        if key not in on_sheets:
            yield (f"workbook:{key}", _to_json(value))


def _plain(value: Any) -> bool:
    """Whether a value survives a cell of its own type unchanged."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, datetime | bool):
        return False
    return isinstance(value, date) or (isinstance(value, int | float) and _exact(value))


def _exact(value: float) -> bool:
    # openpyxl writes numbers with 16 significant digits; a few doubles need 17, and the
    # subnormal ones (below about 2.2e-308) do not come back as written
    if not math.isfinite(value) or (value != 0 and abs(value) < sys.float_info.min):
        return False
    return float(f"{value:.16g}") == value


def _to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _scenario_row(s: Scenario) -> tuple[Any, ...]:
    lh = s.likelihood
    extra = _to_json(s.model_extra) if s.model_extra else None
    head = (s.id, s.title, s.theme, s.malicious, s.description, s.assumptions)
    notes = (lh.rationale, "\n".join(lh.sources), s.classification)
    return (*head, _likelihood_cell(lh), *notes, extra)


def _likelihood_cell(lh: Likelihood) -> Any:
    p = lh.probability
    if p is None:
        return class_text(lh)
    if p.min == p.max and _exact(p.min):
        return p.min
    return f"{p.min!r}..{p.max!r}"


def _impact_rows(book: Workbook) -> Iterator[tuple[Any, ...]]:
    for s in book.scenarios:
        for cid, score in s.impacts.items():
            notes = (score.rationale, "\n".join(score.sources), score.classification)
            yield (s.id, cid, *_score_cells(score), *notes)


def _score_cells(score: Score) -> tuple[Any, Any, Any, Any]:
    """The class, min, max and axes cells of a score."""
    q = score.quantity
    low = high = axes = None
    if q is not None:
        low, high = _number_cell(q.min), _number_cell(q.max)
    if score.axes is not None:
        axes = _to_json({k: _axis(r) for k, r in score.axes.items()})
    return (class_text(score) if score.klass is not None else None), low, high, axes


def _axis(r: Range) -> Any:
    return r.min if r.min == r.max else {"min": r.min, "max": r.max}


def _number_cell(value: float) -> Any:
    return value if _exact(value) else repr(value)


def _fill(ws: Worksheet, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """Header (bold, frozen, filterable) and rows, strings always as text, never formulas."""
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for col, name in enumerate(columns, start=1):
        _put(ws, 1, col, name).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS.get(name, 16)
    for r, values in enumerate(rows, start=2):
        for col, value in enumerate(values, start=1):
            cell = _put(ws, r, col, value)
            cell.alignment = wrap if columns[col - 1] in WRAPPED else top
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 2)}"


def _put(ws: Worksheet, row: int, col: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        if value:
            cell.value = _escape(value)
            cell.data_type = "s"  # not a formula or error code, whatever the text starts with
    elif isinstance(value, date) and not isinstance(value, datetime):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = value
    return cell


def _escape(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        s = m[0]
        return "_x005F" + s if len(s) > 1 else f"_x{ord(s):04X}_"

    return _UNSAFE.sub(sub, text)


README_TEXT = """\
natrisk workbook / natrisk-werkmap

English
This file holds one edition of a risk picture. natrisk reads the sheets edition, scenarios,
impacts, variants, links and compounds; this README sheet and any other sheet are ignored.
- edition: one row per key (format, id, title, framework, description, then your own keys).
  A key written as json:KEY holds its value as JSON text; workbook:KEY is a top-level key.
- scenarios: one row per scenario. malicious is TRUE or FALSE. likelihood is a class
  ("B", "B-C"), a probability (0.02) or a probability range written as text ("0.01..0.04").
  Sources go one per line in the cell. extra holds further fields as a JSON object.
- impacts: one row per scenario and criterion. Fill exactly one of: class ("C", "B-C", "X");
  min and max (a quantity; a single value has min = max or only min); axes (JSON for
  two-dimensional criteria, e.g. {"people": {"min": 1e6, "max": 2e6}, "days": 5}).
- variants, links, compounds (optional): how threats combine. variants: one row per
  variant of a risk, lowest intensity first (title once per risk). links: "from" can cause
  "to", with a probability (0.3) or a class ("10-50%", "CP3"). compounds: scenarios that
  strike together, one scenario id per line, with a likelihood class.
- Numbers use a decimal point. Type values, never formulas: a file with formulas is refused.
  Save as .xlsx; files with macros (.xlsm) are refused.

Nederlands
Dit bestand bevat een editie van een risicobeeld. natrisk leest de tabbladen edition,
scenarios, impacts, variants, links en compounds; dit README-tabblad en andere tabbladen
worden overgeslagen.
- edition: een regel per sleutel (format, id, title, framework, description, daarna eigen
  sleutels). Een sleutel json:SLEUTEL bevat de waarde als JSON-tekst; workbook:SLEUTEL is
  een sleutel op het hoogste niveau.
- scenarios: een regel per scenario. malicious is WAAR of ONWAAR (of ja/nee). likelihood is
  een klasse ("B", "B-C"), een kans (0.02) of een kansbereik als tekst ("0.01..0.04").
  Bronnen staan een per regel in de cel. extra bevat overige velden als JSON-object.
- impacts: een regel per scenario en criterium. Vul precies een van: class ("C", "B-C", "X");
  min en max (een hoeveelheid; een enkele waarde heeft min = max of alleen min); axes (JSON
  voor tweedimensionale criteria, bv. {"people": {"min": 1e6, "max": 2e6}, "days": 5}).
- variants, links, compounds (optioneel): hoe dreigingen samenhangen. variants: een regel
  per variant van een risico, laagste intensiteit eerst (titel eenmaal per risico). links:
  "from" kan "to" veroorzaken, met een kans (0.3) of een klasse ("10-50%", "CP3").
  compounds: scenario's die samen optreden, een scenario-id per regel, met een
  waarschijnlijkheidsklasse.
- Getallen met een decimale punt. Typ waarden, geen formules: een bestand met formules wordt
  geweigerd. Sla op als .xlsx; bestanden met macro's (.xlsm) worden geweigerd.
"""


def _readme(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 100
    for r, line in enumerate(README_TEXT.splitlines(), start=1):
        cell = _put(ws, r, 1, line)
        if r == 1 or line in ("English", "Nederlands"):
            cell.font = Font(bold=True)


def _save(wb: Any, path: Path) -> None:
    """Write next to the target and move into place, so no half-written file is left."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".natrisk-", suffix=".xlsx", dir=path.parent)
        os.close(fd)
        try:
            wb.save(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
