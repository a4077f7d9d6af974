"""Files of named tables: one sheet per table in an XLSX workbook, or one CSV file whose first
column, ``table``, names the table of each row. The one sheet-to-rows mapping of the table
forms (trends; signals may use it too), so each format only says which tables and columns it has.

Reading gives ``{table: [(where, {column: value}), ...]}`` with ``where`` as problems name it
("sheet Trends, row 7" or "line 7"); empty cells are left out. Every problem of the file's
layout (unknown columns and tables, formulas, a missing sheet) is raised at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from natrisk.errors import OutputError, Problem, WorkbookError

Rows = dict[str, list[tuple[str, dict[str, Any]]]]
Tables = dict[str, tuple[str, ...]]
MAX_CELL_TEXT = 32767  # an Excel cell's limit; a longer text is refused, never cut short


def as_text(value: Any) -> str:
    """A cell as text: a whole float as written, a boolean as yes/no, a date as its ISO day."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):  # an Excel date cell
        return str(value.isoformat())[:10]
    return str(value)


def xlsx_rows(data: bytes, name: str, tables: Tables, required: Iterable[str] = ()) -> Rows:
    """The rows of each table's sheet (guards of natrisk.io.xlsx: size, macros, formulas)."""
    from natrisk.io.xlsx import _open, _raise_problems, _Reader, _values

    book = _open(data, name)
    rd = _Reader(name)
    needed = set(required)
    out: Rows = {}
    sheets = {ws.title.strip().lower(): ws for ws in book.worksheets}
    for table, columns in tables.items():
        ws = sheets.get(table.lower())
        if ws is None:
            if table in needed:
                rd.add(f"sheet {table}", "", "the sheet is missing")
            continue
        grid = _values(ws, table, rd)
        first = grid[0][1] if grid and grid[0][0] == 1 else []
        header = [str(v).strip().lower() if v is not None else "" for v in first]
        for col in header:
            if col and col not in columns:
                msg = f"unknown column {col!r}; the columns are {', '.join(columns)}"
                rd.add(f"sheet {table}, row 1", col, msg)
        rows = out.setdefault(table, [])
        for row, values, bad in grid:
            if row == 1 or bad:
                continue
            rec = {h: v for h, v in zip(header, values, strict=False) if h and v is not None}
            if rec:
                rows.append((f"sheet {table}, row {row}", rec))
    _raise_problems(rd, list(tables))
    return out


def csv_rows(text: str, name: str, tables: Tables, default: str | None = None) -> Rows:
    """The rows of each table of a CSV file; without a ``table`` column every row belongs to
    ``default`` (when given)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    out: Rows = {}
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise WorkbookError(
            f"{name}: empty", [Problem(name, "", "", "the file is empty")]
        ) from None
    except csv.Error as exc:
        raise WorkbookError(f"{name}: not CSV", [Problem(name, "line 1", "", str(exc))]) from exc
    known = {c for cols in tables.values() for c in cols} | {"table"}
    for col in header:
        if col not in known:
            problems.append(Problem(name, "line 1", col, f"unknown column {col!r}"))
    if "table" not in header and default is None:
        problems.append(Problem(name, "line 1", "table", "the first column 'table' is missing"))
    start = reader.line_num + 1
    try:
        for values in reader:
            where, start = f"line {start}", reader.line_num + 1
            rec = {h: v for h, v in zip(header, values, strict=False) if v != ""}
            table = str(rec.pop("table", default if "table" not in header else "") or "").strip()
            if not rec and not table:
                continue
            match = next((t for t in tables if t.lower() == table.lower()), None)
            if match is None:
                msg = f"unknown table {table!r}; tables are {', '.join(tables)}"
                problems.append(Problem(name, where, "table", msg))
                continue
            for col in rec:
                if col not in tables[match]:
                    msg = f"column {col!r} does not belong to table {match}"
                    problems.append(Problem(name, where, col, msg))
            out.setdefault(match, []).append((where, rec))
    except csv.Error as exc:
        problems.append(Problem(name, f"line {reader.line_num}", "", f"invalid CSV: {exc}"))
    if problems:
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems)
    return out


def csv_text(tables: Tables, rows: Iterable[tuple[str, list[tuple[Any, ...]]]]) -> str:
    """One CSV text of every table's rows (values in the order of its columns; None is empty)."""
    columns = ["table", *dict.fromkeys(c for cols in tables.values() for c in cols)]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for table, values in rows:
        for row in values:
            rec = dict(zip(tables[table], row, strict=True))
            writer.writerow(
                [table] + ["" if rec.get(c) is None else as_text(rec[c]) for c in columns[1:]]
            )
    return buf.getvalue()


def xlsx_bytes(tables: Tables, rows: Iterable[tuple[str, list[tuple[Any, ...]]]]) -> bytes:
    """An .xlsx workbook with one sheet per table (header bold and frozen; text never a formula)."""
    import openpyxl
    from openpyxl.styles import Font

    from natrisk.io.xlsx import _put

    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None  # a new workbook always has one sheet
    wb.remove(first)
    for table, values in rows:
        ws = wb.create_sheet(table)
        for col, column in enumerate(tables[table], start=1):
            _put(ws, 1, col, column).font = Font(bold=True)
        for r, row in enumerate(values, start=2):
            for col, value in enumerate(row, start=1):
                if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
                    raise OutputError(
                        f"cannot write .xlsx: sheet {table}, row {r} holds {len(value):,} "
                        "characters, more than an Excel cell can; write .yaml instead"
                    )
                if value is not None:
                    _put(ws, r, col, value)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
