"""Signal files (format natrisk-signals/1): YAML and JSON (canonical), XLSX and CSV (tables).

The table form has one table per part, one row per item; an XLSX workbook holds each table on
its sheet, a CSV file holds all of them, its first column naming the table::

    File             key | value     format, edition, and text notes (such as 'illustrative')
    Signals          id, title, description, observed, themes, scenarios, horizon,
                     classification, organisation, strength, direction, status,
                     absorbed_into, reason
    Sources          signal, reference, organisation, date
    Scans            id, title, start, end, status, adopted_on, adopted_by
    Interpretations  scan, theme, text
    Snapshot         scan, signal, title, themes, scenarios, horizon, status, strength,
                     direction, classification
    Clusters         id, label, signals

An empty cell means the field is absent; lists (themes, scenarios, signals) are separated by
';'. Reading gathers every problem, each named by file and line (YAML, JSON, CSV) or sheet and
row (XLSX), and raises one WorkbookError; nothing is half-read. Writing is lossless: reading a
written file gives the same signals, scans and clusters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from natrisk.domain.signals import SIGNALS_FORMAT, Signal, SignalFile, file_problems
from natrisk.errors import OutputError, Problem, WorkbookError
from natrisk.io import tables
from natrisk.io.files import decode_text, read_bytes, write_text_atomic
from natrisk.io.plan import _Dumper, _message
from natrisk.io.tables import Rows, as_text
from natrisk.io.workbook import Locator, _is_internal, _locate, _read_json, _read_yaml, _too_deep

SUFFIXES = (".yaml", ".yml", ".json", ".xlsx", ".csv")
SIGNAL_COLUMNS = (
    "id",
    "title",
    "description",
    "observed",
    "themes",
    "scenarios",
    "horizon",
    "classification",
    "organisation",
    "strength",
    "direction",
    "status",
    "absorbed_into",
    "reason",
)
TABLES: dict[str, tuple[str, ...]] = {
    "File": ("key", "value"),
    "Signals": SIGNAL_COLUMNS,
    "Sources": ("signal", "reference", "organisation", "date"),
    "Scans": ("id", "title", "start", "end", "status", "adopted_on", "adopted_by"),
    "Interpretations": ("scan", "theme", "text"),
    "Snapshot": (
        "scan",
        "signal",
        "title",
        "themes",
        "scenarios",
        "horizon",
        "status",
        "strength",
        "direction",
        "classification",
    ),
    "Clusters": ("id", "label", "signals"),
}
_LISTS = {"themes", "scenarios", "signals"}
_PARTS = {"signals": "signal", "scans": "scan", "clusters": "cluster"}


# ----------------------------------------------------------------------------- reading


def load_signals(path: Path) -> SignalFile:
    """Read a signal file of any supported format."""
    path = Path(path)
    return parse_upload(read_bytes(path), str(path))


def parse_upload(data: bytes, name: str) -> SignalFile:
    """A signal file from its bytes (YAML, JSON, XLSX or CSV, by the name's suffix)."""
    return parse_located(data, name)[0]


def parse_located(
    data: bytes, name: str
) -> tuple[SignalFile, Callable[[tuple[Any, ...], str], Problem]]:
    """The file, and a function placing a later finding (by its path in the file) at its
    line or row, so checks against the database name the place too."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        msg = "a signal file is .yaml, .yml, .json, .xlsx or .csv"
        raise WorkbookError(f"{name}: {msg}", [Problem(name, "", "", msg)])
    if suffix == ".xlsx":
        raw, where = _from_rows(tables.xlsx_rows(data, name, TABLES, ("Signals",)), name)
    elif suffix == ".csv":
        text = decode_text(data, name)
        raw, where = _from_rows(tables.csv_rows(text, name, TABLES, default="Signals"), name)
    else:
        text = decode_text(data, name)
        raw, where = _read_json(text, name) if suffix == ".json" else _read_yaml(text, name)
    doc = parse_signals(raw, where, name)
    return doc, lambda loc, message: _problem(loc, message, raw, where, name)


def parse_signals(raw: Any, where: Locator, name: str) -> SignalFile:
    """Validate plain data as a signal file; raise one WorkbookError listing every problem."""
    if not isinstance(raw, dict):
        msg = "a signal file is a mapping with keys format, signals, scans, clusters"
        raise WorkbookError(f"{name}: not a signal file", [Problem(name, "", "", msg)])
    try:
        doc = SignalFile.model_validate(raw)
    except RecursionError as exc:
        raise _too_deep(name, exc) from exc
    except ValidationError as exc:
        problems = [_problem(tuple(e["loc"]), _message(e), raw, where, name) for e in exc.errors()]
        error = WorkbookError(f"{name}: {len(problems)} problem(s)", problems)
        # the signals that are valid on their own, by their place in the file, so the checks
        # against the database can name their problems in the same answer
        error.partial = list(_valid_signals(raw.get("signals")))
        error.locate = lambda loc, message: _problem(loc, message, raw, where, name)
        raise error from exc
    found = file_problems(doc)
    if found:
        problems = [_problem(loc, msg, raw, where, name) for loc, msg in found]
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems)
    return doc


def _valid_signals(items: Any) -> Iterator[tuple[int, Signal]]:
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        try:
            yield i, Signal.model_validate(item)
        except (ValidationError, TypeError, ValueError):
            continue


def _problem(loc: tuple[Any, ...], message: str, raw: Any, where: Locator, name: str) -> Problem:
    subject, rest = "", loc
    if len(loc) >= 2 and loc[0] in _PARTS and isinstance(loc[1], int):
        items = raw.get(str(loc[0])) or []
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        ident = item.get("id") if isinstance(item, dict) else None
        part = _PARTS[str(loc[0])]
        subject = f"{part} {ident}" if ident else f"{part} #{loc[1] + 1}"
        rest = loc[2:]
    field = ".".join(str(p) for p in rest if not _is_internal(p))
    place = ", ".join(p for p in (_locate(loc, where), subject) if p)
    return Problem(name, place, field, message)


def _fields(rec: dict[str, Any], columns: tuple[str, ...], skip: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in columns[skip:]:
        if c in rec:
            text = as_text(rec[c])
            out[c] = [p.strip() for p in text.split(";") if p.strip()] if c in _LISTS else text
    return out


def _from_rows(rows: Rows, name: str) -> tuple[dict[str, Any], Locator]:
    """The plain data a YAML signal file gives, and where each part came from."""
    raw: dict[str, Any] = {}
    where: Locator = {}
    problems: list[Problem] = []
    for place, rec in rows.get("File", []):
        key = as_text(rec.get("key", "")).strip()
        if not key or key in ("signals", "scans", "clusters"):
            problems.append(Problem(name, place, "key", f"not a key of the file: {key!r}"))
        else:
            raw[key] = as_text(rec.get("value", ""))
            where[(key,)] = place
    raw.setdefault("format", SIGNALS_FORMAT)
    signals = raw.setdefault("signals", [])
    for place, rec in rows.get("Signals", []):
        where[("signals", len(signals))] = place
        signals.append(_fields(rec, SIGNAL_COLUMNS))
    index = {s.get("id"): k for k, s in enumerate(signals) if isinstance(s.get("id"), str)}
    for place, rec in rows.get("Sources", []):
        fields = _fields(rec, TABLES["Sources"], skip=1)
        k = index.get(as_text(rec.get("signal", "")).strip())
        if k is None:
            problems.append(Problem(name, place, "signal", "no such signal on the Signals table"))
            continue
        items = signals[k].setdefault("sources", [])
        where[("signals", k, "sources", len(items))] = place
        items.append(fields)
    scans = raw.setdefault("scans", [])
    for place, rec in rows.get("Scans", []):
        where[("scans", len(scans))] = place
        scans.append(_fields(rec, TABLES["Scans"]))
    found = {s.get("id"): s for s in scans if isinstance(s.get("id"), str)}
    for table, column in (("Interpretations", "text"), ("Snapshot", "")):
        for place, rec in rows.get(table, []):
            scan = found.get(as_text(rec.get("scan", "")).strip())
            if scan is None:
                problems.append(Problem(name, place, "scan", "no such scan on the Scans table"))
            elif column:
                scan.setdefault("interpretations", {})[as_text(rec.get("theme", "")).strip()] = (
                    as_text(rec.get(column, ""))
                )
            else:
                scan.setdefault("snapshot", []).append(_fields(rec, TABLES["Snapshot"], skip=1))
    clusters = raw.setdefault("clusters", [])
    for place, rec in rows.get("Clusters", []):
        where[("clusters", len(clusters))] = place
        clusters.append(_fields(rec, TABLES["Clusters"]))
    if problems:
        raise WorkbookError(f"{name}: {len(problems)} problem(s)", problems)
    return raw, where


def problem_order(problems: list[Problem]) -> list[Problem]:
    """Problems in the order of the file: by line (or sheet row), then as found."""

    def key(p: Problem) -> tuple[int, int]:
        digits = "".join(ch if ch.isdigit() else " " for ch in p.where.split(",")[0]).split()
        return (0, int(digits[-1])) if digits else (1, 0)

    return sorted(problems, key=key)


# ----------------------------------------------------------------------------- writing


def dump_signals(doc: SignalFile) -> dict[str, Any]:
    """The file as plain data in canonical form (defaults left out)."""
    data = doc.model_dump(mode="json", exclude_defaults=True)
    data.pop("format", None)
    return {"format": doc.format, **data}


def signals_text(doc: SignalFile, suffix: str = ".yaml") -> str:
    """The file as YAML or JSON text."""
    data = dump_signals(doc)
    if suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _join(values: list[str]) -> str | None:
    return ";".join(values) or None


def table_rows(doc: SignalFile) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Each table's rows, in the order of its columns (empty cells are None)."""
    head = [("format", doc.format)] + ([("edition", doc.edition)] if doc.edition else [])
    extra = [(k, str(v)) for k, v in (doc.model_extra or {}).items()]
    yield "File", head + extra
    yield (
        "Signals",
        [
            (s.id, s.title, s.description or None, s.observed.isoformat())
            + (_join(s.themes), _join(s.scenarios), s.horizon, s.classification)
            + (s.organisation or None, s.strength, s.direction, s.status)
            + (s.absorbed_into, s.reason or None)
            for s in doc.signals
        ],
    )
    yield (
        "Sources",
        [
            (s.id, src.reference, src.organisation or None, src.date and src.date.isoformat())
            for s in doc.signals
            for src in s.sources
        ],
    )
    yield (
        "Scans",
        [
            (c.id, c.title, c.start.isoformat(), c.end.isoformat(), c.status)
            + (c.adopted_on and c.adopted_on.isoformat(), c.adopted_by or None)
            for c in doc.scans
        ],
    )
    yield (
        "Interpretations",
        [(c.id, theme, text) for c in doc.scans for theme, text in c.interpretations.items()],
    )
    yield (
        "Snapshot",
        [
            (c.id, st.signal, st.title, _join(st.themes), _join(st.scenarios), st.horizon)
            + (st.status, st.strength, st.direction, st.classification)
            for c in doc.scans
            for st in c.snapshot or []
        ],
    )
    yield "Clusters", [(c.id, c.label, _join(c.signals)) for c in doc.clusters]


def csv_text(doc: SignalFile) -> str:
    """The file as one CSV table, its first column naming the table of each row."""
    return tables.csv_text(TABLES, table_rows(doc))


def xlsx_bytes(doc: SignalFile) -> bytes:
    """The file as an .xlsx workbook, one sheet per table."""
    return tables.xlsx_bytes(TABLES, table_rows(doc))


def signals_bytes(doc: SignalFile, suffix: str) -> bytes:
    """The file in the format its suffix names."""
    suffix = suffix.lower()
    if suffix == ".xlsx":
        return xlsx_bytes(doc)
    if suffix == ".csv":
        return csv_text(doc).encode("utf-8")
    if suffix in (".yaml", ".yml", ".json"):
        return signals_text(doc, suffix).encode("utf-8")
    raise OutputError(f"unknown signal file format {suffix!r}; use .yaml, .json, .xlsx or .csv")


def write_signals(doc: SignalFile, path: Path) -> None:
    """Write the file atomically, in the format its suffix names."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(xlsx_bytes(doc))
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
        return
    write_text_atomic(path, signals_bytes(doc, path.suffix).decode("utf-8"))
